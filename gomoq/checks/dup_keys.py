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

MAX_DIGITS = 17  # keys are integers: value * 32 + length must fit in 64 bits


def deletion_keys(numbers: pl.Series) -> pl.DataFrame:
    """`num`, `len`, `key` (UInt64): each number with itself and its one-deletion variants.

    Numbers are digit strings without a leading 0 (E.164 digits). A key is the kept digits as
    an integer times 32 plus their count, so "0123" and "123" stay apart. Deleting either digit
    of a run of equal digits gives the same variant: only the first of a run is deleted, so a
    number never has the same key twice.
    """
    frame = (
        numbers.alias("s")
        .unique()
        .to_frame()
        .filter(pl.col("s").str.len_chars() <= MAX_DIGITS)
        .select(
            pl.col("s").cast(pl.UInt64).alias("num"),
            pl.col("s").str.len_chars().cast(pl.UInt64).alias("len"),
        )
    )
    n, length = pl.col("num"), pl.col("len")
    width = int(frame.select(length.max()).item() or 0)
    parts = [frame.select("num", "len", (n * 32 + length).alias("key"))]
    ten = pl.lit(10, dtype=pl.UInt64)
    for i in range(width):  # delete the digit at position i from the left
        right = length - i - 1  # digits after position i
        low_pow = ten.pow(right)
        digit = (n // low_pow) % 10
        prev = (n // (low_pow * 10)) % 10
        kept = (n // (low_pow * 10)) * low_pow + n % low_pow
        first_of_run = pl.lit(i == 0) | (digit != prev)
        longer = frame.filter(length > i)  # first, so that no power is negative
        parts.append(
            longer.filter(first_of_run).select("num", "len", (kept * 32 + length - 1).alias("key"))
        )
    return pl.concat(parts)


def near_pairs(numbers: pl.Series, *, max_key_share: int = 8) -> pl.DataFrame:
    """Pairs (`a` < `b`) of distinct numbers one edit apart, with `edit` naming the edit."""
    keys = deletion_keys(numbers)
    # Most keys are unique: keep the shared ones first (one hashing pass), count only those.
    shared = keys.filter(pl.col("key").is_duplicated())
    counts = shared.group_by("key").agg(pl.len().alias("n"))
    shared = shared.join(counts.filter(pl.col("n") <= max_key_share), on="key", how="semi")
    pairs = (
        shared.join(shared, on="key", suffix="_b")
        .filter(pl.col("num") < pl.col("num_b"))
        .unique(["num", "num_b"])
    )
    # Cheap integer sieve before the exact check: for numbers of one length, one digit
    # substituted makes a difference d x 10^k, two adjacent digits swapped 9 x d x 10^k
    # (d <= 9); numbers of different lengths sharing a key are always one insertion apart.
    v = pl.col("num_b") - pl.col("num")
    frame = pairs.with_columns(v.alias("v"))
    for _ in range(MAX_DIGITS):
        frame = frame.with_columns(
            pl.when(pl.col("v") % 10 == 0).then(pl.col("v") // 10).otherwise(pl.col("v"))
        )
    sieve = (
        (pl.col("len") != pl.col("len_b"))
        | (pl.col("v") <= 9)
        | ((pl.col("v") % 9 == 0) & (pl.col("v") <= 81))
    )
    a, b = pl.col("num").cast(pl.String), pl.col("num_b").cast(pl.String)
    pairs = frame.filter(sieve).select(
        pl.when(a < b).then(a).otherwise(b).alias("a"),
        pl.when(a < b).then(b).otherwise(a).alias("b"),
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
