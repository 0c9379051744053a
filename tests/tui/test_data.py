"""The workbench's view models on small hand-built frames (pure polars, no app)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

from gomoq.filters import FilterError
from gomoq.tui.data import (
    ContactIndex,
    FrameSource,
    apply_decisions,
    attribute_groups,
    call_failure_rows,
    cluster_view,
    contact_detail,
    describe_age,
    duplicate_queue,
    merge_payload,
    overview_cards,
    record_trend,
    trend_totals,
)
from tests.tui import frames


def source() -> FrameSource:
    return FrameSource(frames.frames())


def test_search_words_are_anded_case_insensitive_and_literal() -> None:
    index = ContactIndex.load(source())
    assert index.search("").height == 40
    assert index.search("FIRST1").height == 10  # First10..First19 (c001 is named First0)
    assert index.search("first1 last12")["id"].to_list() == ["c012"]
    assert index.search("first1.").height == 0  # a dot is a dot, not a regex
    fes = index.search("city:fès")
    assert fes.height == 8 and set(fes["city"]) == {"Fès"}
    assert index.search("email:person1*").height == 10  # person10..19; c001 has person0's
    assert index.search("phone:person1*").height == 0  # a column-scoped word stays in its column
    only = pl.Series(["c005", "c006", "c007"])
    assert index.search("first", only_ids=only)["id"].to_list() == ["c005", "c006", "c007"]


def test_contact_detail_gathers_everything() -> None:
    detail = contact_detail(source(), "c000", frames.findings())
    assert detail is not None
    assert ("city", "Rabat") in detail.fields
    assert detail.audiences == ["Farmers"]
    assert detail.calls.height == 3
    assert sorted(detail.findings["check"]) == ["attributes", "duplicates"]
    assert contact_detail(source(), "nobody") is None


def test_duplicate_queue_is_most_confident_first_with_decisions() -> None:
    findings = apply_decisions(frames.findings(), ["fd2"], "dismissed")
    queue = duplicate_queue(findings)
    assert [c.cluster_id for c in queue] == ["k1", "k2"]
    assert queue[0].member_ids == ["c000", "c001"] and queue[0].confidence == 0.95
    assert [c.decision for c in queue] == [None, "dismissed"]


def test_cluster_view_marks_differences_and_merge_payload_uses_api_names() -> None:
    cluster = duplicate_queue(frames.findings())[0]
    view = cluster_view(source(), cluster)
    assert view.differs("primary_phone") and view.differs("city")
    assert not view.differs("first_name")
    assert view.differs("@age") and "custom_attributes" not in view.fields
    payload = merge_payload(view, 1, {"primary_phone": 0, "@age": 1, "city": 1})
    assert payload == {
        "survivor": "c001",
        "losers": ["c000"],
        "fields": {"primaryPhone": "+212600000000"},
    }
    payload = merge_payload(view, 1, {"@age": 0, "created_at": 0})
    assert payload["attributes"] == {"age": "abc"} and payload["fields"] == {}


def test_call_failures_and_attribute_groups() -> None:
    rows = call_failure_rows(frames.findings(), source())
    assert rows["contact_id"].to_list() == ["c005", "c006"]
    # the check's own words, not a count of our own (issue 15 item 10)
    assert rows["evidence"].to_list() == ["3 failed calls in a row"] * 2
    assert rows["kind"].to_list() == ["repeated_failures"] * 2
    worse = pl.concat(
        [
            frames.findings(),
            frames.findings()
            .filter(pl.col("finding_id") == "fc6")
            .with_columns(
                finding_id=pl.lit("fc7"),
                contact_id=pl.lit("c007"),
                severity=pl.lit("error"),
                kind=pl.lit("always_failing"),
            ),
        ]
    )
    ranked = call_failure_rows(worse, source())
    assert ranked["contact_id"].to_list()[0] == "c007"  # always-failing errors on top
    groups = attribute_groups(apply_decisions(frames.findings(), ["fa0"], "flag"))
    assert groups.height == 1
    group = groups.row(0, named=True)
    assert (group["field"], group["value"], group["count"]) == ("age", "abc", 6)
    assert group["decision"] == "flag"


def test_cards_compare_with_the_previous_sync_and_trend_is_kept() -> None:
    findings = frames.findings()
    cards = {c.check: c for c in overview_cards(findings, {"attributes": {"error": 10}})}
    assert cards["attributes"].counts["error"] == 6 and cards["attributes"].change() == -4
    assert cards["phones"].change() is None
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    record_trend("p", t0, {"phones": {"error": 3}})
    record_trend("p", t0, {"phones": {"error": 4}})  # same sync: replaced
    history = record_trend("p", t0 + timedelta(days=1), {"phones": {"error": 1, "warn": 1}})
    assert trend_totals(history) == [4, 2]
    assert describe_age(t0, t0 + timedelta(minutes=5)) == "5 min ago"
    assert describe_age(None) == "never"


def test_finding_words_filter_contacts_by_their_findings() -> None:
    index = ContactIndex.load(source())
    findings = frames.findings()
    ids = index.search("first check:attributes", findings=findings)["id"].to_list()
    assert sorted(ids) == [f"c{i:03d}" for i in range(0, 40, 7)]
    # side by side, they hold for the same finding (as the search always did)
    ids = index.search("severity:error check:phones", findings=findings)["id"].to_list()
    assert ids == ["c010"]
    assert index.search("check:attributes").height == 0  # no findings given: none match


def test_search_uses_the_filter_language() -> None:
    index = ContactIndex.load(source())
    assert index.search("audience:farmers").height == 20
    assert index.search("-audience:Farmers city:fès").height == 4
    with pytest.raises(FilterError, match="did you mean 'age'"):
        index.search("agee:3")
    assert index.vocabulary().audiences == {"Farmers": "a1"}


def test_unexpected_errors_are_one_short_line_with_the_log_path(isolated_home: Path) -> None:
    from gomoq.secrets import register_secret
    from gomoq.tui.bridge import explain

    register_secret("sekret-key-0123456789")
    try:
        raise ValueError("bad thing with sekret-key-0123456789\n" + "x" * 500)
    except ValueError as exc:
        text = explain(exc)
    assert text.startswith("Unexpected problem (ValueError: bad thing with ***).")
    assert "x" * 200 not in text and "sekret" not in text
    log = isolated_home / "logs" / "tui.log"
    assert str(log) in text and "Traceback" in log.read_text() and "sekret" not in log.read_text()
