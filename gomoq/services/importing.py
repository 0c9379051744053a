"""`gomoq import` and the app's Import screen: a source file to a reviewed plan (no printing).

`build_import(profile, path, options)` reads the file, resolves the mapping, runs the
preflight, matches the rows against the cache by normalised phone and returns an
`ImportResult`: the plan (attribute definitions first, then creates and updates), the
preflight, the matches and the words of the report. Nothing is sent: the plan goes through
`gomoq apply` like every other plan.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow.parquet as pq

from gomoq import paths, phones
from gomoq.cache.store import NoCache, Snapshot
from gomoq.config import Profile
from gomoq.errors import UsageError
from gomoq.plan.cachepatch import cache_lookup
from gomoq.plan.fingerprint import contact_fingerprint
from gomoq.plan.model import (
    MAX_BATCH,
    Action,
    CreateContactsAction,
    DefineAttributeAction,
    Plan,
    UpdateContactsAction,
)
from gomoq.progress import CancelFn, ProgressEvent, ProgressFn, check_cancel
from gomoq.safe_text import printable
from gomoq.sources.mapping import ColumnMapping, resolve_mapping, save_mapping
from gomoq.sources.matching import Matched, match_by_phone
from gomoq.sources.preflight import Preflight, PreflightOptions, run_preflight, write_rejects
from gomoq.sources.reading import SourceTable, read_source

STALE_AFTER_S = 24 * 3600
PHONES_KEY = b"gomoq.contacts_file"


@dataclass(frozen=True)
class ImportOptions:
    """Everything `gomoq import` takes besides the file (CLI options of the same names)."""

    maps: tuple[str, ...] = ()
    mapping_file: Path | None = None
    save_mapping: Path | None = None
    sheet: str | None = None
    encoding: str | None = None
    delimiter: str | None = None
    region: str | None = None
    decimal: str = "."
    date_order: str = "dmy"
    dedupe: str = "most-complete"
    defines: dict[str, str] = field(default_factory=dict)
    batch_size: int = 500
    only_empty: bool = False
    rejects: Path | None = None

    def __post_init__(self) -> None:
        if not 1 <= self.batch_size <= MAX_BATCH:
            raise UsageError(f"--batch-size must be 1 to {MAX_BATCH} (Gomobile's upsert limit).")


@dataclass
class CacheInfo:
    """The snapshot an import was matched against."""

    snapshot: Snapshot
    synced_at: str | None
    age_s: float | None
    contacts: int

    def sentence(self) -> str:
        """`Matched against the cache of 2026-01-01T10:00Z (3 h old, 1,000 contacts).`"""
        if self.age_s is None:
            return f"Matched against the cache ({self.contacts:,} contacts; age unknown)."
        hours = self.age_s / 3600
        age = f"{self.age_s / 60:.0f} min" if hours < 1 else f"{hours:.1f} h"
        stale = (
            " — older than a day: --sync refreshes it first" if self.age_s > STALE_AFTER_S else ""
        )
        return (
            f"Matched against the cache synced {self.synced_at} ({age} old, "
            f"{self.contacts:,} contacts){stale}."
        )


@dataclass
class ImportResult:
    """A built import: the plan and everything the report says."""

    plan: Plan
    table: SourceTable
    mapping: ColumnMapping
    preflight: Preflight
    matched: Matched
    cache: CacheInfo
    rejects_written: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        """Machine-readable report (`--format json`, and the plan's `source`)."""
        return {
            "file": str(self.table.path),
            "read_as": self.table.describe(),
            "cache": {"synced_at": self.cache.synced_at, "age_s": self.cache.age_s},
            "preflight": self.preflight.summary(),
            "match": self.matched.summary(),
            "ambiguous": [
                {"row": r, "phone": p, "contacts": c}
                for r, p, c in self.matched.ambiguous.head(100).iter_rows()
            ],
            **self.extra,
        }

    def lines(self) -> list[str]:
        """The report as the operator reads it."""
        pf, m = self.preflight, self.matched
        name = printable(self.table.path.name)
        out = [f"Read {pf.rows_read:,} rows from {name} ({self.table.describe()})."]
        out.append(f"Mapping ({self.mapping.origin}):")
        out += [f"  {line}" for line in self.mapping.lines()]
        out.append(
            f"Phones: {pf.phones_reformatted:,} written differently from E.164 "
            f"(region {pf.options.region}); decimal mark {pf.options.decimal!r}; dates "
            f"{'day' if pf.options.date_order == 'dmy' else 'month'} first."
        )
        if pf.rejects.height:
            out.append(f"Rejected {_count(pf.rejects.height, 'row')}:")
            out += [f"  {n:,}  {printable(reason)}" for reason, n in pf.reasons().items()]
            if self.rejects_written is not None:
                out.append(f"  (written with their reasons to {self._rejects_name()})")
        if pf.duplicates.height:
            dropped = int(pf.duplicates["dropped"].list.len().sum())
            out.append(
                f"Duplicates in the file: {_count(pf.duplicates.height, 'phone')} on several "
                f"rows; {_count(dropped, 'row')} collapsed ({pf.options.dedupe})."
            )
            for phone, kept, gone in pf.duplicates.head(5).iter_rows():
                out.append(f"  {phone}: kept row {kept}, dropped rows {', '.join(map(str, gone))}")
        for slug, kind in pf.to_define.items():
            out.append(f"Attribute {slug} is not defined: the plan defines it first as {kind}.")
        out.append(self.cache.sentence())
        s = m.summary()
        out.append(
            f"Plan: {_count(s['new'], 'new contact')}, {s['changed']:,} to update, "
            f"{s['unchanged']:,} unchanged, {s['ambiguous']:,} matching several contacts "
            "(not touched)."
        )
        for row, phone, ids in m.ambiguous.head(5).iter_rows():
            out.append(f"  row {row} ({phone}) matches {len(ids)} contacts: {', '.join(ids)}")
        out += list(self.extra.get("lines", []))
        return out

    def _rejects_name(self) -> str:
        return str(self.extra.get("rejects_path", "the rejects file"))


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}" + ("" if n == 1 else "s")


def open_cache(profile: Profile) -> CacheInfo:
    """The profile's current snapshot and its age; a usage error without one."""
    try:
        snap = Snapshot.open(profile.name)
    except NoCache as exc:
        raise UsageError(f"{exc.message} Imports match against it (or use --sync).") from None
    synced = snap.manifest.get("synced_at") or snap.manifest.get("created_at")
    age = None
    if isinstance(synced, str):
        try:
            when = datetime.fromisoformat(synced.replace("Z", "+00:00"))
            age = max(0.0, (datetime.now(UTC) - when).total_seconds())
        except ValueError:
            age = None
    counts = snap.manifest.get("counts") or {}
    contacts = counts.get("contacts") if isinstance(counts, dict) else None
    if not isinstance(contacts, int):
        contacts = snap.scan("contacts").select(pl.len()).collect().item()
    return CacheInfo(snap, synced if isinstance(synced, str) else None, age, int(contacts))


def _defs(snap: Snapshot) -> dict[str, str]:
    frame = snap.read("attribute_defs")
    return dict(zip(frame["name"].to_list(), frame["type"].to_list(), strict=True))


@dataclass
class Prepared:
    """A file read, mapped and checked, and the cache it is matched against."""

    table: SourceTable
    mapping: ColumnMapping
    preflight: Preflight
    cache: CacheInfo
    live: pl.DataFrame  # the cache's contacts: id, primary_phone, phone (E.164)


def _cached_e164(profile: Profile, snap: Snapshot, raw: pl.Series, region: str) -> pl.Series:
    """The cache's phones as E.164, in the contacts table's order, kept beside the snapshot
    (`import-phones-REGION.parquet`, keyed by the contacts file's path, size and time): the
    first import after a sync normalises the million stored phones, the next ones read them."""
    contacts_file = snap.table_path("contacts")
    try:
        stat = contacts_file.stat()
    except OSError:
        return phones.normalise_cached(raw, region)["e164"]
    key = f"{contacts_file}|{stat.st_size}|{stat.st_mtime_ns}".encode()
    path = paths.profile_cache_dir(profile.name) / f"import-phones-{region}.parquet"
    try:
        if (pq.read_schema(path).metadata or {}).get(PHONES_KEY) == key:
            kept = pl.read_parquet(path)["phone"]
            if kept.len() == raw.len():
                return kept
    except (OSError, pl.exceptions.PolarsError, ValueError, KeyError):
        pass  # absent or damaged: computed again below
    e164 = phones.normalise_cached(raw, region)["e164"].alias("phone")
    table = e164.to_frame().to_arrow().replace_schema_metadata({PHONES_KEY: key})
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        pq.write_table(table, tmp, compression="zstd")
        os.replace(tmp, path)
    except OSError:
        tmp.unlink(missing_ok=True)  # a cache that cannot be written costs time, not a failure
    return e164


def _phones_together(
    profile: Profile, table: SourceTable, column: str, snap: Snapshot, region: str
) -> tuple[pl.DataFrame, pl.Series, pl.DataFrame]:
    """(the source's phone column through `gomoq.phones`, the cache's phones as E.164, the
    cache's id/primary_phone). The source's are fresh values: parsed without the memo file,
    whose reading costs more than it saves here."""
    source = table.read([column])[column].str.strip_chars()
    base = snap.scan("contacts").select("id", "primary_phone").collect()
    return (
        phones.normalise(source, region),
        _cached_e164(profile, snap, base["primary_phone"], region),
        base,
    )


def prepare(
    profile: Profile,
    path: Path | str,
    options: ImportOptions,
    *,
    progress: ProgressFn | None = None,
    should_cancel: CancelFn | None = None,
) -> Prepared:
    """Read, map and preflight a file against the profile's cache (shared with reconcile)."""

    def step(what: str, n: int) -> None:
        check_cancel(should_cancel)
        if progress is not None:
            progress(ProgressEvent("import", n, 4, "steps", what))

    step("reading", 0)
    # the file's own problems first: they need no cache to be said
    table = read_source(
        path, sheet=options.sheet, encoding=options.encoding, delimiter=options.delimiter
    )
    try:
        mapping = resolve_mapping(
            table.columns, options=options.maps, mapping_file=options.mapping_file
        )
        if options.save_mapping is not None:
            save_mapping(options.save_mapping, mapping.fields)
        cache = open_cache(profile)
        step("checking rows", 1)
        pf_options = PreflightOptions(
            region=options.region or profile.region,
            decimal=options.decimal,
            date_order=options.date_order,
            dedupe=options.dedupe,
            defines=options.defines,
        )
        column = mapping.column_for("primaryPhone")
        assert column is not None  # resolve_mapping insists on one
        parsed, e164, base = _phones_together(
            profile, table, column, cache.snapshot, pf_options.region
        )
        preflight = run_preflight(table, mapping, _defs(cache.snapshot), pf_options, parsed=parsed)
        live = base.with_columns(e164.alias("phone"))
    except BaseException:
        table.close()  # a transcoded copy of a big file must not stay behind
        raise
    return Prepared(table, mapping, preflight, cache, live)


def fingerprints(profile: Profile, ids: list[str]) -> dict[str, str]:
    """Fingerprints of the cached versions of `ids` (the versions the operator reviewed)."""
    lookup = cache_lookup(profile.name)
    if lookup is None or not ids:
        return {}
    return {cid: contact_fingerprint(c) for cid, c in lookup(ids).items()}


def import_actions(preflight: Preflight, matched: Matched, batch_size: int) -> list[Action]:
    """Definitions first, then creates, then updates (the order apply runs them in)."""
    actions: list[Action] = [
        DefineAttributeAction(f"define-{slug}", slug, kind)
        for slug, kind in preflight.to_define.items()
    ]
    if matched.creates:
        actions.append(CreateContactsAction("create", tuple(matched.creates), batch_size))
    if matched.updates:
        actions.append(UpdateContactsAction("update", tuple(matched.updates), batch_size))
    return actions


def build_import(
    profile: Profile,
    path: Path | str,
    options: ImportOptions,
    *,
    progress: ProgressFn | None = None,
    should_cancel: CancelFn | None = None,
) -> ImportResult:
    """Read, map, check and match a source file; the plan that imports it (nothing sent)."""
    ready = prepare(profile, path, options, progress=progress, should_cancel=should_cancel)
    table, mapping, preflight, cache = ready.table, ready.mapping, ready.preflight, ready.cache
    try:
        written = None
        if options.rejects is not None:
            written = write_rejects(table, preflight, options.rejects)
        check_cancel(should_cancel)
        if progress is not None:
            progress(ProgressEvent("import", 2, 4, "steps", "matching"))
        snap = cache.snapshot
        live = ready.live
        fields = [f for f in mapping.fields.values() if f != "primaryPhone"]
        matched = match_by_phone(
            preflight.rows,
            live,
            snap.scan("contacts"),
            snap.scan("attributes"),
            fields,
            preflight.attribute_types,
            only_empty=options.only_empty,
        )
        if progress is not None:
            progress(ProgressEvent("import", 3, 4, "steps", "planning"))
        actions = import_actions(preflight, matched, options.batch_size)
        # updates carry the values they were planned against (`was`): no fingerprints
        plan = Plan(profile.name, actions)
        result = ImportResult(plan, table, mapping, preflight, matched, cache, written)
        if options.rejects is not None:
            result.extra["rejects_path"] = str(options.rejects)
        plan.source = {"command": "import", **result.summary()}
        if progress is not None:
            progress(ProgressEvent("import", 4, 4, "steps", "done", finished=True))
        return result
    finally:
        table.close()
