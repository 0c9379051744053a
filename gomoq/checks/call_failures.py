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
  none of them answered (its evidence counts failed and other outcomes in the window).

The evidence of the first two kinds names the statuses of the failed attempts with their
counts, e.g. "5 attempts since 2026-03-02, last 4 failed (no_answer×3, busy×1)".

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


# Attempt classes, as small integers (cheaper to aggregate than strings).
ANSWERED, FAILURE, OTHER, UNKNOWN = 0, 1, 2, 3
CLASS_NAMES = {ANSWERED: "answered", FAILURE: "failure", OTHER: "other", UNKNOWN: "unknown"}


def _class_map(cfg: CallFailureSettings) -> dict[str, int]:
    """status -> class for every known status (unknown ones are not in the map)."""
    mapping = dict.fromkeys(cfg.known(), OTHER)
    mapping.update(dict.fromkeys(cfg.failures(), FAILURE))
    mapping.update(dict.fromkeys(cfg.answered_statuses, ANSWERED))
    return mapping


def classified_calls(tables: CheckInput, cfg: CallFailureSettings) -> pl.LazyFrame:
    """Calls with `cls` (ANSWERED / FAILURE / OTHER / UNKNOWN; see the module docstring) and
    the status with a missing one shown as `(none)`."""
    status = pl.col("status").fill_null(MISSING_STATUS)
    unknown = FAILURE if cfg.unknown_is_failure else UNKNOWN
    cls = status.replace_strict(_class_map(cfg), default=unknown, return_dtype=pl.UInt8)
    known = status.is_in(list(cfg.known()))
    return (
        tables.calls.select("contact_id", "status", "created_at", "answered_at")
        .filter(pl.col("contact_id").is_not_null())
        .with_columns(status.alias("status"), cls.alias("cls"), known.alias("known"))
    )


def _cutoff(settings: CheckSettings) -> pl.Expr:
    start = settings.today() - timedelta(days=settings.call_failures.window_days)
    return pl.lit(start).dt.cast_time_unit("ms")


def call_summary(tables: CheckInput, settings: CheckSettings) -> pl.DataFrame:
    """Per contact with calls: attempts by class, first/last times, the last answer, the latest
    break of a failure streak (an answered or other attempt), attempts and answers in the
    window. One pass over the calls, computed once per run (inactivity uses it too)."""
    cfg = settings.call_failures

    def compute() -> pl.DataFrame:
        cls = pl.col("cls")
        in_window = pl.col("created_at") >= _cutoff(settings)
        answered = cls == ANSWERED
        return (
            classified_calls(tables, cfg)
            .select(
                "contact_id",
                "created_at",
                (cls == FAILURE).alias("is_failed"),
                answered.alias("is_answered"),
                (cls == OTHER).alias("is_other"),
                (cls == UNKNOWN).alias("is_unknown"),
                pl.when(answered | (cls == OTHER)).then(pl.col("created_at")).alias("break_at"),
                pl.when(answered).then(pl.coalesce("answered_at", "created_at")).alias("answer_at"),
                in_window.alias("in_window"),
                (in_window & answered).alias("window_answer"),
                (in_window & (cls == FAILURE)).alias("window_failure"),
                (in_window & (cls == OTHER)).alias("window_other_"),
            )
            .group_by("contact_id")
            .agg(
                pl.len().alias("attempts"),
                pl.col("is_failed").sum().alias("failed"),
                pl.col("is_answered").sum().alias("answered"),
                pl.col("is_other").sum().alias("other"),
                pl.col("is_unknown").sum().alias("unknown"),
                pl.col("created_at").min().alias("first_at"),
                pl.col("created_at").max().alias("last_at"),
                # a streak goes back to the latest attempt that was not a failure
                pl.col("break_at").max().alias("last_break_at"),
                pl.col("answer_at").max().alias("last_answered_at"),
                pl.col("in_window").sum().alias("window_attempts"),
                pl.col("window_answer").sum().alias("window_answered"),
                pl.col("window_failure").sum().alias("window_failed"),
                pl.col("window_other_").sum().alias("window_other"),
            )
            .collect()
        )

    key = ("call_summary", cfg, settings.today())
    summary: pl.DataFrame = tables.memo(key, compute)
    return summary


def unknown_status_counts(tables: CheckInput, settings: CheckSettings) -> dict[str, int]:
    """How many attempts carry each unknown status (for the run summary)."""
    counts = (
        classified_calls(tables, settings.call_failures)
        .filter(~pl.col("known"))
        .group_by("status")
        .len()
        .collect()
    )
    return {str(s): int(n) for s, n in counts.sort("status").iter_rows()}


def _text(count: str) -> pl.Expr:
    """Statuses with their counts in `count`, most frequent first: "no_answer×3, busy×1"."""
    n = pl.col(count)
    return (
        pl.when(n > 0)
        .then(pl.concat_str(pl.col("status"), pl.lit("×"), n.cast(pl.String)))
        .sort_by([n, pl.col("status")], descending=[True, False])
        .drop_nulls()
        .str.join(", ")
        .alias(f"{count}_text")
    )


def _breakdowns(tables: CheckInput, settings: CheckSettings, cand: pl.DataFrame) -> pl.LazyFrame:
    """For a few candidate contacts: the current failure streak's length and its statuses, and
    the unknown statuses — one join and two small group-bys."""
    after_break = pl.col("last_break_at").is_null() | (
        pl.col("created_at") > pl.col("last_break_at")
    )
    return (
        classified_calls(tables, settings.call_failures)
        .filter(pl.col("cls").is_in([FAILURE, UNKNOWN]))
        .join(cand.lazy().select("contact_id", "last_break_at"), on="contact_id", how="inner")
        .select(
            "contact_id",
            "status",
            ((pl.col("cls") == FAILURE) & after_break).alias("streak"),
            (pl.col("cls") == UNKNOWN).alias("unknown"),
        )
        .group_by("contact_id", "status")
        .agg(pl.col("streak").sum(), pl.col("unknown").sum())
        .group_by("contact_id")
        .agg(pl.col("streak").sum().alias("streak"), _text("streak"), _text("unknown"))
    )


def _window_parts() -> pl.Expr:
    """ " (2 failed, 1 other outcome)" from the window's class counts ("" when both are 0)."""
    failed, other = pl.col("window_failed"), pl.col("window_other")
    inner = pl.concat_str(
        pl.when(failed > 0).then(pl.concat_str(failed.cast(pl.String), pl.lit(" failed"))),
        pl.when(other > 0).then(
            pl.concat_str(
                other.cast(pl.String),
                pl.when(other == 1)
                .then(pl.lit(" other outcome"))
                .otherwise(pl.lit(" other outcomes")),
            )
        ),
        separator=", ",
        ignore_nulls=True,
    )
    return (
        pl.when(inner != "")
        .then(pl.concat_str(pl.lit(" ("), inner, pl.lit(")")))
        .otherwise(pl.lit(""))
    )


def _day(col: str) -> pl.Expr:
    return pl.col(col).dt.strftime("%Y-%m-%d")


def run(tables: CheckInput, settings: CheckSettings) -> pl.DataFrame:
    """The call-failure findings (see the module docstring)."""
    cfg = settings.call_failures
    n = cfg.consecutive
    summary = call_summary(tables, settings)
    failed_enough = pl.col("failed") >= n
    never_ok = pl.col("answered") + pl.col("other") == 0
    # The second pass over the calls (per-status streak counts) is needed only where a streak
    # is possible: N failures, and the latest attempt not an answer or other outcome; plus the
    # rare contacts with unknown statuses, whose evidence names them.
    maybe_streak = failed_enough & (never_ok | (pl.col("last_break_at") < pl.col("last_at")))
    window_kind = (pl.col("window_attempts") > 0) & (pl.col("window_answered") == 0)
    cand = summary.filter(maybe_streak | window_kind)
    if cand.height == 0:
        return empty_findings()
    detail = cand.filter(maybe_streak | (pl.col("unknown") > 0))
    contacts = tables.contacts.select(pl.col("id").alias("contact_id"), "primary_phone")
    frame = (
        cand.lazy()
        .join(contacts, on="contact_id", how="inner")  # deleted contacts are not reported
        .join(_breakdowns(tables, settings, detail), on="contact_id", how="left")
        .with_columns(pl.col("streak").fill_null(0))
        .with_columns(
            pl.when(failed_enough & never_ok)
            .then(pl.lit("always_failing"))
            .when(pl.col("streak") >= n)
            .then(pl.lit("consecutive_failures"))
            .when(window_kind)
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
                pl.lit(f" attempt(s) in the last {cfg.window_days} days, none answered"),
                _window_parts(),
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
        pl.col("primary_phone").alias("value"),
        pl.concat_str(evidence, unknown_note).alias("evidence"),
        action.alias("suggested_action"),
    ).sort("contact_id")
    return conform(out.collect())
