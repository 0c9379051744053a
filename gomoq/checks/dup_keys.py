"""Candidate near-duplicate numbers without comparing every pair (deletion neighbourhood).

Each number (the digits of its E.164 form) gets keys: itself, and itself with one digit deleted
(one key per position). Two numbers one edit apart always share a key:

- one digit substituted at position i: both deleted at i;
- two adjacent digits swapped at i, i+1: one deleted at i, the other at i+1;
- a digit missing or extra: the shorter number itself, the longer with the extra digit deleted.

So candidates come from equal keys: linear in the number of numbers (times their length), never
quadratic. A key shared by more than `max_key_share` numbers is no evidence of anything (on a
million numbers, a dense prefix block) and is dropped. Every candidate is then verified and
named: `typo` (one substitution), `swap`, `missing_digit` / `extra_digit` (from the point of view
of the first number `a`); anything else is discarded.

Everything runs on integers (a number's digits read as one UInt64; E.164 numbers never start
with 0): a million numbers give ~12 million keys, and string work on them would cost seconds.
Numbers of one length sharing a key differ only inside a short window; their difference
`b - a` says which edit it can be (`d x 10^k` for a substitution, `9 x d x 10^k` for a swap), and
one digit test proves it (`_EDITS`). Numbers of different lengths can share a key only as "the
shorter one itself / the longer one less a digit" (a key carries its digit count), which *is* one
digit missing: no test needed.
"""

from __future__ import annotations

import polars as pl

MAX_DIGITS = 17  # keys are integers: value * 32 + length must fit in 64 bits

_U64 = pl.UInt64


def _edit_table() -> pl.DataFrame:
    """Every difference `v = b - a` a substitution or an adjacent swap can make between numbers
    of one length (`a < b`), with the edit, the power `p = 10^k` and the digit step `d`.

    Substitution at 10^k: v = d * 10^k (d = 1..9). Swap of the digits at 10^(k+1), 10^k:
    v = 9 * d * 10^k (d = 1..9). They meet only at v = 9 * 10^k, which the digit tests keep
    apart (a substitution needs a 0 at 10^k in `a`, a swap a digit one larger than its left
    neighbour), so both rows are kept.
    """
    rows = []
    for k in range(MAX_DIGITS):
        rows += [(d * 10**k, "typo", 10**k, d) for d in range(1, 10)]
        rows += [(9 * d * 10**k, "swap", 10**k, d) for d in range(1, 10) if k + 1 < MAX_DIGITS]
    rows = [r for r in rows if r[0] < 10**MAX_DIGITS]
    return pl.DataFrame(
        rows,
        schema={"v": _U64, "edit": pl.String, "p": _U64, "d": _U64},
        orient="row",
    )


_EDITS = _edit_table()


def deletion_keys(numbers: pl.Series) -> pl.LazyFrame:
    """`num`, `len` (UInt8), `key` (UInt64): each number with itself and its one-deletion
    variants.

    Numbers are digit strings without a leading 0 (E.164 digits), or the same as integers. A
    key is the kept digits as an integer times 32 plus their count, so "0123" and "123" stay
    apart. Deleting either digit of a run of equal digits gives the same variant: only the
    first of a run is deleted, so a number never has the same key twice. Lazy: polars builds
    the per-position parts in parallel.
    """
    # As integers (digit strings are read as such): far cheaper to deduplicate than strings;
    # the digit count is how many powers of ten the number reaches.
    nums = numbers.cast(_U64, strict=False).drop_nulls().unique().alias("num").to_frame()
    count = pl.sum_horizontal([(pl.col("num") >= 10**k).cast(_U64) for k in range(MAX_DIGITS + 1)])
    frame = nums.with_columns(count.alias("len")).filter(pl.col("len").is_between(1, MAX_DIGITS))
    n = pl.col("num")
    parts = []
    # One group per digit count: the powers of ten are then constants, not per-row `pow`s
    # (three times cheaper over 12 M keys).
    for (count,), group in sorted(frame.partition_by("len", as_dict=True).items()):
        width = int(count)
        lazy = group.lazy()
        length = pl.lit(width, dtype=pl.UInt8).alias("len")  # 12 M keys: a byte, not eight
        parts.append(lazy.select("num", length, (n * 32 + width).alias("key")))
        for i in range(width):  # delete the digit at position i from the left
            low = 10 ** (width - i - 1)  # the place value of that digit
            kept = (n // (low * 10)) * low + n % low
            first_of_run = pl.lit(True) if i == 0 else (n // low) % 10 != (n // (low * 10)) % 10
            parts.append(
                lazy.filter(first_of_run).select(
                    "num", length, (kept * 32 + width - 1).alias("key")
                )
            )
    if not parts:
        return pl.LazyFrame(schema={"num": _U64, "len": pl.UInt8, "key": _U64})
    return pl.concat(parts)


def _sharing(keys: pl.LazyFrame, max_key_share: int) -> pl.DataFrame:
    """(`num`, `len`, `num_b`, `len_b`) with `num < num_b`: numbers that share a key held by
    at most `max_key_share` numbers (duplicates possible when they share several keys)."""
    # Sorted by key, the holders of one key are adjacent: a key is shared when a neighbour
    # has it too, and held by more than `max_key_share` numbers when the row that many places
    # on has it. (Cheaper than counting every key's holders: 12 M keys for a million numbers,
    # three in four held by one number.)
    key = pl.col("key")
    ordered = keys.collect().sort("key")
    shared = ordered.filter((key == key.shift(1)) | (key == key.shift(-1)))
    del ordered
    crowded = shared.filter(key == key.shift(max_key_share))["key"].unique()
    if crowded.len():
        shared = shared.filter(~key.is_in(crowded.implode()))
    # The longest run of one key (at most `max_key_share`): how far rows need pairing.
    runs = shared["key"].rle().struct.field("len")
    widest = int(runs.max() or 0)  # type: ignore[arg-type]
    # Pairing each row with the next few rows of the same key avoids a self-join.
    lazy = shared.lazy()
    parts = [
        lazy.select(
            pl.col("key") == pl.col("key").shift(-step),
            pl.col("num"),
            pl.col("len"),
            pl.col("num").shift(-step).alias("num_b"),
            pl.col("len").shift(-step).alias("len_b"),
        ).filter(pl.col("key"))
        for step in range(1, widest)
    ]
    if not parts:
        return pl.DataFrame(schema={"num": _U64, "len": pl.UInt8, "num_b": _U64, "len_b": pl.UInt8})
    swap = pl.col("num") > pl.col("num_b")
    return (
        pl.concat(parts)
        .select(
            pl.when(swap).then("num_b").otherwise("num").alias("num"),
            pl.when(swap).then("len_b").otherwise("len").alias("len"),
            pl.when(swap).then("num").otherwise("num_b").alias("num_b"),
            pl.when(swap).then("len").otherwise("len_b").alias("len_b"),
        )
        .collect()
    )


def near_number_pairs(numbers: pl.Series, *, max_key_share: int = 8) -> pl.DataFrame:
    """Pairs of distinct numbers one edit apart as integers: `num` < `num_b` (UInt64) and
    `edit` (`typo`, `swap`, or `missing_digit` when `num` is the shorter, else `extra_digit`)."""
    pairs = _sharing(deletion_keys(numbers), max_key_share).lazy()
    same = pl.col("len") == pl.col("len_b")
    digit_at = [(pl.col("num") // (pl.col("p") * m)) % 10 for m in (1, 10)]
    proven = (
        pairs.filter(same)
        .with_columns((pl.col("num_b") - pl.col("num")).alias("v"))
        .join(_EDITS.lazy(), on="v")
        .filter(
            pl.when(pl.col("edit") == "typo")
            .then(digit_at[0] + pl.col("d") <= 9)
            .otherwise(digit_at[0] - digit_at[1] == pl.col("d").cast(pl.Int64))
        )
        .select("num", "num_b", "edit")
    )
    insertions = pairs.filter(~same).select(
        "num",
        "num_b",
        pl.when(pl.col("len") < pl.col("len_b"))
        .then(pl.lit("missing_digit"))
        .otherwise(pl.lit("extra_digit"))
        .alias("edit"),
    )
    return pl.concat([proven, insertions]).unique(["num", "num_b"]).collect()


def near_pairs(numbers: pl.Series, *, max_key_share: int = 8) -> pl.DataFrame:
    """Pairs (`a` < `b`, as strings) of distinct numbers one edit apart, with `edit` named from
    the point of view of `a`."""
    pairs = near_number_pairs(numbers, max_key_share=max_key_share)
    a, b = pl.col("num").cast(pl.String), pl.col("num_b").cast(pl.String)
    first_is_a = a < b
    flipped = {"missing_digit": "extra_digit", "extra_digit": "missing_digit"}
    return pairs.select(
        pl.when(first_is_a).then(a).otherwise(b).alias("a"),
        pl.when(first_is_a).then(b).otherwise(a).alias("b"),
        pl.when(first_is_a)
        .then(pl.col("edit"))
        .otherwise(pl.col("edit").replace(flipped))
        .alias("edit"),
    )
