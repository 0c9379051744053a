"""Fingerprints: the same data in cache shape and API shape hash alike; any change shows."""

from __future__ import annotations

from datetime import UTC, datetime

from gomoq.plan.fingerprint import contact_fingerprint

API = {
    "id": "c1",
    "organizationId": "o",
    "primaryPhone": "0612345678",
    "firstName": "Amal",
    "lastName": None,
    "fullName": "Amal",
    "primaryEmail": None,
    "address": None,
    "city": "Rabat",
    "state": None,
    "zip": None,
    "occupation": None,
    "preferredChannel": None,
    "gender": "female",
    "channels": ["voice"],
    "customAttributes": {"tier": "gold", "score": 3},
    "createdAt": "2025-01-01T00:00:00.000Z",
    "updatedAt": "2025-01-02T00:00:00.000Z",
}
ROW = {
    "id": "c1",
    "organization_id": "o",
    "primary_phone": "0612345678",
    "first_name": "Amal",
    "last_name": None,
    "full_name": "Amal",
    "primary_email": None,
    "address": None,
    "city": "Rabat",
    "state": None,
    "zip": None,
    "occupation": None,
    "preferred_channel": None,
    "gender": "female",
    "channels": ["voice"],
    "custom_attributes": '{"score":3,"tier":"gold"}',
    "created_at": datetime(2025, 1, 1, tzinfo=UTC),
    "updated_at": datetime(2025, 1, 3, tzinfo=UTC),
}


def test_cache_row_and_api_contact_agree() -> None:
    assert contact_fingerprint(API) == contact_fingerprint(ROW)


def test_changes_show() -> None:
    base = contact_fingerprint(API)
    assert contact_fingerprint({**API, "city": "Fès"}) != base
    assert contact_fingerprint({**API, "customAttributes": {"tier": "gold", "score": 4}}) != base
    assert contact_fingerprint({**API, "channels": []}) != base
    # timestamps alone are not a change
    assert contact_fingerprint({**API, "updatedAt": "2030-01-01T00:00:00.000Z"}) == base
