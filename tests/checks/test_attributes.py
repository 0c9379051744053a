"""Attribute values against their definitions, and the standard-field rules, on tiny frames."""

from __future__ import annotations

import polars as pl
import pytest

from gomoq.checks import attributes
from gomoq.checks.ids import finding_id
from gomoq.checks.settings import CheckSettings
from tests.checks.conftest import contacts, make_input

DEFS = pl.DataFrame(
    {
        "name": ["age", "vip", "birthday", "mobile", "mail", "site", "note"],
        "type": ["number", "boolean", "date", "phone_number", "email", "url", "text"],
    }
)


def check_values(rows: list[tuple[str, str | None, str]], **cfg: object) -> pl.DataFrame:
    """Findings for attribute rows (name, value, json_type), one contact each."""
    ids = [f"c{i}" for i in range(len(rows))]
    frame = pl.DataFrame(
        {
            "contact_id": ids,
            "name": [r[0] for r in rows],
            "value": [r[1] for r in rows],
            "json_type": [r[2] for r in rows],
        }
    )
    settings = CheckSettings.from_mapping({"attributes": {"standard_fields": False, **cfg}})
    tables = make_input(contacts=contacts(*ids), attributes=frame, attribute_defs=DEFS)
    return attributes.run(tables, settings)


VALID = [
    ("age", "42", "number"),
    ("age", "-1.5e3", "number"),
    ("vip", "true", "boolean"),
    ("birthday", "2020-02-29", "string"),
    ("birthday", "2024-12-31T23:59:59Z", "string"),
    ("birthday", "2024-12-31T08:30+01:00", "string"),
    ("birthday", "2024-01-01T00:00:00.123456789-05:30", "string"),
    ("birthday", "2024-02-29T00:00Z", "string"),
    ("birthday", "2024-12-31T10:00+05:30", "string"),
    ("mobile", "+212 6 12 34 56 78", "string"),
    ("mail", "élodie.benali@exemple.ma", "string"),
    ("site", "https://gomobile.ma/a?b=c", "string"),
    ("site", "HTTP://example.com", "string"),
    ("note", "مرحبا — ça va ? 🙂", "string"),
    ("note", "", "string"),
    ("age", "[1, 2.5]", "array"),
    ("vip", "[true,false]", "array"),
    ("note", '["tech", "santé", "say \\"hi\\""]', "array"),
    ("note", "[]", "array"),
    ("mail", '["a@b.ma", "c@d.ma"]', "array"),
    ("note", None, "null"),
]

INVALID = [
    ("age", "12", "string"),  # a number stored as text
    ("age", "true", "boolean"),
    ("vip", "true", "string"),
    ("vip", "1", "number"),
    ("birthday", "2020-02-30", "string"),
    ("birthday", "2021-02-29", "string"),
    ("birthday", "30/01/2020", "string"),
    ("birthday", "2024-12-31T24:00:00Z", "string"),
    ("birthday", "2024-12-31T23:60:00Z", "string"),
    ("birthday", "2024-12-31T23:59:60Z", "string"),
    ("birthday", "2024-12-31T10:00+24:00", "string"),
    ("birthday", "2023-02-29T00:00Z", "string"),
    ("birthday", "2024-1-05", "string"),
    ("birthday", "２０２４-０１-０５", "string"),
    ("birthday", "2024-12-31T10:00:00", "string"),  # no time zone
    ("birthday", "20240101", "number"),
    ("mobile", "12", "string"),
    ("mobile", "call me", "string"),
    ("mail", "not-an-email", "string"),
    ("mail", "a b@example.com", "string"),
    ("mail", "a@localhost", "string"),
    ("site", "gomobile.ma", "string"),
    ("site", "ftp://example.com", "string"),
    ("site", "https://exa mple.com", "string"),
    ("note", "x" * 1001, "string"),
    ("note", '{"a": 1}', "object"),
    ("note", "7", "number"),
    ("age", '[1, "two"]', "array"),
    ("vip", '["true"]', "array"),
    ("note", "[1]", "array"),
    ("note", '[["nested"]]', "array"),
    ("mail", '["a@b.ma", "nope"]', "array"),
    ("note", "[" + ", ".join(['"x"'] * 101) + "]", "array"),
    ("age", "[" + ", ".join(["1"] * 101) + "]", "array"),
]


@pytest.mark.parametrize("row", VALID, ids=[f"{r[0]}={r[1]!r}"[:40] for r in VALID])
def test_valid_values_are_not_findings(row: tuple[str, str | None, str]) -> None:
    assert check_values([row]).height == 0


@pytest.mark.parametrize("row", INVALID, ids=[f"{r[0]}={r[1]!r}"[:40] for r in INVALID])
def test_invalid_values_are_findings(row: tuple[str, str, str]) -> None:
    found = check_values([row])
    assert found.height == 1
    finding = found.row(0, named=True)
    assert finding["kind"] == "invalid_value"
    assert finding["severity"] == "error"
    assert finding["field"] == row[0]
    assert finding["value"] == row[1]
    assert finding["suggested_action"] == "set_attribute"
    assert finding["finding_id"] == finding_id("attributes", "custom", "c0", row[0])


def test_evidence_names_the_attribute_type_and_json_type() -> None:
    found = check_values([("age", "12", "string")])
    assert found["evidence"][0] == (
        "'age': attribute of type number holds a string that is not a JSON number"
    )


def test_undefined_attribute_and_switch() -> None:
    found = check_values([("colour", "blue", "string"), ("age", "3", "number")])
    assert found.select("contact_id", "kind", "severity", "field").rows() == [
        ("c0", "undefined_attribute", "warn", "colour")
    ]
    assert check_values([("colour", "blue", "string")], undefined=False).height == 0


def test_standard_fields() -> None:
    frame = contacts(
        "ok",
        "bad",
        primary_phone=["+212612345678", "12"],
        first_name=["Fatima", "F"],
        last_name=["El Amrani", "B"],
        full_name=["Fatima El Amrani", None],
        primary_email=["fatima@example.ma", "fatima@"],
        gender=["female", "Female"],
        address=["12 rue de Fès", "x" * 257],
        city=["Fès", "Fè"],
    )
    tables = make_input(contacts=frame)
    found = attributes.run(tables, CheckSettings())
    assert found.select("contact_id", "field", "kind", "severity").sort("field").rows() == [
        ("bad", "address", "too_long", "warn"),
        ("bad", "city", "too_short", "warn"),
        ("bad", "first_name", "too_short", "warn"),
        ("bad", "gender", "invalid_gender", "error"),
        ("bad", "primary_email", "invalid_email", "error"),
        ("bad", "primary_phone", "too_short", "warn"),
    ]
    city = found.filter(pl.col("field") == "city").row(0, named=True)
    assert city["evidence"] == "city has 2 characters; at least 3 required"
    assert city["suggested_action"] == "review"
    assert city["finding_id"] == finding_id("attributes", "standard", "bad", "city")
    off = CheckSettings.from_mapping({"attributes": {"standard_fields": False}})
    assert attributes.run(tables, off).height == 0


def test_no_attributes_at_all() -> None:
    assert attributes.run(make_input(), CheckSettings()).height == 0
