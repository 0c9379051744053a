"""Reading source files: formats, sniffed encodings and delimiters, and every bad file as one
sentence (`UsageError`)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from gomoq.errors import UsageError
from gomoq.sources.reading import ROW, read_source


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    ("data", "encoding", "delimiter"),
    [
        ("Téléphone;Ville\n0612345678;Fès\n".encode(), "utf-8", ";"),
        (b"\xef\xbb\xbf" + "Téléphone,Ville\n0612345678,Fès\n".encode(), "utf-8-sig", ","),
        ("Téléphone\tVille\n0612345678\tFès\n".encode("cp1252"), "cp1252", "\t"),
        # 0x81 is undefined in Windows-1252: only Latin-1 reads it
        (b"T\xe9l\xe9phone|Ville\n0612345678|F\xe8s\x81\n", "latin-1", "|"),
    ],
)
def test_csv_encoding_and_delimiter_are_sniffed_and_said(
    tmp_path: Path, data: bytes, encoding: str, delimiter: str
) -> None:
    table = read_source(_write(tmp_path / "crm.csv", data))
    try:
        assert table.encoding == encoding
        assert table.delimiter == delimiter
        assert table.columns == ["Téléphone", "Ville"]
        frame = table.read()
        assert frame["Téléphone"].to_list() == ["0612345678"]  # text: the leading 0 kept
        assert frame["Ville"].to_list()[0].startswith("Fès")
        assert frame[ROW].to_list() == [1]
        assert ("Windows-1252" in table.describe()) == (encoding == "cp1252")
    finally:
        table.close()


def test_utf8_that_breaks_late_in_the_file_falls_back(tmp_path: Path) -> None:
    head = "phone,name\n" + "0612345678,Ali\n" * 10_000
    data = head.encode() + "0612345679,Andr\xe9\n".encode("cp1252")
    table = read_source(_write(tmp_path / "late.csv", data))
    assert table.encoding == "cp1252"
    assert table.read()["name"][-1] == "André"
    table.close()


def test_xlsx_parquet_jsonl_read_as_text(tmp_path: Path) -> None:
    frame = pl.DataFrame(
        {"tel": [612345678], "d": [dt.date(2024, 3, 5)], "score": [1.5], "ok": [True]}
    )
    frame.write_excel(tmp_path / "a.xlsx", worksheet="Contacts")
    frame.write_parquet(tmp_path / "a.parquet")
    frame.write_ndjson(tmp_path / "a.jsonl")
    for name in ("a.xlsx", "a.parquet", "a.jsonl"):
        got = read_source(tmp_path / name).read()
        assert got.schema["tel"] == pl.String
        assert got["tel"].to_list() == ["612345678"]
        assert got["score"].to_list() == ["1.5"]
    assert read_source(tmp_path / "a.xlsx").sheet == "Contacts"


def test_excel_with_several_sheets_needs_sheet(tmp_path: Path) -> None:
    import xlsxwriter

    path = tmp_path / "two.xlsx"
    book = xlsxwriter.Workbook(path)
    for name, phone in (("Janvier", "0612345678"), ("Février", "0612345679")):
        sheet = book.add_worksheet(name)
        sheet.write_row(0, 0, ["phone"])
        sheet.write_row(1, 0, [phone])
    book.close()
    with pytest.raises(UsageError, match=r"2 sheets \(Janvier, Février\); choose one with --sheet"):
        read_source(path)
    assert read_source(path, sheet="Février").read()["phone"].to_list() == ["0612345679"]
    with pytest.raises(UsageError, match="no sheet 'Mars'"):
        read_source(path, sheet="Mars")


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("empty.csv", b"", "empty.csv is empty"),
        ("blank.csv", b"\n\n  \n", "blank.csv is empty"),
        ("header.csv", b"phone,name\n", "has a header but no rows"),
        ("bin.csv", b"\x00\x01\x02\x03binary" * 50, "looks like a binary file"),
        (
            "ragged.csv",
            b"a;b;c\n1;2;3\n4;5\n6;7;8;9\n",
            "the header has 3, line 3 has 2, line 4 has 4",
        ),
        ("dup.csv", b"phone,phone\n1,2\n", "names column 'phone' twice"),
        ("bad.jsonl", b'{"phone": "1"}\n{not json\n', "cannot be read as JSON Lines"),
        ("bad.xlsx", b"PK\x03\x04 not really a zip", "cannot be read as a workbook"),
        ("utf16.csv", "phone\n1\n".encode("utf-16"), "UTF-16"),
    ],
)
def test_bad_files_are_one_sentence(tmp_path: Path, name: str, data: bytes, message: str) -> None:
    with pytest.raises(UsageError, match=message) as info:
        read_source(_write(tmp_path / name, data)).read()
    assert "\n" not in str(info.value)


def test_missing_file_and_folder(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="There is no file"):
        read_source(tmp_path / "nope.csv")
    with pytest.raises(UsageError, match="is a folder"):
        read_source(tmp_path)


def test_ragged_rows_beyond_five_are_counted(tmp_path: Path) -> None:
    data = b"a,b\n" + b"1\n" * 8
    with pytest.raises(UsageError, match=r"line 6 has 1 \(and 3 more rows\)"):
        read_source(_write(tmp_path / "r.csv", data))


def test_quoted_newlines_and_delimiters_stay_in_their_cell(tmp_path: Path) -> None:
    data = b'phone,address\n0612345678,"12 rue X,\nappt 3"\n0612345679,"Rabat"\n'
    got = read_source(_write(tmp_path / "q.csv", data)).read()
    assert got["address"].to_list() == ["12 rue X,\nappt 3", "Rabat"]
