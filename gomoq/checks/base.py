"""What every check reads: `CheckInput`, the cache tables as lazy frames plus shared results.

A check is a module `gomoq.checks.<name>` with `run(tables: CheckInput, settings: CheckSettings)
-> pl.DataFrame` in the findings shape (`gomoq.checks.findings`). Tables are `pl.LazyFrame`s so a
check reads only the columns it needs (projection pushdown on the Parquet cache); results shared
by several checks (the normalised phones, the per-contact call summary) are computed once per run
through `memo`.

Build one from a cache snapshot (`CheckInput.from_snapshot(snapshot)`) or, in tests, from
hand-built frames (`CheckInput.from_frames(contacts=..., calls=...)`): missing tables are empty
and missing columns are null, so a test states only what it is about.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

import polars as pl

from gomoq.cache.schema import TABLES
from gomoq.phones import normalise_cached

T = TypeVar("T")

PHONE_CHECK_FIELDS = (
    "id",
    "primary_phone",
    "first_name",
    "last_name",
    "full_name",
    "primary_email",
    "city",
)
"""The contact fields `CheckInput.contact_phones` carries: what the phones check reports and the
duplicates check compares."""


class _Scannable(Protocol):
    def scan(self, table: str) -> pl.LazyFrame: ...


def conform_table(frame: pl.DataFrame | pl.LazyFrame, table: str) -> pl.LazyFrame:
    """`frame` with exactly `table`'s columns and types (missing ones null), as a LazyFrame."""
    lazy = frame.lazy()
    present = set(lazy.collect_schema().names())
    if not present & set(TABLES[table]):
        # Only literals would be selected, and polars gives one row of them: return no rows.
        return pl.DataFrame(schema=TABLES[table]).lazy()
    cols = []
    for name, dtype in TABLES[table].items():
        if name in present:
            cols.append(pl.col(name).cast(dtype))
        else:
            cols.append(pl.lit(None, dtype=dtype).alias(name))
    return lazy.select(cols)


@dataclass
class CheckInput:
    """The cache tables of one snapshot, lazily, and a memo for results shared between checks."""

    contacts: pl.LazyFrame
    attributes: pl.LazyFrame
    attribute_defs: pl.LazyFrame
    audiences: pl.LazyFrame
    audience_members: pl.LazyFrame
    calls: pl.LazyFrame
    phones: pl.DataFrame | None = None
    """The normalised phones frame (`gomoq.phones.normalise` columns) if already computed."""
    _memo: dict[Any, Any] = field(default_factory=dict, repr=False)
    _locks: dict[Any, threading.Lock] = field(default_factory=dict, repr=False)
    _guard: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def from_frames(
        cls,
        *,
        phones: pl.DataFrame | None = None,
        **frames: pl.DataFrame | pl.LazyFrame | None,
    ) -> CheckInput:
        """From in-memory frames named after the cache tables; absent tables are empty."""
        unknown = set(frames) - set(TABLES)
        if unknown:
            raise TypeError(f"unknown table(s): {', '.join(sorted(unknown))}")
        lazies = {}
        for table, schema in TABLES.items():
            frame = frames.get(table)
            if frame is None:
                frame = pl.DataFrame(schema=schema)
            lazies[table] = conform_table(frame, table)
        return cls._build(lazies, phones)

    @classmethod
    def from_snapshot(cls, snapshot: _Scannable) -> CheckInput:
        """From a cache snapshot (`gomoq.cache.store.Snapshot`), scanning its Parquet files."""
        return cls._build({t: conform_table(snapshot.scan(t), t) for t in TABLES}, None)

    @classmethod
    def _build(cls, lazies: dict[str, pl.LazyFrame], phones: pl.DataFrame | None) -> CheckInput:
        return cls(
            contacts=lazies["contacts"],
            attributes=lazies["attributes"],
            attribute_defs=lazies["attribute_defs"],
            audiences=lazies["audiences"],
            audience_members=lazies["audience_members"],
            calls=lazies["calls"],
            phones=phones,
        )

    def memo(self, key: Any, factory: Callable[[], T]) -> T:
        """`factory()` computed once per input (and per `key`), for results several checks use.

        Thread-safe: checks run side by side (`registry.run_all`), and a second check asking
        for a result being computed waits for it instead of computing it again."""
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            if key not in self._memo:
                self._memo[key] = factory()
            value: T = self._memo[key]
        return value

    def table(self, name: str) -> pl.DataFrame:
        """The whole table `name`, collected once."""
        frame: pl.DataFrame = self.memo(("table", name), lambda: getattr(self, name).collect())
        return frame

    def normalised_phones(self, region: str) -> pl.DataFrame:
        """The contacts' phones through `gomoq.phones` (memo file when it offers one)."""

        def compute() -> pl.DataFrame:
            if self.phones is not None:
                return self.phones
            raw = (
                self.contacts.select(pl.col("primary_phone").drop_nulls().unique())
                .collect()
                .to_series()
            )
            return _normalise(raw, region)

        frame: pl.DataFrame = self.memo(("phones", region), compute)
        return frame

    def contact_phones(self, region: str) -> pl.DataFrame:
        """Every contact (`PHONE_CHECK_FIELDS`) with its normalised phone (the `gomoq.phones`
        columns but `raw`), in the order of the contacts table. Computed once per run: the
        phones and duplicates checks both read it (joining a million phones as strings costs
        ~0.7 CPU-seconds)."""

        def compute() -> pl.DataFrame:
            contacts = self.contacts.select(PHONE_CHECK_FIELDS)
            if self.phones is None:
                # Straight through the memo, one row per contact: one join of a million
                # strings, not a unique, a join to the memo and a join back to the contacts.
                frame = contacts.collect()
                phones = _normalise(frame["primary_phone"], region)
                joined = pl.concat([frame, phones.drop("raw")], how="horizontal")
            else:
                # A frame handed in may repeat values.
                normalised = self.phones.unique("raw")
                joined = contacts.join(
                    normalised.lazy(),
                    left_on="primary_phone",
                    right_on="raw",
                    how="left",
                    maintain_order="left",
                ).collect()
            # One chunk: gathering rows from a many-chunk frame is ~20x slower.
            return joined.rechunk()

        frame: pl.DataFrame = self.memo(("contact_phones", region), compute)
        return frame


def _normalise(raw: pl.Series, region: str) -> pl.DataFrame:
    """`gomoq.phones.normalise_cached` of `raw` (one row per value, in order)."""
    return normalise_cached(raw, region)
