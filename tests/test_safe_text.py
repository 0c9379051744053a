"""The terminal and spreadsheet guards: scalar and polars forms agree, hostile text is defused."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from gomoq.safe_text import (
    neutralise_formula,
    neutralise_formula_expr,
    printable,
    printable_expr,
)

OSC52 = "\x1b]52;c;ZWNobyBwd25lZA==\x07"
CLEAR = "\x1b[2J"


def test_escapes_become_visible_and_harmless() -> None:
    shown = printable(f"Amina{CLEAR}{OSC52}")
    assert "\x1b" not in shown and "\x07" not in shown
    assert shown.startswith("Amina␛[2J␛]52;c;")
    assert shown.endswith("␇")
    assert len(shown) == len(f"Amina{CLEAR}{OSC52}")  # one cell per character: columns hold


def test_c1_and_del_are_replaced_and_plain_unicode_kept() -> None:
    assert printable("a\x9bb\x7fc") == "a\ufffdb\u2421c"
    assert printable("محمد Ülker +212 6") == "محمد Ülker +212 6"


@pytest.mark.parametrize(
    ("cell", "guarded"),
    [
        ('=HYPERLINK("http://x","y")', True),
        ("@SUM(1)", True),
        ("\tcmd", True),
        ("\rcmd", True),
        ("+1+cmd|' /C calc'!A0", True),
        ("-2+3", True),
        ("+212-612-345678", True),
        ("+212612345678", False),
        ("+212 6 12 34 56 78", False),
        ("+212 (0)6 12 34 56 78", False),
        ("-12.5", False),
        ("0612345678", False),
        ("Rabat", False),
        ("", False),
    ],
)
def test_formula_guard(cell: str, guarded: bool) -> None:
    out = neutralise_formula(cell)
    assert out == ("'" + cell if guarded else cell)


@given(st.lists(st.text(max_size=12), max_size=20))
def test_polars_forms_agree_with_scalar_forms(values: list[str]) -> None:
    frame = pl.DataFrame({"v": values}, schema={"v": pl.String})
    got = frame.select(p=printable_expr(pl.col("v")), f=neutralise_formula_expr(pl.col("v")))
    assert got["p"].to_list() == [printable(v) for v in values]
    assert got["f"].to_list() == [neutralise_formula(v) for v in values]


def test_nulls_stay_null() -> None:
    frame = pl.DataFrame({"v": [None, "=1"]}, schema={"v": pl.String})
    got = frame.select(p=printable_expr(pl.col("v")), f=neutralise_formula_expr(pl.col("v")))
    assert got["p"].to_list() == [None, "=1"]
    assert got["f"].to_list() == [None, "'=1"]


def test_trailing_newline_does_not_hide_a_formula() -> None:
    frame = pl.DataFrame({"v": ["+1\n"]})
    assert neutralise_formula("+1\n") == "'+1\n"
    assert frame.select(f=neutralise_formula_expr(pl.col("v")))["f"][0] == "'+1\n"
