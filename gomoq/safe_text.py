"""Text that is safe to show in a terminal and to open in a spreadsheet.

Contact data comes from the API, and anyone who can create a contact can put anything in a name or
a phone: terminal escape sequences (a screen clear, an OSC 52 clipboard write) or spreadsheet
formulas (`=HYPERLINK(…)`, `@SUM(1)`). This module is the one home of both guards:

- `printable` / `printable_expr`: every C0 control character (U+0000–U+001F), DEL and every C1
  control character (U+0080–U+009F) is replaced by a visible stand-in, so nothing reaches the
  terminal as a command. C0 characters and DEL become their Unicode "control pictures" (ESC shows
  as ␛, BEL as ␇, a newline as ␊) — one cell wide, so table columns keep their width; C1
  characters, which have no pictures, become U+FFFD (�). JSON output does not need this: its
  encoder escapes control characters itself.
- `neutralise_formula` / `neutralise_formula_expr`: a cell that a spreadsheet would run as a
  formula gets a leading apostrophe (the OWASP "CSV injection" advice). A cell is a formula when
  it begins with `=`, `@`, a tab or a carriage return, or with `+` or `-` followed by anything
  but digits, spaces, dots and parentheses. Phone numbers such as `+212 6 12 34 56 78` or
  `+212612345678` are therefore left as they are: a spreadsheet cannot execute them, and a person
  reads them as phone numbers (an apostrophe in front of every international number would be
  noise on most rows of a contact export). A number written with dashes (`+212-612-345678`) is
  guarded, since a spreadsheet would compute it as a subtraction.
"""

from __future__ import annotations

import re
from typing import Final

import polars as pl

_CONTROL_CLASS: Final = "[\x00-\x1f\x7f-\x9f]"
_CONTROL: Final = re.compile(_CONTROL_CLASS)
_DEL: Final = "\x7f"


def _picture(char: str) -> str:
    """The visible stand-in for one control character."""
    code = ord(char)
    if code < 0x20:
        return chr(0x2400 + code)  # U+2400..U+241F: the C0 control pictures
    if char == _DEL:
        return "\u2421"  # ␡
    return "\ufffd"


_TRANSLATION: Final = {
    code: _picture(chr(code)) for code in (*range(0x20), 0x7F, *range(0x80, 0xA0))
}


def printable(text: str) -> str:
    """`text` with every C0/C1 control character replaced by a visible one-cell stand-in."""
    if not _CONTROL.search(text):
        return text
    return text.translate(_TRANSLATION)


def printable_expr(expr: pl.Expr) -> pl.Expr:
    """`printable` for a polars string expression (cheap when no value holds a control)."""
    replaced = expr
    for code, picture in _TRANSLATION.items():
        replaced = replaced.str.replace_all(chr(code), picture, literal=True)
    # Only rows that hold a control character pay for the 65 replacements.
    return pl.when(expr.str.contains(_CONTROL_CLASS)).then(replaced).otherwise(expr)


# A formula trigger, unless it is a plain signed number/phone that a spreadsheet cannot execute.
_FORMULA: Final = re.compile(r"^(?:[=@\t\r]|[+-](?![0-9 ().]*\Z))")


def neutralise_formula(text: str) -> str:
    """`text` with a leading apostrophe when a spreadsheet would run it as a formula."""
    return "'" + text if _FORMULA.match(text) else text


def neutralise_formula_expr(expr: pl.Expr) -> pl.Expr:
    """`neutralise_formula` for a polars string expression."""
    risky = expr.str.contains(r"^[=@\t\r]") | (
        expr.str.contains(r"^[+-]") & ~expr.str.contains(r"^[+-][0-9 ().]*$")
    )
    return pl.when(risky).then(pl.lit("'") + expr).otherwise(expr)
