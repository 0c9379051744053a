"""API JSON → cache frames: names, types, UTC times, tolerant reading."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import polars as pl

from gomoq.cache.convert import (
    attributes_frame,
    calls_from_csv,
    camel,
    contacts_frame,
    members_frame,
    snake,
)
from gomoq.cache.schema import TABLES


def test_names() -> None:
    assert snake("primaryPhone") == "primary_phone" and camel("duration_ms") == "durationMs"
    assert all(snake(camel(c)) == c for t in TABLES.values() for c in t)


def test_contacts_tolerant_and_typed() -> None:
    frame = contacts_frame(
        [
            {
                "id": "a",
                "primaryPhone": "0612345678",
                "zip": 20000,
                "channels": ["sms"],
                "customAttributes": {"tier": "gold", "points": 12, "vip": True, "x": None},
                "createdAt": "2025-01-15T10:30:00.000Z",
                "updatedAt": "2025-01-15T11:30:00.123+01:00",
                "somethingNew": 1,
            },
            {"id": "b", "primaryPhone": "+212", "createdAt": "not a time", "channels": None},
        ]
    )
    assert frame.schema == pl.Schema(TABLES["contacts"])
    first, second = frame.rows(named=True)
    assert first["zip"] == "20000" and first["channels"] == ["sms"]
    assert first["created_at"] == datetime(2025, 1, 15, 10, 30, tzinfo=UTC)
    assert first["updated_at"] == datetime(2025, 1, 15, 10, 30, 0, 123000, tzinfo=UTC)
    assert first["custom_attributes"] == '{"tier":"gold","points":12,"vip":true,"x":null}'
    assert second["created_at"] is None and second["channels"] == []
    assert second["custom_attributes"] == "{}"
    attrs = attributes_frame(frame).sort("name")
    assert attrs.rows() == [
        ("a", "points", "12", "number"),
        ("a", "tier", "gold", "string"),
        ("a", "vip", "true", "boolean"),
        ("a", "x", None, "null"),
    ]


def test_numeric_string_attribute_keeps_its_type() -> None:
    frame = contacts_frame([{"id": "a", "customAttributes": {"n": "12", "l": ["é"]}}])
    attrs = {r["name"]: r for r in attributes_frame(frame).rows(named=True)}
    assert attrs["n"]["json_type"] == "string" and attrs["n"]["value"] == "12"
    assert attrs["l"]["json_type"] == "array" and attrs["l"]["value"] == '["é"]'


def test_members_default_status() -> None:
    frame = members_frame("aud", [{"id": "c1", "membershipStatus": "exited"}, {"id": "c2"}])
    assert frame.rows() == [("aud", "c1", "exited"), ("aud", "c2", "active")]


def test_calls_csv_keeps_unknown_statuses_and_text(tmp_path: Path) -> None:
    path = tmp_path / "calls.csv"
    path.write_text(
        "id,contactId,phoneNumber,status,createdAt,durationMs,extra\n"
        "c1,a,0612,network_congestion,2025-01-15T10:30:00.000Z,1200,z\n"
        "c2,b,00212,answered,2025-01-15T10:31:00.000Z,,z\n",
        encoding="utf-8",
    )
    frame = calls_from_csv(path).collect()
    assert frame.schema == pl.Schema(TABLES["calls"])
    assert frame["status"].to_list() == ["network_congestion", "answered"]
    assert frame["phone_number"].to_list() == ["0612", "00212"]  # leading zeros kept
    assert frame["duration_ms"].to_list() == [1200, None]
    assert frame["direction"].to_list() == [None, None]  # absent column → null
