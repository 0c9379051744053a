"""RunResult.headline: the one sentence the CLI and the app show after an apply or undo."""

from __future__ import annotations

from gomoq.plan.engine import RunResult
from gomoq.tui.screens.plan import run_summary


def test_headline_says_what_happened() -> None:
    done = RunResult("r1", "apply", "done", done=3, requests=46)
    assert done.headline() == "Apply finished: 3 changes done; 46 requests (run r1)."
    partial = RunResult("r2", "apply", "partial", done=2, conflicts=1, failed=1, requests=9)
    assert partial.headline() == (
        "Apply finished with problems: 2 changes done, 1 skipped as a conflict (changed since "
        "review), 1 failed; 9 requests (run r2)."
    )
    cancelled = RunResult("r3", "undo", "cancelled", done=1, pending=4, requests=1)
    assert cancelled.headline() == (
        "Undo cancelled: 1 change done, 4 not finished; 1 request (run r3)."
    )


def test_the_app_shows_the_headline_the_next_step_and_the_troubles() -> None:
    ok = run_summary(RunResult("r1", "apply", "done", done=3, requests=46))
    assert ok.plain.splitlines()[0] == "Apply finished: 3 changes done; 46 requests (run r1)."
    assert "Undo it from History (h)" in ok.plain and "run_id:" not in ok.plain
    messages = [f"a{i} (c{i}): failed: server said no" for i in range(25)]
    bad = run_summary(RunResult("r2", "apply", "partial", done=1, failed=25, messages=messages))
    lines = bad.plain.splitlines()
    assert "Rebuild the plan (b) and apply (A)" in lines[1]
    assert lines[2] == "  • a0 (c0): failed: server said no"
    assert lines[-1] == "  … and 5 more (gomoq history)"
    assert len(lines) == 2 + 20 + 1
    undo = run_summary(RunResult("r3", "undo", "partial", done=2, failed=1, messages=messages[:1]))
    assert "Undo it again from History (u)" in undo.plain.splitlines()[1]
