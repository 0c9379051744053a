"""Call failures: contacts whose calls keep failing.

Every attempt is classified by its status (settings `checks.call_failures`):

- *answered*: a status in `answered_statuses` (default `answered`);
- *failure*: a status in `failure_statuses` (default no_answer, busy, rejected, failed; plus
  voicemail when `voicemail_is_failure`; plus every unknown status when `unknown_is_failure`);
- *other*: a known status that is neither (voicemail by default): it ends a failure streak;
- *unknown*: a status outside the known vocabulary (e.g. `network_congestion`, or a missing
  status shown as `(none)`). Unknown attempts are skipped when counting a streak (they say
  nothing about the contact), but they are counted and named in the evidence and in
  `unknown_status_counts`, never silently dropped.

Kinds (one finding per contact at most, the first that applies):

- `always_failing` (error): at least N attempts and every attempt failed (unknown ones aside);
- `consecutive_failures` (warn): the latest N or more attempts, counted back from the latest,
  all failed;
- `no_answer_in_window` (info): at least one attempt in the last M days (`window_days`) and
  none of them answered.

`field` is `primary_phone` and `value` the contact's phone (else the last number dialled);
`suggested_action` is `action` (flag, or delete when configured), `review` for the window kind.
The finding id is per contact; the evidence (hence the decision fingerprint) changes with every
new attempt, so a dismissed finding comes back when new failures arrive.
"""

from __future__ import annotations

from datetime import timedelta

import polars as pl

from gomoq.checks.base import CheckInput
from gomoq.checks.findings import conform, empty_findings
from gomoq.checks.ids import finding_id_expr
from gomoq.checks.settings import CallFailureSettings, CheckSettings

CHECK = "call_failures"
MISSING_STATUS = "(none)"


def classified_calls(tables: CheckInput, cfg: CallFailureSettings) -> pl.LazyFrame:
    """Calls with a `cls` column: answered / failure / other / unknown (missing status shown)."""
    status = pl.col("status").fill_null(MISSING_STATUS)
    known = status.is_in(list(cfg.known()))
    cls = (
        pl.when(status.is_in(list(cfg.answered_statuses)))
        .then(pl.lit("answered"))
        .when(status.is_in(list(cfg.failures())))
        .then(pl.lit("failure"))
        .when(known)
        .then(pl.lit("other"))
        .when(pl.lit(cfg.unknown_is_failure))
        .then(pl.lit("failure"))
        .otherwise(pl.lit("unknown"))
    )
    return (
        tables.calls.select("contact_id", "status", "created_at", "answered_at", "phone_number")
        .filter(pl.col("contact_id").is_not_null())
        .with_columns(status.alias("status"), cls.alias("cls"), known.alias("known"))
    )


def call_summary(tables: CheckInput, settings: CheckSettings) -> pl.DataFrame:
    """Per contact with calls: attempt counts by class, first/last times, the last answer, the
    latest break of a failure streak, attempts and answers in the window; computed once per run
    (inactivity uses it too)."""
    cfg = settings.call_failures
    cutoff = settings.today() - timedelta(days=cfg.window_days)

    def compute() -> pl.DataFrame:
        calls = classified_calls(tables, cfg)
        in_window = pl.col("created_at") >= pl.lit(cutoff).dt.cast_time_unit("ms")
        answered = pl.col("cls") == "answered"
        return (
            calls.group_by("contact_id")
            .agg(
                pl.len().alias("attempts"),
                (pl.col("cls") == "failure").sum().alias("failed"),
                answered.sum().alias("answered"),
                (pl.col("cls") == "other").sum().alias("other"),
                (pl.col("cls") == "unknown").sum().alias("unknown"),
                pl.col("created_at").min().alias("first_at"),
                pl.col("created_at").max().alias("last_at"),
                pl.col("created_at")
                .filter(pl.col("cls").is_in(["answered", "other"]))
                .max()
                # a streak goes back to the latest attempt that was not a failure
                .alias("last_break_at"),
                pl.coalesce("answered_at", "created_at")
                .filter(answered)
                .max()
                .alias("last_answered_at"),
                in_window.sum().alias("window_attempts"),
                (in_window & answered).sum().alias("window_answered"),
                pl.col("phone_number").get(pl.col("created_at").arg_max()).alias("last_dialled"),
            )
            .collect()
        )

    summary: pl.DataFrame = tables.memo(("call_summary", cfg, cutoff), compute)
    return summary


def unknown_status_counts(tables: CheckInput, settings: CheckSettings) -> dict[str, int]:
    """How many attempts carry each unknown status (for the run summary)."""
    counts = (
        classified_calls(tables, settings.call_failures)
        .filter(pl.col("cls") == "unknown")
        .group_by("status")
        .len()
        .collect()
    )
    return {str(s): int(n) for s, n in counts.sort("status").iter_rows()}


def _breakdown(calls: pl.LazyFrame, name: str) -> pl.LazyFrame:
    """Per contact, its statuses with counts, e.g. "no_answer×3, busy×1" (most frequent first)."""
    return (
        calls.group_by("contact_id", "status")
        .len()
        .sort(["contact_id", "len", "status"], descending=[False, True, False])
        .group_by("contact_id", maintain_order=True)
        .agg(
            pl.concat_str(pl.col("status"), pl.lit("×"), pl.col("len").cast(pl.String))
            .str.join(", ")
            .alias(name)
        )
    )


def _day(col: str) -> pl.Expr:
    return pl.col(col).dt.strftime("%Y-%m-%d")


def run(tables: CheckInput, settings: CheckSettings) -> pl.DataFrame:
    """The call-failure findings (see the module docstring)."""
    cfg = settings.call_failures
    n = cfg.consecutive
    summary = call_summary(tables, settings)
    # Only contacts with at least N failures can have a streak or be always failing; only those
    # with a window attempt and no window answer can be the window kind: a small subset.
    cand = summary.filter(
        (pl.col("failed") >= n)
        | ((pl.col("window_attempts") > 0) & (pl.col("window_answered") == 0))
    )
    if cand.height == 0:
        return empty_findings()
    calls = classified_calls(tables, cfg).join(
        cand.lazy().select("contact_id", "last_break_at"), on="contact_id", how="inner"
    )
    after_break = pl.col("last_break_at").is_null() | (
        pl.col("created_at") > pl.col("last_break_at")
    )
    streak = _breakdown(calls.filter((pl.col("cls") == "failure") & after_break), "streak_text")
    streak_len = (
        calls.filter((pl.col("cls") == "failure") & after_break)
        .group_by("contact_id")
        .len()
        .rename({"len": "streak"})
    )
    cutoff = settings.today() - timedelta(days=cfg.window_days)
    window = _breakdown(
        calls.filter(pl.col("created_at") >= pl.lit(cutoff).dt.cast_time_unit("ms")),
        "window_text",
    )
    unknown = _breakdown(calls.filter(pl.col("cls") == "unknown"), "unknown_text")
    contacts = tables.contacts.select(pl.col("id").alias("contact_id"), "primary_phone")
    frame = (
        cand.lazy()
        .join(contacts, on="contact_id", how="inner")  # deleted contacts are not reported
        .join(streak_len, on="contact_id", how="left")
        .join(streak, on="contact_id", how="left")
        .join(window, on="contact_id", how="left")
        .join(unknown, on="contact_id", how="left")
        .with_columns(pl.col("streak").fill_null(0))
        .with_columns(
            pl.when((pl.col("failed") >= n) & (pl.col("answered") + pl.col("other") == 0))
            .then(pl.lit("always_failing"))
            .when(pl.col("streak") >= n)
            .then(pl.lit("consecutive_failures"))
            .when((pl.col("window_attempts") > 0) & (pl.col("window_answered") == 0))
            .then(pl.lit("no_answer_in_window"))
            .otherwise(pl.lit(None, dtype=pl.String))
            .alias("kind")
        )
        .filter(pl.col("kind").is_not_null())
    )
    attempts = pl.concat_str(
        pl.col("attempts").cast(pl.String),
        pl.when(pl.col("attempts") == 1).then(pl.lit(" attempt")).otherwise(pl.lit(" attempts")),
        pl.lit(" since "),
        _day("first_at"),
    )
    unknown_note = (
        pl.when(pl.col("unknown") > 0)
        .then(
            pl.concat_str(
                pl.lit("; "),
                pl.col("unknown").cast(pl.String),
                pl.lit(" with an unknown status ("),
                pl.col("unknown_text"),
                pl.lit("), not counted as failed"),
            )
        )
        .otherwise(pl.lit(""))
    )
    last_answer = (
        pl.when(pl.col("last_answered_at").is_null())
        .then(pl.lit("; never answered"))
        .otherwise(pl.concat_str(pl.lit("; last answered "), _day("last_answered_at")))
    )
    evidence = (
        pl.when(pl.col("kind") == "always_failing")
        .then(pl.concat_str(attempts, pl.lit(", all failed ("), pl.col("streak_text"), pl.lit(")")))
        .when(pl.col("kind") == "consecutive_failures")
        .then(
            pl.concat_str(
                attempts,
                pl.lit(", last "),
                pl.col("streak").cast(pl.String),
                pl.lit(" failed ("),
                pl.col("streak_text"),
                pl.lit(")"),
                last_answer,
            )
        )
        .otherwise(
            pl.concat_str(
                pl.col("window_attempts").cast(pl.String),
                pl.lit(f" attempt(s) in the last {cfg.window_days} days, none answered ("),
                pl.col("window_text"),
                pl.lit(")"),
                last_answer,
            )
        )
    )
    severity = (
        pl.when(pl.col("kind") == "always_failing")
        .then(pl.lit("error"))
        .when(pl.col("kind") == "consecutive_failures")
        .then(pl.lit("warn"))
        .otherwise(pl.lit("info"))
    )
    action = (
        pl.when(pl.col("kind") == "no_answer_in_window")
        .then(pl.lit("review"))
        .otherwise(pl.lit(cfg.action))
    )
    out = frame.select(
        pl.lit(CHECK).alias("check"),
        finding_id_expr(CHECK, "contact", "contact_id").alias("finding_id"),
        "contact_id",
        severity.alias("severity"),
        "kind",
        pl.lit("primary_phone").alias("field"),
        pl.coalesce("primary_phone", "last_dialled").alias("value"),
        pl.concat_str(evidence, unknown_note).alias("evidence"),
        action.alias("suggested_action"),
    ).sort("contact_id")
    return conform(out.collect())
