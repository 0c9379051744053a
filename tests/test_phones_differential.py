"""`gomoq.phones.normalise` against `phonenumbers` itself, row by row, on varied strings.

The fast path must never disagree with phonenumbers: every generator format, mistakes, other
countries, non-geographic codes, random digit soup with separators, noise, empty strings, unicode
digits and very long strings.
"""

from __future__ import annotations

import random

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from phonenumbers.phonenumberutil import COUNTRY_CODE_TO_REGION_CODE

from gomoq import phones
from gomoq.sandbox import gen_phones as ph

_SEPARATORS = ["", "", "", " ", "-", ".", "  ", " - ", "(", ")", "/"]
_PREFIXES = ["", "", "+", "00", "0", "212", "+212", "00212", "+2120", "+212 (0)", "2120", "000"]
_NOISE = "0123456789+-. ()/#x;:*ext tel:abcABC٠١٢٣٤٥٦٧٨٩۰۱۲۳٤۵۶۷۸۹０１２３４５６７８９०१२३"
_CCS = sorted(COUNTRY_CODE_TO_REGION_CODE)


def _digits(rng: random.Random, n: int) -> str:
    return "".join(str(rng.randrange(10)) for _ in range(n))


def _group(rng: random.Random, digits: str) -> str:
    """`digits` with random separators between random-sized groups."""
    out, i = [], 0
    while i < len(digits):
        size = rng.randint(1, 4)
        out.append(digits[i : i + size])
        i += size
    sep = rng.choice(_SEPARATORS)
    return (
        sep.join(out) if rng.random() < 0.7 else "".join(x + rng.choice(_SEPARATORS) for x in out)
    )


def varied_strings(n: int, seed: int) -> list[str | None]:
    """`n` strings mixing every family of input the normaliser meets."""
    rng = random.Random(seed)
    out: list[str | None] = ["", " ", None, "+", "00", "0", "+212", "x" * 300, "0" * 260]
    while len(out) < n:
        r = rng.random()
        if r < 0.45:  # the generator's Moroccan numbers in every style, sometimes mistyped
            nsn = ph.new_mobile(rng) if rng.random() < 0.8 else ph.new_fixed(rng)
            m = rng.random()
            if m < 0.1:
                nsn = ph.substitute(nsn, rng)
            elif m < 0.15:
                nsn = ph.swap(nsn, rng) or nsn
            elif m < 0.2:
                nsn = ph.drop(nsn, rng)
            elif m < 0.25:
                nsn = ph.insert(nsn, rng)
            out.append(ph.write(nsn, rng.choice(ph.STYLE_NAMES), rng))
        elif r < 0.50:
            out.append(ph.write_foreign(ph.new_foreign(rng), rng))
        elif r < 0.53:
            out.append(ph.new_invalid(rng, set())[0])
        elif r < 0.78:  # random digits behind random prefixes, grouped
            body = _digits(rng, rng.randint(1, 14))
            if rng.random() < 0.5:
                body = rng.choice("5678") + body
            out.append(rng.choice(_PREFIXES) + _group(rng, body))
        elif r < 0.88:  # any calling code, random national part
            cc = str(rng.choice(_CCS))
            lead = rng.choice(["+", "00", "", "+ ", "+0"])
            out.append(lead + cc + _group(rng, _digits(rng, rng.randint(1, 13))))
        elif r < 0.95:  # noise
            out.append("".join(rng.choice(_NOISE) for _ in range(rng.randint(0, 25))))
        else:  # unicode digits and long strings
            digits = "0" + rng.choice("5678") + _digits(rng, rng.randint(6, 10))
            table = rng.choice(["٠١٢٣٤٥٦٧٨٩", "۰۱۲۳۴۵۶۷۸۹", "０１２３４５６７８９", "०१२३४५६७८९"])
            mixed = "".join(table[int(c)] if rng.random() < 0.7 else c for c in digits)
            out.append(mixed if rng.random() < 0.8 else mixed * rng.randint(5, 30))
    return out


def assert_same(values: list[str | None], region: str) -> None:
    series = pl.Series("raw", values, dtype=pl.String)
    _assert_frames_equal(phones.normalise(series, region), phones.reference(series, region))


def _assert_frames_equal(got: pl.DataFrame, want: pl.DataFrame) -> None:
    assert got.columns == want.columns
    assert got.height == want.height
    mismatch = (
        got.with_row_index("i")
        .join(want.with_row_index("i"), on="i", suffix="_ref")
        .filter(
            pl.any_horizontal([pl.col(c).ne_missing(pl.col(f"{c}_ref")) for c in phones.SCHEMA])
        )
    )
    assert mismatch.height == 0, mismatch.head(10).to_dicts()


@pytest.mark.slow
def test_two_hundred_thousand_varied_strings_match_phonenumbers() -> None:
    """All 200,000 rows through `normalise`; phonenumbers per row for every row the fast path
    decided, and for a sample of the rest (those *are* phonenumbers' answers, so checking all of
    them would only double the run time)."""
    values = varied_strings(200_000, seed=20261129)
    series = pl.Series("raw", values, dtype=pl.String)
    got = phones.normalise(series, "MA")
    assert got["raw"].to_list() == values
    split = phones._split(series.unique(), "MA")
    fast = split.filter(pl.col("nsn").is_not_null())["raw"]
    # The test is only worth something if the fast path decides a good share of these rows.
    assert fast.len() > 0.35 * split.height
    rest = split.filter(pl.col("nsn").is_null())["raw"].sample(10_000, seed=1)
    checked = pl.concat([fast, rest])
    mine = checked.to_frame().join(got.unique("raw"), on="raw", how="left", nulls_equal=True)
    _assert_frames_equal(mine, phones.reference(checked, "MA"))


@pytest.mark.parametrize("region", ["FR", "US", "EH", "IT"])
def test_other_default_regions_match_phonenumbers(region: str) -> None:
    assert_same(varied_strings(2_000, seed=sum(map(ord, region))), region)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet="0123456789+ -.()٠٦۱２x#", max_size=24))
def test_fuzzed_strings_match_phonenumbers(text: str) -> None:
    assert_same([text], "MA")


@settings(max_examples=100, deadline=None)
@given(
    st.sampled_from(["", "+", "00", "0", "212", "+212", "+2120", "00212"]),
    st.text(alphabet="0123456789", min_size=1, max_size=14),
    st.sampled_from(["", " ", "-", "."]),
)
def test_fuzzed_prefixed_digits_match_phonenumbers(prefix: str, digits: str, sep: str) -> None:
    grouped = sep.join(digits[i : i + 2] for i in range(0, len(digits), 2))
    assert_same([prefix + grouped, prefix + digits], "MA")


@settings(max_examples=150, deadline=None)
@given(
    st.sampled_from(
        ["", "Tel ", "tel: ", "GSM: ", "Mob. ", "x", "ext ", "a", "AB.", "tel:+", "e "]
    ),
    st.sampled_from(["", "+212", "+212 (0)", "00212", "0", "+33 ", "(0)"]),
    st.text(alphabet="0123456789 ", min_size=1, max_size=12),
    st.sampled_from(
        ["", ";", " (h)", " wa", " x", " x12", " ext", " (x)", " abc", "#", ";;", " a"]
    ),
)
def test_fuzzed_labels_and_notes_match_phonenumbers(
    label: str, prefix: str, digits: str, tail: str
) -> None:
    assert_same([label + prefix + digits + tail], "MA")
