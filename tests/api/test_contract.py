"""The API's field rules (`gomoq.api.contract`): one home for the sandbox and the checks."""

from __future__ import annotations

import polars as pl
import pytest

from gomoq.api import contract
from gomoq.api.contract import (
    COLUMN_LENGTHS,
    FieldProblem,
    contact_problems,
    field_problem,
    validate_value,
)
from gomoq.checks import attributes


def test_column_names_follow_the_cache() -> None:
    assert contract.column_name("primaryPhone") == "primary_phone"
    assert contract.column_name("address") == "address"
    assert COLUMN_LENGTHS["first_name"] == (2, 64)
    assert list(COLUMN_LENGTHS) == [contract.column_name(n) for n in contract.FIELD_LENGTHS]


@pytest.mark.parametrize(
    ("name", "value", "code"),
    [
        ("firstName", "A", "minLength"),
        ("firstName", "A" * 65, "maxLength"),
        ("firstName", 12, "isString"),
        ("primaryEmail", "not an email", "isEmail"),
        ("gender", "other", "isEnum"),
        ("channels", ["sms", ""], "isArray"),
        ("channels", ["sms"] * 21, "arrayMaxSize"),
        ("customAttributes", [], "isObject"),
        ("nickname", "Bob", "whitelistValidation"),
    ],
)
def test_field_problem_names_the_broken_rule(name: str, value: object, code: str) -> None:
    problem = field_problem(name, value)
    assert problem is not None and problem.code == code and problem.field == name


@pytest.mark.parametrize(
    ("name", "value"),
    [("firstName", "Ali"), ("primaryEmail", "a@b.ma"), ("gender", "female"), ("city", None)],
)
def test_field_problem_passes_good_values(name: str, value: object) -> None:
    assert field_problem(name, value) is None


def test_contact_problems_in_the_api_order() -> None:
    body = {"nickname": "x", "firstName": "A", "gender": "x"}
    codes = [p.code for p in contact_problems(body, creating=True)]
    assert codes == ["whitelistValidation", "isNotEmpty", "minLength", "isEnum"]
    assert contact_problems({"firstName": "Ali"}, creating=False) == []
    assert contact_problems({"primaryPhone": None}, creating=False) == [
        FieldProblem("primaryPhone", "primaryPhone should not be empty", "isNotEmpty")
    ]


@pytest.mark.parametrize(
    ("attr_type", "value", "ok"),
    [
        ("date", "2020-02-29", True),
        ("date", "2021-02-29", False),
        ("date", "2021-03-01T10:00Z", True),
        ("date", "2021-03-01T25:00Z", False),
        ("email", "ali@example.ma", True),
        ("email", "ali@example", False),
        ("url", "https://example.ma/x", True),
        ("url", "ftp://example.ma", False),
        ("phone_number", "+212 6 12 34 56 78", True),
        ("phone_number", "12", False),
        ("text", "x" * 1001, False),
    ],
)
def test_python_rule_and_polars_rule_agree(attr_type: str, value: str, ok: bool) -> None:
    """The sandbox (Python) and the check (polars) read the same patterns the same way."""
    assert (validate_value(attr_type, value) is None) is ok
    vectorised = pl.select(attributes._string_rule(attr_type, pl.lit(value), pl.lit(True))).item()
    assert vectorised is ok


def test_values_by_type() -> None:
    assert validate_value("number", "12") == "value must be a number"
    assert validate_value("number", True) == "value must be a number"
    assert validate_value("boolean", "true") == "value must be true or false"
    assert validate_value("text", ["a", "b"]) is None
    assert validate_value("text", [["a"]]) == "a list value cannot contain lists"
    assert validate_value("text", ["a"] * 101) is not None
    assert validate_value("colour", "red") == "attribute type colour is not supported"
