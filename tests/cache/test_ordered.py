"""Writing a table from parts in its write order, a slice of contacts at a time."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from gomoq.cache.ordered import write_parts_in_order
from gomoq.cache.schema import CALLS_ORDER
from gomoq.cache.store import conform


def calls(rows: list[tuple[str, str | None, int, str]]) -> pl.DataFrame:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    return conform(
        pl.DataFrame(
            {
                "id": [r[0] for r in rows],
                "contact_id": [r[1] for r in rows],
                "created_at": [start + timedelta(minutes=r[2]) for r in rows],
                "status": [r[3] for r in rows],
            }
        ),
        "calls",
    )


def write_parts(tmp_path: Path, frames: list[pl.DataFrame]) -> list[Path]:
    paths = []
    for i, frame in enumerate(frames):
        paths.append(tmp_path / f"part-{i}.parquet")
        # Parts are written in arrival (time) order, as export windows are.
        frame.sort("created_at").write_parquet(paths[-1])
    return paths


@pytest.mark.parametrize("rows_per_slice", [1, 7, 50, 10_000])
def test_many_slices_give_the_same_table_as_one_sort(tmp_path: Path, rows_per_slice: int) -> None:
    rng = random.Random(rows_per_slice)
    contacts = [f"c{n:04d}-é" for n in range(60)] + [None]  # unicode ids, and calls without one
    rows = [(f"k{i:05d}", rng.choice(contacts), rng.randrange(10_000), "busy") for i in range(600)]
    frames = [calls(rows[i : i + 150]) for i in range(0, 600, 150)]
    target = tmp_path / "calls.parquet"
    written = write_parts_in_order(
        write_parts(tmp_path, frames), target, "calls", keep="first", rows_per_slice=rows_per_slice
    )
    got = pl.read_parquet(target)
    want = pl.concat(frames).sort(list(CALLS_ORDER), nulls_last=True)
    assert written == 600
    assert_frame_equal(got, want)
    assert not list(tmp_path.glob(".calls.parquet*"))  # no slice or temporary file left


@pytest.mark.parametrize("keep", ["first", "last"])
def test_a_call_seen_twice_is_kept_once(tmp_path: Path, keep: str) -> None:
    early = calls([("k1", "a", 1, "busy"), ("k2", "b", 2, "busy")])
    late = calls([("k1", "a", 1, "answered"), ("k3", "a", 0, "failed")])
    target = tmp_path / "calls.parquet"
    assert (
        write_parts_in_order(
            write_parts(tmp_path, [early, late]), target, "calls", keep=keep, rows_per_slice=1
        )
        == 3
    )
    got = pl.read_parquet(target)
    assert got["id"].to_list() == ["k3", "k1", "k2"]
    assert got.filter(pl.col("id") == "k1")["status"].item() == (
        "busy" if keep == "first" else "answered"
    )


def test_no_parts_give_an_empty_table(tmp_path: Path) -> None:
    target = tmp_path / "calls.parquet"
    assert write_parts_in_order([], target, "calls", keep="first") == 0
    assert pl.read_parquet(target).schema == calls([]).schema
