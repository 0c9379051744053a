"""Call failures and attribute audit lists, and decisions reflected in the findings."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import polars as pl

from gomoq.tui.data.source import TableSource

FAILED_STATUSES: frozenset[str] = frozenset(
    {"no_answer", "busy", "rejected", "failed", "voicemail"}
)


SEVERITY_RANK: dict[str, int] = {"error": 0, "warn": 1, "info": 2}
KIND_RANK: dict[str, int] = {
    "always_failing": 0,
    "consecutive_failures": 1,
    "no_answer_in_window": 2,
}


def contact_people(source: TableSource, ids: pl.Series) -> pl.DataFrame:
    """contact_id, name and stored phone of the contacts `ids`, read from the snapshot."""
    return (
        source.scan("contacts")
        .filter(pl.col("id").is_in(ids.implode()))
        .select(
            pl.col("id").alias("contact_id"),
            pl.col("full_name").alias("name"),
            pl.col("primary_phone").alias("phone"),
        )
        .collect()
    )


def call_failure_rows(findings: pl.DataFrame, source: TableSource) -> pl.DataFrame:
    """One row per contact with call-failure findings, as the check judged it (one source of
    truth for what a failure is): name, phone, severity, kind, the check's evidence, finding
    ids, decision. Most severe first (always-failing errors on top), then by kind and name."""
    mine = findings.filter(pl.col("check") == "call_failures")
    schema: dict[str, pl.DataType] = {
        "contact_id": pl.String(),
        "name": pl.String(),
        "phone": pl.String(),
        "severity": pl.String(),
        "kind": pl.String(),
        "evidence": pl.String(),
        "finding_ids": pl.List(pl.String()),
        "decision": pl.String(),
    }
    if mine.height == 0:
        return pl.DataFrame(schema=schema)
    decision = (
        pl.col("decision").drop_nulls().last() if "decision" in mine.columns else pl.lit(None)
    )
    per_contact = mine.group_by("contact_id").agg(
        pl.col("finding_id").unique(maintain_order=True).alias("finding_ids"),
        pl.col("severity").first(),
        pl.col("kind").first(),
        pl.col("evidence").first(),
        decision.cast(pl.String).alias("decision"),
    )
    people = contact_people(source, per_contact.get_column("contact_id"))
    return (
        per_contact.join(people, on="contact_id", how="left")
        .with_columns(
            pl.col("severity").replace_strict(SEVERITY_RANK, default=9).alias("_s"),
            pl.col("kind").replace_strict(KIND_RANK, default=9).alias("_k"),
        )
        .sort(["_s", "_k", "name", "contact_id"], nulls_last=True)
        .select(list(schema))
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
