"""`gomoq export`: contacts, calls, memberships or findings from the cache, to CSV, XLSX, Parquet
or JSON Lines, chosen with the filter language.

- The rows: `--where FILTER` (`gomoq.filters`) chooses the contacts; calls, memberships and
  findings are those of the chosen contacts. Without a filter, everything.
- Contacts carry their custom attributes: `wide` (default) one column per attribute, named after
  it (`attribute.<name>` when a standard field has that name), the value as the API sent it
  (text); `long` one row per contact and attribute (`attribute`, `value`), a contact without
  attributes once with both empty.
- `columns` keeps those columns, in that order (an unknown name is refused before writing).
- The snapshot's time goes in the file's metadata (Parquet key-value metadata `gomoq.*`, XLSX
  document properties) and, where the output name holds `{snapshot}`, in the name
  (`contacts-{snapshot}.csv` -> `contacts-20260105T090000Z.csv`).
- Spreadsheet cells: in CSV and XLSX every text cell that a spreadsheet would run as a formula is
  neutralised (`gomoq.safe_text.neutralise_formula_expr`) unless `raw`; XLSX cells are written as
  text, never as formulas, either way. Lists (`channels`) become "a, b" there; times are UTC.
- CSV, Parquet and JSON Lines are streamed (polars sinks: the rows never all sit in memory);
  XLSX is built in memory by xlsxwriter (through polars), split into sheets of at most
  1,048,575 rows (Excel's limit of 1,048,576 rows, the header included).
- Nothing is left behind on an error: the file is written under a temporary name beside the
  target and renamed at the end.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import polars as pl
import xlsxwriter

from gomoq.checks.base import CheckInput
from gomoq.checks.settings import CheckSettings
from gomoq.errors import UsageError
from gomoq.progress import CancelFn, check_cancel
from gomoq.safe_text import neutralise_formula_expr
from gomoq.services.selection import Selection, attribute_names

KINDS: Final = ("contacts", "calls", "memberships", "findings")
FORMATS: Final = ("csv", "xlsx", "parquet", "jsonl")
ATTRIBUTE_SHAPES: Final = ("wide", "long")
XLSX_MAX_ROWS: Final = 1_048_576
"""Rows in one Excel worksheet, the header row included."""
_SUFFIXES: Final = {".csv": "csv", ".xlsx": "xlsx", ".parquet": "parquet", ".jsonl": "jsonl"}

FindingsFn = Callable[[], pl.DataFrame]


@dataclass(frozen=True)
class ExportResult:
    """What was written."""

    path: Path
    kind: str
    fmt: str
    rows: int
    sheets: int
    snapshot_at: str
    seconds: float

    @property
    def headline(self) -> str:
        """One sentence for the operator."""
        where = f" in {self.sheets} sheets" if self.sheets > 1 else ""
        return (
            f"Wrote {self.rows:,} {self.kind} rows to {self.path}{where} "
            f"(snapshot of {self.snapshot_at or 'an unknown time'}, {self.seconds:.1f} s)."
        )


def snapshot_time(manifest: dict[str, Any]) -> str:
    """When the snapshot was taken (ISO, UTC), from the manifest; "" when it does not say."""
    for key in ("synced_at", "finished_at", "created_at", "patched_at"):
        value = manifest.get(key)
        if isinstance(value, str) and value:
            try:
                parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                continue
            parsed = parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
            return parsed.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return ""


def resolve_output(output: Path, fmt: str | None, snapshot_at: str) -> tuple[Path, str]:
    """The output path (`{snapshot}` replaced) and format (from the suffix when not given).

    Raises `UsageError` for an unknown format or a folder that does not exist."""
    if fmt is None:
        fmt = _SUFFIXES.get(output.suffix.lower())
        if fmt is None:
            raise UsageError(
                f"Cannot tell the format of {output.name}: give --format "
                f"({', '.join(FORMATS)}) or end the name with .csv, .xlsx, .parquet or .jsonl."
            )
    if fmt not in FORMATS:
        raise UsageError(f"Unknown format {fmt!r}: use one of {', '.join(FORMATS)}.")
    stamp = snapshot_at.replace("-", "").replace(":", "") or "unknown"
    path = Path(str(output).replace("{snapshot}", stamp))
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise UsageError(f"The folder {folder} does not exist: nothing was written.")
    if path.is_dir():
        raise UsageError(f"{path} is a folder: give a file name.")
    return path, fmt


def export_tables(
    tables: CheckInput,
    settings: CheckSettings,
    kind: str,
    output: Path,
    *,
    fmt: str | None = None,
    where: str | None = None,
    attributes: str = "wide",
    columns: Sequence[str] | None = None,
    raw: bool = False,
    manifest: dict[str, Any] | None = None,
    profile: str = "",
    findings: FindingsFn | None = None,
    should_cancel: CancelFn | None = None,
    sheet_rows: int = XLSX_MAX_ROWS,
) -> ExportResult:
    """Export `kind` from `tables` (a snapshot's, or hand-built in tests); see the module
    docstring. Every usage error is raised before anything is written."""
    started = time.perf_counter()
    if kind not in KINDS:
        raise UsageError(f"Unknown export {kind!r}: use one of {', '.join(KINDS)}.")
    if attributes not in ATTRIBUTE_SHAPES:
        raise UsageError(f"--attributes must be wide or long, not {attributes!r}.")
    taken = snapshot_time(manifest or {})
    path, fmt = resolve_output(output, fmt, taken)
    ids: pl.Series | None = None
    if where and where.strip():
        # A FilterError (a UsageError) stops here, before anything is written.
        ids = Selection(tables, settings, findings=findings).ids(where)
    check_cancel(should_cancel)
    frame = _rows(tables, kind, ids, attributes, findings)
    frame = _choose(frame, columns)
    if fmt in ("csv", "xlsx"):
        frame = _for_spreadsheets(frame, raw=raw, naive_times=fmt == "xlsx")
    metadata = {
        "gomoq.snapshot_at": taken,
        "gomoq.profile": profile,
        "gomoq.kind": kind,
        "gomoq.filter": where or "",
    }
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        rows, sheets = _write(frame, fmt, tmp, metadata, sheet_rows)
        check_cancel(should_cancel)
        tmp.replace(path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    return ExportResult(path, kind, fmt, rows, sheets, taken, time.perf_counter() - started)


# ---------------------------------------------------------------------------------------------
# Rows


def _rows(
    tables: CheckInput,
    kind: str,
    ids: pl.Series | None,
    attributes: str,
    findings: FindingsFn | None,
) -> pl.LazyFrame:
    chosen = ids.to_frame("id").lazy() if ids is not None else None

    def only(frame: pl.LazyFrame, on: str) -> pl.LazyFrame:
        if chosen is None:
            return frame
        return frame.join(chosen, left_on=on, right_on="id", how="semi", maintain_order="left")

    if kind == "contacts":
        contacts = only(tables.contacts.drop("custom_attributes"), "id")
        names = attribute_names(tables)
        if attributes == "long":
            long = tables.attributes.select(
                "contact_id", pl.col("name").alias("attribute"), "value"
            )
            return contacts.join(
                long, left_on="id", right_on="contact_id", how="left", maintain_order="left"
            )
        taken = set(contacts.collect_schema().names())
        # One left join per attribute: `attributes` holds one row per (contact, name) (the
        # cache's contract), so no join adds rows; a pivot of 4 M rows costs several times more.
        for name in names:
            column = f"attribute.{name}" if name in taken else name
            values = tables.attributes.filter(pl.col("name") == name).select(
                "contact_id", pl.col("value").alias(column)
            )
            contacts = contacts.join(
                values, left_on="id", right_on="contact_id", how="left", maintain_order="left"
            )
        return contacts
    if kind == "calls":
        return only(tables.calls, "contact_id")
    if kind == "memberships":
        audiences = tables.audiences.select(
            pl.col("id").alias("audience_id"),
            pl.col("name").alias("audience_name"),
            pl.col("type").alias("audience_type"),
        )
        members = tables.audience_members.join(
            audiences, on="audience_id", how="left", maintain_order="left"
        )
        return only(
            members.select("audience_id", "audience_name", "audience_type", "contact_id", "status"),
            "contact_id",
        )
    frame = findings() if findings is not None else pl.DataFrame()
    if frame.width == 0:
        raise UsageError("No findings to export: the checks could not run on this cache.")
    return only(frame.lazy(), "contact_id")


def _choose(frame: pl.LazyFrame, columns: Sequence[str] | None) -> pl.LazyFrame:
    if not columns:
        return frame
    available = frame.collect_schema().names()
    unknown = [c for c in columns if c not in available]
    if unknown:
        raise UsageError(
            f"Unknown column(s) for --columns: {', '.join(unknown)}; "
            f"available: {', '.join(available)}."
        )
    return frame.select(list(dict.fromkeys(columns)))


def _for_spreadsheets(frame: pl.LazyFrame, *, raw: bool, naive_times: bool) -> pl.LazyFrame:
    """Lists as "a, b", times in UTC (naive for XLSX), text cells guarded unless `raw`."""
    out = []
    for name, dtype in frame.collect_schema().items():
        col = pl.col(name)
        if isinstance(dtype, pl.List):
            col = col.cast(pl.List(pl.String)).list.join(", ")
            dtype = pl.String()
        elif isinstance(dtype, pl.Datetime) and naive_times and dtype.time_zone:
            col = col.dt.convert_time_zone("UTC").dt.replace_time_zone(None)
        if dtype == pl.String and not raw:
            col = neutralise_formula_expr(col)
        out.append(col.alias(name))
    return frame.select(out)


# ---------------------------------------------------------------------------------------------
# Writing


def _write(
    frame: pl.LazyFrame, fmt: str, tmp: Path, metadata: dict[str, str], sheet_rows: int
) -> tuple[int, int]:
    """Write `frame` to `tmp`; returns (rows, sheets)."""
    if fmt == "parquet":
        frame.sink_parquet(tmp, metadata=metadata)
        return int(pl.scan_parquet(tmp).select(pl.len()).collect().item()), 1
    if fmt == "csv":
        frame.sink_csv(tmp)
        return int(pl.scan_csv(tmp, infer_schema=False).select(pl.len()).collect().item()), 1
    if fmt == "jsonl":
        frame.sink_ndjson(tmp)
        return int(pl.scan_ndjson(tmp, infer_schema_length=1).select(pl.len()).collect().item()), 1
    return _write_xlsx(frame.collect(), tmp, metadata, sheet_rows)


def _write_xlsx(
    frame: pl.DataFrame, tmp: Path, metadata: dict[str, str], sheet_rows: int
) -> tuple[int, int]:
    per_sheet = sheet_rows - 1  # the header takes a row
    # Text is text: nothing typed in a contact becomes a formula, a link or a number.
    options = {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}
    workbook = xlsxwriter.Workbook(str(tmp), options)
    workbook.set_properties(
        {
            "title": f"gomoq export: {metadata['gomoq.kind']}",
            "comments": f"Snapshot of {metadata['gomoq.snapshot_at']}; "
            f"filter: {metadata['gomoq.filter'] or '(none)'}",
        }
    )
    for key, value in metadata.items():
        workbook.set_custom_property(key, value or "-")
    kind = metadata["gomoq.kind"]
    sheets = max(1, -(-frame.height // per_sheet))
    for i in range(sheets):
        part = frame.slice(i * per_sheet, per_sheet)
        name = kind if i == 0 else f"{kind} ({i + 1})"
        part.write_excel(workbook, worksheet=name, autofit=False, autofilter=False)
    workbook.close()
    return frame.height, sheets
