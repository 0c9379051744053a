"""Candidate near-duplicate numbers without comparing every pair (deletion neighbourhood).

Each number (the digits of its E.164 form) gets keys: itself, and itself with one digit deleted
(one key per position). Two numbers one edit apart always share a key:

- one digit substituted at position i: both deleted at i;
- two adjacent digits swapped at i, i+1: one deleted at i, the other at i+1;
- a digit missing or extra: the shorter number itself, the longer with the extra digit deleted.

So candidates come from a join on equal keys: linear in the number of numbers (times their
length), never quadratic. A key shared by more than `max_key_share` numbers is no evidence of
anything (on a million numbers, a dense prefix block) and is dropped. Every candidate is then
verified and named: `typo` (one substitution), `swap`, `missing_digit` / `extra_digit` (from the
point of view of the first number `a`); anything else is discarded.
"""

from __future__ import annotations

import polars as pl

MAX_DIGITS = 18


def deletion_keys(numbers: pl.Series) -> pl.DataFrame:
    """`num`, `key`: each number with itself and its one-deletion variants."""
    frame = (
        numbers.alias("num").unique().to_frame().filter(pl.col("num").str.len_chars() <= MAX_DIGITS)
    )
    n = pl.col("num")
    width = int(frame.select(n.str.len_chars().max()).item() or 0)
    parts = [frame.select("num", n.alias("key"))]
    for i in range(width):
        parts.append(
            frame.filter(n.str.len_chars() > i).select(
                "num", (n.str.slice(0, i) + n.str.slice(i + 1)).alias("key")
            )
        )
    return pl.concat(parts)


def near_pairs(numbers: pl.Series, *, max_key_share: int = 8) -> pl.DataFrame:
    """Pairs (`a` < `b`) of distinct numbers one edit apart, with `edit` naming the edit."""
    keys = deletion_keys(numbers).unique()
    counts = keys.group_by("key").agg(pl.len().alias("n"))
    shared = keys.join(
        counts.filter((pl.col("n") >= 2) & (pl.col("n") <= max_key_share)), on="key", how="semi"
    )
    pairs = (
        shared.join(shared, on="key", suffix="_b")
        .filter(pl.col("num") < pl.col("num_b"))
        .select(pl.col("num").alias("a"), pl.col("num_b").alias("b"))
        .unique()
    )
    return classify(pairs)


def classify(pairs: pl.DataFrame) -> pl.DataFrame:
    """`a`, `b`, `edit` for the pairs that are exactly one edit apart (others dropped)."""
    a, b = pl.col("a"), pl.col("b")
    la, lb = a.str.len_chars().cast(pl.Int32), b.str.len_chars().cast(pl.Int32)
    if pairs.height == 0:
        return pairs.with_columns(pl.lit(None, dtype=pl.String).alias("edit"))
    width = int(pairs.select(pl.max_horizontal(la.max(), lb.max())).item() or 0)
    same = pairs.filter(la == lb)
    diffs = [(a.str.slice(i, 1) != b.str.slice(i, 1)) & (la > i) for i in range(width)]
    same = same.with_columns(
        pl.sum_horizontal(diffs).alias("ndiff"),
        pl.coalesce([pl.when(d).then(pl.lit(i)) for i, d in enumerate(diffs)]).alias("first"),
    )
    swapped = (pl.col("ndiff") == 2) & (
        a.str.slice(pl.col("first"), 2) == b.str.slice(pl.col("first"), 2).str.reverse()
    )
    same = same.with_columns(
        pl.when(pl.col("ndiff") == 1)
        .then(pl.lit("typo"))
        .when(swapped)
        .then(pl.lit("swap"))
        .otherwise(pl.lit(None, dtype=pl.String))
        .alias("edit")
    ).select("a", "b", "edit")
    other = pairs.filter((la - lb).abs() == 1).with_columns(
        pl.when(la < lb)
        .then(pl.lit("missing_digit"))
        .otherwise(pl.lit("extra_digit"))
        .alias("edit")
    )
    return pl.concat([same, other]).filter(pl.col("edit").is_not_null())
