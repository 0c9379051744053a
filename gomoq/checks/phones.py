"""Phones: numbers a voice campaign cannot use, or stores badly.

Every contact's `primary_phone` is read with `gomoq.phones` in the profile's region (MA by
default). Kinds, at most one "problem" finding per contact (the first that applies) plus, for a
usable number, a separate format finding:

- `missing_number` (warn): no phone at all; suggested `flag`;
- `invalid_number` (error): phonenumbers cannot read it (evidence names the parse error) or it
  reads it but no number range of its country matches (e.g. an 08 prefix in Morocco);
  suggested `invalid_action` (`flag` by default, or `delete`);
- `impossible_length` (error): too few or too many digits for its country (a digit missing or
  extra); suggested `invalid_action`;
- `uncallable_type` (warn): a valid number whose type a voice campaign should not dial:
  everything outside `callable_types` (default MOBILE, FIXED_LINE, FIXED_LINE_OR_MOBILE, VOIP;
  so premium-rate, toll-free, shared-cost, UAN, pager, voicemail and personal numbers);
  suggested `review`;
- `foreign_number` (info): a valid number of another calling code than the region's, for an
  organisation calling domestically (`domestic = true`, the default); suggested `review`;
- `non_e164` (info): a valid number stored in another form than its E.164 (`06 12 34 56 78`
  instead of `+212612345678`). The fix is to rewrite the contact's `primaryPhone`, which is not
  one of the plan's action kinds (`set_attribute` is for custom attributes), so the suggestion is
  `review` and the E.164 form is given in the evidence, to be applied by an update or an upsert.

`field` is `primary_phone`, `value` the raw phone. The finding id is the hash of (check, kind,
contact id, raw value): editing the number makes it a new finding, so a "value is fine" decision
never hides a different value.
"""

from __future__ import annotations

import phonenumbers
import polars as pl

from gomoq.checks.base import CheckInput
from gomoq.checks.findings import conform, empty_findings
from gomoq.checks.ids import finding_id_expr
from gomoq.checks.settings import CheckSettings, PhoneSettings

CHECK = "phones"


def phone_settings(settings: CheckSettings) -> PhoneSettings:
    """The phones settings of a run (defaults when the profile has none)."""
    return settings.phones


def run(tables: CheckInput, settings: CheckSettings) -> pl.DataFrame:
    """The phone findings of every contact (see the module docstring)."""
    cfg = phone_settings(settings)
    joined = tables.contact_phones(settings.region)
    if joined.height == 0:
        return empty_findings()
    return findings(joined, settings.region, cfg)


def findings(joined: pl.DataFrame, region: str, cfg: PhoneSettings) -> pl.DataFrame:
    """Findings from contacts (`id`, `primary_phone`) with their normalised phones
    (`CheckInput.contact_phones`)."""
    own_cc = f"+{phonenumbers.country_code_for_region(region)}"
    frame = joined.lazy()
    raw = pl.col("primary_phone")
    missing = raw.is_null() | (raw.str.strip_chars() == "")
    parse_error = pl.col("parse_error").is_not_null()
    callable_type = pl.col("number_type").is_in(list(cfg.callable_types))
    foreign = pl.col("valid") & ~pl.col("e164").str.starts_with(own_cc)
    problem = (
        pl.when(missing)
        .then(pl.lit("missing_number"))
        .when(parse_error)
        .then(pl.lit("invalid_number"))
        .when(~pl.col("possible"))
        .then(pl.lit("impossible_length"))
        .when(~pl.col("valid"))
        .then(pl.lit("invalid_number"))
        .when(~callable_type)
        .then(pl.lit("uncallable_type"))
        .when(foreign & pl.lit(cfg.domestic))
        .then(pl.lit("foreign_number"))
        .otherwise(pl.lit(None, dtype=pl.String))
    )
    frame = frame.with_columns(problem.alias("kind"))
    fmt = frame.filter(
        pl.lit(cfg.non_e164) & pl.col("valid") & (pl.col("primary_phone") != pl.col("e164"))
    ).with_columns(pl.lit("non_e164").alias("kind"))
    rows = pl.concat([frame.filter(pl.col("kind").is_not_null()), fmt])
    digits = pl.col("e164").str.len_chars() - 1
    evidence = (
        pl.when(pl.col("kind") == "missing_number")
        .then(pl.lit("no phone number"))
        .when((pl.col("kind") == "invalid_number") & parse_error)
        .then(
            pl.concat_str(
                pl.lit("'"),
                raw,
                pl.lit("' cannot be read as a phone number ("),
                pl.col("parse_error"),
                pl.lit(")"),
            )
        )
        .when(pl.col("kind") == "impossible_length")
        .then(
            pl.concat_str(
                pl.lit("'"),
                raw,
                pl.lit("' reads as "),
                pl.col("e164"),
                pl.lit(", "),
                digits.cast(pl.String),
                pl.lit(" digits: not a possible length for its country"),
            )
        )
        .when(pl.col("kind") == "invalid_number")
        .then(
            pl.concat_str(
                pl.lit("'"),
                raw,
                pl.lit("' reads as "),
                pl.col("e164"),
                pl.lit(", which is in no number range of its country"),
            )
        )
        .when(pl.col("kind") == "uncallable_type")
        .then(
            pl.concat_str(
                pl.col("e164"),
                pl.lit(" is a "),
                pl.col("number_type"),
                pl.lit(" number; a voice campaign dials "),
                pl.lit(", ".join(cfg.callable_types)),
            )
        )
        .when(pl.col("kind") == "foreign_number")
        .then(
            pl.concat_str(
                pl.col("e164"),
                pl.lit(" is a "),
                pl.col("region_code").fill_null("non-geographic"),
                pl.lit(f" number; the organisation calls from {region}"),
            )
        )
        .otherwise(
            pl.concat_str(pl.lit("stored as '"), raw, pl.lit("'; E.164 form "), pl.col("e164"))
        )
    )
    kind = pl.col("kind")
    severity = (
        pl.when(kind.is_in(["invalid_number", "impossible_length"]))
        .then(pl.lit("error"))
        .when(kind.is_in(["missing_number", "uncallable_type"]))
        .then(pl.lit("warn"))
        .otherwise(pl.lit("info"))
    )
    action = (
        pl.when(kind.is_in(["invalid_number", "impossible_length"]))
        .then(pl.lit(cfg.invalid_action))
        .when(kind == "missing_number")
        .then(pl.lit("flag"))
        .otherwise(pl.lit("review"))
    )
    out = rows.select(
        pl.lit(CHECK).alias("check"),
        finding_id_expr(CHECK, kind, "id", "primary_phone").alias("finding_id"),
        pl.col("id").alias("contact_id"),
        severity.alias("severity"),
        kind,
        pl.lit("primary_phone").alias("field"),
        raw.alias("value"),
        evidence.alias("evidence"),
        action.alias("suggested_action"),
    ).collect()
    return conform(out).sort("contact_id", "kind")
