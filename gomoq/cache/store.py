"""Snapshots on disk: reading them, swapping a finished one in, patching the current one.

Layout of `gomoq.paths.profile_cache_dir(profile)`::

    CURRENT            pointer file: the name of the current snapshot folder
    PREVIOUS           pointer file: the name of the previous snapshot folder
    snap-<id>/         a finished snapshot: one Parquet file per table + manifest.json
    work-<id>/         a sync in progress (see `gomoq.cache.work`); never read by readers
    lock               taken (flock) while a sync or a patch changes the pointers

A snapshot folder is never modified once its name is in a pointer: a swap writes a new folder,
then replaces the pointer file by an atomic rename (`os.replace`). A reader resolves the pointer
once (`Snapshot.open`), so it keeps reading one consistent folder whatever a sync does meanwhile;
`current` is readable at every instant. Folders named by neither pointer are removed after a
swap (a reader of the snapshot before last may then lose its files: read what you need soon).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import polars as pl

from gomoq import paths
from gomoq.cache.schema import (
    SCHEMA_VERSION,
    TABLES,
    empty_frame,
    in_write_order,
    table_file_name,
)
from gomoq.errors import UsageError

MANIFEST = "manifest.json"
RETIRED = ".retired"
RETIRED_GRACE_S = 600.0
POINTERS = {"current": "CURRENT", "previous": "PREVIOUS"}
Which = Literal["current", "previous"]
FrameOrTransform = pl.DataFrame | Callable[[pl.DataFrame], pl.DataFrame]


class NoCache(UsageError):
    """There is no usable snapshot for the profile (never synced, or an incompatible cache)."""


class CorruptCache(NoCache):
    """A file of the current snapshot does not verify (truncated, overwritten, wrong rows)."""

    exit_code = 4  # documented in the README's exit codes: "the cache is damaged"


def verify_table(path: Path, rows: int | None) -> str | None:
    """Why the Parquet file at `path` cannot be trusted (None when it verifies): its footer
    must read and, when the manifest recorded one, its row count must match."""
    try:
        found = int(pl.scan_parquet(path).select(pl.len()).collect().item())
    except (OSError, pl.exceptions.PolarsError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return f"it is not a readable Parquet file ({first[:120]})"
    if rows is not None and found != rows:
        return f"it holds {found:,} rows where the manifest says {rows:,}"
    return None


def new_id() -> str:
    """A sortable, unique folder suffix (time first, so `ls` shows the order)."""
    return f"{datetime.now(UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"


def atomic_write_text(path: Path, text: str) -> None:
    """Write `text` to `path` so that a reader sees either the old or the new content."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def write_table(frame: pl.DataFrame, path: Path) -> None:
    """Write one table as zstd Parquet, atomically (temporary name, then rename)."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    frame.write_parquet(tmp, compression="zstd")
    os.replace(tmp, path)


@contextlib.contextmanager
def profile_lock(profile: str) -> Iterator[None]:
    """Serialise pointer changes of one profile across processes (released on exit or kill)."""
    folder = paths.profile_cache_dir(profile)
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "lock", "a+") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _pointer(profile: str, which: str) -> Path | None:
    folder = paths.profile_cache_dir(profile)
    try:
        name = (folder / POINTERS[which]).read_text(encoding="utf-8").strip()
    except (FileNotFoundError, NotADirectoryError):
        return None
    if not name or "/" in name or name.startswith("."):
        return None
    return folder / name


class Snapshot:
    """One finished snapshot of a profile, opened for reading.

    `manifest` is its manifest.json; `scan(table)` a lazy frame over the table's Parquet file
    (an empty frame of the schema if the file is absent); `read(table)` the same, collected.
    """

    def __init__(self, path: Path, manifest: dict[str, Any]) -> None:
        self.path = path
        self.manifest = manifest

    @classmethod
    def open(cls, profile_name: str, which: str = "current") -> Snapshot:
        """Resolve the profile's `current` (or `previous`) snapshot once; `NoCache` if none."""
        if which not in POINTERS:
            raise ValueError(f"which must be 'current' or 'previous', not {which!r}")
        missing = NoCache(f"No cache for profile {profile_name} yet: run `gomoq sync`.")
        if which == "previous":
            missing = NoCache(f"Profile {profile_name} has no previous snapshot yet.")
        path = _pointer(profile_name, which)
        if path is None or not path.is_dir():
            raise missing
        try:
            manifest = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            raise missing from None
        if not isinstance(manifest, dict) or not manifest.get("complete"):
            raise missing
        version = manifest.get("schema_version")
        if version != SCHEMA_VERSION:
            age = "an older" if isinstance(version, int) and version < SCHEMA_VERSION else "another"
            raise NoCache(
                f"The cache of profile {profile_name} was written by {age} gomoq: run `gomoq sync`."
            )
        snapshot = cls(path, manifest)
        snapshot.verify()
        return snapshot

    def verify(self) -> None:
        """Raise `CorruptCache` naming the first table file that does not verify (footer and
        row count against the manifest; a few milliseconds: only footers are read)."""
        counts = self.manifest.get("counts", {})
        for table in TABLES:
            path = self.table_path(table)
            if not path.exists():
                continue
            rows = counts.get(table)
            problem = verify_table(path, int(rows) if isinstance(rows, int) else None)
            if problem is not None:
                profile = self.manifest.get("profile", "?")
                raise CorruptCache(
                    f"The cache file {path} of profile {profile} is damaged: {problem}. "
                    f"`gomoq sync --profile {profile}` will rebuild it."
                )

    def table_path(self, table: str) -> Path:
        """Where `table`'s Parquet file is (it may be absent in an old partial snapshot)."""
        if table not in TABLES:
            raise KeyError(f"unknown cache table {table!r}")
        return self.path / table_file_name(table)

    def scan(self, table: str) -> pl.LazyFrame:
        """A lazy frame over `table` with exactly the schema of `gomoq.cache.schema`."""
        path = self.table_path(table)
        if not path.exists():
            return empty_frame(table).lazy()
        return pl.scan_parquet(path)

    def read(self, table: str) -> pl.DataFrame:
        """`table`, collected."""
        return self.scan(table).collect()

    def __repr__(self) -> str:
        return f"Snapshot({str(self.path)!r})"


def conform(frame: pl.DataFrame, table: str) -> pl.DataFrame:
    """`frame` with exactly `table`'s columns, order and types (missing columns null), its
    rows in the table's write order (`schema.in_write_order`)."""
    schema = TABLES[table]
    columns = [
        pl.col(name).cast(dtype) if name in frame.columns else pl.lit(None, dtype).alias(name)
        for name, dtype in schema.items()
    ]
    return in_write_order(frame.select(columns), table)


def link_or_copy(source: Path, target: Path) -> None:
    """Share `source`'s content as `target` (a hard link; a copy where links fail)."""
    try:
        os.link(source, target)
    except OSError:  # another filesystem, or links not allowed: a copy is as good, only slower
        shutil.copy2(source, target)


def write_manifest(folder: Path, manifest: Mapping[str, Any]) -> None:
    """Write a snapshot's manifest.json (atomically)."""
    atomic_write_text(folder / MANIFEST, json.dumps(manifest, indent=2, sort_keys=True) + "\n")


def install(profile: str, folder: Path) -> Path:
    """Make the finished snapshot `folder` current; the old current becomes previous.

    `folder` (usually a work folder) is renamed to `snap-<id>` first, then the pointers are
    replaced; the caller should hold `profile_lock`. Returns the snapshot's final path.
    """
    root = paths.profile_cache_dir(profile)
    final = root / f"snap-{new_id()}"
    os.replace(folder, final)
    old = _pointer(profile, "current")
    if old is not None and old.is_dir() and old != final:
        atomic_write_text(root / POINTERS["previous"], old.name + "\n")
    atomic_write_text(root / POINTERS["current"], final.name + "\n")
    collect_garbage(profile)
    return final


def collect_garbage(profile: str, *, grace: float = RETIRED_GRACE_S) -> None:
    """Remove snapshot folders no pointer has named for `grace` seconds, and stray temp files.

    A folder that leaves the pointers is first marked retired; it is deleted only at a later
    collection after `grace`, so a reader that resolved it a moment ago can finish its scans.
    """
    root = paths.profile_cache_dir(profile)
    keep = {p.name for w in POINTERS if (p := _pointer(profile, w)) is not None}
    now = time.time()
    for entry in root.iterdir():
        if entry.name.startswith("snap-") and entry.name not in keep:
            marker = entry / RETIRED
            try:
                retired = marker.stat().st_mtime
            except FileNotFoundError:
                marker.touch()
                retired = now
            if now - retired >= grace:
                shutil.rmtree(entry, ignore_errors=True)
        elif entry.name.startswith(".") and entry.name.endswith(".tmp"):
            entry.unlink(missing_ok=True)


def write_snapshot(
    profile: str,
    frames: Mapping[str, pl.DataFrame],
    manifest: Mapping[str, Any],
) -> Path:
    """Write a whole snapshot from in-memory frames and make it current (tests, small tools).

    Tables missing from `frames` are written empty. `manifest` is completed with the schema
    version, the profile, counts and `complete: true`.
    """
    root = paths.profile_cache_dir(profile)
    root.mkdir(parents=True, exist_ok=True)
    folder = root / f"work-{new_id()}"
    folder.mkdir()
    counts = {}
    for table in TABLES:
        frame = conform(frames.get(table, empty_frame(table)), table)
        write_table(frame, folder / table_file_name(table))
        counts[table] = frame.height
    full = {
        **manifest,
        "schema_version": SCHEMA_VERSION,
        "profile": profile,
        "counts": counts,
        "complete": True,
    }
    write_manifest(folder, full)
    with profile_lock(profile):
        return install(profile, folder)


def patch_current(profile_name: str, table: str, frame: FrameOrTransform) -> Snapshot:
    """Replace one table of the current snapshot, atomically, and return the new snapshot.

    `frame` is the table's new content, or a function from the current content to the new
    one (applied under the profile's lock, so two patches cannot lose each other's change).
    The new snapshot shares the other tables' files with the old one (hard links); `previous`
    is left as it was. `NoCache` when there is no current snapshot.
    """
    if table not in TABLES:
        raise KeyError(f"unknown cache table {table!r}")
    with profile_lock(profile_name):
        old = Snapshot.open(profile_name, "current")
        new = conform(frame(old.read(table)) if callable(frame) else frame, table)
        root = paths.profile_cache_dir(profile_name)
        folder = root / f"work-patch-{new_id()}"
        folder.mkdir()
        try:
            for entry in old.path.iterdir():
                if entry.is_file() and entry.name not in (
                    MANIFEST,
                    RETIRED,
                    table_file_name(table),
                ):
                    link_or_copy(entry, folder / entry.name)
            write_table(new, folder / table_file_name(table))
            manifest = dict(old.manifest)
            manifest["counts"] = {**manifest.get("counts", {}), table: new.height}
            manifest["patched_at"] = _now_iso()
            write_manifest(folder, manifest)
            final = root / f"snap-{new_id()}"
            os.replace(folder, final)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        atomic_write_text(root / POINTERS["current"], final.name + "\n")
        collect_garbage(profile_name)
        return Snapshot(final, manifest)


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
