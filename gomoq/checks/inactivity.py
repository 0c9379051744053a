"""Inactivity: how long since each contact last answered a call, in engagement bands.

Days are whole days (rounded down) from the reference instant to "today" (`settings.now`, else
the current UTC time). The reference is the contact's last answered call; for a contact called
but never answered it is the contact's creation (it has existed that long without an answer;
the first attempt when the creation time is unknown).

Bands (thresholds from `checks.inactivity`, defaults in brackets):

- **Active**: at most `active_days` [30] days;
- **Cooling**: more than `active_days` and less than `at_risk_days` [31–59] — our name for the
  gap the product brief leaves between Active and At risk;
- **At risk**: from `at_risk_days` to less than `inactive_days` [60–89];
- **Inactive**: `inactive_days` [90] or more;
- **Never answered**: called, never answered, and created (else first called) less than
  `inactive_days` ago — a contact not reached yet; once that old it is Inactive;
- **Never called**: no call record at all (its own kind).

Findings: `inactive` (warn, suggested `action`: flag, or delete when configured), `at_risk`
(info, no action; `report_at_risk`), `never_answered` (info, no action; `report_at_risk`),
`never_called` (info, no action; `report_never_called`).
Active and Cooling contacts are not findings; `engagement()` gives every contact's band.

`value` is the date of the last answer (null if never); the evidence gives the day count. The
decision fingerprint (`data_fingerprint` column) covers the band, the last answer and the
number of attempts — not the day count, which grows by itself — so a dismissed contact comes
back only when it changes band or is called again.
"""

from __future__ import annotations

import polars as pl

from gomoq.checks.base import CheckInput
from gomoq.checks.call_failures import call_summary
from gomoq.checks.findings import conform
from gomoq.checks.ids import finding_id_expr
from gomoq.checks.settings import CheckSettings

CHECK = "inactivity"
BANDS = ("Active", "Cooling", "At risk", "Inactive", "Never answered", "Never called")
_MS_PER_DAY = 86_400_000


def engagement(tables: CheckInput, settings: CheckSettings) -> pl.DataFrame:
    """Every contact's band: contact_id, attempts, last_answered_at, reference_at, days, band."""
    cfg = settings.inactivity
    summary = call_summary(tables, settings).lazy()  # every contact, in the table's order
    today = settings.today()
    ref = pl.coalesce("last_answered_at", "created_at", "first_at")
    days = (
        (pl.lit(today).dt.cast_time_unit("ms").dt.epoch("ms") - ref.dt.epoch("ms")) // _MS_PER_DAY
    ).cast(pl.Int64)
    band = (
        pl.when(pl.col("attempts").fill_null(0) == 0)
        .then(pl.lit("Never called"))
        .when(pl.col("last_answered_at").is_null() & (pl.col("days") < cfg.inactive_days))
        .then(pl.lit("Never answered"))
        .when(pl.col("days") <= cfg.active_days)
        .then(pl.lit("Active"))
        .when(pl.col("days") < cfg.at_risk_days)
        .then(pl.lit("Cooling"))
        .when(pl.col("days") < cfg.inactive_days)
        .then(pl.lit("At risk"))
        .otherwise(pl.lit("Inactive"))
    )
    return (
        summary.select(
            "contact_id",
            pl.col("attempts").fill_null(0),
            pl.col("answered").fill_null(0),
            "first_at",
            "created_at",
            "last_answered_at",
            ref.alias("reference_at"),
            days.alias("days"),
        )
        .with_columns(band.alias("band"))
        .collect()
    )


def run(tables: CheckInput, settings: CheckSettings) -> pl.DataFrame:
    """The inactivity findings (see the module docstring)."""
    settings = settings.pinned()  # the bands and the evidence count days from one instant
    cfg = settings.inactivity
    wanted = ["Inactive"]
    if cfg.report_at_risk:
        wanted += ["At risk", "Never answered"]
    if cfg.report_never_called:
        wanted.append("Never called")
    frame = engagement(tables, settings).filter(pl.col("band").is_in(wanted))
    kind = (
        pl.when(pl.col("band") == "Inactive")
        .then(pl.lit("inactive"))
        .when(pl.col("band") == "At risk")
        .then(pl.lit("at_risk"))
        .when(pl.col("band") == "Never answered")
        .then(pl.lit("never_answered"))
        .otherwise(pl.lit("never_called"))
    )
    today = settings.today().strftime("%Y-%m-%d")
    attempts_word = (
        pl.when(pl.col("attempts") == 1).then(pl.lit(" attempt")).otherwise(pl.lit(" attempts"))
    )
    evidence = (
        pl.when(pl.col("band") == "Never called")
        .then(pl.lit("no call recorded for this contact"))
        .when(pl.col("last_answered_at").is_null())
        .then(
            pl.concat_str(
                pl.lit("never answered in "),
                pl.col("attempts").cast(pl.String),
                attempts_word,
                pl.when(pl.col("created_at").is_not_null())
                .then(pl.lit("; contact created on "))
                .otherwise(pl.lit("; first attempt on ")),
                pl.col("reference_at").dt.strftime("%Y-%m-%d"),
                pl.lit(" ("),
                pl.col("days").cast(pl.String),
                pl.lit(f" days before {today}), band "),
                pl.col("band"),
            )
        )
        .otherwise(
            pl.concat_str(
                pl.lit("last answered call on "),
                pl.col("last_answered_at").dt.strftime("%Y-%m-%d"),
                pl.lit(" ("),
                pl.col("days").cast(pl.String),
                pl.lit(f" days before {today}), "),
                pl.col("attempts").cast(pl.String),
                attempts_word,
                pl.lit(" in all, band "),
                pl.col("band"),
            )
        )
    )
    out = frame.select(
        pl.lit(CHECK).alias("check"),
        finding_id_expr(CHECK, "contact", "contact_id").alias("finding_id"),
        "contact_id",
        pl.when(pl.col("band") == "Inactive")
        .then(pl.lit("warn"))
        .otherwise(pl.lit("info"))
        .alias("severity"),
        kind.alias("kind"),
        pl.lit(None, dtype=pl.String).alias("field"),
        pl.col("last_answered_at").dt.strftime("%Y-%m-%d").alias("value"),
        evidence.alias("evidence"),
        pl.when(pl.col("band") == "Inactive")
        .then(pl.lit(cfg.action))
        .otherwise(pl.lit(None, dtype=pl.String))
        .alias("suggested_action"),
        # Plain text, not a hash: it is compared, never shown, and hashing 700k rows costs.
        pl.concat_str(
            kind,
            pl.col("last_answered_at").dt.epoch("ms").cast(pl.String).fill_null("-"),
            pl.col("attempts").cast(pl.String),
            separator=":",
        ).alias("data_fingerprint"),
    )  # in the cache's contact order (no sort: 700k findings per million contacts)
    return conform(out).with_columns(out["data_fingerprint"])
