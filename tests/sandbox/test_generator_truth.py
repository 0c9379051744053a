"""The generator's ground truth against its database (5,000 contacts): every entry is consistent
with the rows, nothing unplanted looks planted, and the planted rates are near the asked ones."""

from __future__ import annotations

import itertools
import json
import math
import sqlite3
from collections import Counter, defaultdict
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import phonenumbers
import pytest

from gomoq.api.contract import validate_value
from gomoq.sandbox.gen_names import FEMALE_FIRST, LAST_NAMES, MALE_FIRST, ascii_slug
from gomoq.sandbox.gen_patterns import PATTERNS
from gomoq.sandbox.generator import PlantRates, generate_organisation, truth_path
from gomoq.sandbox.validation import check_contact

pytestmark = pytest.mark.slow  # a 5,000-contact organisation: ~3 s to make, more to check

N = 5_000
NOW = datetime(2026, 3, 1, tzinfo=UTC)
CAMEL = {
    "primary_phone": "primaryPhone",
    "first_name": "firstName",
    "last_name": "lastName",
    "full_name": "fullName",
    "primary_email": "primaryEmail",
    "address": "address",
    "city": "city",
    "state": "state",
    "zip": "zip",
    "occupation": "occupation",
    "preferred_channel": "preferredChannel",
    "gender": "gender",
}


class Org:
    """The generated rows, loaded once."""

    def __init__(self, path: Path) -> None:
        conn = sqlite3.connect(path)
        conn.row_factory = sqlite3.Row
        self.contacts = {r["id"]: dict(r) for r in conn.execute("SELECT * FROM contacts")}
        self.order = [r[0] for r in conn.execute("SELECT id FROM contacts ORDER BY seq")]
        self.calls: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for r in conn.execute("SELECT * FROM calls ORDER BY created_at"):
            self.calls[r["contact_id"]].append(dict(r))
        self.defs = {r["name"]: r["type"] for r in conn.execute("SELECT * FROM custom_attributes")}
        self.members = conn.execute("SELECT * FROM audience_members").fetchall()
        self.meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
        conn.close()
        self.truth: dict[str, Any] = json.loads(truth_path(path).read_text("utf-8"))

    def e164(self, contact_id: str) -> str | None:
        return e164(self.contacts[contact_id]["primary_phone"])


def e164(raw: str) -> str | None:
    try:
        number = phonenumbers.parse(raw, "MA")
    except phonenumbers.NumberParseException:
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


@pytest.fixture(scope="module")
def org(tmp_path_factory: pytest.TempPathFactory) -> Org:
    path = tmp_path_factory.mktemp("gen") / "org.sqlite3"
    generate_organisation(path, contacts=N, seed=2024, now=NOW)
    return Org(path)


def _planted_phone_ids(org: Org) -> set[str]:
    t = org.truth
    ids = {c for cl in t["duplicate_clusters"] for c in cl["contact_ids"]}
    ids |= {c for s in t["shared_numbers"] for c in s["contact_ids"]}
    ids |= {p["contact_id"] for p in t["invalid_phones"]}
    return ids


def test_every_contact_respects_the_api_field_rules(org: Org) -> None:
    for row in org.contacts.values():
        body = {camel: row[snake] for snake, camel in CAMEL.items() if row[snake] is not None}
        body["channels"] = json.loads(row["channels"])
        problems = check_contact(body, creating=True)
        assert not problems, (row, problems)


def test_times_increase_with_insertion_and_stay_in_the_past(org: Org) -> None:
    created = [org.contacts[c]["created_at"] for c in org.order]
    assert created == sorted(created)
    reference = org.truth["reference_time"]
    assert created[0] < "2023-04-01" and created[-1] < reference  # ~3 years
    for row in org.contacts.values():
        assert row["created_at"] <= row["updated_at"] <= reference
        for call in org.calls[row["id"]]:
            assert row["created_at"] < call["created_at"] < reference
            assert call["created_at"] >= "2024-08-01"  # ~18 months
            assert call["ended_at"] >= call["created_at"]
            assert call["phone_number"] == row["primary_phone"]
            assert (call["answered_at"] is not None) == (call["status"] == "answered")


def test_calls_per_contact_and_statuses(org: Org) -> None:
    invalid = {p["contact_id"] for p in org.truth["invalid_phones"]}
    counts = [len(org.calls[c]) for c in org.contacts if c not in invalid]
    assert min(counts) >= 1 and max(counts) <= 10
    assert 5.0 <= sum(counts) / len(counts) <= 6.0
    statuses = Counter(call["status"] for calls in org.calls.values() for call in calls)
    assert set(statuses) == {
        "answered",
        "no_answer",
        "busy",
        "rejected",
        "voicemail",
        "failed",
        "network_congestion",
    }
    assert statuses["network_congestion"] < statuses["rejected"] / 10


def test_phones_are_written_every_way_people_type_them(org: Org) -> None:
    phones = [row["primary_phone"] for row in org.contacts.values()]
    assert all(3 <= len(p) <= 20 for p in phones)
    patterns = {
        "e164": lambda p: p.startswith("+212") and p[1:].isdigit(),
        "national": lambda p: len(p) == 10 and p.startswith("0") and p.isdigit(),
        "spaced": lambda p: p.startswith("0") and p.count(" ") == 4,
        "dashed": lambda p: p.count("-") == 4,
        "dotted": lambda p: p.count(".") == 4,
        "00212": lambda p: p.startswith("00212"),
        "212": lambda p: p.startswith("212"),
        "trunk": lambda p: "(0)" in p,
        "lost zero": lambda p: len(p) == 9 and p[0] in "67" and p.isdigit(),
        "arabic digits": lambda p: "٠" in p,
        "stray text": lambda p: any(ch.isalpha() for ch in p),
        "foreign": lambda p: p.startswith(("+33", "+34", "+32", "+1", "+221", "0033")),
        "fixed line": lambda p: p.startswith(("05", "+2125")),
    }
    for name, test in patterns.items():
        assert sum(1 for p in phones if test(p)) >= 5, name
    # every non-planted number parses to a valid number, and only once
    planted = _planted_phone_ids(org)
    seen: dict[str, str] = {}
    for cid, row in org.contacts.items():
        number = e164(row["primary_phone"])
        if cid in planted:
            continue
        assert number is not None and phonenumbers.is_valid_number(phonenumbers.parse(number))
        assert number not in seen, (row["primary_phone"], seen.get(number))
        seen[number] = cid


def test_no_number_is_shared_outside_the_truth(org: Org) -> None:
    groups: dict[str, set[str]] = defaultdict(set)
    for cid in org.contacts:
        number = org.e164(cid)
        if number:
            groups[number].add(cid)
    allowed = [set(c["contact_ids"]) for c in org.truth["duplicate_clusters"]]
    allowed += [set(s["contact_ids"]) for s in org.truth["shared_numbers"]]
    # A household whose person was entered again: the household and that person's cluster.
    allowed += [a | b for a, b in itertools.combinations(allowed, 2) if a & b]
    for ids in groups.values():
        if len(ids) > 1:
            assert any(ids <= group for group in allowed), ids


def _groups(name: str, table: Any) -> frozenset[int]:
    """Indexes of the name entries that spell `name` (an Arabic-script name and its Latin
    form share one)."""
    out = frozenset(i for i, (n, variants) in enumerate(table) if name == n or name in variants)
    assert out, name
    return out


def _spellings(name: str) -> set[str]:
    """ASCII spellings of every first-name entry that writes `name` one way or another."""
    table = MALE_FIRST + FEMALE_FIRST
    return {ascii_slug(n) for i in _groups(name, table) for n in (table[i][0], *table[i][1])} - {""}


def _same_first(a: str, b: str) -> bool:
    return bool(_spellings(a) & _spellings(b))


def _one_edit(a: str, b: str) -> str | None:
    """The kind of single edit turning digits `a` into `b`, or None."""
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        if len(diff) == 1:
            return "typo"
        if len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]]:
            return "swap" if a[diff[1]] == b[diff[0]] else None
        return None
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    if len(long_) - len(short) != 1:
        return None
    for i in range(len(long_)):
        if long_[:i] + long_[i + 1 :] == short:
            return "missing_digit" if len(b) < len(a) else "extra_digit"
    return None


def test_duplicate_clusters_are_the_same_person_under_close_numbers(org: Org) -> None:
    clusters = org.truth["duplicate_clusters"]
    assert {c["kind"] for c in clusters} == {
        "format_variant",
        "typo",
        "swap",
        "missing_digit",
        "extra_digit",
        "country_code",
        *PATTERNS,
    }
    sizes = Counter(len(c["contact_ids"]) for c in clusters)
    assert sizes[2] > sizes[3] > 0  # a few people were entered three times or more
    for cluster in clusters:
        ids = cluster["contact_ids"]
        rows = [org.contacts[c] for c in ids]
        assert [r["primary_phone"] for r in rows] == cluster["phones"]
        assert len(set(cluster["phones"])) == len(ids)  # other strings, as stored
        first = rows[0]
        kind = cluster["kind"]
        if kind in PATTERNS:
            _check_pattern(cluster, rows)
            continue
        for other in rows[1:]:
            assert _same_first(first["first_name"], other["first_name"]), rows
            assert _groups(first["last_name"], LAST_NAMES) & _groups(other["last_name"], LAST_NAMES)
        canonical = cluster["canonical_e164"]
        numbers = [e164(p) for p in cluster["phones"]]
        assert numbers[0] == canonical
        assert len(ids) == 2 or (kind == "format_variant" and len(ids) <= 4)
        if kind == "format_variant":
            assert set(numbers) == {canonical}
        elif kind == "country_code":
            assert numbers[1] != canonical and cluster["phones"][1] == canonical[1:]
        else:
            assert numbers[1] is not None
            assert _one_edit(canonical[1:], numbers[1][1:]) == kind, cluster
            if kind in ("typo", "swap"):  # a valid number that is nobody else's
                assert phonenumbers.is_valid_number(phonenumbers.parse(numbers[1]))


def _check_pattern(cluster: dict[str, Any], rows: list[dict[str, Any]]) -> None:
    """A person-level pattern: the numbers relate as said, and the names as the kind says."""
    numbers = [e164(r["primary_phone"]) for r in rows]
    assert numbers[0] == cluster["canonical_e164"]
    relation = cluster["phone_relation"]
    for number in numbers[1:]:
        assert number is not None
        if relation == "same":
            assert number == numbers[0]
        elif relation == "near":
            assert _one_edit(numbers[0][1:], number[1:]) == "typo"
        else:
            assert number != numbers[0] and _one_edit(numbers[0][1:], number[1:]) is None
    kind, a, b = cluster["kind"], rows[0], rows[-1]
    if kind == "missing_name_part":
        assert (b["first_name"] is None) != (b["last_name"] is None)
    elif kind == "swapped_name":
        assert b["first_name"] != a["first_name"] and b["last_name"] != a["last_name"]
    assert len(rows) == 2 or (kind == "household_subcluster" and len(rows) == 3)


def test_shared_numbers_are_different_people(org: Org) -> None:
    assert org.truth["shared_numbers"]
    for shared in org.truth["shared_numbers"]:
        rows = [org.contacts[c] for c in shared["contact_ids"]]
        assert len(rows) >= 2
        assert {e164(r["primary_phone"]) for r in rows} == {shared["e164"]}
        firsts = [r["first_name"] for r in rows]
        for i, a in enumerate(firsts):
            assert not any(_same_first(a, b) for b in firsts[i + 1 :]), firsts
        emails = [r["primary_email"] for r in rows if r["primary_email"]]
        assert len(set(emails)) == len(emails)


def test_invalid_phones_are_invalid_and_barely_called(org: Org) -> None:
    assert org.truth["invalid_phones"]
    for entry in org.truth["invalid_phones"]:
        raw = org.contacts[entry["contact_id"]]["primary_phone"]
        assert raw == entry["raw"]
        number = e164(raw)
        assert number is None or not phonenumbers.is_valid_number(phonenumbers.parse(number))
        calls = org.calls[entry["contact_id"]]
        assert 1 <= len(calls) <= 2 and {c["status"] for c in calls} == {"failed"}


def test_always_failing_is_exactly_the_contacts_whose_calls_all_fail(org: Org) -> None:
    failing = {
        cid
        for cid, calls in org.calls.items()
        if len(calls) >= 3 and all(c["status"] == "failed" for c in calls)
    }
    assert failing == set(org.truth["always_failing"]) and failing


def test_inactive_is_exactly_no_answered_call_in_120_days(org: Org) -> None:
    reference = datetime.fromisoformat(org.truth["reference_time"].replace("Z", "+00:00"))
    limit = reference.timestamp() - 120 * 86_400
    inactive = set()
    for cid in org.contacts:
        answered = [
            datetime.fromisoformat(c["created_at"].replace("Z", "+00:00")).timestamp()
            for c in org.calls[cid]
            if c["status"] == "answered"
        ]
        if not answered or max(answered) < limit:
            inactive.add(cid)
    assert inactive == set(org.truth["inactive"])


def test_attribute_values_are_valid_unless_planted(org: Org) -> None:
    bad = {(e["contact_id"], e["name"]): e for e in org.truth["invalid_attribute_values"]}
    undefined = {(e["contact_id"], e["name"]): e for e in org.truth["undefined_attribute_values"]}
    assert set(org.defs.values()) == {
        "text",
        "number",
        "boolean",
        "date",
        "phone_number",
        "email",
        "url",
    }
    seen_bad = set()
    for cid, row in org.contacts.items():
        for name, value in json.loads(row["custom_attributes"]).items():
            key = (cid, name)
            if name not in org.defs:
                assert key in undefined and undefined[key]["value"] == value
                continue
            problem = validate_value(org.defs[name], value)
            if key in bad:
                assert problem is not None and bad[key]["value"] == value, (key, value)
                seen_bad.add(key)
            else:
                assert problem is None, (key, value, problem)
                if org.defs[name] == "phone_number":
                    assert phonenumbers.is_valid_number(phonenumbers.parse(value, "MA"))
    assert seen_bad == set(bad)


def test_audiences_have_members_of_both_kinds(org: Org) -> None:
    statuses = Counter(m["status"] for m in org.members)
    assert statuses["active"] > statuses["exited"] > 0
    assert all(m["contact_id"] in org.contacts for m in org.members)
    assert len({m["audience_id"] for m in org.members}) == 8


def test_planted_rates_are_near_the_asked_ones(org: Org) -> None:
    rates = asdict(PlantRates())
    assert org.truth["rates"] == rates
    counts = org.truth["counts"]
    for kind in (
        "format_variant",
        "typo",
        "swap",
        "shared_number",
        "invalid_phone",
        "always_failing",
        "invalid_attribute",
        "undefined_attribute",
    ):
        expected = rates[kind] * N
        tolerance = 4 * math.sqrt(expected) + 2
        assert abs(counts[kind] - expected) <= tolerance, (kind, counts[kind], expected)
    missing_extra = counts["missing_digit"] + counts["extra_digit"]
    expected = (rates["missing_digit"] + rates["extra_digit"]) * N
    assert abs(missing_extra - expected) <= 4 * math.sqrt(expected) + 2
    # inactive: the planted share plus everyone who never gets an answer
    floor = rates["inactive"] + rates["always_failing"] + rates["invalid_phone"]
    assert abs(counts["inactive"] - floor * N) <= 4 * math.sqrt(floor * N) + 10


def test_rates_can_be_changed_and_switched_off(tmp_path: Path) -> None:
    zero = PlantRates(**{name: 0.0 for name in asdict(PlantRates())})
    path = tmp_path / "clean.sqlite3"
    generate_organisation(path, contacts=500, seed=3, rates=zero, now=NOW)
    truth = json.loads(truth_path(path).read_text())
    assert truth["duplicate_clusters"] == [] and truth["invalid_phones"] == []
    assert truth["always_failing"] == [] and truth["inactive"] == []
    assert truth["invalid_attribute_values"] == [] and truth["shared_numbers"] == []
    heavy = PlantRates(typo=0.2)
    path = tmp_path / "typos.sqlite3"
    generate_organisation(path, contacts=500, seed=3, rates=heavy, now=NOW)
    truth = json.loads(truth_path(path).read_text())
    assert truth["counts"]["typo"] > 60
