"""Duplicate review's data: the queue of clusters, members side by side, merge payload."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import polars as pl

from gomoq.tui.data.source import TableSource
from gomoq.tui.data.source import as_text as _text

# Fields compared side by side in duplicate review, in the order an operator reads a contact.
COMPARE_FIELDS: tuple[str, ...] = (
    "first_name",
    "last_name",
    "primary_phone",
    "primary_email",
    "address",
    "city",
    "state",
    "zip",
    "occupation",
    "preferred_channel",
    "gender",
    "custom_attributes",
    "created_at",
    "updated_at",
)
# Fields whose value the operator may choose per field when merging (not ids, not timestamps).
CHOOSABLE_FIELDS: frozenset[str] = frozenset(COMPARE_FIELDS) - {"created_at", "updated_at"}


@dataclass(frozen=True)
class Cluster:
    """One duplicate cluster in the review queue."""

    cluster_id: str
    confidence: float
    kind: str
    finding_ids: list[str]
    member_ids: list[str]
    evidence: list[str]
    decision: str | None


def duplicate_queue(findings: pl.DataFrame) -> list[Cluster]:
    """Duplicate clusters, most confident first (ties by cluster id for a stable order)."""
    dupes = findings.filter(pl.col("cluster_id").is_not_null())
    if dupes.height == 0:
        return []
    has_decision = "decision" in dupes.columns
    grouped = (
        dupes.group_by("cluster_id")
        .agg(
            pl.col("confidence").max().fill_null(0.0),
            pl.col("kind").first(),
            pl.col("finding_id").unique(maintain_order=True),
            pl.col("contact_id").unique(maintain_order=True),
            pl.col("evidence").drop_nulls().unique(maintain_order=True),
            (pl.col("decision").drop_nulls().last() if has_decision else pl.lit(None))
            .cast(pl.String)
            .alias("decision"),
        )
        .sort(["confidence", "cluster_id"], descending=[True, False])
    )
    return [
        Cluster(
            cluster_id=r["cluster_id"],
            confidence=float(r["confidence"]),
            kind=str(r["kind"]),
            finding_ids=list(r["finding_id"]),
            member_ids=[m for m in r["contact_id"] if m is not None],
            evidence=list(r["evidence"]),
            decision=r["decision"],
        )
        for r in grouped.iter_rows(named=True)
    ]


@dataclass(frozen=True)
class ClusterView:
    """The members of a cluster side by side: `values[field][i]` is member i's value."""

    member_ids: list[str]
    fields: list[str]
    values: dict[str, list[str]]
    rows: list[dict[str, Any]]

    def differs(self, name: str) -> bool:
        """Whether the members disagree on `name`."""
        return len(set(self.values[name])) > 1


def cluster_view(source: TableSource, cluster: Cluster) -> ClusterView:
    """Read the members of `cluster` from the snapshot, in the cluster's member order."""
    frame = source.scan("contacts").filter(pl.col("id").is_in(cluster.member_ids)).collect()
    by_id = {r["id"]: r for r in frame.iter_rows(named=True)}
    members = [m for m in cluster.member_ids if m in by_id]
    rows = [by_id[m] for m in members]
    values = {f: [_text(r.get(f)) for r in rows] for f in COMPARE_FIELDS}
    return ClusterView(members, list(COMPARE_FIELDS), values, rows)


def merge_payload(view: ClusterView, survivor: int, choices: Mapping[str, int]) -> dict[str, Any]:
    """The decision payload for merging, as `gomoq.plan.auto` reads it.

    `survivor` and `losers` are contact ids; `fields` the values chosen per field (API names,
    camelCase) and `attributes` the custom attributes taken from a chosen member. `choices` maps
    a field to the member index whose value is kept; fields not chosen are left to the merge
    rules of `gomoq.plan.merge` (survivor's value, else the newest loser's).
    """
    from gomoq.plan.fingerprint import SNAKE_TO_CAMEL

    fields: dict[str, Any] = {}
    attributes: dict[str, Any] = {}
    for name, index in choices.items():
        if name not in CHOOSABLE_FIELDS or index == survivor or not 0 <= index < len(view.rows):
            continue
        value = view.rows[index].get(name)
        if name == "custom_attributes":
            parsed = json.loads(value) if isinstance(value, str) and value else {}
            attributes.update(parsed if isinstance(parsed, dict) else {})
        else:
            fields[SNAKE_TO_CAMEL.get(name, name)] = value
    payload: dict[str, Any] = {
        "survivor": view.member_ids[survivor],
        "losers": [m for i, m in enumerate(view.member_ids) if i != survivor],
        "fields": fields,
    }
    if attributes:
        payload["attributes"] = attributes
    return payload
