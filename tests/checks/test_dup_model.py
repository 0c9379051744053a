"""The duplicates check's person-level matching (issue 18): sub-clusters inside a shared
number, missing name parts, swapped names, two typos, two numbers, and the learnt model."""

from __future__ import annotations

import re
from typing import Any

import polars as pl

from gomoq.checks import dup_model
from gomoq.checks import duplicates as dup
from gomoq.checks.base import CheckInput
from gomoq.checks.settings import CheckSettings


def _people(*rows: tuple[Any, ...]) -> pl.DataFrame:
    """Contacts from (id, phone, first, last[, email[, city]]) tuples."""
    cols = ["id", "primary_phone", "first_name", "last_name", "primary_email", "city"]
    data = [tuple(r) + (None,) * (len(cols) - len(r)) for r in rows]
    return pl.DataFrame(data, schema=dict.fromkeys(cols, pl.String), orient="row")


def _run(contacts: pl.DataFrame, **cfg: Any) -> pl.DataFrame:
    settings = CheckSettings.from_mapping({"duplicates": cfg} if cfg else None)
    return dup.run(CheckInput.from_frames(contacts=contacts), settings)


def _clusters(out: pl.DataFrame) -> dict[frozenset[str], tuple[str, str | None]]:
    grouped = out.group_by("cluster_id").agg("contact_id", pl.first("kind", "suggested_action"))
    return {frozenset(ids): (kind, action) for _, ids, kind, action in grouped.iter_rows()}


def test_a_person_typed_four_ways_inside_a_household_is_merged_apart_from_the_other() -> None:
    out = _run(
        _people(
            ("a", "+212 6 15 02 25 96", "Miller", "Egan"),
            ("b", "0615022596", "Millr", "Egan"),
            ("c", "06 15 02 25 96", "Miller", "Egab"),
            ("d", "+212615022596", "Miller", "Egab"),
            ("e", "0615022596", "Flynn", "Egan"),
        )
    )
    clusters = _clusters(out)
    assert clusters[frozenset("abcd")] == ("exact_duplicate", "merge")
    # the number is still reported as shared (a household), and Flynn is in no duplicate cluster
    assert clusters[frozenset("abcde")] == ("shared_number", "review")
    assert all("e" not in ids for ids, (kind, _) in clusters.items() if kind != "shared_number")


def test_a_missing_name_part_is_not_a_difference() -> None:
    out = _run(
        _people(
            ("a", "0612345678", "Tara", None, None, "Rabat"),
            ("b", "+212 6 12 34 56 78", "Tara", "White", None, "Rabat"),
            ("c", "0699999999", "Omar", "Tazi"),
        )
    )
    assert _clusters(out) == {frozenset("ab"): ("exact_duplicate", "merge")}
    assert "last name missing on one side (+0.0)" in out["evidence"][0]


def test_swapped_names_with_a_typo_and_two_typos_merge() -> None:
    out = _run(
        _people(
            ("a", "0612345678", "Harvey", "Shepherdson"),
            ("b", "+212612345678", "Shepherdosn", "Harvey"),
            ("c", "0677777777", "Lachlan", "Butt", None, "Fes"),
            ("d", "+212677777777", "Lachlian", "Burt", None, "Fes"),
        )
    )
    clusters = _clusters(out)
    assert clusters[frozenset("ab")] == ("exact_duplicate", "merge")
    assert clusters[frozenset("cd")] == ("exact_duplicate", "merge")
    swapped = out.filter(pl.col("contact_id") == "a")["evidence"][0]
    assert "first and last names swapped (compared crossed)" in swapped


def test_same_person_under_two_numbers_is_proposed_for_review_only() -> None:
    out = _run(
        _people(
            ("a", "0612345678", "Yasmine", "Berrada", "yasmine.berrada@x.ma", "Rabat"),
            ("b", "0700112233", "Yasmine", "Berrada", "yasmine.berrada@x.ma", "Rabat"),
            ("c", "0655555555", "Omar", "Tazi"),
        )
    )
    assert _clusters(out) == {frozenset("ab"): ("two_numbers", "review")}
    assert "same person, two numbers? +212612345678 / +212700112233" in out["evidence"][0]


def test_two_people_sharing_a_name_under_two_numbers_are_not_proposed() -> None:
    # Same common name, different numbers, nothing else in common: no evidence of one person.
    numbers = ("0612345678", "0623456789", "0634567890", "0645678901", "0656789012")
    rows = [(f"m{i}", number, "Mohamed", "Alaoui") for i, number in enumerate(numbers)]
    rows += [(f"x{i}", f"07{i:04d}{i:04d}", f"Name{i}", f"Other{i}") for i in range(30)]
    assert _run(_people(*rows)).height == 0


def test_the_evidence_gives_a_weight_per_comparison_and_the_probability() -> None:
    out = _run(
        _people(
            ("a", "0612345678", "Fatima", "Alaoui", "f@x.ma", "Fes"),
            ("b", "+212612345678", "Fatma", "Alaoui", "f@x.ma", "Fès"),
        )
    )
    ev = out["evidence"][0]
    for clause in (
        r"same number \+212612345678 written 2 ways \([+-]\d+\.\d\)",
        r"first name spelling variants \(\+\d+\.\d\)",
        r"last name the same \(\+\d+\.\d\)",
        r"same email \(\+\d+\.\d\)",
        r"same city \(\+\d+\.\d\)",
        r"probability 0\.9\d*$",
    ):
        assert re.search(clause, ev), (clause, ev)
    assert out["confidence"][0] >= 0.9


def _pairs(n_true: int, n_sharers: int) -> pl.DataFrame:
    """Candidate pairs on one number: true pairs (same names, same city) and unrelated people
    sharing it (a desk: different names, another city)."""
    rows = [("same", "exact", "exact", "missing", "same")] * n_true
    rows += [("same", "different", "different", "missing", "different")] * n_sharers
    cols = [f"{c}_lv" for c in dup_model.COMPARED]
    return pl.DataFrame(rows, schema=dict.fromkeys(cols, pl.String), orient="row")


def _random(n: int) -> pl.DataFrame:
    rows = [("different", "different", "missing", "different")] * (n - 10)
    rows += [("exact", "exact", "missing", "same")] * 10
    cols = [f"{c}_lv" for c in dup_model.FIELDS]
    return pl.DataFrame(rows, schema=dict.fromkeys(cols, pl.String), orient="row")


def test_em_learns_how_much_one_number_says_from_the_organisation() -> None:
    few = dup_model.fit(_pairs(2000, 20), _random(5000))
    many = dup_model.fit(_pairs(600, 1400), _random(5000))
    # With many people sharing numbers, one number is weaker evidence of one person, and the
    # model learns it from the data (the prior is the same for both).
    assert few.prior_weight("same") > many.prior_weight("same") + 1.0
    assert abs(few.stratum_lambda["same"] - 2000 / 2020) < 0.02
    assert abs(many.stratum_lambda["same"] - 600 / 2000) < 0.05
    # an exact name is learnt as strong evidence for, a different one as strong against
    assert many.weight("same", "first_name", "exact") > 3.0
    assert many.weight("same", "first_name", "different") < -3.0
    assert few.weight("same", "last_name", dup_model.MISSING) == 0.0


def test_common_names_weigh_less_than_rare_ones() -> None:
    # numbers far apart (no two one edit apart): 0612..., 0613..., ...
    rows = [(f"m{i}", f"06{12 + i}{i:03d}{i:03d}", "Mohamed", "Kay") for i in range(10)]
    others = [f"Na{chr(97 + i)}{chr(98 + i)}l" for i in range(24)]  # digits are not names
    rows += [(f"n{i}", f"06{40 + i}{i:03d}{i:03d}", name, "Kay") for i, name in enumerate(others)]
    rows += [("r1", "0711111111", "Lachlan", "Egan"), ("r2", "+212711111111", "Lachlan", "Egan")]
    rows += [("c1", "0722222222", "Mohamed", "Egan"), ("c2", "+212722222222", "Mohamed", "Egan")]
    out = _run(_people(*rows))
    rare = out.filter(pl.col("contact_id") == "r1")["evidence"][0]
    common = out.filter(pl.col("contact_id") == "c1")["evidence"][0]

    def first_weight(text: str) -> float:
        found = re.search(r"first name the same[^(]*\(([+-][\d.]+)\)", text)
        assert found, text
        return float(found.group(1))

    assert first_weight(rare) > first_weight(common) + 2.0
    assert "a common name" in common
