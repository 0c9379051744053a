"""Call failures on hand-built histories: exact kinds, evidence, boundaries, unknown statuses."""

from __future__ import annotations

import polars as pl
import pytest

from gomoq.checks import call_failures
from gomoq.checks.findings import FINDINGS_SCHEMA
from gomoq.checks.ids import finding_id
from gomoq.checks.settings import CheckSettings
from tests.checks.conftest import NOW, calls, contacts, make_input


def run(calls_frame: pl.DataFrame, ids: tuple[str, ...], **cfg: object) -> pl.DataFrame:
    settings = CheckSettings.from_mapping({"call_failures": cfg} if cfg else {}, now=NOW)
    return call_failures.run(make_input(contacts=contacts(*ids), calls=calls_frame), settings)


def by_contact(findings: pl.DataFrame) -> dict[str, dict[str, object]]:
    return {row["contact_id"]: row for row in findings.iter_rows(named=True)}


def test_exactly_n_failures_in_a_row_after_an_answer() -> None:
    frame = calls(
        ("a", "answered", 40),
        ("a", "no_answer", 20),
        ("a", "busy", 10),
        ("a", "no_answer", 5),
    )
    found = by_contact(run(frame, ("a",)))
    row = found["a"]
    assert row["kind"] == "consecutive_failures"
    assert row["severity"] == "warn"
    assert row["evidence"] == (
        "4 attempts since 2026-03-21, last 3 failed (no_answer×2, busy×1); last answered 2026-03-21"
    )
    assert row["suggested_action"] == "flag"
    assert row["finding_id"] == finding_id("call_failures", "contact", "a")
    assert row["field"] == "primary_phone" and row["value"] == "+212612340000"


def test_n_minus_one_failures_is_not_a_streak() -> None:
    frame = calls(("a", "answered", 80), ("a", "no_answer", 70), ("a", "busy", 60))
    assert run(frame, ("a",)).height == 0
    # The same history within the 30-day window is only the window kind.
    recent = calls(("a", "answered", 40), ("a", "no_answer", 20), ("a", "busy", 10))
    assert run(recent, ("a",))["kind"].to_list() == ["no_answer_in_window"]


def test_streak_is_counted_from_the_latest_attempt() -> None:
    # Three failures long ago, then an answer: no current streak.
    frame = calls(
        ("a", "no_answer", 50),
        ("a", "no_answer", 45),
        ("a", "busy", 44),
        ("a", "answered", 40),
    )
    assert run(frame, ("a",)).height == 0


def test_always_failing_is_an_error_and_can_suggest_delete() -> None:
    frame = calls(("a", "no_answer", 60), ("a", "failed", 50), ("a", "rejected", 45))
    row = by_contact(run(frame, ("a",), action="delete"))["a"]
    assert row["kind"] == "always_failing"
    assert row["severity"] == "error"
    assert row["suggested_action"] == "delete"
    assert (
        row["evidence"]
        == "3 attempts since 2026-03-01, all failed (failed×1, no_answer×1, rejected×1)"
    )


def test_unknown_status_is_shown_not_dropped_and_skipped_in_the_streak() -> None:
    frame = calls(
        ("a", "no_answer", 60),
        ("a", "network_congestion", 50),
        ("a", "busy", 45),
        ("a", "no_answer", 44),
        ("b", None, 3),
    )
    found = by_contact(run(frame, ("a", "b")))
    assert found["a"]["kind"] == "always_failing"
    assert "1 with an unknown status (network_congestion×1), not counted as failed" in str(
        found["a"]["evidence"]
    )
    # b: one attempt with no status at all in the window, none answered: shown as "(none)".
    assert found["b"]["kind"] == "no_answer_in_window"
    assert "(none)×1" in str(found["b"]["evidence"])
    settings = CheckSettings(now=NOW)
    tables = make_input(contacts=contacts("a", "b"), calls=frame)
    assert call_failures.unknown_status_counts(tables, settings) == {
        "(none)": 1,
        "network_congestion": 1,
    }


def test_unknown_counts_as_failure_when_configured() -> None:
    frame = calls(
        ("a", "answered", 90), ("a", "no_answer", 60), ("a", "weird", 50), ("a", "busy", 45)
    )
    assert run(frame, ("a",)).height == 0
    row = by_contact(run(frame, ("a",), unknown_is_failure=True))["a"]
    assert row["kind"] == "consecutive_failures"
    assert "last 3 failed" in str(row["evidence"])


def test_voicemail_breaks_a_streak_unless_configured_as_failure() -> None:
    frame = calls(
        ("a", "no_answer", 80), ("a", "voicemail", 70), ("a", "busy", 65), ("a", "busy", 64)
    )
    assert run(frame, ("a",)).height == 0
    row = by_contact(run(frame, ("a",), voicemail_is_failure=True))["a"]
    assert row["kind"] == "always_failing"


def test_window_boundary_days() -> None:
    # Exactly 30 days ago is inside the 30-day window; 30 days and a minute is outside.
    inside = calls(("a", "answered", 100), ("a", "voicemail", 30))
    outside = calls(("a", "answered", 100), ("a", "voicemail", 30.001))
    row = by_contact(run(inside, ("a",)))["a"]
    assert row["kind"] == "no_answer_in_window"
    assert row["severity"] == "info" and row["suggested_action"] == "review"
    assert row["evidence"] == (
        "1 attempt(s) in the last 30 days, none answered (1 other outcome); "
        "last answered 2026-01-20"
    )
    assert run(outside, ("a",)).height == 0
    answered = calls(("a", "no_answer", 10), ("a", "answered", 5))
    assert run(answered, ("a",)).height == 0


def test_deleted_contacts_and_contacts_without_calls_are_not_reported() -> None:
    frame = calls(("gone", "busy", 3), ("gone", "busy", 2), ("gone", "busy", 1))
    findings = run(frame, ("a",))
    assert findings.height == 0
    assert findings.schema == pl.Schema(FINDINGS_SCHEMA)


def test_consecutive_threshold_is_configurable() -> None:
    frame = calls(("a", "answered", 40), ("a", "busy", 5), ("a", "busy", 4))
    row = by_contact(run(frame, ("a",), consecutive=2))["a"]
    assert row["kind"] == "consecutive_failures"
    assert row["evidence"].endswith("last 2 failed (busy×2); last answered 2026-03-21")  # type: ignore[union-attr]


def test_window_evidence_counts_failed_and_other_outcomes() -> None:
    frame = calls(
        ("a", "answered", 100),
        ("a", "busy", 20),
        ("a", "voicemail", 15),
        ("a", "voicemail", 12),
        ("a", "no_answer", 10),
    )
    row = by_contact(run(frame, ("a",)))["a"]
    assert row["kind"] == "no_answer_in_window"
    assert row["evidence"] == (
        "4 attempt(s) in the last 30 days, none answered (2 failed, 2 other outcomes); "
        "last answered 2026-01-20"
    )


def test_unknown_as_failure_is_its_own_status_slot() -> None:
    frame = calls(("a", "weird", 50), ("a", "busy", 45), ("a", "weird", 44))
    row = by_contact(run(frame, ("a",), unknown_is_failure=True))["a"]
    assert row["kind"] == "always_failing"
    assert row["evidence"] == ("3 attempts since 2026-03-11, all failed (unknown status×2, busy×1)")


def test_packed_counters_equal_the_unpacked_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    import random

    rng = random.Random(5)
    statuses = ["answered", "no_answer", "busy", "rejected", "voicemail", "failed", "odd", None]
    rows = [
        (f"c{rng.randrange(12)}", rng.choice(statuses), rng.uniform(0, 120)) for _ in range(300)
    ]
    ids = tuple(f"c{i}" for i in range(12))
    for cfg in ({}, {"unknown_is_failure": True, "voicemail_is_failure": True}):
        packed = run(calls(*rows), ids, **cfg)
        monkeypatch.setattr(call_failures, "_PACK_LIMIT", 1)
        fallback = run(calls(*rows), ids, **cfg)
        monkeypatch.setattr(call_failures, "_PACK_LIMIT", None)
        assert packed.height > 3
        assert packed.equals(fallback)


def test_fingerprint_changes_with_new_attempts_not_with_time() -> None:
    from datetime import timedelta

    from tests.checks.conftest import make_input as mk

    frame = calls(("a", "busy", 10), ("a", "busy", 9), ("a", "busy", 8))
    tables = mk(contacts=contacts("a"), calls=frame)
    now = call_failures.run(tables, CheckSettings(now=NOW))
    later = call_failures.run(
        mk(contacts=contacts("a"), calls=frame), CheckSettings(now=NOW + timedelta(days=40))
    )
    assert now["kind"][0] == later["kind"][0] == "always_failing"
    assert now["data_fingerprint"][0] == later["data_fingerprint"][0]
    more = calls(("a", "busy", 10), ("a", "busy", 9), ("a", "busy", 8), ("a", "busy", 1))
    again = call_failures.run(mk(contacts=contacts("a"), calls=more), CheckSettings(now=NOW))
    assert again["finding_id"][0] == now["finding_id"][0]
    assert again["data_fingerprint"][0] != now["data_fingerprint"][0]


def test_colliding_contact_keys_fall_back_to_exact_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    """Calls are grouped by a hash of the contact id; when two ids share it (forced here), the
    summary is redone on exact keys and the findings are the same."""
    import random

    from gomoq.checks import inactivity

    rng = random.Random(7)
    statuses = ["answered", "no_answer", "busy", "voicemail", "odd", None]
    # c0..c9 are contacts; "gone" is a deleted contact whose calls stay in the history.
    rows = [
        (f"c{rng.randrange(10)}", rng.choice(statuses), rng.uniform(0, 200)) for _ in range(200)
    ]
    rows += [("gone", "busy", 3.0), ("gone", "busy", 2.0), ("gone", "busy", 1.0)]
    ids = (*[f"c{i}" for i in range(10)], "quiet")  # "quiet" has no calls
    settings = CheckSettings(now=NOW)

    def both() -> tuple[pl.DataFrame, pl.DataFrame]:
        tables = make_input(contacts=contacts(*ids), calls=calls(*rows))
        return call_failures.run(tables, settings), inactivity.run(tables, settings)

    honest = both()
    real = call_failures._hash_keys
    for clash in (("c1", "c2"), ("quiet", "gone")):

        def colliding(id_col: str, clash: tuple[str, ...] = clash) -> list[pl.Expr]:
            ck, ck2 = real(id_col)
            return [
                pl.when(pl.col(id_col).is_in(clash))
                .then(pl.lit(1, pl.UInt64))
                .otherwise(ck)
                .alias("ck"),
                ck2,
            ]

        monkeypatch.setattr(call_failures, "_hash_keys", colliding)
        forced = both()
        assert forced[0].height > 3 and forced[1].height > 0
        assert forced[0].equals(honest[0]) and forced[1].equals(honest[1]), clash
    # Without the fallback, "quiet" would have inherited the deleted contact's three failures.
    assert "quiet" not in honest[0]["contact_id"].to_list()
