"""Writing a table from its part files in the table's write order, with bounded memory.

The calls of a large organisation arrive in time order (export windows, pages) and are stored
sorted by contact (`schema.CALLS_ORDER`). Sorting 5 M calls at once held 3.8 GB in polars'
streaming engine; here the rows are cut into slices by ranges of the leading sort column (the
range bounds are quantiles of a sample of its values), each slice is read, deduplicated and
sorted on its own, and the sorted slices are written one after the other: the memory is that of
one slice (`ROWS_PER_SLICE`), whatever the table's size. Every slice reads all parts again
(only its rows are kept), so a table of N rows costs about N / `ROWS_PER_SLICE` scans.
"""

from __future__ import annotations

import itertools
import math
import os
import shutil
from pathlib import Path
from typing import Literal

import polars as pl

from gomoq.cache.schema import TABLE_ORDER, empty_frame, in_write_order
from gomoq.cache.store import write_table

ROWS_PER_SLICE = 200_000
"""Rows sorted in memory at a time: the step's peak stays ~250 MB above the process's (546k calls:
~380 MB in one slice, ~250 MB in slices of 200k, ~200 MB of 125k; each slice is one more scan)."""

_SAMPLE = 20_000  # values of the leading column sampled to place the slice bounds


def write_parts_in_order(
    parts: list[Path],
    target: Path,
    table: str,
    *,
    keep: Literal["first", "last"],
    rows_per_slice: int = ROWS_PER_SLICE,
) -> int:
    """Write the rows of `parts` (read in that order) to `target` in `table`'s write order,
    one row per `id` (`keep`: its first or last occurrence; rows sharing an id share their
    leading sort value, as a call repeated across windows or pages does). Returns the rows
    written. `target` appears whole or not at all."""
    order = TABLE_ORDER[table]
    scan = pl.concat([empty_frame(table).lazy(), *(pl.scan_parquet(p) for p in parts)])
    total = int(scan.select(pl.len()).collect().item())
    ranges = _ranges(scan, order[0], total, math.ceil(total / max(1, rows_per_slice)))
    folder = target.with_name(f".{target.name}.slices")
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    written = 0
    try:
        files = []
        for index, in_range in enumerate(ranges):
            rows = scan.filter(in_range).unique("id", keep=keep, maintain_order=True).collect()
            files.append(folder / f"{index:05d}.parquet")
            write_table(in_write_order(rows, table), files[-1])
            written += rows.height
        tmp = target.with_name(f".{target.name}.tmp")
        # Plain concatenation of sorted slices: streamed, nothing held but a batch.
        pl.concat([empty_frame(table).lazy(), *(pl.scan_parquet(f) for f in files)]).sink_parquet(
            tmp, compression="zstd"
        )
        os.replace(tmp, target)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return written


def _ranges(scan: pl.LazyFrame, column: str, total: int, slices: int) -> list[pl.Expr]:
    """Filters cutting `column`'s values (in `total` rows) into at most `slices` ranges of
    about equal rows, in ascending order, nulls in the last range (they sort last)."""
    col = pl.col(column)
    if slices <= 1:
        return [pl.lit(True)]
    step = max(1, total // _SAMPLE)
    sample = scan.select(col.gather_every(step)).collect().to_series().drop_nulls().sort()
    if sample.len() == 0:
        return [pl.lit(True)]
    bounds = sorted({sample[int(sample.len() * i / slices)] for i in range(1, slices)})
    ranges = [col < bounds[0]]
    ranges += [(col >= low) & (col < high) for low, high in itertools.pairwise(bounds)]
    ranges.append((col >= bounds[-1]) | col.is_null())
    return ranges
