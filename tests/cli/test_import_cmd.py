"""`gomoq import` through click: the report, the plan file, and every bad input of the issue as
one sentence, exit status 2 and no plan (the command itself never sends anything)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from gomoq.api.testing import in_process
from gomoq.cli import cli
from gomoq.config import Profile, save_profile
from gomoq.plan.model import Plan
from gomoq.services.sync import sync


def run(*args: str) -> Any:
    return CliRunner().invoke(cli, list(args))


@pytest.fixture
def no_server(tmp_path: Path) -> Path:
    """A profile whose server does not exist: any request would fail loudly."""
    save_profile(
        Profile("offline", "http://127.0.0.1:9/api", "gmq_offline_key_000000000000"), activate=True
    )
    return tmp_path


def _two_sheets(path: Path) -> Path:
    import xlsxwriter

    book = xlsxwriter.Workbook(path)
    for name in ("A", "B"):
        book.add_worksheet(name).write_row(0, 0, ["phone"])
    book.close()
    return path


BAD: list[tuple[str, bytes | None, list[str], str]] = [
    ("empty.csv", b"", [], "empty.csv is empty."),
    ("nophone.csv", b"name,city\nAli,Rabat\n", [], "No column is mapped to primaryPhone"),
    (
        "crm.csv",
        b"tel,x\n0612345678,1\n",
        ["--map", "x=favouriteColour"],
        "Unknown field 'favouriteColour'",
    ),
    ("bin.csv", bytes(range(256)) * 4, [], "looks like a binary file"),
    ("ragged.csv", b"tel,name\n0612345678,Ali\n0612345679\n", [], "line 3 has 1"),
    ("two.xlsx", None, [], "2 sheets (A, B); choose one with --sheet"),
    ("crm.csv", b"tel\n0612345678\n", ["--batch-size", "5000"], "--batch-size must be 1 to 1000"),
    ("crm.csv", b"tel\n0612345678\n", ["--define", "x:integer"], "write it SLUG:TYPE"),
    ("crm.csv", b"tel\n0612345678\n", ["--mapping", "missing.toml"], "no mapping file"),
]


@pytest.mark.parametrize(("name", "data", "extra", "message"), BAD)
def test_bad_input_is_one_sentence_and_no_plan(
    no_server: Path, name: str, data: bytes | None, extra: list[str], message: str
) -> None:
    path = no_server / name
    if data is None:
        _two_sheets(path)
    else:
        path.write_bytes(data)
    out = no_server / "plan.json"
    result = run("import", str(path), *extra, "-o", str(out))
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert not out.exists()


def test_report_plan_and_saved_mapping(sandbox_app: Any, sandbox_key: str, tmp_path: Path) -> None:
    save_profile(Profile("demo", "https://sandbox.invalid/api", sandbox_key), activate=True)
    source = tmp_path / "crm.csv"
    source.write_text(
        "Téléphone;Nom;Ville;Inscrit\n0699887766;Sara Bennani;Agadir;05/03/2024\n;X;Y;\n",
        encoding="cp1252",
    )
    out, mapping, rejects = tmp_path / "plan.json", tmp_path / "crm.toml", tmp_path / "rej.csv"
    with in_process(sandbox_app):
        sync(Profile("demo", "https://sandbox.invalid/api", sandbox_key, rate_limit=1000.0))
        result = run(
            "import",
            str(source),
            "--map",
            "Inscrit=attr:since",
            "--save-mapping",
            str(mapping),
            "--rejects",
            str(rejects),
            "-o",
            str(out),
        )
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert "(CSV, Windows-1252, delimiter ';')" in text
    assert "Téléphone -> primaryPhone" in text and "Nom -> fullName" in text
    assert "1  no phone" in text
    assert "Attribute since is not defined: the plan defines it first as date." in text
    assert "Plan: 1 new contact, 0 to update" in text
    plan = Plan.load(out)
    assert [a.kind for a in plan.actions] == ["define_attribute", "create_contacts"]
    assert plan.source is not None and plan.source["preflight"]["rejected"] == 1
    assert 'Inscrit = "attr:since"' in mapping.read_text(encoding="utf-8")
    assert "no phone" in rejects.read_text(encoding="utf-8")
    again = run("import", str(source), "--mapping", str(mapping), "--format", "json")
    assert again.exit_code == 0, again.output
    report = json.loads(again.stdout)
    assert report["preflight"]["mapping"]["Inscrit"] == "attr:since"
    assert report["match"] == {"new": 1, "changed": 0, "unchanged": 0, "ambiguous": 0}


def test_sync_first_makes_the_cache_it_matches_against(
    sandbox_app: Any, sandbox_key: str, tmp_path: Path
) -> None:
    save_profile(Profile("fresh", "https://sandbox.invalid/api", sandbox_key), activate=True)
    source = tmp_path / "crm.csv"
    source.write_text("tel\n0699887766\n", encoding="utf-8")
    with in_process(sandbox_app):
        without = run("import", str(source), "-q")
        assert without.exit_code == 2 and "--sync" in without.stderr
        synced = run("import", str(source), "--sync", "-q", "--format", "json")
    assert synced.exit_code == 0, synced.output
    report = json.loads(synced.stdout)
    assert report["cache"]["age_s"] is not None and report["cache"]["age_s"] < 600
    assert report["match"]["new"] == 1
