"""Reading a source file into text columns: CSV, XLSX, Parquet, JSON Lines.

Every value is read as text: typing is the job of `gomoq.sources.values`, per attribute
definition, so that nothing is guessed silently by a reader (a CSV reader that infers "0612"
as the integer 612 loses a phone number).

CSV is streamed twice before polars reads it: once to find the encoding (UTF-8 with or without
BOM, else Windows-1252, else Latin-1; a non-UTF-8 file is transcoded to a temporary UTF-8 copy,
chunk by chunk) and once through Python's `csv` module to find rows whose number of fields
differs from the header's (polars would fill short rows with nulls without a word). polars
then scans the file lazily, so a caller that keeps only the mapped columns never holds the
others (`SourceTable.scan`).

Every bad file is one `UsageError` sentence: empty, header without rows, binary, ragged rows
(with their line numbers), a workbook with several sheets and no `--sheet`, JSON that does not
parse.
"""

from __future__ import annotations

import codecs
import csv
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from gomoq.errors import UsageError
from gomoq.safe_text import printable
from gomoq.sources import excel

ROW = "__row"
"""The column holding each record's position in the source (1 = the first row after the
header); it is what rejects and duplicate reports point at."""

SNIFF_BYTES = 64 * 1024
CHUNK = 1 << 20
DELIMITERS = ",;\t|"
ENCODING_NAMES = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8 with BOM",
    "cp1252": "Windows-1252",
    "latin-1": "Latin-1 (ISO-8859-1)",
}
FORMATS = ("csv", "xlsx", "parquet", "jsonl")
_EXTENSIONS = {
    ".csv": "csv",
    ".txt": "csv",
    ".tsv": "csv",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".xlsb": "xlsx",
    ".xls": "xlsx",
    ".ods": "xlsx",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
}
MAX_BAD_LINES = 5

csv.field_size_limit(min(sys.maxsize, 2**31 - 1))  # a long free-text cell is not an error


@dataclass
class SourceTable:
    """A source file read as text columns (plus `ROW`), and how it was read."""

    path: Path
    format: str
    columns: list[str]
    lazy: pl.LazyFrame
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    rows: int | None = None
    _temp: list[Path] = field(default_factory=list, repr=False)

    def scan(self, columns: list[str] | None = None) -> pl.LazyFrame:
        """The rows (lazily), with `ROW` and only `columns` when given."""
        if columns is None:
            return self.lazy
        return self.lazy.select(ROW, *columns)

    def read(self, columns: list[str] | None = None) -> pl.DataFrame:
        """The rows, with `ROW` and only `columns` when given."""
        return self.scan(columns).collect()

    def describe(self) -> str:
        """How the file was read, in words: `CSV, UTF-8 with BOM, delimiter ';'`."""
        if self.format == "csv":
            name = ENCODING_NAMES.get(self.encoding or "", self.encoding)
            shown = {"\t": "tab", " ": "space"}.get(self.delimiter or ",", self.delimiter)
            return f"CSV, {name}, delimiter {shown!r}"
        if self.format == "xlsx":
            return f"workbook, sheet {self.sheet!r}"
        return {"parquet": "Parquet", "jsonl": "JSON Lines"}[self.format]

    def close(self) -> None:
        """Remove a temporary transcoded copy, if one was made."""
        for tmp in self._temp:
            shutil.rmtree(tmp, ignore_errors=True)
        self._temp.clear()


def detect_format(path: Path, head: bytes) -> str:
    """The file's format, from its first bytes when they say it, else from its extension."""
    if head.startswith(b"PK\x03\x04") or head.startswith(b"\xd0\xcf\x11\xe0"):
        return "xlsx"
    if head.startswith(b"PAR1"):
        return "parquet"
    fmt = _EXTENSIONS.get(path.suffix.lower())
    if fmt is not None:
        return fmt
    return "jsonl" if head.lstrip().startswith(b"{") else "csv"


def sniff_encoding(head: bytes) -> str:
    """The codec for a file starting with `head`: utf-8-sig, utf-8, cp1252 or latin-1."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise UsageError("The file is in UTF-16; save it as UTF-8 (CSV UTF-8) and try again.")
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        head.decode("cp1252")
        return "cp1252"
    except UnicodeDecodeError:
        return "latin-1"  # decodes any byte


def _looks_binary(head: bytes) -> bool:
    if b"\x00" in head:
        return True
    controls = sum(1 for b in head[:4096] if b < 32 and b not in (9, 10, 13))
    return controls > max(8, len(head[:4096]) // 100)


def sniff_delimiter(sample: str) -> str:
    """The delimiter of a CSV sample: csv.Sniffer's answer among `,;<tab>|`, else the one the
    header line holds most of, else a comma (a one-column file)."""
    try:
        return csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        header = sample.splitlines()[0] if sample else ""
        counts = {d: header.count(d) for d in DELIMITERS}
        best = max(counts, key=lambda d: counts[d])
        return best if counts[best] else ","


def _transcode(path: Path, encoding: str, folder: Path) -> tuple[Path, str]:
    """A UTF-8 copy of `path` (streamed); returns it and the encoding actually used: a UTF-8
    guess that fails later in the file falls back to Windows-1252, then Latin-1."""
    candidates = [encoding] + [e for e in ("cp1252", "latin-1") if e != encoding]
    for codec in candidates:
        target = folder / "source.utf8.csv"
        decoder = codecs.getincrementaldecoder(codec)()
        try:
            with path.open("rb") as src, target.open("w", encoding="utf-8", newline="") as out:
                while chunk := src.read(CHUNK):
                    out.write(decoder.decode(chunk))
                out.write(decoder.decode(b"", final=True))
        except UnicodeDecodeError:
            continue
        return target, codec
    raise AssertionError("latin-1 decodes every byte")


def _utf8_valid(path: Path, encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        with path.open("rb") as src:
            while chunk := src.read(CHUNK):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _field_counts(path: Path, delimiter: str, name: str) -> tuple[list[str], int]:
    """The header and the number of data rows; raises on ragged rows, naming their lines."""
    with path.open("r", encoding="utf-8", newline="") as text:
        reader = csv.reader(text, delimiter=delimiter, quotechar='"')
        header: list[str] | None = None
        start = 1
        bad: list[tuple[int, int]] = []
        n_bad = rows = 0
        try:
            for record in reader:
                line, start = start, reader.line_num + 1
                if not record or record == [""]:
                    continue
                if header is None:
                    header = record
                    continue
                rows += 1
                if len(record) != len(header):
                    n_bad += 1
                    if len(bad) < MAX_BAD_LINES:
                        bad.append((line, len(record)))
        except csv.Error as exc:
            raise UsageError(
                f"{name} is not a well-formed CSV file (line {start}: {exc})."
            ) from None
    if header is None:
        raise UsageError(f"{name} is empty.")
    if bad:
        shown = ", ".join(f"line {line} has {n}" for line, n in bad)
        more = f" (and {n_bad - len(bad)} more rows)" if n_bad > len(bad) else ""
        raise UsageError(
            f"{name}: rows have different numbers of columns: the header has {len(header)}, "
            f"{shown}{more}."
        )
    return header, rows


def _check_header(header: list[str], name: str) -> None:
    blank = [i + 1 for i, h in enumerate(header) if not h.strip()]
    if blank and len(header) > 1:
        raise UsageError(f"{name}: column {blank[0]} of the header has no name.")
    seen: set[str] = set()
    for h in header:
        if h in seen:
            raise UsageError(f"{name}: the header names column {printable(h)!r} twice.")
        seen.add(h)


def _read_csv(path: Path, head: bytes, encoding: str | None, delimiter: str | None) -> SourceTable:
    name = path.name
    codec = encoding or sniff_encoding(head)
    temp: list[Path] = []
    data = path
    if codec in ("utf-8", "utf-8-sig") and (encoding or _utf8_valid(path, codec)):
        used = codec
    else:
        folder = Path(tempfile.mkdtemp(prefix="gomoq-import-"))
        temp.append(folder)
        data, used = _transcode(path, "cp1252" if codec.startswith("utf-8") else codec, folder)
    sample = data.open(
        "r", encoding="utf-8-sig" if used == "utf-8-sig" else "utf-8", errors="replace"
    ).read(SNIFF_BYTES)
    if used == "utf-8-sig":
        sample = sample.lstrip("\ufeff")
    sep = delimiter or sniff_delimiter(sample)
    header, rows = _field_counts(data, sep, name)
    header[0] = header[0].lstrip("\ufeff")
    _check_header(header, name)
    if rows == 0:
        raise UsageError(f"{name} has a header but no rows.")
    lazy = pl.scan_csv(
        data,
        separator=sep,
        infer_schema=False,
        quote_char='"',
        encoding="utf8",
        new_columns=header,
        skip_lines=0,
    ).with_row_index(ROW, offset=1)
    return SourceTable(path, "csv", header, lazy, used, sep, rows=rows, _temp=temp)


def _as_text(frame: pl.LazyFrame, schema: pl.Schema) -> pl.LazyFrame:
    """Every column as text; nested values as JSON."""
    exprs = []
    for name, dtype in schema.items():
        col = pl.col(name)
        if isinstance(dtype, pl.Struct):
            exprs.append(col.struct.json_encode())
        elif isinstance(dtype, pl.List | pl.Array):
            exprs.append(col.cast(pl.List(pl.String)).list.join(", "))
        else:
            exprs.append(col.cast(pl.String))
    return frame.select(exprs)


def read_source(
    path: Path | str,
    *,
    sheet: str | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
) -> SourceTable:
    """Open a source file (format from its first bytes or its extension) as text columns."""
    path = Path(path)
    name = path.name
    if not path.exists():
        raise UsageError(f"There is no file at {path}.")
    if path.is_dir():
        raise UsageError(f"{path} is a folder, not a file.")
    try:
        with path.open("rb") as fh:
            head = fh.read(SNIFF_BYTES)
    except OSError as exc:
        raise UsageError(f"{name} cannot be read ({exc.strerror}).") from None
    if not head.strip():
        raise UsageError(f"{name} is empty.")
    fmt = detect_format(path, head)
    if fmt == "csv":
        sniff_encoding(head)  # a UTF-16 file is named as such, not called binary
        if _looks_binary(head):
            raise UsageError(
                f"{name} looks like a binary file, not CSV, XLSX, Parquet or JSON Lines."
            )
        if encoding is not None and encoding not in ENCODING_NAMES:
            raise UsageError(f"Unknown encoding {encoding!r}; use {', '.join(ENCODING_NAMES)}.")
        return _read_csv(path, head, encoding, delimiter)
    if fmt == "xlsx":
        chosen = excel.choose_sheet(path, sheet)
        frame = excel.read_sheet(path, chosen)
        if frame.width == 0 or frame.height == 0:
            raise UsageError(f"Sheet {chosen!r} of {name} has no rows.")
        _check_header(frame.columns, name)
        return SourceTable(
            path,
            "xlsx",
            frame.columns,
            frame.lazy().with_row_index(ROW, offset=1),
            sheet=chosen,
            rows=frame.height,
        )
    try:
        if fmt == "parquet":
            lazy = pl.scan_parquet(path)
            schema = lazy.collect_schema()
        else:
            frame = pl.read_ndjson(path, infer_schema_length=None)
            lazy, schema = frame.lazy(), frame.schema
        rows = lazy.select(pl.len()).collect().item()
    except (pl.exceptions.PolarsError, OSError, ValueError) as exc:
        what = "Parquet" if fmt == "parquet" else "JSON Lines"
        first = str(exc).strip().splitlines()[0][:160] if str(exc).strip() else type(exc).__name__
        raise UsageError(f"{name} cannot be read as {what} ({printable(first)}).") from None
    if rows == 0 or not schema:
        raise UsageError(f"{name} has no rows.")
    lazy = _as_text(lazy, schema).with_row_index(ROW, offset=1)
    return SourceTable(path, fmt, list(schema), lazy, rows=rows)


@contextmanager
def opened(path: Path | str, **options: str | None) -> Iterator[SourceTable]:
    """`read_source` as a context manager that removes any temporary copy afterwards."""
    table = read_source(path, **options)
    try:
        yield table
    finally:
        table.close()
