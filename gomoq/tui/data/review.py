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
CHOOSABLE_FIELDS: frozenset[str] = frozenset(COMPARE_FIELDS) - {
    "created_at",
    "updated_at",
    "custom_attributes",
}


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


ATTRIBUTE_PREFIX = "@"
"""Rows of custom attributes in a cluster view are named `@<attribute>`."""


def _attributes(row: Mapping[str, Any]) -> dict[str, Any]:
    raw = row.get("custom_attributes")
    try:
        parsed = json.loads(raw) if isinstance(raw, str) and raw else {}
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _attr_text(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def cluster_view(source: TableSource, cluster: Cluster) -> ClusterView:
    """Read the members of `cluster` from the snapshot, in the cluster's member order.

    Standard fields come first, then one row per custom attribute any member holds.
    """
    frame = source.scan("contacts").filter(pl.col("id").is_in(cluster.member_ids)).collect()
    by_id = {r["id"]: r for r in frame.iter_rows(named=True)}
    members = [m for m in cluster.member_ids if m in by_id]
    rows = [by_id[m] for m in members]
    names = [f for f in COMPARE_FIELDS if f != "custom_attributes"]
    values = {f: [_text(r.get(f)) for r in rows] for f in names}
    attrs = [_attributes(r) for r in rows]
    for key in sorted({k for a in attrs for k in a}):
        values[ATTRIBUTE_PREFIX + key] = [_attr_text(a.get(key)) for a in attrs]
    fields = [*names[:-2], *(k for k in values if k.startswith(ATTRIBUTE_PREFIX)), *names[-2:]]
    return ClusterView(members, fields, values, rows)


def choosable(name: str) -> bool:
    """Whether the operator may pick which member's value of `name` the survivor keeps."""
    return name in CHOOSABLE_FIELDS or name.startswith(ATTRIBUTE_PREFIX)


def merge_payload(view: ClusterView, survivor: int, choices: Mapping[str, int]) -> dict[str, Any]:
    """The decision payload for merging, as `gomoq.plan.auto` reads it.

    `survivor` and `losers` are contact ids; `fields` the values chosen per field (API names,
    camelCase) and `attributes` the custom attribute values chosen (`@name` rows). `choices`
    maps a row name to the member index whose value is kept; rows not chosen are left to the
    merge rules of `gomoq.plan.merge` (survivor's value, else the newest loser's).
    """
    from gomoq.plan.fingerprint import SNAKE_TO_CAMEL

    fields: dict[str, Any] = {}
    attributes: dict[str, Any] = {}
    for name, index in choices.items():
        if not choosable(name) or index == survivor or not 0 <= index < len(view.rows):
            continue
        if name.startswith(ATTRIBUTE_PREFIX):
            key = name[len(ATTRIBUTE_PREFIX) :]
            attributes[key] = _attributes(view.rows[index]).get(key)
        else:
            fields[SNAKE_TO_CAMEL.get(name, name)] = view.rows[index].get(name)
    payload: dict[str, Any] = {
        "survivor": view.member_ids[survivor],
        "losers": [m for i, m in enumerate(view.member_ids) if i != survivor],
        "fields": fields,
    }
    if attributes:
        payload["attributes"] = attributes
    return payload
