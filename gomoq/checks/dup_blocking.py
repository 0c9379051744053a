"""Candidate pairs under different numbers: the same person whose number changed.

The phone keys (`gomoq.checks.dup_keys`) only pair contacts whose numbers are the same or one
edit apart. A person stored under two unrelated numbers (a changed number, the CRM's other
phone) is found from the rest: contacts sharing one of these *blocking keys* are paired —

- the same email (normalised);
- the same pair of name skeletons, in either order ("Harvey Shepherdson" / "Shepherdosn
  Harvey" share `hrv|chprdsn`... when the slip spares the skeleton);
- the same normalised last name and first initial; the same first name and last initial (one
  slip in the other part is then still found); the same first three letters of both names,
  in either order (a slip after them is found).

A key held by more than `max_block` contacts pairs nobody: on a million Moroccan contacts
"Mohamed Alaoui" is hundreds of people, and pairing them is both quadratic and no evidence
(the model's term frequencies would weigh it as nothing). So the pairs grow linearly with the
contacts: at most `max_block - 1` per contact and key.
"""

from __future__ import annotations

import polars as pl


def _keys(people: pl.DataFrame) -> pl.DataFrame:
    """`r`, `key`: every blocking key of every contact (`r`: its row)."""
    f, last = pl.col("fn"), pl.col("ln")
    fs, ls = pl.col("fs"), pl.col("ls")
    lo = pl.when(fs < ls).then(fs).otherwise(ls)
    hi = pl.when(fs < ls).then(ls).otherwise(fs)
    f3, l3 = f.str.slice(0, 3), last.str.slice(0, 3)
    lo3 = pl.when(f3 < l3).then(f3).otherwise(l3)
    hi3 = pl.when(f3 < l3).then(l3).otherwise(f3)
    parts = [
        people.select("r", (pl.lit("e:") + pl.col("em")).alias("key")),
        people.select("r", (pl.lit("s:") + lo + pl.lit("|") + hi).alias("key")),
        people.select("r", (pl.lit("l:") + last + pl.lit("|") + f.str.slice(0, 1)).alias("key")),
        people.select("r", (pl.lit("f:") + f + pl.lit("|") + last.str.slice(0, 1)).alias("key")),
        # the first three letters of both names, in either order: a slip after them is found
        people.select("r", (pl.lit("p:") + lo3 + pl.lit("|") + hi3).alias("key")),
    ]
    return pl.concat(parts).drop_nulls().unique()


def blocked_pairs(people: pl.DataFrame, max_block: int) -> pl.DataFrame:
    """`r_a`, `r_b` (`r_a` < `r_b`): contacts sharing a blocking key held by at most
    `max_block` contacts and not the same number (`num`) — those are paired already.

    `people` has `r`, `num`, `fn`, `ln` (normalised first and last names), `fs`, `ls` (their
    skeletons) and `em` (the normalised email)."""
    keys = _keys(people)
    sizes = keys.group_by("key").agg(pl.len().alias("n"))
    small = keys.join(sizes.filter(pl.col("n").is_between(2, max_block)), on="key", how="semi")
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
