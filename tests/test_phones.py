"""Unit tests of `gomoq.phones`: the result shape, the metadata-derived classifier, the memo."""

from __future__ import annotations

from pathlib import Path

import phonenumbers
import polars as pl
import pytest

from gomoq import phones


def test_common_moroccan_shapes_give_one_e164() -> None:
    raws = [
        "+212612345678",
        "0612345678",
        "06 12 34 56 78",
        "00212612345678",
        "212612345678",
        "612345678",
        "٠٦١٢٣٤٥٦٧٨",
        "+212 (0)612345678",
        "06.12.34.56.78",
    ]
    out = phones.normalise(pl.Series(raws))
    assert out["raw"].to_list() == raws
    assert set(out["e164"]) == {"+212612345678"}
    assert out["valid"].all() and out["possible"].all()
    assert set(out["number_type"]) == {"MOBILE"}
    assert set(out["region_code"]) == {"MA"}


def test_order_duplicates_and_nulls_are_kept() -> None:
    raws = ["0612345678", None, "0612345678", "N/A", "", "+33612345678"]
    out = phones.normalise(pl.Series(raws, dtype=pl.String))
    assert out.height == 6
    assert out["raw"].to_list() == raws
    assert out["parse_error"].to_list() == [
        None,
        "NOT_A_NUMBER",
        None,
        "NOT_A_NUMBER",
        "NOT_A_NUMBER",
        None,
    ]
    assert out["region_code"][5] == "FR"
    assert out.schema == pl.Schema(phones.SCHEMA)


def test_empty_input() -> None:
    out = phones.normalise(pl.Series([], dtype=pl.String))
    assert out.height == 0 and out.schema == pl.Schema(phones.SCHEMA)


def test_classifier_follows_metadata_on_every_three_digit_prefix() -> None:
    """Each 3-digit MA prefix (with a few suffixes) typed as phonenumbers types it: the fast path
    reads the patterns from `PhoneMetadata`, so this also catches a metadata misreading."""
    nsns = [f"{p}{s}" for p in range(100, 1000) for s in ("000000", "123456", "999999", "505050")]
    raws = pl.Series(["0" + n for n in nsns])
    split = phones._split(raws, "MA")
    assert split["nsn"].is_not_null().all()  # all decided by the fast path
    got = phones.normalise(raws)
    assert got.equals(phones.reference(raws))
    types = set(got["number_type"])
    assert {"MOBILE", "FIXED_LINE", "VOIP", "TOLL_FREE", "PREMIUM_RATE", "UNKNOWN"} <= types


def test_fast_path_decides_generator_shapes() -> None:
    raws = pl.Series(
        [
            "+212612345678",
            "0522123456",
            "212712345678",
            "+33612345678",
            "0033612345678",
            "612345678",
        ]
    )
    assert phones._split(raws, "MA")["nsn"].is_not_null().all()


def test_parse_errors_are_named() -> None:
    raws = pl.Series(["+999123456", "+1", "x" * 300, "+2121"])
    out = phones.normalise(raws)
    assert out["parse_error"].to_list() == [
        "INVALID_COUNTRY_CODE",
        "NOT_A_NUMBER",
        "TOO_LONG",
        "TOO_SHORT_NSN",
    ]
    assert out["e164"].null_count() == 4 and not out["valid"].any()
    assert out.equals(phones.reference(raws))


def _count_parsed(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    real = phones._normalise_unique

    def counting(unique: pl.Series, region: str) -> pl.DataFrame:
        calls.append(unique.len())
        return real(unique, region)

    monkeypatch.setattr(phones, "_normalise_unique", counting)
    return calls


def test_memo_parses_only_new_values(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _count_parsed(monkeypatch)
    first = pl.Series(["0612345678", "0612345679", "N/A", None], dtype=pl.String)
    a = phones.normalise_cached(first)
    assert calls == [4]
    assert phones.memo_path("MA").exists()
    b = phones.normalise_cached(pl.Series(["0612345679", "0700000000", None], dtype=pl.String))
    assert calls == [4, 1]
    assert b["raw"].to_list() == ["0612345679", "0700000000", None]
    assert b.equals(phones.reference(b["raw"]))
    phones.normalise_cached(first)
    assert calls == [4, 1]  # nothing new: the memo file is not rewritten either
    assert a.equals(phones.reference(first))


def test_warm_memo_answers_in_order_with_repeats(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _count_parsed(monkeypatch)
    phones.normalise_cached(pl.Series(["0612345678", "N/A", None, "+33612345678"]))
    again = pl.Series(["+33612345678", None, "0612345678", "N/A", "0612345678"], dtype=pl.String)
    warm = phones.normalise_cached(again)
    assert calls == [4]  # answered from the memo alone
    assert warm["raw"].to_list() == again.to_list()
    assert warm.equals(phones.reference(again))


def test_memo_is_ignored_for_another_phonenumbers_version(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls = _count_parsed(monkeypatch)
    phones.normalise_cached(pl.Series(["0612345678"]))
    monkeypatch.setattr(phonenumbers, "__version__", "0.0.1")
    phones.normalise_cached(pl.Series(["0612345678"]))
    assert calls == [1, 1]


def test_damaged_memo_costs_a_reparse_not_a_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    path: Path = phones.memo_path("MA")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"not parquet")
    out = phones.normalise_cached(pl.Series(["0612345678"]))
    assert out["e164"].to_list() == ["+212612345678"]


def test_memo_is_cut_back_past_its_limit() -> None:
    phones.normalise_cached(pl.Series(["0612345678", "0612345679"]))
    phones.normalise_cached(pl.Series(["0612345670"]), memo_limit=2)
    assert pl.read_parquet(phones.memo_path("MA"))["raw"].to_list() == ["0612345670"]
