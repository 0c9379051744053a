"""Merge resolution: chosen values, gap filling, attribute precedence, list union, E.164."""

from __future__ import annotations

from gomoq.plan.merge import resolve_merge, to_e164

S = {
    "id": "s",
    "primaryPhone": "06 12 34 56 78",
    "firstName": "Amal",
    "city": None,
    "channels": ["voice"],
    "customAttributes": {"tier": "gold", "interests": ["tech"], "empty": None},
    "updatedAt": "2025-01-01T00:00:00.000Z",
}
OLD = {
    "id": "old",
    "primaryPhone": "+212612345678",
    "firstName": "Amale",
    "city": "Tanger",
    "channels": ["sms"],
    "customAttributes": {"tier": "silver", "score": 1, "interests": ["sport"], "empty": 5},
    "updatedAt": "2024-01-01T00:00:00.000Z",
}
NEW = {
    "id": "new",
    "primaryPhone": "0612345678",
    "firstName": "A.",
    "city": "Rabat",
    "channels": [],
    "customAttributes": {"score": 2, "interests": ["tech", "food"]},
    "updatedAt": "2025-06-01T00:00:00.000Z",
}


def test_precedence() -> None:
    r = resolve_merge(S, [OLD, NEW], chosen_fields={"firstName": "Amal B."})
    assert r.fields["firstName"] == "Amal B."  # chosen wins
    assert r.fields["city"] == "Rabat"  # survivor empty: most recently updated loser
    assert r.fields["channels"] == ["voice", "sms"]
    assert r.attributes["tier"] == "gold"  # survivor wins
    assert r.attributes["score"] == 2  # most recent loser
    assert r.attributes["empty"] == 5  # survivor's null is filled
    assert r.attributes["interests"] == ["tech", "food", "sport"]  # union, survivor first
    assert r.phone == "+212612345678"
    assert r.changed_fields == {
        "firstName": "Amal B.",
        "city": "Rabat",
        "channels": ["voice", "sms"],
        "primaryPhone": "+212612345678",
    }
    assert "tier" not in r.changed_attributes and r.changed_attributes["score"] == 2


def test_chosen_attribute_and_cache_shape() -> None:
    row = {"id": "s", "primary_phone": "x", "custom_attributes": '{"tier": "gold"}'}
    r = resolve_merge(row, [OLD], chosen_attributes={"tier": "silver"})
    assert r.attributes["tier"] == "silver"
    assert r.phone == "x"  # unparseable phone kept


def test_e164() -> None:
    assert to_e164("0612345678") == "+212612345678"
    assert to_e164("00212 6 12 34 56 78") == "+212612345678"
    assert to_e164("nope") is None


def test_another_number_of_the_person_is_kept_in_alt_phone() -> None:
    base = {"firstName": "Yasmine", "customAttributes": {}, "updatedAt": "2025-01-01T00:00:00Z"}
    survivor = {**base, "id": "s", "primaryPhone": "0612345678"}
    typo = {**base, "id": "t", "primaryPhone": "0612345679"}  # a typo: not a number to keep
    other = {**base, "id": "o", "primaryPhone": "07 00 11 22 33"}
    r = resolve_merge(survivor, [typo, other])
    assert r.attributes["alt_phone"] == "+212700112233"
    assert r.changed_attributes == {"alt_phone": "+212700112233"}
    assert "alt_phone" not in resolve_merge(survivor, [typo]).attributes
    # a number the survivor already keeps there is not overwritten
    kept = {**survivor, "customAttributes": {"alt_phone": "+212655555555"}}
    assert resolve_merge(kept, [other]).attributes["alt_phone"] == "+212655555555"
