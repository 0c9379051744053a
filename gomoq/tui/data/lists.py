"""Call failures and attribute audit lists, and decisions reflected in the findings."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import polars as pl

from gomoq.tui.data.source import TableSource

FAILED_STATUSES: frozenset[str] = frozenset(
    {"no_answer", "busy", "rejected", "failed", "voicemail"}
)


def call_failure_rows(findings: pl.DataFrame, source: TableSource) -> pl.DataFrame:
    """One row per contact with call-failure findings: name, phone, failures, finding ids."""
    mine = findings.filter(pl.col("check") == "call_failures")
    if mine.height == 0:
        return pl.DataFrame(
            schema={
                "contact_id": pl.String,
                "name": pl.String,
                "phone": pl.String,
                "failures": pl.UInt32,
                "last_status": pl.String,
                "evidence": pl.String,
                "finding_ids": pl.List(pl.String),
                "decision": pl.String,
            }
        )
    decision = (
        pl.col("decision").drop_nulls().last() if "decision" in mine.columns else pl.lit(None)
    )
    per_contact = mine.group_by("contact_id").agg(
        pl.col("finding_id").unique(maintain_order=True).alias("finding_ids"),
        pl.col("evidence").first(),
        decision.cast(pl.String).alias("decision"),
    )
    ids = per_contact.get_column("contact_id")
    calls = (
        source.scan("calls")
        .filter(pl.col("contact_id").is_in(ids.implode()))
        .sort("created_at")
        .group_by("contact_id")
        .agg(
            pl.col("status").is_in(list(FAILED_STATUSES)).sum().alias("failures"),
            pl.col("status").last().alias("last_status"),
        )
        .collect()
    )
    people = (
        source.scan("contacts")
        .filter(pl.col("id").is_in(ids.implode()))
        .select(
            pl.col("id").alias("contact_id"),
            pl.col("full_name").alias("name"),
            pl.col("primary_phone").alias("phone"),
        )
        .collect()
    )
    return (
        per_contact.join(people, on="contact_id", how="left")
        .join(calls, on="contact_id", how="left")
        .with_columns(pl.col("failures").fill_null(0).cast(pl.UInt32))
        .select(
            "contact_id",
            "name",
            "phone",
            "failures",
            "last_status",
            "evidence",
            "finding_ids",
            "decision",
        )
        .sort(["failures", "contact_id"], descending=[True, False])
    )


def attribute_groups(findings: pl.DataFrame) -> pl.DataFrame:
    """Invalid attribute values grouped by (attribute, value), largest groups first."""
    mine = findings.filter((pl.col("check") == "attributes") & pl.col("field").is_not_null())
    decision = (
        pl.col("decision").drop_nulls().last() if "decision" in mine.columns else pl.lit(None)
    )
    return (
        mine.group_by("field", "value")
        .agg(
            pl.col("kind").first(),
            pl.col("severity").first(),
            pl.len().alias("count"),
            pl.col("finding_id").alias("finding_ids"),
            pl.col("contact_id").alias("contact_ids"),
            pl.col("evidence").first(),
            decision.cast(pl.String).alias("decision"),
        )
        .sort(["field", "count", "value"], descending=[False, True, False], nulls_last=True)
    )


def attribute_definition(source: TableSource, name: str) -> dict[str, Any] | None:
    """The definition of the attribute `name` (matched on name or display name)."""
    defs = (
        source.scan("attribute_defs")
        .filter((pl.col("name") == name) | (pl.col("display_name") == name))
        .collect()
    )
    return defs.row(0, named=True) if defs.height else None


def apply_decisions(
    findings: pl.DataFrame, finding_ids: Sequence[str], decision: str | None
) -> pl.DataFrame:
    """`findings` with `decision` set on the given ids (the app's view after recording)."""
    if "decision" not in findings.columns:
        findings = findings.with_columns(pl.lit(None, dtype=pl.String).alias("decision"))
    return findings.with_columns(
        pl.when(pl.col("finding_id").is_in(list(finding_ids)))
        .then(pl.lit(decision, dtype=pl.String))
        .otherwise(pl.col("decision"))
        .alias("decision")
    )
