"""Generate a realistic organisation into an empty sandbox database, with its ground truth.

`generate_organisation(db_path, contacts=N, seed=S)` writes the org meta, custom attribute
definitions, audiences and memberships, contacts and their calls, then the ground truth JSON
beside the database (`truth_path(db_path)`; format in gomoq/sandbox/README.md, "Generated
organisations and their ground truth").

Determinism: contacts, audiences and memberships are drawn from one `random.Random(seed)` in a
fixed order, each chunk's calls from a generator seeded by (seed, chunk), and times are relative
to `now` (default: today's date at 00:00 UTC), so the same seed on the same day gives identical
rows and truth; only the `generated_at` meta value differs.

Speed (1,000,000 contacts, ~5.5M calls): rows are built in plain Python from `random()`
arithmetic and lookup tables, and inserted with `executemany` in chunks of `CHUNK` contacts with
`synchronous=OFF`, an in-memory rollback journal, secondary indexes dropped during the load and
rebuilt at the end, and time-ordered (UUIDv7) ids so that unique-index inserts are appends. A
writer thread inserts one chunk while the next is built; from `PARALLEL_FROM` contacts a worker
process builds and inserts the calls (`gen_callsink`), the main process writing contacts and
memberships into a side file that is copied in at the end. A failure leaves the database empty.
"""

from __future__ import annotations

import os
import queue
import random
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import orjson

from gomoq.errors import UsageError
from gomoq.progress import ProgressEvent, ProgressFn
from gomoq.sandbox import db as sandbox_db
from gomoq.sandbox.gen_calls import DAY_MS, INACTIVE_DAYS, CallRow, CallSpec, Clock
from gomoq.sandbox.gen_callsink import INSERT_CALL, InlineCalls, ProcessCalls, can_spawn
from gomoq.sandbox.gen_org import make_org, write_definitions_and_audiences
from gomoq.sandbox.gen_patterns import PatternPlanter
from gomoq.sandbox.gen_people import Person, PersonMaker
from gomoq.sandbox.gen_rates import PlantRates
from gomoq.secrets import register_secret

CHUNK = 20_000
PARALLEL_FROM = 50_000  # contacts: from here on a worker process builds the calls
_SECONDARY_INDEXES = (
    "contacts_phone",
    "contacts_created",
    "audience_members_contact",
    "calls_contact",
    "calls_created",
)


_Chunk = tuple[list[tuple[Any, ...]], list[CallRow], list[tuple[Any, ...]]]


class NotEmpty(UsageError):
    """The target database already holds an organisation."""


@dataclass(frozen=True, slots=True)
class GenerationSummary:
    """What `generate_organisation` wrote."""

    db_path: Path
    truth_path: Path
    org_id: str
    api_key: str
    contacts: int
    calls: int
    audiences: int
    memberships: int
    attribute_definitions: int
    seconds: float
    planted: dict[str, int] = field(default_factory=dict)


def truth_path(db_path: Path | str) -> Path:
    """Where the ground truth of the organisation in `db_path` lives."""
    return Path(db_path).with_suffix(".truth.json")


def generate_organisation(
    db_path: Path,
    *,
    contacts: int,
    seed: int = 42,
    api_key: str | None = None,
    rates: PlantRates | None = None,
    progress: ProgressFn | None = None,
    now: datetime | None = None,
) -> GenerationSummary:
    """Fill the empty sandbox database at `db_path` with an organisation of `contacts` contacts.

    Raises `NotEmpty` when the database already has contacts, `UsageError` on a bad count.
    `now` anchors every generated time (default: today 00:00 UTC).
    """
    if contacts < 0 or contacts > 20_000_000:
        raise UsageError(f"The contact count must be between 0 and 20,000,000, not {contacts}.")
    started = time.perf_counter()
    rates = rates or PlantRates()
    report: ProgressFn = progress or (lambda _event: None)
    db_path = Path(db_path)
    anchor = now or datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    now_ms = int(anchor.timestamp() * 1000)
    rng = random.Random(seed)
    cache_kib = min(200_000, 2_000 + contacts // 5)
    conn = sandbox_db.connect(db_path)
    side_path = db_path.with_name(db_path.name + ".contacts-part")
    parallel = contacts >= PARALLEL_FROM and can_spawn()
    sink: InlineCalls | ProcessCalls | None = None
    writing = False
    try:
        if conn.execute("SELECT 1 FROM contacts LIMIT 1").fetchone() is not None:
            raise NotEmpty(f"The sandbox database {db_path} already holds contacts.")
        writing = True
        org = make_org(rng, seed, api_key)
        register_secret(org["api_key"])
        clock = Clock()
        # Bulk-load settings: the rollback journal in memory (a fresh file has no pages to save,
        # and an exception still rolls back), no fsync, a big page cache. WAL and NORMAL come
        # back at the end.
        _bulk_mode(conn, cache_kib)
        conn.execute("BEGIN")
        for index in _SECONDARY_INDEXES:
            conn.execute(f"DROP INDEX IF EXISTS {index}")
        audiences = write_definitions_and_audiences(conn, rng, org, clock, now_ms)
        builder = _Builder(rng, clock, org, rates, now_ms, audiences, contacts)
        if parallel:  # calls by a worker process into db_path; contacts into a side file
            conn.execute("COMMIT")
            rows_conn = _side_database(side_path, cache_kib)
            sink = ProcessCalls(db_path, seed, CHUNK, org["org_id"], now_ms, cache_kib)
        else:
            rows_conn = conn
            sink = InlineCalls(seed, CHUNK, org["org_id"], now_ms)
        writer = _Writer(rows_conn)
        memberships = 0
        try:
            for chunk, start in enumerate(range(0, contacts, CHUNK)):
                stop = min(contacts, start + CHUNK)
                contact_rows, member_rows, specs = builder.build(start, stop)
                writer.put((contact_rows, sink.submit(chunk, specs), member_rows))
                memberships += len(member_rows)
                report(ProgressEvent("generate", stop, contacts, "contacts"))
        finally:
            writer.close()
        report(ProgressEvent("generate", contacts, contacts, "contacts", "building indexes"))
        sink.finish()
        if parallel:
            rows_conn.execute("COMMIT")
            rows_conn.close()
            conn.execute("ATTACH DATABASE ? AS part", (str(side_path),))
            conn.execute("BEGIN")
            conn.execute("INSERT INTO contacts SELECT * FROM part.contacts ORDER BY seq")
            conn.execute("INSERT INTO audience_members SELECT * FROM part.audience_members")
        schema = resources.files("gomoq.sandbox").joinpath("schema.sql").read_text("utf-8")
        for statement in schema.split(";"):
            if "CREATE INDEX" in statement:
                conn.execute(statement)
        for key, value in org.items():
            sandbox_db.set_meta(conn, key, value)
        sandbox_db.set_meta(conn, "seed", str(seed))
        sandbox_db.set_meta(conn, "contacts", str(contacts))
        sandbox_db.set_meta(conn, "generated_at", sandbox_db.now_iso())
        sandbox_db.set_meta(conn, "reference_time", clock.iso(now_ms))
        conn.execute("COMMIT")
        if parallel:
            conn.execute("DETACH DATABASE part")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
    except BaseException:
        if sink is not None:
            sink.abort()
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        if writing:
            _empty(conn)
        raise
    finally:
        conn.close()
        for leftover in (side_path, Path(f"{side_path}-journal")):
            leftover.unlink(missing_ok=True)
    builder.people.truth.inactive = sink.inactive
    truth = builder.truth(seed, contacts, rates, clock.iso(now_ms))
    target = truth_path(db_path)
    tmp = target.with_name(target.name + ".tmp")
    tmp.write_bytes(orjson.dumps(truth, option=orjson.OPT_INDENT_2))
    os.replace(tmp, target)
    report(ProgressEvent("generate", contacts, contacts, "contacts", finished=True))
    return GenerationSummary(
        db_path=db_path,
        truth_path=target,
        org_id=org["org_id"],
        api_key=org["api_key"],
        contacts=contacts,
        calls=sink.count,
        audiences=len(audiences),
        memberships=memberships,
        attribute_definitions=len(builder.attribute_names),
        seconds=time.perf_counter() - started,
        planted=builder.planted_counts(),
    )


_INSERT_CONTACT = (
    "INSERT INTO contacts (seq, id, organization_id, primary_phone, first_name, last_name,"
    " full_name, primary_email, address, city, state, zip, occupation, preferred_channel,"
    " gender, channels, custom_attributes, created_at, updated_at)"
    " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
)
_INSERT_MEMBER = (
    "INSERT INTO audience_members (audience_id, contact_id, status, joined_at, exited_at)"
    " VALUES (?,?,?,?,?)"
)


def _bulk_mode(conn: sqlite3.Connection, cache_kib: int) -> None:
    conn.execute("PRAGMA threads = 2")  # CREATE INDEX may sort with a helper thread
    conn.execute("PRAGMA journal_mode = MEMORY")
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute(f"PRAGMA cache_size = {-cache_kib}")


def _side_database(path: Path, cache_kib: int) -> sqlite3.Connection:
    """A fresh side file with the sandbox schema, for contacts and memberships."""
    for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm"), Path(f"{path}-journal")):
        leftover.unlink(missing_ok=True)
    side = sandbox_db.connect(path)
    _bulk_mode(side, cache_kib)
    for index in _SECONDARY_INDEXES:
        side.execute(f"DROP INDEX IF EXISTS {index}")
    side.execute("BEGIN")
    return side


def _empty(conn: sqlite3.Connection) -> None:
    """After a failure: remove what a generation may have committed (the file was empty)."""
    if conn.in_transaction:
        return
    for table in ("calls", "audience_members", "audiences", "custom_attributes", "contacts"):
        conn.execute(f"DELETE FROM {table}")


class _Writer:
    """Inserts chunks on a second thread while the next chunk is being built.

    sqlite3 releases the GIL while SQLite works on a statement, so on two cores building and
    inserting overlap. The queue holds at most two chunks (bounded memory). A failure on the
    writer is re-raised by the next `put` or by `close`.
    """

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.queue: queue.Queue[_Chunk | None] = queue.Queue(maxsize=2)
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="generator-writer", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while (chunk := self.queue.get()) is not None:
            if self.error is not None:
                continue  # keep draining so that `put` never blocks forever
            try:
                self.conn.executemany(_INSERT_CONTACT, chunk[0])
                self.conn.executemany(INSERT_CALL, chunk[1])
                self.conn.executemany(_INSERT_MEMBER, chunk[2])
            except BaseException as exc:  # re-raised on the main thread
                self.error = exc

    def put(self, chunk: _Chunk) -> None:
        """Queue one chunk (blocks while two are waiting)."""
        if self.error is not None:
            raise self.error
        self.queue.put(chunk)

    def close(self) -> None:
        """Wait until everything queued is written; re-raise a writer failure."""
        self.queue.put(None)
        self.thread.join()
        if self.error is not None:
            raise self.error


class _Builder:
    """Builds contacts chunk by chunk, remembering what it planted for the truth file."""

    def __init__(
        self,
        rng: random.Random,
        clock: Clock,
        org: dict[str, str],
        rates: PlantRates,
        now_ms: int,
        audiences: list[tuple[str, str, int, Callable[[Person], float]]],
        total: int,
    ) -> None:
        self.rng = rng
        self.clock = clock
        self.org_id = org["org_id"]
        self.rates = rates
        self.now_ms = now_ms
        self.audiences = audiences
        self.total = total
        self.people = PersonMaker(rng, rates, now_ms)
        self.people.patterns = PatternPlanter(self.people)
        self.attribute_names = self.people.attribute_names
        self.span_ms = 3 * 365 * DAY_MS
        self.first_ms = now_ms - self.span_ms

    def build(
        self, start: int, stop: int
    ) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[CallSpec]]:
        """Rows of contacts start..stop-1 (0-based), their memberships and their call specs."""
        rng, clock = self.rng, self.clock
        contact_rows: list[tuple[Any, ...]] = []
        member_rows: list[tuple[Any, ...]] = []
        specs: list[CallSpec] = []
        step = max(1, self.span_ms // max(1, self.total))
        for i in range(start, stop):
            created = self.first_ms + (self.span_ms * i) // max(1, self.total)
            created += int(rng.random() * step)
            person = self.people.next(i, created)
            updated = created
            if rng.random() < 0.4:
                updated = created + int(rng.random() * max(1, self.now_ms - created))
            contact_id = person.id
            contact_rows.append(
                (
                    i + 1,
                    contact_id,
                    self.org_id,
                    person.phone,
                    person.first_name,
                    person.last_name,
                    person.full_name,
                    person.email,
                    person.address,
                    person.city,
                    person.state,
                    person.zip,
                    person.occupation,
                    person.preferred_channel,
                    person.gender,
                    person.channels,
                    orjson.dumps(person.attributes).decode(),
                    clock.iso(created),
                    clock.iso(updated),
                )
            )
            specs.append((contact_id, person.phone, created, person.call_mode))
            for audience_id, _name, audience_ms, share in self.audiences:
                p = share(person)
                if p and rng.random() < p:
                    joined = max(created, audience_ms) + int(rng.random() * DAY_MS)
                    joined = min(joined, self.now_ms - 1)
                    exited = None
                    status = "active"
                    if rng.random() < 0.08 and joined < self.now_ms - DAY_MS:
                        status = "exited"
                        exited = clock.iso(joined + int(rng.random() * (self.now_ms - joined)))
                    member_rows.append((audience_id, contact_id, status, clock.iso(joined), exited))
        return contact_rows, member_rows, specs

    def truth(self, seed: int, contacts: int, rates: PlantRates, reference: str) -> dict[str, Any]:
        """The ground truth document (see gomoq/sandbox/README.md for its format)."""
        return self.people.truth.document(
            seed=seed,
            contacts=contacts,
            rates=asdict(rates),
            reference_time=reference,
            inactive_days=INACTIVE_DAYS,
        )

    def planted_counts(self) -> dict[str, int]:
        """How many of each planted problem the truth holds."""
        return self.people.truth.counts()


__all__ = [
    "GenerationSummary",
    "NotEmpty",
    "PlantRates",
    "generate_organisation",
    "truth_path",
]
