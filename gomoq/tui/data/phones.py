"""The Phones and Inactivity screens' view models (no Textual; run in workers).

`phone_rows`: one row per contact with a phones finding, grouped by a reason an operator reads
(not a number, too short, too long, invalid prefix, placeholder, uncallable type, foreign,
missing, not in E.164), with its calls. `band_counts` / `band_rows`: the engagement bands of
`gomoq.checks.inactivity.engagement` and the contacts of one band with their findings.
`rewrite_estimate`: how long rewriting N phones takes at the profile's rate limit (one request
each, see `gomoq.plan.phone_steps`).
"""

from __future__ import annotations

import math

import phonenumbers
import polars as pl

from gomoq.checks.base import CheckInput
from gomoq.checks.inactivity import BANDS, engagement
from gomoq.checks.settings import CheckSettings
from gomoq.tui.data.lists import FAILED_STATUSES, contact_people
from gomoq.tui.data.source import TableSource

NOT_E164 = "Not in E.164"
REASONS = (
    "Not a number",
    "Too short",
    "Too long",
    "Invalid prefix",
    "Placeholder",
    "Uncallable type",
    "Foreign",
    "Missing",
    NOT_E164,
)
_POSSIBLE = phonenumbers.ValidationResult


def phone_reason(raw: str | None, kind: str, region: str) -> str:
    """The reason a phones finding's number is unusable (or "Not in E.164"), in words."""
    if kind == "missing_number":
        return "Missing"
    if kind == "uncallable_type":
        return "Uncallable type"
    if kind == "foreign_number":
        return "Foreign"
    if kind == "non_e164":
        return NOT_E164
    try:
        number = phonenumbers.parse(raw or "", region)
    except phonenumbers.NumberParseException:
        return "Not a number"
    national = str(number.national_number)
    if len(set(national)) <= 2 or national in "1234567890123456789" or national in "987654321":
        return "Placeholder"  # 0600000000, 0611111111, 0612345678-like fillers
    if kind == "impossible_length":
        why = phonenumbers.is_possible_number_with_reason(number)
        return "Too long" if why == _POSSIBLE.TOO_LONG else "Too short"
    return "Invalid prefix"


def phone_rows(findings: pl.DataFrame, source: TableSource, region: str) -> pl.DataFrame:
    """reason, contact_id, name, phone, e164, duplicate (another contact holds the number),
    calls, failures, finding_ids, decision — sorted by reason (in `REASONS` order), name."""
    mine = findings.filter(pl.col("check") == "phones")
    schema: dict[str, pl.DataType] = {
        "reason": pl.String(),
        "contact_id": pl.String(),
        "name": pl.String(),
        "phone": pl.String(),
        "e164": pl.String(),
        "duplicate": pl.Boolean(),
        "calls": pl.UInt32(),
        "failures": pl.UInt32(),
        "finding_ids": pl.List(pl.String()),
        "decision": pl.String(),
    }
    if mine.height == 0:
        return pl.DataFrame(schema=schema)
    decision = pl.col("decision") if "decision" in mine.columns else pl.lit(None, pl.String)
    rows = mine.select(
        "contact_id", "kind", "value", "finding_id", decision.cast(pl.String).alias("decision")
    )
    reasons = [
        phone_reason(raw, kind, region)
        for raw, kind in zip(rows["value"].to_list(), rows["kind"].to_list(), strict=True)
    ]
    rows = rows.with_columns(pl.Series("reason", reasons, dtype=pl.String))
    per = rows.group_by("contact_id", "reason").agg(
        pl.col("value").first().alias("phone"),
        pl.col("finding_id").alias("finding_ids"),
        pl.col("decision").drop_nulls().last().alias("decision"),
    )
    ids = per.get_column("contact_id").unique()
    read = _e164(per.get_column("phone"), region)
    per = per.join(read, on="phone", how="left")
    dup_ids = findings.filter(
        (pl.col("check") == "duplicates") & pl.col("kind").str.contains("exact")
    ).get_column("contact_id")
    calls = (
        source.scan("calls")
        .filter(pl.col("contact_id").is_in(ids.implode()))
        .group_by("contact_id")
        .agg(
            pl.len().cast(pl.UInt32).alias("calls"),
            pl.col("status").is_in(list(FAILED_STATUSES)).sum().cast(pl.UInt32).alias("failures"),
        )
        .collect()
    )
    names = (
        source.scan("contacts")
        .filter(pl.col("id").is_in(ids.implode()))
        .select(pl.col("id").alias("contact_id"), pl.col("full_name").alias("name"))
        .collect()
    )
    order = pl.DataFrame({"reason": list(REASONS), "_order": list(range(len(REASONS)))})
    return (
        per.join(names, on="contact_id", how="left")
        .join(calls, on="contact_id", how="left")
        .join(order, on="reason", how="left")
        .with_columns(
            pl.col("contact_id").is_in(dup_ids.implode()).alias("duplicate"),
            pl.col("calls").fill_null(0),
            pl.col("failures").fill_null(0),
        )
        .sort(["_order", "name", "contact_id"], nulls_last=True)
        .select(list(schema))
    )


def _e164(raw: pl.Series, region: str) -> pl.DataFrame:
    from gomoq.phones import normalise

    unique = raw.drop_nulls().unique()
    read = normalise(unique, region)
    return read.select(
        pl.col("raw").alias("phone"),
        pl.when(pl.col("valid")).then(pl.col("e164")).otherwise(None).alias("e164"),
    )


def rewrite_estimate(count: int, rate: float) -> str:
    """`1,812 phones to rewrite: ~3 min at 10 requests/s` (one request per phone)."""
    noun = "phone" if count == 1 else "phones"
    if rate <= 0:
        return f"{count:,} {noun} to rewrite: one request each"
    seconds = count / rate
    if seconds < 90:
        when = f"~{max(1, math.ceil(seconds))} s"
    elif seconds < 5400:
        when = f"~{round(seconds / 60)} min"
    else:
        when = f"~{seconds / 3600:.1f} h"
    return f"{count:,} {noun} to rewrite: {when} at {rate:g} requests/s"


def band_counts(bands: pl.DataFrame) -> pl.DataFrame:
    """band, contacts — every band of `BANDS` in order (0 when empty)."""
    counts = dict(bands.group_by("band").len().iter_rows())
    return pl.DataFrame(
        {"band": list(BANDS), "contacts": [int(counts.get(b, 0)) for b in BANDS]},
        schema={"band": pl.String, "contacts": pl.Int64},
    )


def engagement_bands(source: TableSource, settings: CheckSettings) -> pl.DataFrame:
    """Every contact's band (`gomoq.checks.inactivity.engagement` over the snapshot)."""
    return engagement(CheckInput.from_snapshot(source), settings.pinned())


def band_rows(
    bands: pl.DataFrame, band: str, findings: pl.DataFrame, source: TableSource
) -> pl.DataFrame:
    """contact_id, name, phone, days, attempts, last_answered, finding_ids, decision for the
    contacts of `band` (longest without an answer first)."""
    mine = bands.filter(pl.col("band") == band)
    found = findings.filter(pl.col("check") == "inactivity")
    decision = pl.col("decision") if "decision" in found.columns else pl.lit(None, pl.String)
    per = found.group_by("contact_id").agg(
        pl.col("finding_id").alias("finding_ids"),
        decision.cast(pl.String).drop_nulls().last().alias("decision"),
    )
    people = contact_people(source, mine.get_column("contact_id"))
    return (
        mine.select(
            "contact_id",
            "days",
            "attempts",
            pl.col("last_answered_at").dt.strftime("%Y-%m-%d").alias("last_answered"),
        )
        .join(people, on="contact_id", how="left")
        .join(per, on="contact_id", how="left")
        .sort(["days", "contact_id"], descending=[True, False], nulls_last=True)
        .select(
            "contact_id",
            "name",
            "phone",
            "days",
            "attempts",
            "last_answered",
            "finding_ids",
            "decision",
        )
    )
