"""CheckInput: tables conformed to the cache schema, memo computed once, snapshots scanned."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import polars as pl
import pytest

from gomoq.cache.schema import CALLS, CONTACTS
from gomoq.checks.base import CheckInput


def test_from_frames_fills_missing_tables_and_columns() -> None:
    tables = CheckInput.from_frames(contacts=pl.DataFrame({"id": ["a"], "city": ["Fès"]}))
    contacts = tables.table("contacts")
    assert contacts.schema == pl.Schema(CONTACTS)
    assert contacts.row(0, named=True)["city"] == "Fès"
    assert contacts["primary_phone"].to_list() == [None]
    assert tables.calls.collect().schema == pl.Schema(CALLS)
    assert tables.calls.collect().height == 0
    with pytest.raises(TypeError, match="unknown table"):
        CheckInput.from_frames(contact=pl.DataFrame({"id": ["a"]}))


def test_memo_computes_once_per_key() -> None:
    tables = CheckInput.from_frames()
    calls: list[int] = []

    def compute() -> int:
        calls.append(1)
        return len(calls)

    assert tables.memo("k", compute) == 1
    assert tables.memo("k", compute) == 1
    assert tables.memo("other", compute) == 2


def test_memo_computes_once_when_asked_from_two_threads_at_once() -> None:
    tables = CheckInput.from_frames()
    started = threading.Event()
    release = threading.Event()
    calls: list[int] = []

    def slow() -> int:
        calls.append(1)
        started.set()
        release.wait(5)
        return 42

    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(tables.memo, "k", slow)
        assert started.wait(5)
        second = pool.submit(tables.memo, "k", slow)
        release.set()
        assert (first.result(5), second.result(5)) == (42, 42)
    assert calls == [1]


def test_from_snapshot_scans_each_table() -> None:
    class Snap:
        def __init__(self) -> None:
            self.asked: list[str] = []

        def scan(self, table: str) -> pl.LazyFrame:
            self.asked.append(table)
            return pl.DataFrame({"id": ["x"]}).lazy() if table == "contacts" else pl.LazyFrame()

    snap = Snap()
    tables = CheckInput.from_snapshot(snap)
    assert set(snap.asked) == {
        "contacts",
        "attributes",
        "attribute_defs",
        "audiences",
        "audience_members",
        "calls",
    }
    assert tables.table("contacts")["id"].to_list() == ["x"]
    assert tables.calls.collect().height == 0  # a frame without columns has no rows


def test_given_phones_frame_is_used_as_is() -> None:
    phones = pl.DataFrame({"raw": ["0612345678"], "valid": [True]})
    assert CheckInput.from_frames(phones=phones).normalised_phones("MA") is phones


def test_contact_phones_keeps_the_contacts_order_and_repeats() -> None:
    contacts = pl.DataFrame(
        {
            "id": ["c", "a", "b", "d"],
            "primary_phone": ["0612345678", None, "+212612345678", "0612345678"],
            "city": ["Fès", None, "Rabat", "Oujda"],
        }
    )
    tables = CheckInput.from_frames(contacts=contacts)
    joined = tables.contact_phones("MA")
    assert joined["id"].to_list() == ["c", "a", "b", "d"]
    assert joined["city"].to_list() == ["Fès", None, "Rabat", "Oujda"]
    assert joined["e164"].to_list() == ["+212612345678", None, "+212612345678", "+212612345678"]
    assert tables.contact_phones("MA") is joined  # computed once per run
