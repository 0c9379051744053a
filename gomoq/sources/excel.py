"""Excel workbooks (XLSX, XLSM, XLSB, ODS) through fastexcel (calamine, in Rust): the one module
of gomoq that knows the reader, so it can be swapped for another in one place.

Cells are read as text, as they show in the sheet: a number cell `612345678` gives
"612345678" (never "612345678.0"), a date cell "2024-03-05 00:00:00"; typing happens later,
per attribute definition (`gomoq.sources.values`).
"""

from __future__ import annotations

from pathlib import Path

import fastexcel
import polars as pl

from gomoq.errors import UsageError


def _reader(path: Path) -> fastexcel.ExcelReader:
    try:
        return fastexcel.read_excel(str(path))
    except Exception as exc:  # fastexcel raises its own tree (CalamineError, ...) and OSError
        raise UsageError(
            f"{path.name} cannot be read as a workbook ({type(exc).__name__}: "
            f"{str(exc).splitlines()[0][:120] if str(exc) else 'no detail'})."
        ) from None


def sheet_names(path: Path) -> list[str]:
    """The workbook's sheet names, in order."""
    return list(_reader(path).sheet_names)


def choose_sheet(path: Path, sheet: str | None) -> str:
    """The sheet to read: `sheet` when given (it must exist), else the only one; a workbook
    with several sheets and no `--sheet` is a usage error naming them."""
    names = sheet_names(path)
    if sheet is not None:
        if sheet in names:
            return sheet
        raise UsageError(f"{path.name} has no sheet {sheet!r}; its sheets: {', '.join(names)}.")
    if not names:
        raise UsageError(f"{path.name} has no sheets.")
    if len(names) > 1:
        raise UsageError(
            f"{path.name} has {len(names)} sheets ({', '.join(names)}); "
            "choose one with --sheet NAME."
        )
    return names[0]


def read_sheet(path: Path, sheet: str) -> pl.DataFrame:
    """Every cell of `sheet` as text, the first row being the header."""
    try:
        frame = _reader(path).load_sheet(sheet, dtypes="string").to_polars()
    except UsageError:
        raise
    except Exception as exc:
        raise UsageError(
            f"Sheet {sheet!r} of {path.name} cannot be read ({type(exc).__name__})."
        ) from None
    return frame.cast(dict.fromkeys(frame.columns, pl.String()))
