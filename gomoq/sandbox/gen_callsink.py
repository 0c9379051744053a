"""Where the generator's calls are built: on the calling thread, or in a worker process.

Calls are ~85 % of a generated organisation's rows. For big organisations a worker process
builds them and inserts them into the target database itself, while the main process builds
contacts (into a side file copied in at the end): two cores work instead of one. Both sinks run
the same `calls_for_chunk`, so the data are identical either way.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import sqlite3
import sys
from pathlib import Path
from typing import Any

from gomoq.errors import GomoqError
from gomoq.sandbox.gen_calls import CallRow, CallSpec, calls_for_chunk

INSERT_CALL = (
    "INSERT INTO calls (id, organization_id, contact_id, phone_number, status, direction,"
    " created_at, answered_at, ended_at, duration_ms) VALUES (?,?,?,?,?,?,?,?,?,?)"
)


# The calls table's secondary indexes, as in schema.sql (the generator drops them during the load).
CALL_INDEXES = (
    "CREATE INDEX IF NOT EXISTS calls_contact ON calls (contact_id, created_at)",
    "CREATE INDEX IF NOT EXISTS calls_created ON calls (created_at, seq)",
)


class GenerationFailed(GomoqError):
    """The calls worker process failed."""


class InlineCalls:
    """Builds each chunk's calls on the calling thread; the rows go with the chunk."""

    def __init__(self, seed: int, chunk_size: int, org_id: str, now_ms: int) -> None:
        self.args = (seed, chunk_size, org_id, now_ms)
        self.count = 0
        self.inactive: list[str] = []

    def submit(self, chunk: int, specs: list[CallSpec]) -> list[CallRow]:
        """The calls of `chunk` (to insert with its contacts)."""
        seed, size, org_id, now_ms = self.args
        rows, inactive = calls_for_chunk(seed, chunk, size, org_id, specs, now_ms)
        self.count += len(rows)
        self.inactive.extend(inactive)
        return rows

    def finish(self) -> None:
        """Nothing to wait for."""

    def abort(self) -> None:
        """Nothing to stop."""


def can_spawn() -> bool:
    """True when a spawned worker can start: it re-imports the main module, which must then be
    importable (`python -m ...`, a script file, an interactive `-c`), not read from stdin."""
    main = sys.modules.get("__main__")
    spec = getattr(main, "__spec__", None)
    if spec is not None and getattr(spec, "name", None):
        return True
    path = getattr(main, "__file__", None)
    return path is None or os.path.exists(path)


class ProcessCalls:
    """Builds and inserts calls in a worker process writing straight into `db_path`."""

    def __init__(
        self, db_path: Path, seed: int, chunk_size: int, org_id: str, now_ms: int, cache_kib: int
    ) -> None:
        ctx = multiprocessing.get_context("spawn")  # no fork: the parent may hold threads
        self.jobs: Any = ctx.Queue(maxsize=3)
        self.results: Any = ctx.Queue()
        self.process = ctx.Process(
            target=calls_worker,
            args=(str(db_path), seed, chunk_size, org_id, now_ms, cache_kib),
            kwargs={"jobs": self.jobs, "results": self.results},
            name="gomoq-generator-calls",
            daemon=True,
        )
        self.process.start()
        self.count = 0
        self.inactive_by_chunk: dict[int, list[str]] = {}
        self.done = False

    @property
    def inactive(self) -> list[str]:
        """Contacts with no recent answered call, in insertion order."""
        return [cid for k in sorted(self.inactive_by_chunk) for cid in self.inactive_by_chunk[k]]

    def _take(self, message: tuple[Any, ...]) -> None:
        if message[0] == "chunk":
            _, k, count, inactive = message
            self.count += count
            self.inactive_by_chunk[k] = inactive
        elif message[0] == "done":
            self.done = True
        else:
            raise GenerationFailed(f"Generating the calls failed: {message[1]}")

    def submit(self, chunk: int, specs: list[CallSpec]) -> list[CallRow]:
        """Hand the chunk to the worker (blocks while three are waiting); no rows here."""
        while True:
            try:
                self._take(self.results.get_nowait())
            except queue.Empty:
                break
        self._put((chunk, specs))
        return []

    def _put(self, job: tuple[int, list[CallSpec]] | None) -> None:
        """Queue a job, never waiting forever on a worker that died."""
        while True:
            try:
                self.jobs.put(job, timeout=1.0)
                return
            except queue.Full:
                if not self.process.is_alive():
                    raise GenerationFailed("The calls worker process stopped.") from None

    def finish(self) -> None:
        """Wait until the worker has written and committed every call."""
        self._put(None)
        while not self.done:
            try:
                self._take(self.results.get(timeout=1.0))
            except queue.Empty:
                if not self.process.is_alive():
                    raise GenerationFailed("The calls worker process stopped.") from None
        self.process.join()

    def abort(self) -> None:
        """Stop the worker (after a failure elsewhere); its transaction is rolled back."""
        if self.process.is_alive():
            self.process.terminate()
        self.process.join()


def calls_worker(
    db_path: str,
    seed: int,
    chunk_size: int,
    org_id: str,
    now_ms: int,
    cache_kib: int,
    *,
    jobs: Any,
    results: Any,
) -> None:
    """Worker process body: build each chunk's calls and insert them in one transaction."""
    try:
        conn = sqlite3.connect(db_path, isolation_level=None)
        conn.execute("PRAGMA journal_mode = MEMORY")
        conn.execute("PRAGMA synchronous = OFF")
        conn.execute("PRAGMA busy_timeout = 60000")
        conn.execute(f"PRAGMA cache_size = {-cache_kib}")
        conn.execute("PRAGMA threads = 2")
        conn.execute("BEGIN IMMEDIATE")
        while (job := jobs.get()) is not None:
            chunk, specs = job
            rows, inactive = calls_for_chunk(seed, chunk, chunk_size, org_id, specs, now_ms)
            conn.executemany(INSERT_CALL, rows)
            results.put(("chunk", chunk, len(rows), inactive))
        for statement in CALL_INDEXES:  # the biggest sorts: here rather than in the parent
            conn.execute(statement)
        conn.execute("COMMIT")
        conn.close()
        results.put(("done",))
    except BaseException as exc:  # reported to the parent, which raises GenerationFailed
        results.put(("error", f"{type(exc).__name__}: {exc}"))
