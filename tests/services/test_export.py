"""`gomoq export`: round trips through a real cache snapshot (Parquet equals the cache; XLSX read
back with a maintained reader), the formula guard, filters, columns, sheets, bad input."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from gomoq.cache.store import Snapshot, write_snapshot
from gomoq.checks.base import CheckInput
from gomoq.checks.settings import CheckSettings
from gomoq.cli import cli, main
from gomoq.config import Profile, save_profile
from gomoq.errors import UsageError
from gomoq.services.export import export_tables
from tests.checks.conftest import NOW, calls
from tests.test_filters import FINDINGS, attributes, audiences, contacts

SYNCED = "2026-04-30T11:00:00+00:00"


def hostile_contacts() -> pl.DataFrame:
    frame = contacts()
    return frame.with_columns(
        pl.Series(
            "occupation",
            ['=HYPERLINK("http://x","click")', "@SUM(1)", "+212 6 12", "-2+3", "\tTab"],
        ),
        pl.col("primary_email").fill_null("none@x.ma"),
    )


@pytest.fixture
def snapshot() -> Snapshot:
    auds, members = audiences()
    frames = {
        "contacts": hostile_contacts(),
        "attributes": attributes().with_columns(pl.lit("string").alias("json_type")),
        "audiences": auds,
        "audience_members": members,
        "calls": calls(("a", "answered", 10), ("b", "busy", 3), ("c", "answered", 200)),
    }
    write_snapshot("p", frames, {"synced_at": SYNCED})
    save_profile(Profile(name="p", base_url="http://127.0.0.1:9", api_key="k-123456789"))
    return Snapshot.open("p")


def export(snapshot: Snapshot, kind: str, out: Path, **kw: Any) -> Any:
    return export_tables(
        CheckInput.from_snapshot(snapshot),
        CheckSettings(now=NOW),
        kind,
        out,
        manifest=dict(snapshot.manifest),
        profile="p",
        findings=lambda: FINDINGS,
        **kw,
    )


def test_parquet_round_trip_equals_the_cache(snapshot: Snapshot, tmp_path: Path) -> None:
    result = export(snapshot, "contacts", tmp_path / "c.parquet")
    assert result.rows == 5 and result.fmt == "parquet"
    back = pl.read_parquet(tmp_path / "c.parquet")
    cache = snapshot.read("contacts").drop("custom_attributes")
    assert back.select(cache.columns).equals(cache)  # ids, fields, types, order
    wide = (
        snapshot.read("attributes")
        .pivot(on="name", index="contact_id", values="value")
        .rename({"contact_id": "id"})
    )
    got = back.select("id", "birth_date", "customer_tier", "loyalty_points")
    expected = (
        cache.select("id")
        .join(wide, on="id", how="left", maintain_order="left")
        .select(got.columns)
    )
    assert got.equals(expected)
    meta = pq.read_metadata(tmp_path / "c.parquet").metadata
    assert meta[b"gomoq.snapshot_at"] == b"2026-04-30T11:00:00Z"
    assert meta[b"gomoq.kind"] == b"contacts"
    # text is exported as it is in the cache: no formula guard in Parquet
    assert back["occupation"][0].startswith("=HYPERLINK")


def test_xlsx_reads_back_with_the_same_rows_and_guarded_cells(
    snapshot: Snapshot, tmp_path: Path
) -> None:
    result = export(snapshot, "contacts", tmp_path / "c.xlsx")
    assert (result.rows, result.sheets) == (5, 1)
    back = pl.read_excel(tmp_path / "c.xlsx", infer_schema_length=0)  # fastexcel (calamine)
    assert back["id"].to_list() == ["a", "b", "c", "d", "e"]
    assert back["customer_tier"].to_list() == ["gold", "platinum", "silver", None, None]
    assert back["occupation"].to_list() == [
        '\'=HYPERLINK("http://x","click")',
        "'@SUM(1)",
        "+212 6 12",  # a phone-like number is left readable
        "'-2+3",
        "'\tTab",
    ]
    assert back["channels"].to_list()[:2] == ["voice", "voice, sms"]
    assert back["created_at"][0] is not None


def test_raw_keeps_formulas_as_text_and_csv_is_guarded(snapshot: Snapshot, tmp_path: Path) -> None:
    export(snapshot, "contacts", tmp_path / "raw.xlsx", raw=True)
    raw = pl.read_excel(tmp_path / "raw.xlsx", infer_schema_length=0)
    # written as text, never as a formula (calamine would read a formula's cached value)
    assert raw["occupation"][0] == '=HYPERLINK("http://x","click")'
    export(snapshot, "contacts", tmp_path / "c.csv", columns=["id", "occupation"])
    text = (tmp_path / "c.csv").read_text(encoding="utf-8")
    assert text.splitlines()[1] == 'a,"\'=HYPERLINK(""http://x"",""click"")"'
    assert "'@SUM(1)" in text and "+212 6 12" in text
    export(snapshot, "contacts", tmp_path / "raw.csv", columns=["id", "occupation"], raw=True)
    assert (tmp_path / "raw.csv").read_text().splitlines()[1:3] == [
        'a,"=HYPERLINK(""http://x"",""click"")"',
        "b,@SUM(1)",
    ]


def test_where_chooses_contacts_and_their_calls_memberships_findings(
    snapshot: Snapshot, tmp_path: Path
) -> None:
    export(snapshot, "contacts", tmp_path / "c.jsonl", where="customer_tier:gold,platinum")
    lines = [json.loads(x) for x in (tmp_path / "c.jsonl").read_text().splitlines()]
    assert [x["id"] for x in lines] == ["a", "b"]
    export(snapshot, "calls", tmp_path / "k.csv", where="-city:rabat")
    assert pl.read_csv(tmp_path / "k.csv")["contact_id"].to_list() == ["b", "c"]
    result = export(
        snapshot, "memberships", tmp_path / "m.parquet", where='audience:"Premium Customers"'
    )
    members = pl.read_parquet(tmp_path / "m.parquet")
    assert result.rows == 3
    assert sorted(members.select("audience_name", "contact_id", "status").rows()) == [
        ("Premium Customers", "a", "active"),
        ("Premium Customers", "b", "active"),
        ("Trial Users", "b", "exited"),  # every membership of the chosen contacts
    ]
    export(snapshot, "findings", tmp_path / "f.csv", where="severity:error")
    found = pl.read_csv(tmp_path / "f.csv")
    assert sorted(set(found["contact_id"])) == ["a", "b"]


def test_long_attributes_and_columns(snapshot: Snapshot, tmp_path: Path) -> None:
    export(
        snapshot,
        "contacts",
        tmp_path / "l.parquet",
        attributes="long",
        columns=["id", "attribute", "value"],
    )
    long = pl.read_parquet(tmp_path / "l.parquet")
    assert long.columns == ["id", "attribute", "value"]
    assert long.filter(pl.col("id") == "a").height == 3
    assert long.filter(pl.col("id") == "e")["attribute"].to_list() == [None]


def test_xlsx_splits_at_the_sheet_limit(snapshot: Snapshot, tmp_path: Path) -> None:
    result = export(snapshot, "contacts", tmp_path / "s.xlsx", sheet_rows=3)  # 2 rows a sheet
    assert (result.rows, result.sheets) == (5, 3)
    sheets = pl.read_excel(tmp_path / "s.xlsx", sheet_id=0, infer_schema_length=0)
    assert list(sheets) == ["contacts", "contacts (2)", "contacts (3)"]
    assert pl.concat(list(sheets.values()))["id"].to_list() == ["a", "b", "c", "d", "e"]


def test_snapshot_time_in_the_name(snapshot: Snapshot, tmp_path: Path) -> None:
    result = export(snapshot, "calls", tmp_path / "calls-{snapshot}.csv")
    assert result.path == tmp_path / "calls-20260430T110000Z.csv"
    assert result.path.exists() and result.rows == 3


@pytest.mark.parametrize(
    ("kw", "words"),
    [
        ({"where": "city:(rabat"}, "not valid at column"),
        ({"where": 'audience:"Nobody"'}, "unknown audience"),
        ({"columns": ["id", "nope"]}, "Unknown column(s) for --columns: nope"),
        ({"fmt": "doc"}, "Unknown format"),
    ],
)
def test_bad_input_writes_nothing(
    snapshot: Snapshot, tmp_path: Path, kw: dict[str, Any], words: str
) -> None:
    with pytest.raises(UsageError, match=words.replace("(", r"\(").replace(")", r"\)")):
        export(snapshot, "contacts", tmp_path / "x.csv", **kw)
    assert [p.name for p in tmp_path.iterdir()] == ["gomoq-home"]


def test_cli_exit_codes_and_missing_folder(
    snapshot: Snapshot, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    runner = CliRunner()
    out = tmp_path / "ok.csv"
    ok = runner.invoke(cli, ["export", "contacts", "--where", "city:rabat", "-o", str(out)])
    assert ok.exit_code == 0, ok.output
    assert "Wrote 2 contacts rows" in ok.stderr
    assert pl.read_csv(out)["id"].to_list() == ["a", "e"]
    for args, words in [
        (["--where", "tierr:gold", "-o", str(tmp_path / "a.csv")], "did you mean 'customer_tier'"),
        (["--where", 'audience:"Nobody"', "-o", str(tmp_path / "b.csv")], "unknown audience"),
        (["-o", str(tmp_path / "missing" / "c.csv")], "does not exist: nothing was written"),
    ]:
        with pytest.raises(SystemExit) as code:
            main(["export", "contacts", *args])
        assert code.value.code == 2, args
        err = capsys.readouterr().err
        assert words in err and err.count("\n") == 1 and "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["gomoq-home", "ok.csv"]
