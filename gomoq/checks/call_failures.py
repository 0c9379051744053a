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

`field` is `primary_phone` and `value` the contact's phone;
`suggested_action` is `action` (flag, or delete when configured), `review` for the window kind.
The finding id is per contact; its data fingerprint is the kind and the attempt counts, so a
dismissed finding comes back when new attempts arrive or its kind changes, not as days pass.
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


def _class_map(cfg: CallFailureSettings) -> dict[str, int]:
    """status -> class for every known status (unknown ones are not in the map)."""
    mapping = dict.fromkeys(cfg.known(), OTHER)
    mapping.update(dict.fromkeys(cfg.failures(), FAILURE))
    mapping.update(dict.fromkeys(cfg.answered_statuses, ANSWERED))
    return mapping


def _status_codes(cfg: CallFailureSettings) -> dict[str, int]:
    """status -> its code: its position in `cfg.known()` (unknown statuses have none)."""
    return {s: i for i, s in enumerate(cfg.known())}


def classified_calls(tables: CheckInput, cfg: CallFailureSettings) -> pl.LazyFrame:
    """Calls with `cls` (ANSWERED / FAILURE / OTHER / UNKNOWN; see the module docstring),
    `code` (the status's position in `cfg.known()`, null for an unknown status), `known`, and
    the status with a missing one shown as `(none)`.

    The status text is read once, into `code`; everything else compares small integers (on
    5 M calls each string comparison costs ~0.05 CPU-seconds)."""
    status = pl.col("status").fill_null(MISSING_STATUS)
    codes = _status_codes(cfg)
    code = status.replace_strict(codes, default=None, return_dtype=pl.UInt8)
    classes = _class_map(cfg)
    unknown = FAILURE if cfg.unknown_is_failure else UNKNOWN
    cls = (
        pl.col("code")
        .replace_strict({i: classes[s] for s, i in codes.items()}, return_dtype=pl.UInt8)
        .fill_null(unknown)
    )
    return (
        tables.calls.select("contact_id", "status", "created_at", "answered_at")
        .filter(pl.col("contact_id").is_not_null())
        .with_columns(status.alias("status"), code.alias("code"))
        .with_columns(cls.alias("cls"), pl.col("code").is_not_null().alias("known"))
    )


def _cutoff(settings: CheckSettings) -> pl.Expr:
    start = settings.today() - timedelta(days=settings.call_failures.window_days)
    return pl.lit(start).dt.cast_time_unit("ms")


def failure_slots(cfg: CallFailureSettings) -> tuple[str, ...]:
    """The labels of the per-status failure counters: the failure statuses, then one for
    unknown statuses when they count as failures."""
    extra = ("unknown status",) if cfg.unknown_is_failure else ()
    return (*cfg.failures(), *extra)


def _slot_bits(cfg: CallFailureSettings) -> int:
    return min(16, 64 // max(1, len(failure_slots(cfg))))


# Counters are summed packed into UInt64 words (16 bits per counter, or 64/k bits for k
# failure statuses): one sum instead of one per counter over millions of calls. Packing is
# exact while no contact has more attempts than a field holds; `call_summary` checks that and
# falls back to one sum per counter otherwise. `_PACK_LIMIT` lets tests force the fallback.
_PACK_LIMIT: int | None = None


def _packed(flags: list[pl.Expr], bits: int) -> pl.Expr:
    total: pl.Expr = pl.lit(0, dtype=pl.UInt64)
    for i, flag in enumerate(flags):
        total = total + flag.cast(pl.UInt64) * pl.lit(1 << (bits * i), dtype=pl.UInt64)
    return total


def _unpack(col: str, names: list[str], bits: int) -> list[pl.Expr]:
    mask = pl.lit((1 << bits) - 1, dtype=pl.UInt64)
    return [
        ((pl.col(col) // pl.lit(1 << (bits * i), dtype=pl.UInt64)).and_(mask))
        .cast(pl.UInt32)
        .alias(name)
        for i, name in enumerate(names)
    ]


COUNTERS = ("failed", "answered", "other", "unknown")
WINDOW_COUNTERS = ("window_attempts", "window_answered", "window_failed", "window_other")

# Calls are grouped by a 64-bit hash of their contact id (`ck`), not by the 36-character id:
# grouping 5 M calls on strings costs twice as much. A second, independent hash (`ck2`) proves
# the grouping: every group must hold one `ck2` and match its contact's. A collision (about one
# chance in 10^7 per million contacts for `ck` alone) is caught that way and the summary is redone
# on exact keys (the contact's position, found by joining the ids as strings): slower, same
# result (tests force a collision by replacing `_hash_keys`).
_KEY_SEEDS: tuple[int, int] = (0x5EED_0001, 0x5EED_0002)


def _hash_keys(id_col: str) -> list[pl.Expr]:
    one, two = _KEY_SEEDS
    return [
        pl.col(id_col).hash(one).alias("ck"),
        pl.col(id_col).hash(two).alias("ck2"),
    ]


def contact_keys(tables: CheckInput) -> pl.DataFrame:
    """Every contact: `contact_id`, `primary_phone`, `created_at` and its keys `ck`, `ck2`, in
    the order of the contacts table (computed once per run)."""

    def compute() -> pl.DataFrame:
        return (
            tables.contacts.select(pl.col("id").alias("contact_id"), "primary_phone", "created_at")
            .with_columns(_hash_keys("contact_id"))
            .collect()
        )

    frame: pl.DataFrame = tables.memo(("contact_keys", _KEY_SEEDS), compute)
    return frame


def call_summary(tables: CheckInput, settings: CheckSettings) -> pl.DataFrame:
    """Every contact of the contacts table with the summary of its calls (see
    `_summary_and_calls`)."""
    return _summary_and_calls(tables, settings)[0]


def _summary_and_calls(
    tables: CheckInput, settings: CheckSettings
) -> tuple[pl.DataFrame, pl.DataFrame, dict[str, int]]:
    """The call summary, the calls with an unknown status (`ck` keyed like the summary,
    `unknown_status`) and the count of each unknown status over every call.

    The prepared calls themselves are not kept (5 M rows: ~0.3 GB a run need not hold).

    The summary: every contact of the contacts table, in its order (`contact_id`,
    `primary_phone`, `created_at`, key `ck`), with its calls: attempts, counts by class
    (`COUNTERS`) and in the window (`WINDOW_COUNTERS`), first/last attempt, the latest break of
    a failure streak (an answered or other attempt), the last answer, and per failure status
    (`failure_slots`) the count of failed attempts (`all_<i>`) and of those in the current
    streak (`streak_<i>`; counted only for contacts with at least `consecutive` failures, 0 for
    the others that have a break). A contact without calls has null counts; calls of contacts
    no longer in the table are left out.

    One pass over the calls, plus a pass over the failed calls of the contacts whose streak
    needs counting; computed once per run (inactivity uses it too)."""
    cfg = settings.call_failures
    slots = failure_slots(cfg)
    bits = _slot_bits(cfg)
    limit = _PACK_LIMIT if _PACK_LIMIT is not None else (1 << bits)

    def summarise(calls: pl.LazyFrame, contacts: pl.DataFrame) -> pl.DataFrame | None:
        """The summary on the keys `calls` carry; None when the keys are seen to collide."""
        grouped = _aggregate(calls, slots, bits, packed=True).collect()
        most = int(grouped.select(pl.col("attempts").max()).item() or 0)
        if most >= limit:
            # Some contact has more attempts than a packed field holds: redo it exactly.
            grouped = _aggregate(calls, slots, bits, packed=False).collect()
        clash = grouped.filter(pl.col("ck2_lo") != pl.col("ck2_hi")).height > 0
        if clash or contacts["ck"].n_unique() != contacts.height:
            return None
        summary = contacts.join(grouped.drop("ck2_hi"), on="ck", how="left", maintain_order="left")
        if summary.filter(pl.col("ck2_lo") != pl.col("ck2")).height:
            return None  # a contact's key met the calls of another id (a deleted contact)
        summary = summary.drop("ck2", "ck2_lo")
        return _with_streaks(calls, summary, slots, bits, cfg.consecutive)

    def unknown_rows(calls: pl.DataFrame) -> pl.DataFrame:
        return calls.filter(pl.col("unknown_status").is_not_null()).select("ck", "unknown_status")

    def compute() -> tuple[pl.DataFrame, pl.DataFrame, dict[str, int]]:
        contacts = contact_keys(tables)
        calls = _prepared(tables, settings, slots, bits).collect()
        unknown = unknown_rows(calls)
        counts = unknown.group_by("unknown_status").len().sort("unknown_status")
        summary = summarise(calls.lazy(), contacts)
        if summary is None:
            exact = contacts.with_columns(
                pl.int_range(pl.len(), dtype=pl.UInt64).alias("ck")
            ).with_columns(pl.col("ck").alias("ck2"))
            calls = _prepared(tables, settings, slots, bits, exact=exact).collect()
            unknown = unknown_rows(calls)
            summary = summarise(calls.lazy(), exact)
            assert summary is not None, "exact keys cannot collide"
        return summary, unknown, {str(s): int(n) for s, n in counts.iter_rows()}

    key = ("call_summary", cfg, settings.today(), _PACK_LIMIT, _KEY_SEEDS)
    result: tuple[pl.DataFrame, pl.DataFrame, dict[str, int]] = tables.memo(key, compute)
    return result


def _with_streaks(
    calls: pl.LazyFrame, summary: pl.DataFrame, slots: tuple[str, ...], bits: int, n: int
) -> pl.DataFrame:
    """Add `streak_<i>`: failed attempts after the contact's latest break, per status.

    Without any break every failure is in the streak; with a break as the latest attempt there
    is none; only contacts with at least `n` failures whose latest attempt came after their
    latest break need their calls read again (a much smaller set)."""
    all_cols = [pl.col(f"all_{i}") for i in range(len(slots))]
    no_break = pl.col("last_break_at").is_null()
    summary = summary.with_columns(
        pl.when(no_break).then(c).otherwise(pl.lit(0, dtype=pl.UInt32)).alias(f"streak_{i}")
        for i, c in enumerate(all_cols)
    )
    pending = summary.filter(
        ~no_break & (pl.col("failed") >= n) & (pl.col("last_at") > pl.col("last_break_at"))
    ).select("ck", "last_break_at")
    if pending.height == 0:
        return summary
    flags = [(pl.col("fp") // (1 << (bits * i))) % (1 << bits) for i in range(len(slots))]
    counted = (
        calls.filter(pl.col("fp") > 0)
        .join(pending.lazy(), on="ck", how="inner")
        .filter(pl.col("created_at") > pl.col("last_break_at"))
        .group_by("ck")
        .agg(f.sum().cast(pl.UInt32).alias(f"s{i}") for i, f in enumerate(flags))
        .collect()
    )
    joined = summary.join(counted, on="ck", how="left", maintain_order="left")
    return joined.with_columns(
        pl.coalesce(pl.col(f"s{i}"), pl.col(f"streak_{i}")).alias(f"streak_{i}")
        for i in range(len(slots))
    ).drop([f"s{i}" for i in range(len(slots))])


def _prepared(
    tables: CheckInput,
    settings: CheckSettings,
    slots: tuple[str, ...],
    bits: int,
    *,
    exact: pl.DataFrame | None = None,
) -> pl.LazyFrame:
    """The calls as the few numeric columns the summary aggregates, keyed by hashes of the
    contact id (`ck`, `ck2`) or, given `exact` (`contact_id`, `ck`, `ck2` per contact), by those
    keys (calls of other ids left out), plus `unknown_status` (the status when outside the
    known vocabulary, else null)."""
    cfg = settings.call_failures
    cls = pl.col("cls")
    in_window = pl.col("created_at") >= _cutoff(settings)
    answered = cls == ANSWERED
    failure = cls == FAILURE
    status, code = pl.col("status"), pl.col("code")
    codes = _status_codes(cfg)
    slot_flags = [failure & code.eq_missing(codes[s]) for s in cfg.failures()]
    if cfg.unknown_is_failure:
        slot_flags.append(failure & ~pl.col("known"))
    calls = classified_calls(tables, cfg)
    if exact is None:
        calls = calls.with_columns(_hash_keys("contact_id"))
    else:
        calls = calls.join(exact.lazy().select("contact_id", "ck", "ck2"), on="contact_id")
    return calls.select(
        "ck",
        "ck2",
        "created_at",
        _packed([failure, answered, cls == OTHER, cls == UNKNOWN], 16).alias("c1"),
        _packed(
            [in_window, in_window & answered, in_window & failure, in_window & (cls == OTHER)],
            16,
        ).alias("c2"),
        _packed(slot_flags, bits).alias("fp"),
        pl.when(answered | (cls == OTHER)).then(pl.col("created_at")).alias("break_at"),
        pl.when(answered).then(pl.coalesce("answered_at", "created_at")).alias("answer_at"),
        pl.when(~pl.col("known")).then(status).alias("unknown_status"),
    )


def _aggregate(
    calls: pl.LazyFrame, slots: tuple[str, ...], bits: int, *, packed: bool
) -> pl.LazyFrame:
    """Per key `ck`: the counters and times of `call_summary`, and the least and greatest
    `ck2` (equal unless two contact ids share a `ck`)."""
    times = [
        pl.col("created_at").min().alias("first_at"),
        pl.col("created_at").max().alias("last_at"),
        pl.col("break_at").max().alias("last_break_at"),
        pl.col("answer_at").max().alias("last_answered_at"),
        pl.col("ck2").min().alias("ck2_lo"),
        pl.col("ck2").max().alias("ck2_hi"),
    ]
    all_names = [f"all_{i}" for i in range(len(slots))]
    if packed:
        grouped = calls.group_by("ck").agg(
            pl.len().alias("attempts"),
            pl.col("c1").sum(),
            pl.col("c2").sum(),
            pl.col("fp").sum(),
            *times,
        )
        return grouped.select(
            "ck",
            "attempts",
            *_unpack("c1", list(COUNTERS), 16),
            *_unpack("c2", list(WINDOW_COUNTERS), 16),
            *_unpack("fp", all_names, bits),
            "first_at",
            "last_at",
            "last_break_at",
            "last_answered_at",
            "ck2_lo",
            "ck2_hi",
        )
    # Exact fallback for contacts with very many attempts: one sum per counter.
    mask16 = [(pl.col(c) // (1 << (16 * i))) % (1 << 16) for c in ("c1", "c2") for i in range(4)]
    slot_flags = [(pl.col("fp") // (1 << (bits * i))) % (1 << bits) for i in range(len(slots))]
    return calls.group_by("ck").agg(
        pl.len().cast(pl.UInt32).alias("attempts"),
        *[
            flag.sum().cast(pl.UInt32).alias(name)
            for flag, name in zip(mask16, (*COUNTERS, *WINDOW_COUNTERS), strict=True)
        ],
        *[f.sum().cast(pl.UInt32).alias(n) for f, n in zip(slot_flags, all_names, strict=True)],
        *times,
    )


def unknown_status_counts(tables: CheckInput, settings: CheckSettings) -> dict[str, int]:
    """How many attempts carry each unknown status (for the run summary)."""
    return dict(_summary_and_calls(tables, settings)[2])


def _status_text(long: pl.LazyFrame, name: str) -> pl.LazyFrame:
    """From (ck, status, n) rows: per contact key "no_answer×3, busy×1", most frequent first,
    zero counts left out. (Keyed by `ck`: sorting a million rows by a 36-character id costs.)"""
    return (
        long.filter(pl.col("n") > 0)
        .sort(["ck", "n", "status"], descending=[False, True, False])
        .group_by("ck", maintain_order=True)
        .agg(
            pl.concat_str(pl.col("status"), pl.lit("×"), pl.col("n").cast(pl.String))
            .str.join(", ")
            .alias(name)
        )
    )


def _slot_text(frame: pl.LazyFrame, prefix: str, slots: tuple[str, ...], name: str) -> pl.LazyFrame:
    """The status text of the per-slot counters `<prefix>_<i>` of each contact in `frame`."""
    long = pl.concat(
        [
            frame.select(
                "ck",
                pl.lit(slot).alias("status"),
                pl.col(f"{prefix}_{i}").cast(pl.UInt32).alias("n"),
            )
            for i, slot in enumerate(slots)
        ],
        how="vertical",
    )
    return _status_text(long, name)


def _unknown_text(tables: CheckInput, settings: CheckSettings, ids: pl.LazyFrame) -> pl.LazyFrame:
    """Per contact key in `ids` (`ck`), its unknown statuses with counts (only the rare unknown
    rows)."""
    long = (
        _summary_and_calls(tables, settings)[1]
        .lazy()
        .join(ids, on="ck", how="semi")
        .group_by("ck", pl.col("unknown_status").alias("status"))
        .agg(pl.len().cast(pl.UInt32).alias("n"))
    )
    return _status_text(long, "unknown_text")


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
    settings = settings.pinned()  # the summary is read twice below, keyed by "today"
    cfg = settings.call_failures
    n = cfg.consecutive
    summary = call_summary(tables, settings)
    slots = failure_slots(cfg)
    streak = pl.sum_horizontal([pl.col(f"streak_{i}") for i in range(len(slots))])
    failed_enough = pl.col("failed") >= n
    never_ok = pl.col("answered") + pl.col("other") == 0
    window_kind = (pl.col("window_attempts") > 0) & (pl.col("window_answered") == 0)
    kind = (
        pl.when(failed_enough & never_ok)
        .then(pl.lit("always_failing"))
        .when(pl.col("streak") >= n)
        .then(pl.lit("consecutive_failures"))
        .when(window_kind)
        .then(pl.lit("no_answer_in_window"))
        .otherwise(pl.lit(None, dtype=pl.String))
    )
    found = (
        summary.lazy()
        .with_columns(streak.alias("streak"))
        .with_columns(kind.alias("kind"))
        .filter(pl.col("kind").is_not_null())
        .collect()
    )
    if found.height == 0:
        return empty_findings()
    # The texts: all failures for always-failing contacts, the streak's for the others.
    prefix_all = found.filter(pl.col("kind") == "always_failing").lazy()
    prefix_streak = found.filter(pl.col("kind") == "consecutive_failures").lazy()
    texts = pl.concat(
        [
            _slot_text(prefix_all, "all", slots, "streak_text"),
            _slot_text(prefix_streak, "streak", slots, "streak_text"),
        ],
        how="vertical",
    )
    frame = found.lazy().join(texts, on="ck", how="left")
    if int(found["unknown"].sum() or 0):
        unknown_ids = found.lazy().filter(pl.col("unknown") > 0).select("ck")
        frame = frame.join(_unknown_text(tables, settings, unknown_ids), on="ck", how="left")
    else:
        frame = frame.with_columns(pl.lit(None, dtype=pl.String).alias("unknown_text"))
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
    out = (
        frame.select(
            pl.lit(CHECK).alias("check"),
            finding_id_expr(CHECK, "contact", "contact_id").alias("finding_id"),
            "contact_id",
            severity.alias("severity"),
            "kind",
            pl.lit("primary_phone").alias("field"),
            pl.col("primary_phone").alias("value"),
            pl.concat_str(evidence, unknown_note).alias("evidence"),
            action.alias("suggested_action"),
            # Decisions hold until the kind changes or new attempts arrive (not as days pass).
            pl.concat_str(
                "kind",
                pl.col("attempts").cast(pl.String),
                pl.col("failed").cast(pl.String),
                separator=":",
            ).alias("data_fingerprint"),
        )
        .sort("contact_id")
        .collect()
    )
    return conform(out).with_columns(out["data_fingerprint"])
