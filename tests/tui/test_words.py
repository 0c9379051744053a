"""What the app says: once, in the right words, with counts that match."""

from __future__ import annotations

from gomoq.errors import Cancelled, UsageError
from gomoq.plan.model import DeleteAction, FlagAction, MergeAction, Plan
from gomoq.tui import bridge
from gomoq.tui.app import GomoqApp
from gomoq.tui.messages import JobFailed
from gomoq.tui.screens.history import cannot_undo
from gomoq.tui.screens.plan import with_names
from tests.tui.conftest import wait_for


async def test_a_failed_job_is_said_once_and_a_cancel_is_no_failure(frame_app: GomoqApp) -> None:
    async with frame_app.run_test(size=(80, 24)) as pilot:
        screen = frame_app.screen
        error = UsageError("Run r1 was already undone by run r2.")
        screen.post_message(JobFailed("undo", bridge.explain(error), error))
        await wait_for(pilot, lambda: len(frame_app._notifications) >= 1)
        await pilot.pause(0.1)
        shown = list(frame_app._notifications)
        assert len(shown) == 1 and shown[0].severity == "error"
        frame_app.clear_notifications()
        screen.post_message(JobFailed("sync", bridge.explain(Cancelled("stop")), Cancelled("stop")))
        await wait_for(pilot, lambda: len(frame_app._notifications) >= 1)
        await pilot.pause(0.1)
        shown = list(frame_app._notifications)
        assert len(shown) == 1 and shown[0].severity == "information"
        assert "Sync cancelled" in shown[0].message and "failed" not in shown[0].title


def test_runs_that_cannot_be_undone_are_refused_with_a_reason() -> None:
    runs = [
        {"run_id": "r3", "kind": "undo", "state": "done", "undo_of": "r1"},
        {"run_id": "r2", "kind": "apply", "state": "cancelled", "undo_of": None},
        {"run_id": "r1", "kind": "apply", "state": "done", "undo_of": None},
        {"run_id": "r0", "kind": "apply", "state": "partial", "undo_of": None},
    ]
    by_id = {r["run_id"]: r for r in runs}
    assert "is an undo" in str(cannot_undo(by_id["r3"], runs))
    assert "unfinished" in str(cannot_undo(by_id["r2"], runs))
    assert "already undone by run r3" in str(cannot_undo(by_id["r1"], runs))
    assert cannot_undo(by_id["r0"], runs) is None


def test_plan_counts_changes_as_the_run_does_and_names_audiences() -> None:
    plan = Plan(
        "t",
        [
            MergeAction("m", "c1", ("c2", "c3")),
            DeleteAction("d", ("c4", "c5")),
            FlagAction("f", ("c6",), value="x"),
        ],
    )
    assert bridge.count_changes(plan) == 4  # one merge, two deletions, one flag
    aud = "018c0000-0000-7000-8000-000000000001"
    names = {aud: "VIP Rabat"}
    assert with_names(f"removed from {aud}", names) == "removed from VIP Rabat"
    assert with_names(f"{aud}, other", names) == "VIP Rabat, other"


def test_cards_say_nothing_false_while_the_checks_run() -> None:
    from gomoq.tui.data import CheckCard
    from gomoq.tui.screens.overview import card_text

    card = CheckCard("phones", {"error": 0}, {"error": 13})
    running = card_text(card, running=True).plain
    assert "0 error" not in running and "…" in running and "checking" in running
    done = card_text(card).plain
    assert "-13 vs last" in done and max(len(line) for line in done.splitlines()) <= 18


async def test_a_survivor_key_beyond_the_cluster_is_said(frame_app: GomoqApp) -> None:
    from gomoq.tui.screens.duplicates import DuplicatesScreen
    from gomoq.tui.screens.help import bindings_table

    async with frame_app.run_test(size=(80, 24)) as pilot:
        await pilot.press("d")
        screen = frame_app.screen
        assert isinstance(screen, DuplicatesScreen)
        await wait_for(pilot, lambda: screen.view is not None)
        await pilot.press("9")
        await wait_for(pilot, lambda: len(frame_app._notifications) >= 1)
        assert "2 members" in list(frame_app._notifications)[-1].message
        assert screen.survivor == 0
    keys = [str(c) for c in bindings_table().columns[0]._cells]
    assert "Enter" in keys
