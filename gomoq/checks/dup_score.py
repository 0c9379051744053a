"""Scoring candidate pairs for the duplicates check with the learnt model (`dup_model`).

`prepare` adds the normalised comparison columns to the contacts once; `score` gathers both
sides of every candidate pair, puts each comparison in its level, fits the model on the
organisation (u from random pairs, m and λ by EM over the candidates), and returns the pairs
with their weights and probability; `pair_words` says one pair's evidence in words and weights.
"""

from __future__ import annotations

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
    if n * (n - 1) // 2 <= size:  # a small organisation: every pair once
        rows = pl.int_range(0, n, dtype=pl.UInt32, eager=True).alias("r_a").to_frame()
        sample = rows.join(rows.rename({"r_a": "r_b"}), how="cross")
    else:
        every = pl.int_range(0, n, dtype=pl.UInt32, eager=True)
        sample = pl.DataFrame(
            {
                "r_a": every.sample(size, with_replacement=True, seed=RANDOM_SEED),
                "r_b": every.sample(size, with_replacement=True, seed=RANDOM_SEED + 1),
            }
        )
        # Each pair once, smaller row first.
        sample = sample.select(
            pl.min_horizontal("r_a", "r_b").alias("r_a"),
            pl.max_horizontal("r_a", "r_b").alias("r_b"),
        )
    sample = sample.filter(pl.col("r_a") < pl.col("r_b"))
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
    "alike": "alike (heavily mistyped?)",
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


def _w(value: pl.Expr) -> pl.Expr:
    """A weight in bits as text, signed, one decimal ("+3.4", "-1.0")."""
    rounded = value.round(1)
    sign = pl.when(rounded >= 0).then(pl.lit("+")).otherwise(pl.lit(""))
    return pl.concat_str(pl.lit("("), sign, rounded.cast(pl.String), pl.lit(")"))


def _name(suffix: str) -> pl.Expr:
    parts = [pl.col(f"{c}{suffix}").replace("", None) for c in ("first_name", "last_name")]
    joined = pl.concat_str(parts, separator=" ", ignore_nulls=True)
    return pl.coalesce(pl.col(f"full_name{suffix}").replace("", None), joined).fill_null("")


def _clause(condition: pl.Expr, *text: pl.Expr | str) -> pl.Expr:
    """`text` (with a leading "; ") where `condition` holds, else nothing."""
    parts = [pl.lit(t) if isinstance(t, str) else t for t in text]
    return pl.when(condition).then(pl.concat_str(pl.lit("; "), *parts)).otherwise(pl.lit(""))


def pair_words() -> pl.Expr:
    """Each pair's evidence: each comparison in words with its weight in bits, then the
    probability ("same number +212… written 2 ways (+3.4); first name the same (+4.1); …").
    An expression over the scored pairs (built for all of them at once, in polars)."""
    edit = pl.col("edit")
    ways = (
        pl.when(pl.col("primary_phone") == pl.col("primary_phone_b"))
        .then(pl.lit("written the same way"))
        .otherwise(pl.lit("written 2 ways"))
    )
    edit_words = edit.replace_strict(_EDIT_WORDS, default="", return_dtype=pl.String)
    phone = (
        pl.when(edit == "same")
        .then(pl.concat_str(pl.lit("same number "), pl.col("e164"), pl.lit(" "), ways))
        .when(edit == "other")
        .then(
            pl.concat_str(
                pl.lit("same person, two numbers? "),
                pl.col("e164"),
                pl.lit(" / "),
                pl.col("e164_b"),
            )
        )
        .otherwise(
            pl.concat_str(
                pl.lit("numbers "), pl.col("e164"), pl.lit(" / "), pl.col("e164_b"), pl.lit(" "),
                edit_words,
            )
        )
    )  # fmt: skip
    parts = [
        phone,
        pl.lit(" "),
        _w(pl.col("w_phone")),
        pl.lit("; names '"),
        _name(""),
        pl.lit("' / '"),
        _name("_b"),
        pl.lit("'"),
        _clause(pl.col("order_lv") == "swapped", "first and last names swapped (compared crossed)"),
    ]
    for column, label in (("first_name", "first name"), ("last_name", "last name")):
        tf = pl.col(f"tf_{column}")
        extra = (
            pl.when(tf <= -1.0)
            .then(pl.lit(", a common name"))
            .when(tf >= 1.0)
            .then(pl.lit(", a rare name"))
            .otherwise(pl.lit(""))
        )
        level = pl.col(f"{column}_lv").replace_strict(_LEVEL_WORDS, return_dtype=pl.String)
        parts += [
            pl.lit(f"; {label} "),
            level,
            extra,
            pl.lit(" "),
            _w(pl.col(f"w_{column}") + tf),
        ]
    for column in ("email", "city"):
        level = pl.col(f"{column}_lv")
        parts.append(
            _clause(
                level != MISSING,
                pl.when(level == "same").then(pl.lit("same ")).otherwise(pl.lit("different ")),
                f"{column} ",
                _w(pl.col(f"w_{column}")),
            )
        )
    parts.append(
        _clause(
            pl.col("dialled").fill_null(False),
            "calls of one were dialled to the other's number ",
            _w(pl.col("w_dialled")),
        )
    )
    shown = pl.col("probability").clip(0.0, 0.999).round(3).cast(pl.String)
    parts += [pl.lit("; probability "), shown]
    return pl.concat_str(parts)
