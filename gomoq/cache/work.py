"""The work folder of a sync in progress: what is done is on disk, so a new run can resume.

`<profile cache>/work-<id>/` holds:

- `state.json`: base URL, start time, the tables already finished (with row counts), and the
  contacts pass in progress (its number and the total the server announced when it began);
- `<table>.v<N>.parquet`: a finished table, ready to move into the snapshot;
- `contacts/pass-<k>/chunk-<c>.parquet` + `.json`: pages of contacts read in pass k; a chunk
  counts as done only once its `.json` (written after its Parquet, by rename) exists.

Everything is written by atomic rename, so a `kill -9` leaves at worst a stray temporary file,
never a half-written part that looks finished. A work folder older than `MAX_AGE_S`, or made
for another base URL, organisation or schema version, is not resumed but deleted.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from gomoq import paths
from gomoq.cache.schema import SCHEMA_VERSION, in_write_order, table_file_name
from gomoq.cache.store import atomic_write_text, new_id, write_table
from gomoq.errors import UsageError

STATE = "state.json"
MAX_AGE_S = 24 * 3600.0
# The work folder's sub-folders of parts (deleted once the snapshot is assembled).
CONTACT_PASSES = "contacts"  # contacts/pass-<k>/chunk-<c>.parquet + .json
CALL_PARTS = "calls-parts"  # one file per window or chunk of calls
MEMBER_PARTS = "members-parts"  # one file per finished audience
ATTRIBUTE_PARTS = "attribute-parts"  # slices of the long attributes table
PART_FOLDERS = (CONTACT_PASSES, CALL_PARTS, MEMBER_PARTS, ATTRIBUTE_PARTS)


@dataclass
class ChunkInfo:
    """What a finished chunk of contact pages saw: per page its total and row count."""

    chunk: int
    pages: dict[int, tuple[int, int]]  # page -> (meta.total, rows)


class WorkFolder:
    """A sync's work folder and its persisted state."""

    def __init__(self, path: Path, state: dict[str, Any]) -> None:
        self.path = path
        self.state = state

    @classmethod
    def open(
        cls, profile: str, base_url: str, organization_id: str | None = None
    ) -> tuple[WorkFolder, bool]:
        """The resumable work folder of `profile` (resumed=True), or a fresh one.

        A work folder is resumed only for the same base URL *and* the same organisation (the
        id `GET /users/me` names): every real organisation shares one base URL, so a profile
        whose key now opens another organisation starts afresh instead of mixing the two.
        """
        root = paths.profile_cache_dir(profile)
        root.mkdir(parents=True, exist_ok=True)
        found: WorkFolder | None = None
        for folder in sorted(root.glob("work-*"), reverse=True):
            if folder.name.startswith("work-patch-"):  # a patch's, under the profile lock
                continue
            state = _read_state(folder)
            usable = (
                found is None
                and state is not None
                and state.get("schema_version") == SCHEMA_VERSION
                and state.get("base_url") == base_url
                and state.get("organization_id") == organization_id
                and time.time() - float(state.get("created", 0)) < MAX_AGE_S
            )
            if usable and state is not None:
                found = cls(folder, state)
            else:
                shutil.rmtree(folder, ignore_errors=True)
        if found is not None:
            return found, True
        folder = root / f"work-{new_id()}"
        folder.mkdir()
        work = cls(
            folder,
            {
                "schema_version": SCHEMA_VERSION,
                "profile": profile,
                "base_url": base_url,
                "organization_id": organization_id,
                "created": time.time(),
                "done": {},
                "contacts": {"pass": 1, "t_start": None, "history": []},
                "stats": {},
            },
        )
        work.save()
        return work, False

    def save(self) -> None:
        """Persist `state` (atomically)."""
        atomic_write_text(self.path / STATE, json.dumps(self.state, indent=1, sort_keys=True))

    # -- whole tables ----------------------------------------------------------------------

    def table_path(self, table: str) -> Path:
        """Where a finished table of this sync is written."""
        return self.path / table_file_name(table)

    def is_done(self, table: str) -> bool:
        """Whether `table` was finished by this or an earlier run of the sync."""
        return table in self.state["done"] and self.table_path(table).exists()

    def finish_table(self, table: str, frame: pl.DataFrame) -> None:
        """Write a finished table (in its write order) and record it as done."""
        write_table(in_write_order(frame, table), self.table_path(table))
        self.mark_done(table, frame.height)

    def mark_done(self, table: str, rows: int) -> None:
        """Record `table` (already written at `table_path`) as done."""
        self.state["done"][table] = rows
        self.save()

    # -- contact chunks --------------------------------------------------------------------

    def pass_dir(self, number: int) -> Path:
        """The folder of contacts pass `number`."""
        folder = self.path / CONTACT_PASSES / f"pass-{number}"
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def write_chunk(
        self, number: int, chunk: int, frame: pl.DataFrame, pages: dict[int, tuple[int, int]]
    ) -> None:
        """Persist one finished chunk of pass `number`: Parquet first, then its `.json`."""
        folder = self.pass_dir(number)
        write_table(frame, folder / f"chunk-{chunk:06d}.parquet")
        info = {"chunk": chunk, "pages": {str(p): list(v) for p, v in pages.items()}}
        atomic_write_text(folder / f"chunk-{chunk:06d}.json", json.dumps(info))

    def chunks(self, number: int) -> dict[int, ChunkInfo]:
        """The finished chunks of pass `number`."""
        out: dict[int, ChunkInfo] = {}
        for meta in sorted(self.pass_dir(number).glob("chunk-*.json")):
            parquet = meta.with_suffix(".parquet")
            try:
                info = json.loads(meta.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            if not parquet.exists():
                continue
            pages = {int(p): (int(v[0]), int(v[1])) for p, v in info["pages"].items()}
            out[int(info["chunk"])] = ChunkInfo(int(info["chunk"]), pages)
        return out

    def chunk_files(self, number: int) -> list[Path]:
        """The Parquet files of pass `number`'s finished chunks, in chunk order."""
        return [
            self.pass_dir(number) / f"chunk-{c:06d}.parquet" for c in sorted(self.chunks(number))
        ]

    def drop_pass(self, number: int) -> None:
        """Delete a pass that is no longer needed."""
        shutil.rmtree(self.path / CONTACT_PASSES / f"pass-{number}", ignore_errors=True)

    def parts_dir(self, name: str) -> Path:
        """The sub-folder `name` (one of `PART_FOLDERS`), created when missing."""
        folder = self.path / name
        folder.mkdir(exist_ok=True)
        return folder

    def drop_parts(self) -> None:
        """Remove the parts (the finished tables and state.json stay until the swap)."""
        for name in PART_FOLDERS:
            shutil.rmtree(self.path / name, ignore_errors=True)

    def discard(self) -> None:
        """Delete the whole work folder."""
        shutil.rmtree(self.path, ignore_errors=True)


@contextlib.contextmanager
def sync_lock(profile: str) -> Iterator[None]:
    """Exclusive right to sync `profile` (one sync per profile at a time, across processes).

    An flock: the kernel releases it when the holder dies, even by `kill -9`.
    """
    root = paths.profile_cache_dir(profile)
    root.mkdir(parents=True, exist_ok=True)
    with open(root / "sync.lock", "a+") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise UsageError(
                f"Another `gomoq sync` of profile {profile} is running; wait for it to finish."
            ) from None
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _read_state(folder: Path) -> dict[str, Any] | None:
    try:
        state = json.loads((folder / STATE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return state if isinstance(state, dict) else None
