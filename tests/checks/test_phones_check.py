"""The phones check on small hand-built contact frames, with exact expected findings."""

from __future__ import annotations

import polars as pl
import pytest

from gomoq.checks import phones as check
from gomoq.checks.base import CheckInput
from gomoq.checks.ids import finding_id
from gomoq.checks.settings import CheckSettings
from gomoq.errors import ConfigError


def _run(phones: dict[str, str | None], **cfg: object) -> pl.DataFrame:
    contacts = pl.DataFrame(
        {"id": list(phones), "primary_phone": list(phones.values())},
        schema={"id": pl.String, "primary_phone": pl.String},
    )
    settings = CheckSettings.from_mapping({"phones": cfg} if cfg else None)
    return check.run(CheckInput.from_frames(contacts=contacts), settings)


def _kinds(out: pl.DataFrame) -> set[tuple[str, str]]:
    return set(zip(out["contact_id"], out["kind"], strict=True))


def test_each_kind_on_its_own_contact() -> None:
    out = _run(
        {
            "ok": "+212612345678",
            "formatted": "06 12 34 56 78",
            "none": None,
            "blank": "  ",
            "text": "N/A",
            "short": "+21261234567",
            "range": "0812345678",
            "premium": "+212891234567",
            "tollfree": "+212801234567",
            "foreign": "+33612345678",
        }
    )
    assert _kinds(out) == {
        ("formatted", "non_e164"),
        ("none", "missing_number"),
        ("blank", "missing_number"),
        ("text", "invalid_number"),
        ("short", "impossible_length"),
        ("range", "invalid_number"),
        ("premium", "uncallable_type"),
        ("tollfree", "uncallable_type"),
        ("foreign", "foreign_number"),
    }
    by = {r["contact_id"]: r for r in out.to_dicts()}
    assert by["formatted"]["evidence"] == "stored as '06 12 34 56 78'; E.164 form +212612345678"
    assert by["formatted"]["severity"] == "info"
    assert by["formatted"]["suggested_action"] == "review"
    assert by["text"]["evidence"] == "'N/A' cannot be read as a phone number (NOT_A_NUMBER)"
    assert by["text"]["severity"] == "error" and by["text"]["suggested_action"] == "flag"
    assert "11 digits" in by["short"]["evidence"]
    assert "PREMIUM_RATE" in by["premium"]["evidence"]
    assert by["foreign"]["evidence"] == (
        "+33612345678 is a FR number; the organisation calls from MA"
    )
    assert set(out["check"]) == {"phones"} and set(out["field"]) == {"primary_phone"}
    assert by["range"]["finding_id"] == finding_id(
        "phones", "invalid_number", "range", "0812345678"
    )


def test_foreign_and_badly_formatted_gives_two_findings() -> None:
    out = _run({"c": "0033 6 12 34 56 78"})
    assert _kinds(out) == {("c", "foreign_number"), ("c", "non_e164")}
    assert out["finding_id"].n_unique() == 2


def test_settings_switch_kinds_and_actions() -> None:
    phones = {"f": "+33612345678", "p": "+212891234567", "x": "0812345678", "n": "0612345678"}
    out = _run(
        phones,
        domestic=False,
        non_e164=False,
        callable_types=["MOBILE", "PREMIUM_RATE"],
        invalid_action="delete",
    )
    assert _kinds(out) == {("x", "invalid_number")}
    assert out["suggested_action"].to_list() == ["delete"]


def test_bad_action_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="invalid_action"):
        CheckSettings.from_mapping({"phones": {"invalid_action": "burn"}})


def test_ids_are_stable_and_change_with_the_value() -> None:
    a = _run({"c": "0812345678"})["finding_id"].to_list()
    b = _run({"c": "0812345678", "d": "+212612345678"})["finding_id"].to_list()
    c = _run({"c": "0812345679"})["finding_id"].to_list()
    assert a == b and a != c


def test_no_contacts_no_findings() -> None:
    assert _run({}).height == 0
