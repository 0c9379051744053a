"""The duplicates check on small hand-built frames, with exact expected clusters."""

from __future__ import annotations

import itertools
import re
from typing import Any

import polars as pl
import pytest

from gomoq.checks import duplicates as dup
from gomoq.checks.base import CheckInput
from gomoq.checks.dup_keys import near_pairs
from gomoq.checks.dup_names import STRONG, name_similarity, person_similarity
from gomoq.checks.ids import finding_id
from gomoq.checks.settings import CheckSettings
from gomoq.errors import ConfigError


def _people(*rows: tuple[Any, ...]) -> pl.DataFrame:
    """Contacts from (id, phone, first, last[, email[, city]]) tuples."""
    cols = ["id", "primary_phone", "first_name", "last_name", "primary_email", "city"]
    data = [tuple(r) + (None,) * (len(cols) - len(r)) for r in rows]
    return pl.DataFrame(data, schema=dict.fromkeys(cols, pl.String), orient="row")


def _run(contacts: pl.DataFrame, calls: pl.DataFrame | None = None, **cfg: Any) -> pl.DataFrame:
    settings = CheckSettings.from_mapping({"duplicates": cfg} if cfg else None)
    return dup.run(CheckInput.from_frames(contacts=contacts, calls=calls), settings)


def _clusters(out: pl.DataFrame) -> dict[frozenset[str], tuple[str, str | None]]:
    """{member ids: (kind, action)} per cluster."""
    grouped = out.group_by("cluster_id").agg("contact_id", pl.first("kind", "suggested_action"))
    return {frozenset(ids): (kind, action) for _, ids, kind, action in grouped.iter_rows()}


def test_format_variants_of_one_person_merge() -> None:
    out = _run(
        _people(
            ("a", "0612345678", "Fatima Zahra", "El Amrani", "fz@x.ma"),
            ("b", "+212 6 12 34 56 78", "Fatima-Zahra", "Elamrani", "FZ@x.ma "),
            ("c", "0699999999", "Omar", "Tazi"),
        )
    )
    assert _clusters(out) == {frozenset({"a", "b"}): ("exact_duplicate", "merge")}
    ev = out["evidence"][0]
    assert "same number +212612345678 written 2 ways" in ev
    # evidence in words and weights (bits): the names compare equal once normalised
    assert "names 'Fatima Zahra El Amrani' / 'Fatima-Zahra Elamrani'" in ev
    assert re.search(r"first name the same[^;]*\(\+\d+\.\d\)", ev)
    assert re.search(r"same email \(\+\d+\.\d\)", ev)
    assert out["finding_id"][0] == finding_id("duplicates", "exact_duplicate", "a", "b")
    assert out["cluster_id"][0] == out["cluster_id"][1]
    assert out["data_fingerprint"].n_unique() == 1


@pytest.mark.parametrize(
    ("other", "edit"),
    [
        ("+212612345679", "differ by one digit"),
        ("+212612345687", "two adjacent digits swapped"),
        ("+21261234567", "one digit missing in one of them"),
        ("+2126123456789", "one digit missing in one of them"),
    ],
)
def test_one_edit_with_the_same_name_merges(other: str, edit: str) -> None:
    out = _run(
        _people(("a", "+212612345678", "Mohammed", "Alaoui"), ("b", other, "Mohamed", "Alaoui"))
    )
    assert _clusters(out) == {frozenset({"a", "b"}): ("near_duplicate", "merge")}
    assert edit in out["evidence"][0]


def test_country_code_confusion_is_found() -> None:
    out = _run(
        _people(("a", "+33612345678", "Jean", "Martin"), ("b", "33612345678", "Jean", "Martin"))
    )
    assert _clusters(out) == {frozenset({"a", "b"}): ("near_duplicate", "merge")}
    assert "with and without its country code" in out["evidence"][0]


def test_household_on_one_number_is_shared_never_merged() -> None:
    out = _run(
        _people(
            ("a", "0612345678", "Fatima", "Alaoui"),
            ("b", "+212612345678", "Youssef", "Alaoui"),
            ("c", "06 12 34 56 78", "Khadija", "Alaoui"),
        )
    )
    assert _clusters(out) == {frozenset({"a", "b", "c"}): ("shared_number", "review")}
    assert set(out["severity"]) == {"info"}
    assert "+212612345678 is the number of 3 contacts with different names" in out["evidence"][0]


def test_household_plus_a_real_duplicate() -> None:
    out = _run(
        _people(
            ("a", "0612345678", "Fatima", "Alaoui"),
            ("b", "+212612345678", "Youssef", "Alaoui"),
            ("c", "06 12 34 56 78", "Fatima", "Alaoui"),
        )
    )
    assert _clusters(out) == {
        frozenset({"a", "b", "c"}): ("shared_number", "review"),
        frozenset({"a", "c"}): ("exact_duplicate", "merge"),
    }


def test_uncorroborated_near_pair_is_not_reported_unless_asked() -> None:
    people = _people(
        ("a", "+212612345678", "Omar", "Tazi"), ("b", "+212612345679", "Nadia", "Kettani")
    )
    assert _run(people).height == 0
    out = _run(people, report_uncorroborated=True)
    assert _clusters(out) == {frozenset({"a", "b"}): ("near_duplicate", "review")}
    assert out["confidence"][0] < 0.5


def test_partial_name_needs_an_email_to_merge() -> None:
    base = [
        ("a", "+212612345678", "Amine", "Hajji"),
        ("b", "+212612345679", "Mohamed Amine", "Hajji"),
    ]
    assert _clusters(_run(_people(*base))) == {frozenset({"a", "b"}): ("near_duplicate", "review")}
    with_email = [(*r, "amine@x.ma") for r in base]
    assert _clusters(_run(_people(*with_email))) == {
        frozenset({"a", "b"}): ("near_duplicate", "merge")
    }


def test_a_weak_link_does_not_drag_a_sure_pair_down() -> None:
    out = _run(
        _people(
            ("a", "0612345678", "Houda", "Naciri", "h@x.ma"),
            ("b", "+212612345678", "Houda", "Naciri"),
            ("c", "+212612345679", "Houda", "Bennani"),
        )
    )
    clusters = _clusters(out)
    assert clusters[frozenset({"a", "b"})] == ("exact_duplicate", "merge")
    assert all(action != "merge" for ids, (_, action) in clusters.items() if "c" in ids)


def test_calls_dialled_to_the_other_number_corroborate() -> None:
    people = _people(("a", "+212612345678", "Omar", "Tazi"), ("b", "+212612345679", "Omar", "Tazy"))
    calls = pl.DataFrame({"id": ["k"], "contact_id": ["a"], "phone_number": ["+212612345679"]})
    plain = _run(people)["confidence"][0]
    with_calls = _run(people, calls)
    assert with_calls["confidence"][0] > plain
    assert "dialled to the other's number" in with_calls["evidence"][0]


def test_crowded_number_is_one_shared_finding() -> None:
    rows = [(f"c{i:02d}", "0522000000", f"Name{i}", "Office") for i in range(30)]
    out = _run(_people(*rows))
    assert _clusters(out) == {frozenset(r[0] for r in rows): ("shared_number", "review")}
    assert "more than 25" in out["evidence"][0]


def test_ids_are_stable_and_fingerprint_follows_the_data() -> None:
    a = _run(_people(("a", "0612345678", "Omar", "Tazi"), ("b", "+212612345678", "Omar", "Tazi")))
    b = _run(
        _people(
            ("b", "+212612345678", "Omar", "Tazi"),
            ("a", "0612345678", "Omar", "Tazi"),
            ("z", "0700000000", "Zed", "Zed"),
        )
    )
    c = _run(_people(("a", "0612345678", "Omar", "Tazi"), ("b", "+212612345678", "Omar", "Tazy")))
    assert a["finding_id"].to_list() == b["finding_id"].to_list() == c["finding_id"].to_list()
    assert a["data_fingerprint"][0] == b["data_fingerprint"][0] != c["data_fingerprint"][0]


def test_near_pairs_are_exactly_the_single_edits() -> None:
    nums = ["212612345678", "212612345679", "212612345687", "21261234567", "212699999999"]
    got = {(a, b): e for a, b, e in near_pairs(pl.Series(nums)).iter_rows()}
    assert got == {
        ("212612345678", "212612345679"): "typo",
        ("212612345678", "212612345687"): "swap",
        ("21261234567", "212612345678"): "missing_digit",
        ("21261234567", "212612345679"): "missing_digit",
        ("21261234567", "212612345687"): "missing_digit",
    }


def test_a_crowded_key_is_no_evidence() -> None:
    nums = [f"21261234567{d}" for d in range(10)]  # ten numbers sharing one deletion key
    assert near_pairs(pl.Series(nums), max_key_share=8).height == 0
    assert near_pairs(pl.Series(nums), max_key_share=10).height == 45


def test_name_similarity_variants() -> None:
    assert name_similarity("Mohammed", "Mouhamed") >= 0.85
    assert name_similarity("Hicham", "Hisham") >= 0.85
    assert name_similarity("El Amrani", "العمراني") >= 0.85
    assert name_similarity("Saïd", "Said") == 1.0
    assert name_similarity("Mohammed", "Ahmed") < 0.85
    assert person_similarity("Fatima", "Alaoui", None, "Youssef", "Alaoui", None) < 0.5  # type: ignore[operator]
    assert person_similarity("Alaoui", "Omar", None, "Omar", "Alaoui", None) == 1.0
    assert person_similarity(None, None, None, "Omar", None, None) is None


def test_household_first_names_with_colliding_skeletons_stay_apart() -> None:
    """Short consonant skeletons collide ("omar"/"marie" -> "mr", "sophie"/"يوسف" -> "sf"):
    a household sharing a last name must not reach the score a merge needs (bench/quality.py)."""
    assert person_similarity("Omar", "Belhaj", None, "Marie", "Belhaj", None) < STRONG  # type: ignore[operator]
    assert person_similarity("Sophie", "Ait Ali", None, "يوسف", "Ait Ali", None) < STRONG  # type: ignore[operator]
    assert person_similarity("Amine", "Saidi", None, "Imane", "Saidi", None) < STRONG  # type: ignore[operator]
    assert person_similarity("Amine", "Saidi", None, "Imane", "Saidi", None) < STRONG  # type: ignore[operator]
    assert name_similarity("Youssef", "Youcef") >= 0.85
    assert name_similarity("Ouazzani", "Wazzani") >= 0.85
    # the article assimilated to a sun letter, joined or hyphenated, is the same family name
    assert name_similarity("Essaidi", "Saidi") == 1.0
    assert name_similarity("Et-Tazi", "Tazi") == 1.0
    assert name_similarity("Esther", "Sther") < 1.0
    assert name_similarity("Ouazzani", "Wazzani") >= 0.85
    # the article assimilated to a sun letter, joined or hyphenated, is the same family name
    assert name_similarity("Essaidi", "Saidi") == 1.0
    assert name_similarity("Et-Tazi", "Tazi") == 1.0
    assert name_similarity("Esther", "Sther") < 1.0


def test_bad_settings_are_config_errors() -> None:
    with pytest.raises(ConfigError):
        CheckSettings.from_mapping({"duplicates": {"merge_confidence": 2}})
    with pytest.raises(ConfigError):
        CheckSettings.from_mapping({"duplicates": {"max_cluster": 1}})


def _edit(a: str, b: str) -> str | None:
    """Brute-force reference: the single edit turning a into b, if any."""
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        if len(diff) == 1:
            return "typo"
        i = diff[0] if diff else 0
        if len(diff) == 2 and diff[1] == i + 1 and a[i] == b[i + 1] and a[i + 1] == b[i]:
            return "swap"
        return None
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    if len(long_) - len(short) == 1 and any(
        long_[:i] + long_[i + 1 :] == short for i in range(len(long_))
    ):
        return "missing_digit" if a is short else "extra_digit"
    return None


@pytest.mark.parametrize("alphabet", ["0123", "0189", "0369"])
def test_near_pairs_equal_brute_force_on_a_dense_block(alphabet: str) -> None:
    # Alphabets with far-apart digits reach the largest differences (a 0/9 swap is 81 x 10^k).
    import random

    rng = random.Random(5)
    nums = {
        "2126" + "".join(rng.choice(alphabet) for _ in range(rng.choice([7, 8, 8, 9])))
        for _ in range(600)
    }
    want = {}
    for a, b in itertools.combinations(sorted(nums), 2):
        edit = _edit(a, b)
        if edit:
            want[(a, b)] = edit
    got = {
        (a, b): e
        for a, b, e in near_pairs(pl.Series(sorted(nums)), max_key_share=10_000).iter_rows()
    }
    assert len(want) > 50
    assert got == want
    # The same numbers given as integers (as the duplicates check passes them) pair alike.
    from gomoq.checks.dup_keys import near_number_pairs

    as_ints = near_number_pairs(pl.Series([int(n) for n in nums]), max_key_share=10_000)
    as_text = near_number_pairs(pl.Series(sorted(nums)), max_key_share=10_000)
    assert as_ints.sort("num", "num_b").equals(as_text.sort("num", "num_b"))


def test_the_same_contacts_in_any_order_give_the_same_findings() -> None:
    # Three numbers pairwise one digit apart, same person: one cluster of three equal links,
    # whose evidence must not depend on the order the pairs were found in.
    rows = [
        ("m1", "+212647590433", "Mehdi", "Sqalli", "a@x.ma"),
        ("m2", "+212640590433", "Mehdi", "Sqalli", "b@x.ma"),
        ("m3", "+212643590433", "Mehdi", "Sqalli", "c@x.ma"),
        ("f1", "0612345678", "Fatima", "Tazi"),
        ("f2", "+212612345678", "Fatima", "Tazi"),
    ]
    forward = _run(_people(*rows))
    assert set(forward["contact_id"]) == {"m1", "m2", "m3", "f1", "f2"}
    for order in (rows[::-1], rows[2:] + rows[:2], [rows[i] for i in (3, 1, 4, 0, 2)]):
        assert _run(_people(*order)).equals(forward)


def test_a_number_held_by_too_many_contacts_is_one_crowded_finding() -> None:
    # 27 contacts on one switchboard number (more than max_same_number = 25), typed two ways,
    # and one real pair elsewhere: the crowd is one warn finding, never paired or merged.
    crowd = [
        (f"s{i:02d}", "0522000000" if i % 2 else "+212522000000", "Agent", f"N{i}")
        for i in range(27)
    ]
    pair = [("p1", "0612345678", "Omar", "Tazi"), ("p2", "+212612345678", "Omar", "Tazi")]
    out = _run(_people(*crowd, *pair))
    crowded = out.filter(pl.col("kind") == "shared_number")
    assert sorted(crowded["contact_id"]) == [f"s{i:02d}" for i in range(27)]
    assert crowded["cluster_id"].n_unique() == 1
    assert set(crowded["severity"]) == {"warn"} and set(crowded["suggested_action"]) == {"review"}
    assert crowded["evidence"][0].startswith(
        "+212522000000 is the number of 27 contacts (more than 25)"
    )
    assert _clusters(out.filter(pl.col("kind") != "shared_number")) == {
        frozenset({"p1", "p2"}): ("exact_duplicate", "merge")
    }
