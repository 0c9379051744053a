"""run_checks / run_checks_on: findings, summary, decisions across re-runs, snapshots."""

from __future__ import annotations

from collections.abc import Iterator

import polars as pl
import pytest

from gomoq.checks.base import CheckInput
from gomoq.checks.settings import CheckSettings
from gomoq.config import Profile
from gomoq.errors import UsageError
from gomoq.progress import ProgressEvent
from gomoq.services import checks as service
from tests.checks.conftest import NOW, calls, contacts
from tests.services.checks_fakes import (
    MY_CHECKS,
    FakeSnapshot,
    install_snapshots,
    make_profile,
    org,
)


@pytest.fixture
def snapshots(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, FakeSnapshot]]:
    """Fake snapshots by `which` ("current", "previous"); absent means no cache."""
    yield from install_snapshots(monkeypatch)


@pytest.fixture
def profile() -> Profile:
    """A saved, active profile `p` with the CHECKS engineer's checks enabled."""
    return make_profile()


SETTINGS = CheckSettings(now=NOW)


def test_run_checks_on_findings_summary_and_progress() -> None:
    events: list[ProgressEvent] = []
    run = service.run_checks_on(
        CheckInput.from_frames(**org()), SETTINGS, checks=MY_CHECKS, progress=events.append
    )
    got = run.findings.select("check", "contact_id", "kind", "severity").rows()
    # Sorted by severity, then check in the canonical order.
    assert got == [
        ("call_failures", "fail", "always_failing", "error"),
        ("attributes", "attr", "invalid_value", "error"),
        ("inactivity", "quiet", "inactive", "warn"),
        ("inactivity", "fail", "never_answered", "info"),
    ]
    assert run.findings["decision"].null_count() == 4
    s = run.summary
    assert (s.checks["call_failures"].error, s.checks["inactivity"].warn) == (1, 1)
    assert s.count("error") == 2 and s.contacts == 3
    assert s.unknown_statuses == {"network_congestion": 1}
    assert run.reaches("error") and run.reaches("warn")
    # Checks run two at a time: the first event names the two dearest, counts only grow.
    steps = [e for e in events if not e.finished]
    assert steps[0].message == "call_failures, attributes" and steps[0].done == 0
    assert [e.done for e in steps] == sorted(e.done for e in steps)
    assert {e.total for e in events} == {3}
    assert events[-1].finished and events[-1].done == 3


def test_unknown_check_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="Unknown check"):
        service.run_checks_on(CheckInput.from_frames(), SETTINGS, checks=["nope"])


def test_no_cache_is_a_usage_error_telling_to_sync(profile: Profile) -> None:
    with pytest.raises(UsageError, match=r"No cache for profile p yet: run `gomoq sync`\."):
        service.run_checks(profile)


def test_dismissal_survives_a_resync_and_returns_when_the_data_changes(
    profile: Profile, snapshots: dict[str, FakeSnapshot]
) -> None:
    snapshots["current"] = FakeSnapshot(**org())
    first = service.run_checks(profile, settings=SETTINGS)
    bad = first.findings.filter(pl.col("check") == "attributes")["finding_id"][0]
    assert service.record_decision(profile, [bad], "dismissed", note="12 is fine") == [bad]

    # A new sync with the same data: the dismissed finding stays hidden.
    snapshots["previous"] = snapshots["current"]
    snapshots["current"] = FakeSnapshot(**org())
    second = service.run_checks(profile, settings=SETTINGS)
    assert bad not in second.findings["finding_id"].to_list()
    assert second.summary.checks["attributes"].dismissed_hidden == 1
    shown = service.run_checks(profile, settings=SETTINGS, include_dismissed=True)
    assert shown.findings.filter(pl.col("finding_id") == bad)["decision"].to_list() == ["dismissed"]
    assert second.summary.changes == service.SnapshotChanges(0, 0, 0, 0)

    # The value changes: the same finding (same id) comes back undecided.
    snapshots["current"] = FakeSnapshot(**org(bad_age="twelve"))
    third = service.run_checks(profile, settings=SETTINGS)
    back = third.findings.filter(pl.col("finding_id") == bad)
    assert back["value"].to_list() == ["twelve"]
    assert back["decision"].to_list() == [None]

    # Undo: forgetting the decision is reported once.
    assert service.forget_decision(profile, [bad, bad]) == [bad]
    assert service.forget_decision(profile, [bad]) == []


def test_deciding_an_unknown_id_is_a_usage_error(
    profile: Profile, snapshots: dict[str, FakeSnapshot]
) -> None:
    snapshots["current"] = FakeSnapshot(**org())
    with pytest.raises(UsageError, match="No current finding with id deadbeef"):
        service.record_decision(profile, ["deadbeef"], "dismissed")


def test_app_style_contact_fingerprint_decisions_hold(
    profile: Profile, snapshots: dict[str, FakeSnapshot]
) -> None:
    fingerprint = pytest.importorskip("gomoq.plan.fingerprint")
    from gomoq.state import db, decisions

    frames = org()
    snapshots["current"] = FakeSnapshot(**frames)
    run = service.run_checks(profile, settings=SETTINGS)
    row = run.findings.filter(pl.col("check") == "call_failures").row(0, named=True)
    contact = frames["contacts"].filter(pl.col("id") == row["contact_id"]).row(0, named=True)
    conn = db.connect()
    decisions.record(
        conn,
        "p",
        row["finding_id"],
        "dismissed",
        data_fingerprint=fingerprint.contact_fingerprint(contact),
    )
    again = service.run_checks(profile, settings=SETTINGS)
    assert row["finding_id"] not in again.findings["finding_id"].to_list()


def test_changes_since_the_previous_snapshot(
    profile: Profile, snapshots: dict[str, FakeSnapshot]
) -> None:
    before = org()
    after = org()
    stamp = pl.lit(NOW).dt.cast_time_unit("ms")
    before["contacts"] = before["contacts"].with_columns(updated_at=stamp)
    edited = after["contacts"].with_columns(
        updated_at=pl.when(pl.col("id") == "attr").then(stamp.dt.offset_by("1d")).otherwise(stamp)
    )
    after["contacts"] = pl.concat(
        [edited.filter(pl.col("id") != "quiet"), contacts("new")], how="diagonal"
    )
    extra = calls(("new", "answered", 1)).with_columns(pl.lit("call-new").alias("id"))
    after["calls"] = pl.concat([after["calls"], extra])
    snapshots["previous"] = FakeSnapshot(**before)
    snapshots["current"] = FakeSnapshot(**after)
    run = service.run_checks(profile, settings=SETTINGS)
    assert run.summary.changes == service.SnapshotChanges(
        contacts_added=1, contacts_removed=1, contacts_updated=1, calls_added=1
    )


def test_cancel_between_checks() -> None:
    from gomoq.errors import Cancelled

    asked: list[int] = []

    def cancel_after_first() -> bool:
        asked.append(1)
        return len(asked) > 1

    with pytest.raises(Cancelled):
        service.run_checks_on(
            CheckInput.from_frames(**org()),
            SETTINGS,
            checks=MY_CHECKS,
            should_cancel=cancel_after_first,
        )
    assert len(asked) == 2


def test_one_run_computes_the_call_summary_once_without_a_fixed_now(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # `gomoq check` runs with "now" unset: the run must take one reference instant, or every
    # reader of the shared call summary (call failures twice, inactivity) recomputes it.
    from gomoq.checks import call_failures

    made: list[int] = []
    real = call_failures._prepared

    def counting(*args: object, **kwargs: object) -> pl.LazyFrame:
        made.append(1)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(call_failures, "_prepared", counting)
    run = service.run_checks_on(CheckInput.from_frames(**org()), CheckSettings(), checks=MY_CHECKS)
    assert run.summary.checks["call_failures"].total > 0
    assert len(made) == 1


def test_a_headless_run_feeds_the_findings_trend(
    profile: Profile, snapshots: dict[str, FakeSnapshot]
) -> None:
    """`gomoq check` from cron records the trend the Overview draws (gomoq.state.trend)."""
    from gomoq.state import trend

    snapshots["current"] = FakeSnapshot(**org())
    snapshots["current"].manifest["synced_at"] = "2026-01-01T00:00:00Z"
    first = service.run_checks(profile, settings=SETTINGS)
    service.run_checks(profile, settings=SETTINGS)  # the same snapshot again: one entry
    snapshots["current"] = FakeSnapshot(**org(bad_age="twelve"))
    snapshots["current"].manifest["synced_at"] = "2026-01-02T00:00:00Z"
    service.run_checks(profile, settings=SETTINGS, checks=["attributes"])  # partial: not a point
    history = trend.history(profile.name)
    assert [h["synced_at"] for h in history] == ["2026-01-01T00:00:00+00:00"]
    assert trend.totals(history) == [first.findings.height]
    service.run_checks(profile, settings=SETTINGS)
    assert len(trend.history(profile.name)) == 2
