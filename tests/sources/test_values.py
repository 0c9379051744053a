"""Typing text per attribute definition: numbers with either decimal mark, dates as people
type them, yes/no words; what cannot be typed gets a reason, never a guess."""

from __future__ import annotations

import polars as pl
import pytest

from gomoq.sources.values import infer_type, typed


def _typed(
    values: list[str | None], kind: str, **options: str
) -> tuple[list[object], list[object]]:
    out, why = typed(pl.col("v"), kind, **options)
    frame = pl.DataFrame({"v": values}, schema={"v": pl.String}).select(
        out.alias("o"), why.alias("w")
    )
    return frame["o"].to_list(), frame["w"].to_list()


def test_numbers_with_a_point() -> None:
    got, why = _typed(
        ["12", "-3", "1.5", "1,234.50", "1 234 567", "1,5", "1.234,50", None], "number"
    )
    assert got == [12.0, -3.0, 1.5, 1234.5, 1234567.0, None, None, None]
    assert why[5] is not None and "--decimal ," in str(why[5])
    assert why[7] is None  # no value is not a bad value


def test_numbers_with_a_comma() -> None:
    got, _why = _typed(
        ["1 234,50", "1.234,50", "1,5", "1\u00a0234,5", "1.5"], "number", decimal=","
    )
    assert got == [1234.5, 1234.5, 1.5, 1234.5, None]


def test_dates_day_first_by_default_and_month_first_on_request() -> None:
    values = [
        "2024-03-05",
        "05/03/2024",
        "5.3.2024",
        "2024-03-05 00:00:00",
        "31/02/2024",
        "05/03/24",
        "hier",
    ]
    got, why = _typed(values, "date")
    assert got[:4] == ["2024-03-05"] * 4
    assert got[4:] == [None, None, None]  # no 31 February; a 2-digit year is not guessed
    assert all(w is not None for w in why[4:])
    got, _ = _typed(["03/05/2024"], "date", date_order="mdy")
    assert got == ["2024-03-05"]
    got, _ = _typed(["2024-03-05T10:00:00Z"], "date")
    assert got == ["2024-03-05T10:00:00Z"]


def test_booleans_in_french_and_english() -> None:
    got, why = _typed(["Oui", "non", "YES", "no", "1", "0", "vrai", "peut-être"], "boolean")
    assert got == [True, False, True, False, True, False, True, None]
    assert why[-1] is not None


@pytest.mark.parametrize(
    ("kind", "good", "bad"),
    [
        ("email", "a@b.ma", "a@b"),
        ("url", "https://x.ma/p", "x.ma"),
        ("phone_number", "+212 6 12", "call me"),
        ("text", "x" * 1000, "x" * 1001),
    ],
)
def test_text_types_follow_the_api_rules(kind: str, good: str, bad: str) -> None:
    got, why = _typed([good, bad], kind)
    assert got[0] == good and why[0] is None
    assert why[1] is not None


def test_inferred_types() -> None:
    assert infer_type(pl.Series(["oui", "non"])) == "boolean"
    assert infer_type(pl.Series(["1", "0", "1"])) == "number"  # 0/1 alone is a number
    assert infer_type(pl.Series(["05/03/2024", None])) == "date"
    assert infer_type(pl.Series(["a@b.ma"])) == "email"
    assert infer_type(pl.Series(["Rabat", "12"])) == "text"
    # one typo in twenty numbers does not make the column text (the typo becomes a reject)
    assert infer_type(pl.Series([str(i) for i in range(19)] + ["douze"])) == "number"
    assert infer_type(pl.Series([None], dtype=pl.String)) == "text"
