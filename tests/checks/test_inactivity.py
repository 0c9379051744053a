"""Inactivity bands on hand-built histories with an injected "today", boundaries included."""

from __future__ import annotations

import polars as pl

from gomoq.checks import inactivity
from gomoq.checks.ids import finding_id
from gomoq.checks.settings import CheckSettings
from tests.checks.conftest import NOW, at, calls, contacts, make_input

SETTINGS = CheckSettings(now=NOW)


def test_bands_at_every_boundary() -> None:
    history = calls(
        ("d30", "answered", 30),
        ("d31", "answered", 31),
        ("d59", "answered", 59.5),
        ("d60", "answered", 60),
        ("d89", "answered", 89.9),
        ("d90", "answered", 90),
        ("old", "answered", 400),
        ("old", "busy", 10),
        ("new", "busy", 89),
    )
    ids = ("d30", "d31", "d59", "d60", "d89", "d90", "old", "never", "new")
    tables = make_input(contacts=contacts(*ids), calls=history)
    bands = dict(inactivity.engagement(tables, SETTINGS).select("contact_id", "band").iter_rows())
    assert bands == {
        "d30": "Active",
        "d31": "Cooling",
        "d59": "Cooling",
        "d60": "At risk",
        "d89": "At risk",
        "d90": "Inactive",
        "old": "Inactive",
        "never": "Never called",
        "new": "Never answered",
    }
    findings = inactivity.run(tables, SETTINGS)
    kinds = dict(findings.select("contact_id", "kind").iter_rows())
    assert kinds == {
        "d60": "at_risk",
        "d89": "at_risk",
        "d90": "inactive",
        "old": "inactive",
        "never": "never_called",
        "new": "never_answered",
    }
    old = findings.filter(pl.col("contact_id") == "old").row(0, named=True)
    assert old["severity"] == "warn" and old["suggested_action"] == "flag"
    assert old["value"] == "2025-03-26"
    assert old["evidence"] == (
        "last answered call on 2025-03-26 (400 days before 2026-04-30), 2 attempts in all, "
        "band Inactive"
    )
    assert old["finding_id"] == finding_id("inactivity", "contact", "old")
    never = findings.filter(pl.col("contact_id") == "never").row(0, named=True)
    assert never["severity"] == "info" and never["suggested_action"] is None


def test_never_answered_counts_from_creation_else_the_first_attempt() -> None:
    history = calls(
        ("a", "no_answer", 95), ("a", "busy", 20), ("b", "no_answer", 10), ("c", "busy", 5)
    )
    people = contacts("a", "b", "c", created_at=[None, None, at(120)])
    tables = make_input(contacts=people, calls=history)
    findings = inactivity.run(tables, SETTINGS)
    # b: first called 10 days ago and not reached yet: its own kind, not inactive.
    assert findings.select("contact_id", "kind", "severity").rows() == [
        ("a", "inactive", "warn"),
        ("b", "never_answered", "info"),
        ("c", "inactive", "warn"),
    ]
    findings = findings.filter(pl.col("kind") == "inactive")
    assert findings["evidence"].to_list() == [
        "never answered in 2 attempts; first attempt on 2026-01-25 (95 days before 2026-04-30), "
        "band Inactive",
        "never answered in 1 attempt; contact created on 2025-12-31 (120 days before "
        "2026-04-30), band Inactive",
    ]
    assert findings["value"][0] is None


def test_thresholds_and_switches_from_the_profile() -> None:
    settings = CheckSettings.from_mapping(
        {
            "inactivity": {
                "inactive_days": 20,
                "at_risk_days": 10,
                "active_days": 5,
                "report_at_risk": False,
                "report_never_called": False,
                "action": "delete",
            }
        },
        now=NOW,
    )
    history = calls(("a", "answered", 21), ("b", "answered", 12))
    tables = make_input(contacts=contacts("a", "b", "c"), calls=history)
    findings = inactivity.run(tables, settings)
    assert findings.select("contact_id", "kind", "suggested_action").rows() == [
        ("a", "inactive", "delete")
    ]


def test_fingerprint_ignores_passing_days_but_not_new_calls() -> None:
    history = calls(("a", "answered", 100))
    tables = make_input(contacts=contacts("a"), calls=history)
    first = inactivity.run(tables, SETTINGS)
    later = inactivity.run(tables, CheckSettings(now=NOW.replace(day=29)))
    assert first["evidence"][0] != later["evidence"][0]
    assert first["data_fingerprint"][0] == later["data_fingerprint"][0]
    more = make_input(contacts=contacts("a"), calls=calls(("a", "answered", 100), ("a", "busy", 1)))
    assert inactivity.run(more, SETTINGS)["data_fingerprint"][0] != first["data_fingerprint"][0]
    assert first["finding_id"][0] == inactivity.run(more, SETTINGS)["finding_id"][0]
