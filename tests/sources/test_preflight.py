"""Preflight: phones to E.164, the API's field rules, typed attributes, rejects by reason with
the original row, in-file duplicates by a stated rule, and type clashes stopped early."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from gomoq.errors import UsageError
from gomoq.sources.mapping import resolve_mapping
from gomoq.sources.preflight import PreflightOptions, parse_defines, run_preflight, write_rejects
from gomoq.sources.reading import ROW, read_source

CRM = """\
Téléphone;Prénom;Nom;Email;Ville;Score;Client;Inscrit le;Sexe
0612345678;Ali;Alaoui;ali@x.ma;Fès;1 234,50;oui;05/03/2024;homme
+212 6 12 34 56 78;Ali;;;;;;;
;Sara;Bennani;sara@x.ma;Rabat;12;non;2024-01-02;F
12;Omar;Idrissi;;;;;;
0661000000;Zineb;Idrissi;bad-mail;Casa;3;oui;;
0662000000;=cmd|' /C calc'!A0;Tazi;t@x.ma;Tanger;3;peut-être;;
0663000000;Nadia;Tazi;n@x.ma;Tanger;7;non;;autre
"""
OPTIONS = ["Score=attr:score", "Client=attr:client", "Inscrit le=attr:since"]


@pytest.fixture
def crm(tmp_path: Path) -> Path:
    path = tmp_path / "crm.csv"
    path.write_text(CRM, encoding="utf-8")
    return path


def test_report_of_a_mixed_file(crm: Path, tmp_path: Path) -> None:
    table = read_source(crm)
    mapping = resolve_mapping(table.columns, options=OPTIONS)
    pf = run_preflight(table, mapping, {"client": "boolean"}, PreflightOptions(decimal=","))
    assert pf.rows_read == 7
    assert pf.rows[ROW].to_list() == [1]  # row 2 is a less complete duplicate of row 1
    row = pf.rows.row(0, named=True)
    assert row["phone"] == "+212612345678"
    assert row["attr:score"] == 1234.5
    assert row["attr:client"] is True
    assert row["attr:since"] == "2024-03-05"
    assert row["gender"] == "male"  # homme
    assert pf.to_define == {"score": "number", "since": "date"}
    assert pf.reasons() == {
        "attr:client: not a yes/no value (oui/non, yes/no, true/false, 1/0)": 1,
        "gender: must be male or female (or homme/femme, m/f)": 1,
        "invalid phone": 1,
        "no phone": 1,
        "primaryEmail: not an email address": 1,
    }
    assert pf.duplicates.to_dicts() == [{"phone": "+212612345678", "kept": 1, "dropped": [2]}]
    assert pf.summary()["phones_reformatted"] == 1

    out = tmp_path / "rejects.csv"
    assert write_rejects(table, pf, out) == 5
    rejects = pl.read_csv(out, infer_schema=False)
    assert rejects.columns[-2:] == ["row", "reason"]
    assert rejects["row"].to_list() == ["3", "4", "5", "6", "7"]
    assert rejects["Prénom"].to_list()[3].startswith("'=")  # the formula is neutralised
    assert rejects["Téléphone"].to_list()[1] == "12"


@pytest.mark.parametrize(("rule", "kept"), [("first", [1]), ("last", [2]), ("most-complete", [1])])
def test_dedupe_rules(crm: Path, rule: str, kept: list[int]) -> None:
    table = read_source(crm)
    mapping = resolve_mapping(table.columns, options=OPTIONS)
    pf = run_preflight(table, mapping, {}, PreflightOptions(decimal=",", dedupe=rule))
    assert [r for r in pf.rows[ROW].to_list() if r in (1, 2)] == kept


def test_most_complete_prefers_the_later_row_on_a_tie(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("tel,name\n0612345678,Ali\n0612345678,Alia\n", encoding="utf-8")
    table = read_source(path)
    pf = run_preflight(table, resolve_mapping(table.columns), {})
    assert pf.rows["fullName"].to_list() == ["Alia"]


def test_a_defined_type_the_values_do_not_fit_is_an_error(crm: Path) -> None:
    table = read_source(crm)
    mapping = resolve_mapping(table.columns, options=["Ville=attr:ville"])
    with pytest.raises(UsageError, match=r"Gomobile defines it as number, but 5 of its 5 values"):
        run_preflight(table, mapping, {"ville": "number"})
    with pytest.raises(UsageError, match="already defines score as number"):
        run_preflight(
            table,
            resolve_mapping(table.columns, options=OPTIONS),
            {"score": "number"},
            PreflightOptions(defines={"score": "text"}),
        )


def test_define_option_parsing() -> None:
    assert parse_defines(["crm_id:text", "attr:score:number"]) == {
        "crm_id": "text",
        "score": "number",
    }
    with pytest.raises(UsageError, match="write it SLUG:TYPE"):
        parse_defines(["score:integer"])


def test_region_option_changes_what_a_national_number_means(tmp_path: Path) -> None:
    path = tmp_path / "fr.csv"
    path.write_text("tel\n06 12 34 56 78\n", encoding="utf-8")
    table = read_source(path)
    mapping = resolve_mapping(table.columns)
    assert run_preflight(table, mapping, {}).rows["phone"].to_list() == ["+212612345678"]
    fr = run_preflight(table, mapping, {}, PreflightOptions(region="FR"))
    assert fr.rows["phone"].to_list() == ["+33612345678"]
