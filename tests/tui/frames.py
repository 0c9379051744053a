"""Small hand-made cache tables and findings for the workbench tests (no services needed)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import polars as pl

from gomoq.cache.schema import TABLES
from gomoq.checks.findings import conform

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
CITIES = ["Rabat", "Casablanca", "Fès", "Tanger", "Agadir"]


def contacts(n: int = 40) -> pl.DataFrame:
    """`n` contacts; 0/1 and 2/3 are near duplicates."""
    rows = []
    for i in range(n):
        first, last = f"First{i}", f"Last{i}"
        phone = f"+2126{i:08d}"
        email = f"person{i}@example.ma"
        if i in (1, 3):  # duplicate of the previous contact, slightly different
            first, last = f"First{i - 1}", f"Last{i - 1}"
            phone = f"06{i - 1:08d}"
            email = f"person{i - 1}@example.ma" if i == 1 else None
        rows.append(
            {
                "id": f"c{i:03d}",
                "organization_id": "org",
                "primary_phone": phone,
                "first_name": first,
                "last_name": last,
                "full_name": f"{first} {last}",
                "primary_email": email,
                "address": None,
                "city": CITIES[i % len(CITIES)],
                "state": None,
                "zip": None,
                "occupation": "teacher" if i % 2 else "farmer",
                "preferred_channel": "voice",
                "gender": None,
                "channels": ["voice"],
                "custom_attributes": json.dumps({"age": "abc" if i % 7 == 0 else 30}),
                "created_at": T0 + timedelta(days=i),
                "updated_at": T0 + timedelta(days=i, hours=1),
            }
        )
    return pl.DataFrame(rows, schema=TABLES["contacts"])


def calls(n: int = 40) -> pl.DataFrame:
    """Three calls per contact; contacts 5 and 6 fail every time."""
    rows = []
    for i in range(n):
        for k in range(3):
            status = "failed" if i in (5, 6) else ("answered" if k else "no_answer")
            rows.append(
                {
                    "id": f"call{i}-{k}",
                    "contact_id": f"c{i:03d}",
                    "phone_number": f"+2126{i:08d}",
                    "status": status,
                    "direction": "outbound",
                    "created_at": T0 + timedelta(days=k, minutes=i),
                    "answered_at": None,
                    "ended_at": None,
                    "duration_ms": 0,
                }
            )
    return pl.DataFrame(rows, schema=TABLES["calls"])


def findings() -> pl.DataFrame:
    """Two duplicate clusters, two call-failure contacts, an attribute value group."""
    rows = [
        {
            "check": "duplicates",
            "finding_id": "fd1",
            "contact_id": "c000",
            "cluster_id": "k1",
            "severity": "warn",
            "kind": "likely_duplicate",
            "evidence": "same name, same phone",
            "suggested_action": "merge",
            "confidence": 0.95,
        },
        {
            "check": "duplicates",
            "finding_id": "fd1",
            "contact_id": "c001",
            "cluster_id": "k1",
            "severity": "warn",
            "kind": "likely_duplicate",
            "evidence": "same name, same phone",
            "suggested_action": "merge",
            "confidence": 0.95,
        },
        {
            "check": "duplicates",
            "finding_id": "fd2",
            "contact_id": "c002",
            "cluster_id": "k2",
            "severity": "info",
            "kind": "possible_duplicate",
            "evidence": "same name",
            "suggested_action": "merge",
            "confidence": 0.6,
        },
        {
            "check": "duplicates",
            "finding_id": "fd2",
            "contact_id": "c003",
            "cluster_id": "k2",
            "severity": "info",
            "kind": "possible_duplicate",
            "evidence": "same name",
            "suggested_action": "merge",
            "confidence": 0.6,
        },
    ]
    for i in (5, 6):
        rows.append(
            {
                "check": "call_failures",
                "finding_id": f"fc{i}",
                "contact_id": f"c{i:03d}",
                "severity": "warn",
                "kind": "repeated_failures",
                "evidence": "3 failed calls in a row",
                "suggested_action": "flag",
            }
        )
    for i in range(0, 40, 7):
        rows.append(
            {
                "check": "attributes",
                "finding_id": f"fa{i}",
                "contact_id": f"c{i:03d}",
                "severity": "error",
                "kind": "not_a_number",
                "field": "age",
                "value": "abc",
                "evidence": "age is a number attribute",
                "suggested_action": "set_attribute",
            }
        )
    rows.append(
        {
            "check": "phones",
            "finding_id": "fp1",
            "contact_id": "c010",
            "severity": "error",
            "kind": "invalid_number",
            "field": "primary_phone",
            "value": "+2126",
            "evidence": "too short",
            "suggested_action": "flag",
        }
    )
    frame = conform(pl.DataFrame(rows, infer_schema_length=None))
    return frame.with_columns(pl.lit(None, dtype=pl.String).alias("decision"))


def frames(n: int = 40) -> dict[str, pl.DataFrame]:
    """Every cache table that the workbench reads."""
    return {
        "contacts": contacts(n),
        "calls": calls(n),
        "attribute_defs": pl.DataFrame(
            [
                {
                    "id": "d1",
                    "name": "age",
                    "display_name": "Age",
                    "description": "Age in years",
                    "type": "number",
                    "created_at": T0,
                    "updated_at": T0,
                }
            ],
            schema=TABLES["attribute_defs"],
        ),
        "audiences": pl.DataFrame(
            [
                {
                    "id": "a1",
                    "name": "Farmers",
                    "description": None,
                    "type": "static",
                    "created_at": T0,
                    "updated_at": T0,
                }
            ],
            schema=TABLES["audiences"],
        ),
        "audience_members": pl.DataFrame(
            [
                {"audience_id": "a1", "contact_id": f"c{i:03d}", "status": "active"}
                for i in range(0, n, 2)
            ],
            schema=TABLES["audience_members"],
        ),
    }
