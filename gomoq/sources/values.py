"""Text from a source file to the type an attribute's definition asks for, in polars.

Each `typed(values, type)` returns the typed column and, beside it, why each value that could
not be typed was refused; a value is never guessed (the preflight rejects its row instead):

- number: digits with one decimal mark, the mark given by `--decimal` (`.` or `,`); spaces
  (also no-break spaces) and the *other* mark may group thousands only in groups of three
  (`1 234,50`, `1.234,50` with `--decimal ,`; `1,234.50` with the default `.`). `1,5` with the
  default `.` is refused (`--decimal ,` reads it), never read as 15 or 1.5 by chance;
- boolean: oui/non, yes/no, true/false, vrai/faux, 1/0, o/n, y/n (any case);
- date: ISO (`2024-03-05`, a date-time with offset), `05/03/2024`, `05-03-2024`, `05.03.2024`
  (day first, or month first with `date_order="mdy"`), `2024/03/05`, and a spreadsheet's
  `2024-03-05 00:00:00`; two-digit years are refused (which century?). Stored as `YYYY-MM-DD`
  (a date-time as given);
- text, email, url, phone_number: the text as is, checked by the API's rule for that type.

`infer_type` picks a type for an undefined attribute from its values (all must fit).
"""

from __future__ import annotations

from typing import Final

import polars as pl

from gomoq.api.contract import DATETIME_PATTERN
from gomoq.sources.fields import ATTRIBUTE_TYPES, string_problem

TRUE_WORDS: Final = ("oui", "yes", "true", "vrai", "1", "o", "y")
FALSE_WORDS: Final = ("non", "no", "false", "faux", "0", "n")
_SPACES: Final = r"[\s\u00a0\u202f]"
DATE_ORDERS: Final = ("dmy", "mdy")
DECIMALS: Final = (".", ",")


def _number(values: pl.Expr, decimal: str) -> pl.Expr:
    other = "," if decimal == "." else "."
    d, o = "\\" + decimal, "\\" + other
    compact = values.str.replace_all(_SPACES, "")
    plain = rf"^[+-]?\d+(?:{d}\d+)?$"
    grouped = rf"^[+-]?\d{{1,3}}(?:{o}\d{{3}})+(?:{d}\d+)?$"
    spaced = rf"^[+-]?\d{{1,3}}(?:{_SPACES}\d{{3}})+(?:{d}\d+)?$"
    ok = compact.str.contains(plain) | compact.str.contains(grouped) | values.str.contains(spaced)
    cleaned = compact.str.replace_all(other, "", literal=True).str.replace(
        decimal, ".", literal=True
    )
    return pl.when(ok).then(cleaned.cast(pl.Float64, strict=False))


def _boolean(values: pl.Expr) -> pl.Expr:
    low = values.str.to_lowercase()
    return (
        pl.when(low.is_in(list(TRUE_WORDS)))
        .then(pl.lit(True))
        .when(low.is_in(list(FALSE_WORDS)))
        .then(pl.lit(False))
    )


def _date(values: pl.Expr, date_order: str) -> pl.Expr:
    day_first = date_order == "dmy"
    slashed = (
        ("%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y") if day_first else ("%m/%d/%Y", "%m-%d-%Y", "%m.%d.%Y")
    )
    formats = ("%Y-%m-%d", "%Y/%m/%d", *slashed)
    head = values.str.replace(r"^(\d{4}-\d{2}-\d{2}) 00:00:00(?:\.0+)?$", "$1")
    candidates = [
        pl.when(head.str.contains(r"^\d{1,4}[-/.]\d{1,2}[-/.]\d{2,4}$"))
        .then(head.str.strptime(pl.Date, fmt, strict=False))
        .dt.strftime("%Y-%m-%d")
        for fmt in formats
    ]
    iso_stamp = pl.when(values.str.contains(DATETIME_PATTERN)).then(values)
    four_digit_year = head.str.contains(r"(?:^\d{4}[-/.])|(?:[-/.]\d{4}$)")
    return pl.when(four_digit_year | iso_stamp.is_not_null()).then(
        pl.coalesce(iso_stamp, *candidates)
    )


def typed(
    values: pl.Expr, attr_type: str, *, decimal: str = ".", date_order: str = "dmy"
) -> tuple[pl.Expr, pl.Expr]:
    """(typed value, reason it could not be typed) for trimmed, non-empty text `values`.

    The typed value is Float64 for numbers, Boolean for booleans, text otherwise; the reason
    is null where the value typed (and null where the value is null)."""
    if attr_type == "number":
        out = _number(values, decimal)
        why = "not a number" + (
            " (with --decimal ,)" if decimal == "," else " (--decimal , reads 1,5)"
        )
        return out, pl.when(values.is_not_null() & out.is_null()).then(pl.lit(why))
    if attr_type == "boolean":
        out = _boolean(values)
        why = "not a yes/no value (oui/non, yes/no, true/false, 1/0)"
        return out, pl.when(values.is_not_null() & out.is_null()).then(pl.lit(why))
    if attr_type == "date":
        out = _date(values, date_order)
        why = f"not a date ({'day' if date_order == 'dmy' else 'month'} first, 4-digit year)"
        return out, pl.when(values.is_not_null() & out.is_null()).then(pl.lit(why))
    if attr_type in ATTRIBUTE_TYPES:
        return values, pl.when(values.is_not_null()).then(string_problem(attr_type, values))
    raise ValueError(f"unknown attribute type {attr_type}")


INFER_ORDER: Final = ("boolean", "number", "date", "email", "url")
INFER_SHARE: Final = 0.9


def infer_type(values: pl.Series, *, decimal: str = ".", date_order: str = "dmy") -> str:
    """The narrowest type every non-empty value fits; failing that, the first that at least
    `INFER_SHARE` of them fit (the others become rejects, so a typo does not turn a number
    column into text); `text` when none does. Values that are all 0 and 1 count as numbers,
    not booleans."""
    present = values.drop_nulls()
    if present.len() == 0:
        return "text"
    frame = present.to_frame("v")
    fits: dict[str, float] = {}
    for kind in INFER_ORDER:
        if kind == "boolean" and present.is_in(["0", "1"]).all():
            continue
        _out, why = typed(pl.col("v"), kind, decimal=decimal, date_order=date_order)
        fits[kind] = frame.select(why.is_null().mean()).item()
        if fits[kind] == 1.0:
            return kind
    for kind, share in fits.items():
        if share >= INFER_SHARE:
            return kind
    return "text"
