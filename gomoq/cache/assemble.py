"""A sync's last steps: the contacts pass into tables, the work folder into a snapshot.

`gomoq.services.sync` fetches the tables into a `WorkFolder`; `finish_contacts` turns the
accepted contacts pass into the `contacts` and `attributes` tables, and `assemble` completes
the folder (tables not synced now come from the current snapshot, or are empty) and writes the
manifest, ready for the swap.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import Any

import polars as pl

from gomoq.cache.convert import attributes_frame
from gomoq.cache.schema import SCHEMA_VERSION, TABLES, empty_frame, table_file_name
from gomoq.cache.store import NoCache, Snapshot, link_or_copy, write_manifest, write_table
from gomoq.cache.work import ATTRIBUTE_PARTS, WorkFolder
from gomoq.config import Profile
from gomoq.progress import ProgressEvent, ProgressFn

ATTRIBUTE_SLICE = 20_000  # contacts per batch when deriving the long attributes table


def finish_contacts(work: WorkFolder, files: list[Any], progress: ProgressFn) -> None:
    """The accepted pass → `contacts` (one row per id, its latest version) and `attributes`."""
    target = work.table_path("contacts")
    if files:
        tmp = target.with_name(f".{target.name}.tmp")
        # Streamed, in page order (createdAt asc). The accepted pass read no id twice, so
        # `unique` is only a guard; it keeps the later read, the newer version.
        (
            pl.scan_parquet(files)
            .unique("id", keep="last", maintain_order=True)
            .sink_parquet(tmp, compression="zstd")
        )
        os.replace(tmp, target)
    else:
        write_table(empty_frame("contacts"), target)
    # the long attributes table, a slice of contacts at a time (JSON parsed in Python)
    sources = pl.read_parquet(target, columns=["id", "custom_attributes"])
    parts_dir = work.parts_dir(ATTRIBUTE_PARTS)
    parts = []
    for index, piece in enumerate(sources.iter_slices(ATTRIBUTE_SLICE)):
        part = parts_dir / f"part-{index:05d}.parquet"
        write_table(attributes_frame(piece), part)
        parts.append(part)
    del sources
    attributes = work.table_path("attributes")
    tmp = attributes.with_name(f".{attributes.name}.tmp")
    pl.concat(
        [empty_frame("attributes").lazy(), *(pl.scan_parquet(p) for p in parts)]
    ).sink_parquet(tmp, compression="zstd")
    os.replace(tmp, attributes)
    work.state["done"]["attributes"] = int(
        pl.scan_parquet(attributes).select(pl.len()).collect().item()
    )
    count = int(pl.scan_parquet(target).select(pl.len()).collect().item())
    work.mark_done("contacts", count)
    progress(ProgressEvent("contacts", count, count, "contacts", finished=True))


def assemble(
    profile: Profile,
    work: WorkFolder,
    synced: tuple[str, ...],
    duration: float,
    repairs: int,
    org_id: str | None,
) -> dict[str, int]:
    """Complete the work folder into a snapshot: tables not synced now come from the current
    snapshot (or are empty); then the manifest. Returns the row count of every table."""
    try:
        current: Snapshot | None = Snapshot.open(profile.name, "current")
    except NoCache:
        current = None
    now = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    counts: dict[str, int] = {}
    tables: dict[str, Any] = {}
    for table in TABLES:
        target = work.path / table_file_name(table)
        if table in synced:
            counts[table] = int(work.state["done"][table])
            tables[table] = {"synced_at": now, "rows": counts[table]}
            continue
        if current is not None and current.table_path(table).exists():
            link_or_copy(current.table_path(table), target)
            counts[table] = int(current.manifest.get("counts", {}).get(table, 0))
            old = current.manifest.get("tables", {}).get(table, {})
            tables[table] = {"synced_at": old.get("synced_at"), "rows": counts[table]}
        else:
            write_table(empty_frame(table), target)
            counts[table] = 0
            tables[table] = {"synced_at": None, "rows": 0}
    stats = work.state["stats"]
    write_manifest(
        work.path,
        {
            "schema_version": SCHEMA_VERSION,
            "profile": profile.name,
            "base_url": profile.base_url,
            "organization_id": org_id,
            "synced_at": now,
            "counts": counts,
            "tables": tables,
            "synced": list(synced),
            "complete": True,
            "duration_s": round(duration, 3),
            "stats": {
                "pages": stats["pages"],
                "requests": stats["requests"],
                "retries": stats["retries"],
                "rate_limited": stats["rate_limited"],
                "drift_repairs": repairs,
                "contact_passes": work.state["contacts"]["history"],
            },
        },
    )
    work.drop_parts()
    return counts
