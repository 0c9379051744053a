"""Take an SVG picture of every workbench screen, from the real app on demo data.

    uv run python screenshots/take.py [--contacts 5000] [--size 120x40]

Works in a throw-away gomoq home (your own config and cache are not touched): generates the demo
organisation, serves it with the sandbox in the background, syncs it, then drives the app
headless through its main path — review a duplicate cluster and merge it, fix an attribute value
group, build the plan, apply it — saving `screenshots/<screen>.svg` along the way.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

HERE = Path(__file__).parent


async def wait(pilot: Any, condition: Callable[[], bool], timeout: float = 120.0) -> None:
    """Run the app until `condition()` holds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting in {pilot.app.screen.__class__.__name__}")
        await pilot.pause(0.05)
    await pilot.pause(0.3)


def text(widget: Any) -> str:
    """What a Label or Static shows."""
    return str(widget.render())


async def drive(profile: Any, size: tuple[int, int]) -> list[Path]:
    """Walk every screen and save its picture."""
    from gomoq.checks.settings import CheckSettings
    from gomoq.config import set_segments
    from gomoq.services.audiences import engagement_segments
    from gomoq.tui.app import GomoqApp

    saved: list[Path] = []
    # the guide's engagement segments, so that the Audiences screen shows joiners and leavers
    set_segments(profile.name, engagement_segments(CheckSettings()))
    app = GomoqApp(profile)
    async with app.run_test(size=size) as pilot:

        def shot(name: str) -> None:
            path = HERE / f"{name}.svg"
            path.write_text(app.export_screenshot(title=f"gomoq — {name}"), encoding="utf-8")
            saved.append(path)

        await wait(pilot, lambda: "checks" in app.events or "no-checks" in app.events)
        await wait(pilot, lambda: len(app.screen.query(".card")) > 0)
        shot("overview")

        await pilot.press("c")
        await wait(pilot, lambda: getattr(app.screen, "searches", 0) >= 1)
        await pilot.press("slash", *"rabat", "enter")
        await wait(pilot, lambda: "Calls" in text(app.screen.query_one("#detail-body")))
        shot("contacts")

        await pilot.press("d")
        await wait(
            pilot,
            lambda: (
                getattr(app.screen, "view", None) is not None
                or "Waiting" not in text(app.screen.query_one("#dupe-status"))
            ),
        )
        shot("duplicates")
        if getattr(app.screen, "view", None) is not None:
            await pilot.press("m")
            await wait(pilot, lambda: len(getattr(app.screen, "decided", [])) == 1)

        await pilot.press("f")
        await wait(pilot, lambda: "Highlight" not in text(app.screen.query_one("#timeline-body")))
        shot("call-failures")
        app.screen.query_one("#calls-table").focus()
        await pilot.press("space", "F")  # flag the contact whose calls fail most
        await wait(pilot, lambda: not getattr(app.screen, "selected", None))

        await pilot.press("a")
        await wait(pilot, lambda: "Highlight" not in text(app.screen.query_one("#attr-def-body")))
        shot("attributes")
        groups = app.screen.groups  # type: ignore[attr-defined]
        kinds = groups.get_column("kind").to_list() if groups is not None else []
        table = app.screen.query_one("#attrs-table")
        table.focus()
        if "invalid_value" in kinds:  # a defined attribute holding a wrong value: clear it
            table.move_cursor(row=kinds.index("invalid_value"))  # type: ignore[attr-defined]
        await pilot.press("x")
        await wait(pilot, lambda: len(getattr(app.screen, "recorded", [])) == 1)
        await pilot.pause(1)

        await pilot.press("t")
        await wait(
            pilot,
            lambda: (
                getattr(app.screen, "rows", None) is not None
                and "Highlight" not in text(app.screen.query_one("#phones-detail"))
            ),
        )
        shot("phones")

        await pilot.press("i")
        await wait(pilot, lambda: getattr(app.screen, "rows", None) is not None)
        shot("inactivity")

        await pilot.press("p")
        await wait(pilot, lambda: "Building" not in text(app.screen.query_one("#plan-status")))
        shot("plan")
        await pilot.press("A")
        await pilot.pause(0.3)
        await pilot.press("y")
        await wait(pilot, lambda: bool(getattr(app.screen, "results", [])), timeout=300)
        shot("plan-applied")

        await pilot.press("h")
        await wait(pilot, lambda: "Loading" not in text(app.screen.query_one("#history-status")))
        shot("history")

        await pilot.press("g")
        await wait(pilot, lambda: bool(getattr(app.screen, "rows", None)))
        shot("audiences")

        await pilot.press("question_mark")
        await pilot.pause(0.5)
        shot("help")
    return saved


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=5000)
    parser.add_argument("--size", default="120x40")
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.split("x"))
    home = tempfile.mkdtemp(prefix="gomoq-shots-")
    os.environ["GOMOQ_HOME"] = home

    from gomoq.cli.demo_cmd import DEMO_PROFILE, demo_db, prepare_organisation, start_sandbox
    from gomoq.config import Profile, save_profile
    from gomoq.services.sync import sync

    prepare_organisation(demo_db(), args.contacts, fresh=False)
    running = start_sandbox(demo_db())
    try:
        profile = Profile(
            name=DEMO_PROFILE, base_url=running.base_url, api_key=running.api_key, rate_limit=1000
        )
        save_profile(profile, store_key=True)
        sync(profile)
        for path in asyncio.run(drive(profile, (width, height))):
            print(path)
    finally:
        running.stop()


if __name__ == "__main__":
    main()
