"""Mapping columns to contact fields: options, TOML files, guesses (French too), errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from gomoq.errors import UsageError
from gomoq.sources.mapping import guess_mapping, load_mapping, resolve_mapping, save_mapping


def test_guess_from_french_and_english_headers() -> None:
    columns = ["Téléphone", "Prénom", "Nom", "E-mail", "Ville", "Code postal", "Notes"]
    assert guess_mapping(columns) == {
        "Téléphone": "primaryPhone",
        "Prénom": "firstName",
        "Nom": "lastName",  # beside a first name, nom is the family name
        "E-mail": "primaryEmail",
        "Ville": "city",
        "Code postal": "zip",
    }
    assert guess_mapping(["GSM", "Nom"]) == {"GSM": "primaryPhone", "Nom": "fullName"}
    assert guess_mapping(["Mobile 1", "Mobile 2", "name"]) == {
        "Mobile 1": "primaryPhone",
        "name": "fullName",
    }


def test_resolved_mapping_lists_unmapped_columns() -> None:
    mapping = resolve_mapping(["tel", "name", "crm", "Notes"], options=["crm=attr:crm_id"])
    assert mapping.fields == {"tel": "primaryPhone", "name": "fullName", "crm": "attr:crm_id"}
    assert mapping.unmapped == ("Notes",)
    assert mapping.origin == "guess+options"
    assert mapping.lines()[-1] == "not imported: Notes"
    assert mapping.attributes() == ["crm_id"]


def test_an_option_replaces_a_guessed_field() -> None:
    mapping = resolve_mapping(["tel", "Mobile"], options=["Mobile=primaryPhone"])
    assert mapping.fields == {"Mobile": "primaryPhone"}


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "crm.toml"
    save_mapping(path, {"Téléphone": "primaryPhone", "CRM id": "attr:crm_id"})
    assert load_mapping(path) == {"Téléphone": "primaryPhone", "CRM id": "attr:crm_id"}
    mapping = resolve_mapping(["Téléphone", "CRM id", "x"], mapping_file=path)
    assert mapping.origin == "file"
    assert mapping.unmapped == ("x",)


@pytest.mark.parametrize(
    ("columns", "options", "message"),
    [
        (["a", "b"], [], "No column is mapped to primaryPhone"),
        (["tel"], ["tel=telephoneNumber"], "Unknown field 'telephoneNumber'"),
        (["tel"], ["tel=attr:Bad Slug"], "an attribute slug is"),
        (["tel"], ["telprimaryPhone"], "write it COLUMN=FIELD"),
        (["tel"], ["Phone=primaryPhone"], "columns the file does not have: 'Phone'"),
        (["tel", "x"], ["x=city", "tel=city"], "both mapped to city"),
    ],
)
def test_bad_mappings_are_one_sentence(
    columns: list[str], options: list[str], message: str
) -> None:
    with pytest.raises(UsageError, match=message):
        resolve_mapping(columns, options=options)


def test_bad_mapping_files(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("map = [", encoding="utf-8")
    with pytest.raises(UsageError, match="not valid TOML"):
        load_mapping(bad)
    bad.write_text('[other]\na = "b"\n', encoding="utf-8")
    with pytest.raises(UsageError, match=r"needs a \[map\] table"):
        load_mapping(bad)
    with pytest.raises(UsageError, match="no mapping file"):
        load_mapping(tmp_path / "none.toml")
