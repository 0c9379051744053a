"""The Phones (t) and Inactivity (i) screens driven with Pilot, and their SVG snapshots at
80x24 and 120x40. The findings are the real phones and inactivity checks over hand-made frames
with a fixed "today", so every band and reason is present and the pictures do not drift."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import polars as pl
import pytest
from textual.pilot import Pilot

from gomoq.cache.schema import TABLES
from gomoq.checks import inactivity, phones
from gomoq.checks.base import CheckInput
from gomoq.checks.settings import CheckSettings
from gomoq.tui import bridge
from gomoq.tui.app import GomoqApp
from gomoq.tui.data import FrameSource
from gomoq.tui.data.phones import phone_reason, rewrite_estimate
from gomoq.tui.screens.inactivity import InactivityScreen
from gomoq.tui.screens.phones import PhonesScreen
from tests.tui import frames
from tests.tui.conftest import PROFILE, wait_for

NOW = datetime(2026, 4, 10, 12, 0, tzinfo=UTC)
SETTINGS = CheckSettings(now=NOW)
PHONES = {
    4: "06 00 00 04",  # too short
    8: "0612345678901",  # too long
    9: "00 00 00 00 00",  # placeholder
    11: "not a phone",  # not a number
    12: "0512",  # too short
    13: "06 12 00 00 13",  # not in E.164
    14: "00212612000014",  # not in E.164
    15: "+33612345678",  # foreign
}


def tables() -> dict[str, pl.DataFrame]:
    """The shared frames with odd phones, recent answers for 20-29 and no calls for 30-34."""
    base = frames.frames()
    contacts = base["contacts"].with_columns(
        pl.Series(
            "primary_phone",
            [PHONES.get(i, p) for i, p in enumerate(base["contacts"]["primary_phone"])],
        )
    )
    recent = pl.DataFrame(
        [
            {
                "id": f"late{i}",
                "contact_id": f"c{i:03d}",
                "phone_number": "",
                "status": "answered",
                "direction": "outbound",
                "created_at": NOW - timedelta(days=i - 17),
                "answered_at": None,
                "ended_at": None,
                "duration_ms": 0,
            }
            for i in range(20, 30)
        ],
        schema=TABLES["calls"],
    )
    calls = pl.concat([base["calls"], recent]).filter(
        ~pl.col("contact_id").is_in([f"c{i:03d}" for i in range(30, 35)])
    )
    return {**base, "contacts": contacts, "calls": calls}


def findings(data: dict[str, pl.DataFrame]) -> pl.DataFrame:
    inputs = CheckInput.from_frames(**{k: v for k, v in data.items() if k in TABLES})
    real = pl.concat(
        [phones.run(inputs, SETTINGS), inactivity.run(inputs, SETTINGS)], how="diagonal_relaxed"
    )
    given = frames.findings().filter(pl.col("check") != "phones")
    out = pl.concat([given, real], how="diagonal_relaxed")
    return out.with_columns(pl.lit(None, dtype=pl.String).alias("decision"))


def make_app(mode: str) -> GomoqApp:
    data = tables()
    app = GomoqApp(PROFILE, source=FrameSource(data, {}), findings=findings(data), start_mode=mode)
    app.check_settings = lambda: SETTINGS  # type: ignore[method-assign]
    return app


class Recorder:
    def __init__(self) -> None:
        self.saved: list[tuple[list[str], str, Any]] = []

    def record(self, profile: Any, found: Any, ids: Any, decision: str, **kw: Any) -> None:
        self.saved.append((list(ids), decision, kw.get("payload")))


@pytest.fixture
def recorder(monkeypatch: pytest.MonkeyPatch) -> Recorder:
    rec = Recorder()
    monkeypatch.setattr(bridge, "record_decisions", rec.record)
    return rec


def test_reasons_in_words() -> None:
    assert phone_reason("not a phone", "invalid_number", "MA") == "Not a number"
    assert phone_reason("06 00 00 04", "impossible_length", "MA") == "Too short"
    assert phone_reason("0612345678901", "impossible_length", "MA") == "Too long"
    assert phone_reason("00 00 00 00 00", "invalid_number", "MA") == "Placeholder"
    assert phone_reason("0812345679", "invalid_number", "MA") == "Invalid prefix"
    assert phone_reason("+33612345678", "foreign_number", "MA") == "Foreign"


def test_rewrite_estimate() -> None:
    assert rewrite_estimate(1812, 10) == "1,812 phones to rewrite: ~3 min at 10 requests/s"
    assert rewrite_estimate(1, 10) == "1 phone to rewrite: ~1 s at 10 requests/s"
    assert rewrite_estimate(100_000, 10) == "100,000 phones to rewrite: ~2.8 h at 10 requests/s"


async def test_phones_groups_select_a_group_flag_and_normalise(recorder: Recorder) -> None:
    app = make_app("phones")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, PhonesScreen)
        await wait_for(pilot, lambda: screen.rows is not None and screen.rows.height > 0)
        assert screen.rows is not None
        reasons = screen.rows.get_column("reason").unique(maintain_order=True).to_list()
        assert reasons[:3] == ["Not a number", "Too short", "Too long"]
        assert {"Placeholder", "Foreign", "Not in E.164"} <= set(reasons)
        status = str(screen.query_one("#phones-status").render())
        assert "to rewrite: ~1 s at 1,000 requests/s" in status or "to rewrite" in status
        # "Too short" is the second group: move there, select it whole (G), flag it
        await pilot.press("down", "down")
        await wait_for(pilot, lambda: "Too short" in str(screen._current()))
        await pilot.press("G")
        assert len(screen.selected) == 2
        await pilot.press("F")
        await wait_for(pilot, lambda: len(recorder.saved) == 1)
        ids, decision, payload = recorder.saved[0]
        assert decision == "flag" and len(ids) == 2
        assert payload == {
            "attribute": "dq_invalid_phone",
            "value": True,
            "attribute_type": "boolean",
        }
        # the numbers not in E.164: select the group, normalise; the app says how long
        rows = screen.rows
        assert rows is not None
        target = rows.with_row_index().filter(pl.col("reason") == "Not in E.164")["index"][0]
        screen.query_one("#phones-table").move_cursor(row=target)  # type: ignore[attr-defined]
        await pilot.press("G", "n")
        await wait_for(pilot, lambda: len(recorder.saved) == 2)
        ids, decision, _payload = recorder.saved[1]
        assert decision == "set_phone"
        assert (
            len(ids)
            == rows.filter((pl.col("reason") == "Not in E.164") & ~pl.col("duplicate")).height
        )
        await wait_for(
            pilot, lambda: any("to rewrite" in str(n.message) for n in app._notifications)
        )


async def test_inactivity_bands_and_option_c(recorder: Recorder) -> None:
    app = make_app("inactivity")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, InactivityScreen)
        await wait_for(pilot, lambda: screen.rows is not None)
        assert screen.counts is not None
        counts = dict(screen.counts.iter_rows())
        assert counts["Active"] == 10 and counts["Never called"] == 5
        assert sum(counts.values()) == 40 and counts["Inactive"] + counts["At risk"] > 0
        assert screen.band == "Inactive"
        assert screen.rows is not None and screen.rows.height == counts["Inactive"]
        guide = str(screen.query_one("#inactivity-guide").render())
        assert "A x soft delete" in guide and "C F flag is_active=false" in guide
        await pilot.press("asterisk", "F")
        await wait_for(pilot, lambda: len(recorder.saved) == 1)
        ids, decision, payload = recorder.saved[0]
        assert decision == "flag" and len(ids) == counts["Inactive"]
        assert payload == {"attribute": "is_active", "value": False, "attribute_type": "boolean"}
        # an Active contact carries no finding: nothing is decided, the operator is told
        table = screen.query_one("#bands-table")
        table.move_cursor(row=0)  # type: ignore[attr-defined]
        await wait_for(
            pilot,
            lambda: (
                screen.band == "Active" and screen.rows is not None and screen.rows.height == 10
            ),
        )
        await pilot.press("x")
        await wait_for(
            pilot,
            lambda: any("no inactivity finding" in str(n.message) for n in app._notifications),
        )
        assert len(recorder.saved) == 1


SnapCompare = Callable[..., bool]
SIZES = pytest.mark.parametrize("size", [(120, 40), (80, 24)], ids=["120x40", "80x24"])


def until(condition: Callable[[Any], bool]) -> Callable[[Pilot[Any]], Any]:
    async def run_before(pilot: Pilot[Any]) -> None:
        await wait_for(pilot, lambda: condition(pilot.app))

    return run_before


@SIZES
def test_phones_snapshot(snap_compare: SnapCompare, size: tuple[int, int]) -> None:
    def ready(a: Any) -> bool:
        s = a.screen
        return (
            isinstance(s, PhonesScreen)
            and s.rows is not None
            and "Calls" not in str(s.query_one("#phones-detail").render())
            and (
                "failed" in str(s.query_one("#phones-detail").render())
                or "answered" in str(s.query_one("#phones-detail").render())
            )
        )

    assert snap_compare(make_app("phones"), terminal_size=size, run_before=until(ready))


@SIZES
def test_inactivity_snapshot(snap_compare: SnapCompare, size: tuple[int, int]) -> None:
    def ready(a: Any) -> bool:
        s = a.screen
        return isinstance(s, InactivityScreen) and s.rows is not None and s.rows.height > 0

    assert snap_compare(make_app("inactivity"), terminal_size=size, run_before=until(ready))
