"""The finding-id hash: the vectorised path equals the reference definition, and ids are stable."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gomoq.checks.ids import (
    finding_id,
    finding_id_expr,
    hash_bytes,
    hash_text,
    hash_text_series,
    join_parts,
    kind_seed,
)


def test_known_values_never_change() -> None:
    # Frozen forever: stored decisions refer to these ids. A change here orphans them all.
    assert hash_text("") == hash_bytes(b"").to_bytes(8, "little").hex()
    assert finding_id("call_failures", "contact", "c1") == "8319ab0942d49fc3"
    assert finding_id("call_failures", "contact", "c1") == hash_text(
        "c1", kind_seed("call_failures", "contact")
    )
    assert len(finding_id("x", "y")) == 16
    assert finding_id("a", "b", None) == hash_text("\x00", kind_seed("a", "b"))


def test_ids_differ_by_every_part() -> None:
    ids = {
        finding_id("attributes", "custom", "c1", "age"),
        finding_id("attributes", "custom", "c1", "agf"),
        finding_id("attributes", "custom", "c2", "age"),
        finding_id("attributes", "standard", "c1", "age"),
        finding_id("inactivity", "custom", "c1", "age"),
        finding_id("attributes", "custom", "c1age"),
        finding_id("attributes", "custo", "mc1", "age"),
    }
    assert len(ids) == 7


def test_series_equals_scalar_on_edge_lengths_and_unicode() -> None:
    values = [
        "",
        "a",
        "abcdefg",
        "abcdefgh",
        "abcdefghi",
        "é",
        "مرحبا بكم",
        "x" * 301,
        None,
        "\x00",
    ]
    got = hash_text_series(pl.Series(values)).to_list()
    assert got == [None if v is None else hash_text(v) for v in values]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(max_size=40), min_size=1, max_size=30))
def test_series_equals_scalar_fuzz(values: list[str]) -> None:
    assert hash_text_series(pl.Series(values, dtype=pl.String)).to_list() == [
        hash_text(v) for v in values
    ]


def test_expr_equals_scalar_with_nulls_and_ints() -> None:
    frame = pl.DataFrame({"c": ["c1", None, "c3"], "n": [1, 2, None], "k": ["a", "b", "c"]})
    got = frame.select(finding_id_expr("chk", pl.col("k"), "c", pl.col("n"))).to_series()
    expected = [finding_id("chk", k, c, n) for c, n, k in frame.iter_rows()]
    assert got.to_list() == expected
    assert join_parts("c1", 1, None) == "c1\x1f1\x1f\x00"


def test_empty_frame() -> None:
    frame = pl.DataFrame({"c": pl.Series([], dtype=pl.String)})
    assert frame.select(finding_id_expr("chk", "k", "c")).height == 0


@pytest.mark.parametrize("width", [7, 8, 9, 36])
def test_uniform_lengths_take_the_fast_path_and_still_agree(width: int) -> None:
    values = [f"{i:0{width}d}" for i in range(50)]
    assert hash_text_series(pl.Series(values)).to_list() == [hash_text(v) for v in values]
    frame = pl.DataFrame({"c": values, "k": ["a", "b"] * 25})
    got = frame.select(finding_id_expr("chk", pl.col("k"), "c")).to_series().to_list()
    assert got == [finding_id("chk", k, c) for c, k in frame.iter_rows()]


def test_long_texts_and_mixed_lengths_agree_with_the_reference() -> None:
    # Past 256 bytes a text is hashed one by one; around the boundary and with multi-byte
    # characters (byte length, not characters) the column must still equal `hash_text`.
    values = [
        "x" * 255,
        "x" * 256,
        "x" * 257,
        "é" * 128,
        "é" * 129,
        "short",
        None,
        "\u0660\u0661" * 300,
        "y" * 1_000_000,
        "",
    ]
    got = hash_text_series(pl.Series(values, dtype=pl.String)).to_list()
    assert got == [None if v is None else hash_text(v) for v in values]
    frame = pl.DataFrame({"c": values, "k": ["a", "b"] * 5})
    ids = frame.select(finding_id_expr("chk", pl.col("k"), "c")).to_series().to_list()
    assert ids == [finding_id("chk", k, c) for c, k in frame.iter_rows()]
