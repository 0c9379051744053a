"""Scoring candidate pairs for the duplicates check with the learnt model (`dup_model`).

`prepare` adds the normalised comparison columns to the contacts once; `score` gathers both
sides of every candidate pair, puts each comparison in its level, fits the model on the
organisation (u from random pairs, m and λ by EM over the candidates), and returns the pairs
with their weights and probability; `pair_words` says one pair's evidence in words and weights.
"""

from __future__ import annotations

import random

import polars as pl

from gomoq.checks import dup_model as fs
from gomoq.checks.dup_model import MISSING, Model

SIDE = ("fn", "ln", "fs", "ls", "em", "ct")
RANDOM_SEED = 20_261_204


def prepare(people: pl.DataFrame) -> pl.DataFrame:
    """`people` with normalised first and last names (`fn`, `ln`), their skeletons (`fs`,
    `ls`), email (`em`) and city (`ct`). A contact with only a full name has it split: its
    first word is the first name, the rest the last name."""
    blank = (pl.col("first_name").str.strip_chars().fill_null("") == "") & (
        pl.col("last_name").str.strip_chars().fill_null("") == ""
    )
    words = pl.col("full_name").str.strip_chars().str.splitn(" ", 2)
    people = people.with_columns(
        pl.when(blank).then(words.struct.field("field_0")).otherwise("first_name").alias("_f"),
        pl.when(blank).then(words.struct.field("field_1")).otherwise("last_name").alias("_l"),
    )
    names = fs.normalise_names(pl.concat([people["_f"], people["_l"]]).unique())
    cities = fs.normalise_names(people["city"].unique()).select(
        pl.col("value").alias("city"), pl.col("norm").alias("ct")
    )
    for src, norm, skel in (("_f", "fn", "fs"), ("_l", "ln", "ls")):
        table = names.select(
            pl.col("value").alias(src), pl.col("norm").alias(norm), pl.col("skel").alias(skel)
        )
        people = people.join(table, on=src, how="left", maintain_order="left")
    email = pl.col("primary_email").str.strip_chars().str.to_lowercase().replace("", None)
    people = people.join(cities, on="city", how="left", maintain_order="left")
    return people.with_columns(email.alias("em")).drop("_f", "_l")


def _sides(people: pl.DataFrame, r_a: pl.Series, r_b: pl.Series) -> pl.DataFrame:
    side = people.select(SIDE).rechunk()
    first = side[r_a]
    second = side[r_b].rename(lambda c: f"{c}_b")
    return pl.concat([first, second], how="horizontal")


def _levels(frame: pl.DataFrame) -> pl.DataFrame:
    return fs.other_comparisons(fs.name_comparisons(frame))


def random_pairs(
    people: pl.DataFrame, candidates: pl.DataFrame, size: int = fs.U_SAMPLE
) -> pl.DataFrame:
    """Levels of `size` random pairs of distinct contacts (seeded: a run is repeatable), the
    `candidates` (`r_a`, `r_b`) left out: `u` is about different people, and the candidates
    are where the duplicates are (it matters in a small organisation, where a sample of all
    pairs is all of them)."""
    n = people.height
    rng = random.Random(RANDOM_SEED)
    if n * (n - 1) // 2 <= size:  # a small organisation: every pair once
        picks = [(a, b) for a in range(n) for b in range(a + 1, n)]
    else:
        picks = [(rng.randrange(n), rng.randrange(n)) for _ in range(size)]
        picks = [(a, b) for a, b in picks if a != b]
    sample = pl.DataFrame(
        {"r_a": [min(p) for p in picks], "r_b": [max(p) for p in picks]},
        schema={"r_a": pl.UInt32, "r_b": pl.UInt32},
    )
    known = candidates.select(
        pl.min_horizontal("r_a", "r_b").cast(pl.UInt32).alias("r_a"),
        pl.max_horizontal("r_a", "r_b").cast(pl.UInt32).alias("r_b"),
    )
    sample = sample.join(known, on=["r_a", "r_b"], how="anti")
    return _levels(_sides(people, sample["r_a"], sample["r_b"]))


def score(pairs: pl.DataFrame, people: pl.DataFrame) -> tuple[pl.DataFrame, Model]:
    """`pairs` (`r_a`, `r_b`, `edit`) with both sides' comparison columns, the `*_lv` levels,
    the weights and `probability`; and the model fitted on them."""
    frame = pl.concat(
        [pairs, _sides(people, pairs["r_a"], pairs["r_b"])], how="horizontal"
    ).with_columns(
        pl.when(pl.col("edit") == "same")
        .then(pl.lit("same"))
        .when(pl.col("edit") == "other")
        .then(pl.lit("other"))
        .otherwise(pl.lit("one_edit"))
        .alias("phone_lv")
    )
    frame = _levels(frame)
    model = fs.fit(frame, random_pairs(people, pairs))
    fs.term_frequencies(model, "first_name", people["fn"])
    fs.term_frequencies(model, "last_name", people["ln"])
    return frame, model


_LEVEL_WORDS = {
    "exact": "the same",
    "variant": "spelling variants",
    "one_typo": "one typo apart",
    "two_typos": "two typos apart",
    "partial": "one part of the other",
    "different": "different",
    MISSING: "missing on one side",
}

_EDIT_WORDS = {
    "typo": "differ by one digit",
    "swap": "differ by two adjacent digits swapped",
    "missing_digit": "differ by one digit missing in one of them",
    "extra_digit": "differ by one digit missing in one of them",
    "country_code": "are the same number with and without its country code",
    "trunk_zero": "differ by a trunk 0 kept after the country code",
}


def _w(value: object) -> str:
    return f"{float(value):+.1f}"  # type: ignore[arg-type]


def _name(row: dict[str, object], suffix: str) -> str:
    full = row[f"full_name{suffix}"]
    if full:
        return str(full)
    return " ".join(
        str(row[f"{p}{suffix}"]) for p in ("first_name", "last_name") if row[f"{p}{suffix}"]
    )


def pair_words(row: dict[str, object]) -> str:
    """One pair's evidence: each comparison in words with its weight in bits, then the
    probability ("same number +212… written 2 ways (+17.2); first name the same (+4.1); …")."""
    edit = row["edit"]
    if edit == "same":
        phones = sorted({str(row["primary_phone"]), str(row["primary_phone_b"])})
        how = f"written {len(phones)} ways" if len(phones) > 1 else "written the same way"
        text = f"same number {row['e164']} {how}"
    elif edit == "other":
        text = f"same person, two numbers? {row['e164']} / {row['e164_b']}"
    else:
        text = f"numbers {row['e164']} / {row['e164_b']} {_EDIT_WORDS[str(edit)]}"
    parts = [f"{text} ({_w(row['w_phone'])})"]
    parts.append(f"names '{_name(row, '')}' / '{_name(row, '_b')}'")
    if row["order_lv"] == "swapped":
        parts.append(f"first and last names swapped ({_w(row['w_order'])})")
    for column, label in (("first_name", "first name"), ("last_name", "last name")):
        level = str(row[f"{column}_lv"])
        weight = float(row[f"w_{column}"]) + float(row[f"tf_{column}"])  # type: ignore[arg-type]
        extra = ""
        if abs(float(row[f"tf_{column}"])) >= 1.0:  # type: ignore[arg-type]
            common = float(row[f"tf_{column}"]) < 0  # type: ignore[arg-type]
            extra = ", a common name" if common else ", a rare name"
        parts.append(f"{label} {_LEVEL_WORDS[level]}{extra} ({_w(weight)})")
    for column, label in (("email", "email"), ("city", "city")):
        level = str(row[f"{column}_lv"])
        if level != MISSING:
            parts.append(
                f"{'same' if level == 'same' else 'different'} {label} ({_w(row[f'w_{column}'])})"
            )
    if row.get("dialled"):
        parts.append(f"calls of one were dialled to the other's number ({_w(row['w_dialled'])})")
    parts.append(f"probability {float(row['probability']):.3f}")  # type: ignore[arg-type]
    return "; ".join(parts)
