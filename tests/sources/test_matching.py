"""Matching checked rows to cached contacts by normalised phone: new, one holder (only what
differs, typed), several holders (untouched, reported); by a source key with a phone fallback."""

from __future__ import annotations

import polars as pl

from gomoq.cache.schema import empty_frame
from gomoq.sources.matching import match_by_key, match_by_phone
from gomoq.sources.reading import ROW


def _cache() -> tuple[pl.DataFrame, pl.LazyFrame, pl.LazyFrame]:
    contacts = pl.concat(
        [
            empty_frame("contacts"),
            pl.DataFrame(
                {
                    "id": ["a", "b", "c1", "c2"],
                    "primary_phone": ["0612345678", "+212611111111", "0622222222", "+212622222222"],
                    "full_name": ["Ali", "Sara", "Twin", "Twin"],
                    "city": ["Rabat", None, "Fès", "Fès"],
                }
            ),
        ],
        how="diagonal_relaxed",
    )
    live = contacts.select(
        "id",
        "primary_phone",
        pl.Series("phone", ["+212612345678", "+212611111111", "+212622222222", "+212622222222"]),
    )
    attributes = pl.DataFrame(
        {
            "contact_id": ["a", "a", "b"],
            "name": ["score", "crm_id", "score"],
            "value": ["12", "K1", "12"],
            "json_type": ["number", "string", "string"],  # b holds the string "12"
        }
    )
    return live, contacts.lazy(), attributes.lazy()


ROWS = pl.DataFrame(
    {
        ROW: [1, 2, 3, 4],
        "phone": ["+212612345678", "+212611111111", "+212622222222", "+212699999999"],
        "fullName": ["Ali", "Sara", "Twin", "Nouveau"],
        "city": ["Rabat", "Agadir", "Oujda", None],
        "attr:score": [12.0, 12.0, 1.0, 3.0],
    }
)
FIELDS = ["fullName", "city", "attr:score"]


def test_by_phone() -> None:
    live, contacts, attributes = _cache()
    m = match_by_phone(ROWS, live, contacts, attributes, FIELDS, {"score": "number"})
    assert m.summary() == {"new": 1, "changed": 1, "unchanged": 1, "ambiguous": 1}
    [update] = m.updates
    # b: the city was empty, the score was the string "12": both written, the name is equal
    assert update["contact"] == "b" and update["phone"] == "+212611111111"
    assert update["set"] == {"city": "Agadir", "customAttributes": {"score": 12}}
    assert update["was"] == {"city": None, "customAttributes": {"score": "12"}}
    assert m.creates == [
        {"primaryPhone": "+212699999999", "fullName": "Nouveau", "customAttributes": {"score": 3}}
    ]
    assert m.ambiguous.to_dicts() == [{ROW: 3, "phone": "+212622222222", "contacts": ["c1", "c2"]}]


def test_only_empty_fills_without_overwriting() -> None:
    live, contacts, attributes = _cache()
    rows = ROWS.with_columns(pl.Series("city", ["Casablanca", "Agadir", None, None]))
    m = match_by_phone(rows, live, contacts, attributes, ["city"], {}, only_empty=True)
    assert [(u["contact"], u["set"]) for u in m.updates] == [("b", {"city": "Agadir"})]


def test_by_key_falls_back_to_the_phone() -> None:
    live, contacts, attributes = _cache()
    rows = pl.DataFrame(
        {
            ROW: [1, 2],
            # K1 is contact a, moved to a new number; K2 is unknown but b holds its phone
            "phone": ["+212633333333", "+212611111111"],
            "attr:crm_id": ["K1", "K2"],
        }
    )
    m = match_by_key(
        rows, live, contacts, attributes, ["attr:crm_id"], {"crm_id": "text"}, "crm_id"
    )
    by_contact = {u["contact"]: u["set"] for u in m.updates}
    assert by_contact == {
        "a": {"primaryPhone": "+212633333333"},
        "b": {"customAttributes": {"crm_id": "K2"}},
    }
    assert m.creates == []


def test_whole_numbers_are_sent_as_integers() -> None:
    live, contacts, attributes = _cache()
    m = match_by_phone(ROWS, live, contacts, attributes, FIELDS, {"score": "number"})
    assert type(m.creates[0]["customAttributes"]["score"]) is int
    halves = ROWS.with_columns(pl.Series("attr:score", [12.0, 12.0, 1.0, 2.5]))
    m = match_by_phone(halves, live, contacts, attributes, FIELDS, {"score": "number"})
    assert m.creates[0]["customAttributes"]["score"] == 2.5


def test_a_file_of_phones_alone() -> None:
    live, contacts, attributes = _cache()
    m = match_by_phone(ROWS.select(ROW, "phone"), live, contacts, attributes, [], {})
    assert m.creates == [{"primaryPhone": "+212699999999"}]
    assert m.summary()["unchanged"] == 2
