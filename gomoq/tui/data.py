"""The workbench's view models: pure polars over the cache and the findings, no Textual.

Every function here may be slow on a million contacts, so the app calls them only from thread
workers (style habit 5). They take a `TableSource` (the cache `Snapshot` satisfies it; tests and the
benchmark pass a `FrameSource` of hand-made frames) and return plain data the screens render.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

import polars as pl

from gomoq.cache.schema import empty_frame
from gomoq.checks.findings import SEVERITIES, empty_findings

# Columns of the Contacts table, in order. `id` is kept beside them to find the detail row.
LIST_COLUMNS: tuple[str, ...] = (
    "full_name",
    "primary_phone",
    "primary_email",
    "city",
    "occupation",
)
LIST_LABELS: tuple[str, ...] = ("Name", "Phone", "Email", "City", "Occupation")
LIST_WIDTHS: tuple[int, ...] = (22, 15, 26, 12, 16)

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

FAILED_STATUSES: frozenset[str] = frozenset(
    {"no_answer", "busy", "rejected", "failed", "voicemail"}
)


class TableSource(Protocol):
    """Where the cache tables come from: `gomoq.cache.store.Snapshot` or a `FrameSource`."""

    @property
    def manifest(self) -> dict[str, Any]:
        """The snapshot's manifest (sync time, counts)."""
        ...

    def scan(self, table: str) -> pl.LazyFrame:
        """A lazy frame over one cache table."""
        ...


@dataclass
class FrameSource:
    """An in-memory `TableSource` (tests, benchmark): missing tables are empty."""

    frames: dict[str, pl.DataFrame]
    manifest: dict[str, Any] = field(default_factory=dict)

    def scan(self, table: str) -> pl.LazyFrame:
        """The frame for `table`, or an empty one of its schema."""
        frame = self.frames.get(table)
        return (frame if frame is not None else empty_frame(table)).lazy()


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


# ---------------------------------------------------------------------------------------------
# Contacts


@dataclass(frozen=True)
class ContactIndex:
    """The contacts list and a lower-cased search text per row, built once per snapshot."""

    frame: pl.DataFrame
    haystack: pl.Series
    _lowered: dict[str, pl.Series] = field(default_factory=dict, repr=False, compare=False)

    def lowered(self, column: str) -> pl.Series:
        """`column` lower-cased, nulls as "" (computed on first use, then kept)."""
        if column not in self._lowered:
            col = self.frame.get_column(column).fill_null("").str.to_lowercase()
            self._lowered[column] = col
        return self._lowered[column]

    @classmethod
    def load(cls, source: TableSource) -> ContactIndex:
        """Read the list columns of every contact and prepare the search text."""
        frame = (
            source.scan("contacts")
            .select("id", *LIST_COLUMNS)
            .with_columns(
                pl.concat_str([pl.col(c).fill_null("") for c in LIST_COLUMNS], separator="\x1f")
                .str.to_lowercase()
                .alias("_hay")
            )
            .collect()
        )
        return cls(frame.drop("_hay"), frame.get_column("_hay"))

    def search(self, query: str, *, only_ids: pl.Series | None = None) -> pl.DataFrame:
        """Rows whose text contains every word of `query` (case-insensitive, literal).

        A word `field:value` (e.g. `city:rabat`) matches inside that list column only.
        `only_ids` restricts the result to those contact ids (the "with findings" filter).
        """
        mask = pl.repeat(True, self.frame.height, eager=True)
        columns = {c.split("_")[-1]: c for c in LIST_COLUMNS} | {c: c for c in LIST_COLUMNS}
        for word in query.lower().split():
            name, _, value = word.partition(":")
            if value and name in columns:
                mask = mask & self.lowered(columns[name]).str.contains(value, literal=True)
            else:
                mask = mask & self.haystack.str.contains(word, literal=True)
        if only_ids is not None:
            mask = mask & self.frame.get_column("id").is_in(only_ids.implode())
        if query.strip() == "" and only_ids is None:
            return self.frame
        return self.frame.filter(mask)


@dataclass(frozen=True)
class ContactDetail:
    """Everything the detail pane shows about one contact."""

    contact_id: str
    fields: list[tuple[str, str]]
    attributes: list[tuple[str, str]]
    audiences: list[str]
    calls: pl.DataFrame
    findings: pl.DataFrame


def contact_detail(
    source: TableSource, contact_id: str, findings: pl.DataFrame | None = None
) -> ContactDetail | None:
    """The detail of one contact, or None when it is not in the snapshot."""
    rows = source.scan("contacts").filter(pl.col("id") == contact_id).collect()
    if rows.height == 0:
        return None
    row = rows.row(0, named=True)
    fields = [(k, _text(v)) for k, v in row.items() if k not in ("custom_attributes",)]
    attrs = (
        source.scan("attributes")
        .filter(pl.col("contact_id") == contact_id)
        .select("name", "value")
        .sort("name")
        .collect()
    )
    members = source.scan("audience_members").filter(pl.col("contact_id") == contact_id)
    audiences = (
        members.join(
            source.scan("audiences").select("id", "name"),
            left_on="audience_id",
            right_on="id",
            how="left",
        )
        .select(pl.coalesce("name", "audience_id").alias("name"))
        .collect()
        .get_column("name")
        .to_list()
    )
    calls = call_timeline(source, contact_id)
    mine = (findings if findings is not None else empty_findings()).filter(
        pl.col("contact_id") == contact_id
    )
    return ContactDetail(
        contact_id=contact_id,
        fields=fields,
        attributes=[(n, _text(v)) for n, v in attrs.iter_rows()],
        audiences=[str(a) for a in audiences],
        calls=calls,
        findings=mine,
    )


def call_timeline(source: TableSource, contact_id: str, limit: int = 50) -> pl.DataFrame:
    """The contact's call attempts, oldest first (the last `limit`)."""
    return (
        source.scan("calls")
        .filter(pl.col("contact_id") == contact_id)
        .select("created_at", "status", "direction", "phone_number", "duration_ms")
        .sort("created_at")
        .collect()
        .tail(limit)
    )


# ---------------------------------------------------------------------------------------------
# Overview


@dataclass(frozen=True)
class CheckCard:
    """One check's counts by severity, with the counts of the previous sync when known."""

    check: str
    counts: dict[str, int]
    previous: dict[str, int] | None

    @property
    def total(self) -> int:
        """Findings of every severity."""
        return sum(self.counts.values())

    def change(self) -> int | None:
        """Total now minus total at the previous sync (None when unknown)."""
        if self.previous is None:
            return None
        return self.total - sum(self.previous.values())


def severity_counts(findings: pl.DataFrame) -> dict[str, dict[str, int]]:
    """`{check: {severity: count}}` over `findings` (every severity present, zero when none)."""
    out: dict[str, dict[str, int]] = {}
    if findings.height:
        grouped = findings.group_by("check", "severity").len()
        for check, severity, n in grouped.iter_rows():
            out.setdefault(str(check), dict.fromkeys(SEVERITIES, 0))[str(severity)] = int(n)
    return out


def overview_cards(
    findings: pl.DataFrame,
    previous: Mapping[str, Mapping[str, int]] | None,
    checks: Sequence[str] = (),
) -> list[CheckCard]:
    """A card per check (those in `checks` always, plus any with findings)."""
    counts = severity_counts(findings)
    names = list(dict.fromkeys([*checks, *sorted(counts)]))
    return [
        CheckCard(
            name,
            counts.get(name, dict.fromkeys(SEVERITIES, 0)),
            dict(previous[name]) if previous is not None and name in previous else None,
        )
        for name in names
    ]


def call_outcomes(source: TableSource) -> dict[str, int]:
    """Number of calls per status, most frequent first."""
    frame = source.scan("calls").group_by("status").len().sort("len", descending=True).collect()
    return {str(s): int(n) for s, n in frame.iter_rows()}


def sync_time(manifest: Mapping[str, Any]) -> datetime | None:
    """When the snapshot was taken, from whichever timestamp key the manifest carries."""
    for key in ("finished_at", "synced_at", "created_at", "started_at"):
        value = manifest.get(key)
        if isinstance(value, str):
            try:
                parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                continue
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return None


def describe_age(when: datetime | None, now: datetime | None = None) -> str:
    """`"3 min ago"`-style age of a snapshot, or "never"."""
    if when is None:
        return "never"
    seconds = int(((now or datetime.now(UTC)) - when).total_seconds())
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{seconds // 60} min ago"
    if seconds < 86400:
        return f"{seconds // 3600} h ago"
    return f"{seconds // 86400} days ago"


# ---------------------------------------------------------------------------------------------
# Duplicate review


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


# ---------------------------------------------------------------------------------------------
# Call failures and attribute audit


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


def custom_attributes_text(raw: str | None) -> str:
    """A compact one-line view of the custom attributes JSON."""
    if not raw:
        return ""
    try:
        data = json.loads(raw)
    except ValueError:
        return raw
    if isinstance(data, dict):
        return ", ".join(f"{k}={v}" for k, v in data.items())
    return raw


# ---------------------------------------------------------------------------------------------
# Findings over syncs (the Overview's trend): a small JSON file per profile under the data dir.


def trend_file(profile_name: str) -> Any:
    """Where the per-sync finding counts of `profile_name` are kept."""
    from gomoq import paths

    return paths.data_dir() / "tui" / f"{profile_name}.trend.json"


def record_trend(
    profile_name: str, synced: datetime | None, counts: dict[str, dict[str, int]], keep: int = 30
) -> list[dict[str, Any]]:
    """Store this sync's counts (replacing an entry for the same sync) and return the history."""
    path = trend_file(profile_name)
    try:
        history: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        history = []
    key = synced.isoformat() if synced else "unknown"
    entry = {"synced_at": key, "counts": counts}
    if history and history[-1].get("synced_at") == key:
        history[-1] = entry
    else:
        history.append(entry)
    history = history[-keep:]
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(history), encoding="utf-8")
    tmp.replace(path)
    return history


def trend_totals(history: Sequence[Mapping[str, Any]]) -> list[int]:
    """Total findings per recorded sync, oldest first."""
    return [sum(sum(c.values()) for c in h.get("counts", {}).values()) for h in history]
