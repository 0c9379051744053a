"""Candidate pairs under different numbers: the same person whose number changed.

The phone keys (`gomoq.checks.dup_keys`) only pair contacts whose numbers are the same or one
edit apart. A person stored under two unrelated numbers (a changed number, the CRM's other
phone) is found from the rest: contacts sharing one of these *blocking keys* are paired —

- the same email (normalised);
- the same normalised last name and first initial; the same first name and last initial (one
  slip in the other part is then still found); the same first three letters of both names,
  in either order (a slip after them is found, and names typed swapped: "Harvey Shepherdson" /
  "Shepherdosn Harvey"). (A key of both names' consonant skeletons found nothing more on the
  stand-in benchmark and cost a fifth of the blocking at a million contacts: dropped.)

A key held by more than `max_block` contacts pairs nobody: on a million Moroccan contacts
"Mohamed Alaoui" is hundreds of people, and pairing them is both quadratic and no evidence
(the model's term frequencies would weigh it as nothing). So the pairs grow linearly with the
contacts: at most `max_block - 1` per contact and key.
"""

from __future__ import annotations

import polars as pl


def _keys(people: pl.DataFrame) -> pl.DataFrame:
    """`r`, `key`: every blocking key of every contact (`r`: its row), as 64-bit hashes
    (hashing a million names once is far cheaper than building and grouping key strings)."""
    h = {c: pl.col(c).hash(seed=7) for c in ("fn", "ln", "em")}
    f3, l3 = pl.col("fn").str.slice(0, 3).hash(seed=7), pl.col("ln").str.slice(0, 3).hash(seed=7)
    f1, l1 = pl.col("fn").str.slice(0, 1).hash(seed=7), pl.col("ln").str.slice(0, 1).hash(seed=7)

    def either_order(a: pl.Expr, b: pl.Expr, kind: int) -> pl.Expr:
        lo, hi = pl.min_horizontal(a, b), pl.max_horizontal(a, b)
        return pl.struct(
            pl.lit(kind, dtype=pl.UInt64).alias("k"), lo.alias("a"), hi.alias("b")
        ).hash(seed=11)

    def pair(a: pl.Expr, b: pl.Expr, kind: int) -> pl.Expr:
        return pl.struct(pl.lit(kind, dtype=pl.UInt64).alias("k"), a.alias("a"), b.alias("b")).hash(
            seed=11
        )

    # A key of a missing part is no key: nulls are dropped before hashing them together.
    def given(*cols: str) -> pl.Expr:
        return pl.all_horizontal(pl.col(c).is_not_null() for c in cols)

    keys = [
        (given("em"), h["em"]),
        (given("ln", "fn"), pair(h["ln"], f1, 2)),
        (given("fn", "ln"), pair(h["fn"], l1, 3)),
        (given("fn", "ln"), either_order(f3, l3, 4)),
    ]
    small = people.select(
        "r", *(pl.when(ok).then(k).alias(f"k{i}") for i, (ok, k) in enumerate(keys))
    )
    return small.unpivot(index="r", value_name="key").drop("variable").drop_nulls()


def blocked_pairs(people: pl.DataFrame, max_block: int) -> pl.DataFrame:
    """`r_a`, `r_b` (`r_a` < `r_b`): contacts sharing a blocking key held by at most
    `max_block` contacts and not the same number (`num`) — those are paired already.

    `people` has `r`, `num`, `fn`, `ln` (normalised first and last names) and `em` (the
    normalised email)."""
    keys = _keys(people)
    # Each block's size by a window count: the million single-holder keys drop out before
    # any join.
    size = pl.len().over("key")
    small = keys.filter(size.is_between(2, max_block))
    pairs = (
        small.join(small, on="key", suffix="_b")
        .filter(pl.col("r") < pl.col("r_b"))
        .select(pl.col("r").alias("r_a"), "r_b")
        .unique()
    )
    nums = people.select("r", "num")
    return (
        pairs.join(nums.rename({"r": "r_a"}), on="r_a")
        .join(nums.rename({"r": "r_b", "num": "num_b"}), on="r_b")
        .filter(pl.col("num") != pl.col("num_b"))
        .select("r_a", "r_b")
    )
