"""The Contacts screen's `/` speaks the filter language: errors in the status line (rows kept),
completion of names, findings and audiences from the app's data."""

from __future__ import annotations

from textual.widgets import Input, Label

from gomoq.tui.app import GomoqApp
from gomoq.tui.screens.contacts import ContactsScreen
from tests.tui.conftest import wait_for


async def _contacts(frame_app: GomoqApp, pilot: object) -> ContactsScreen:
    await pilot.press("c")  # type: ignore[attr-defined]
    screen = frame_app.screen
    assert isinstance(screen, ContactsScreen)
    await wait_for(pilot, lambda: screen.searches >= 1)  # type: ignore[arg-type]
    return screen


async def test_a_bad_filter_says_where_and_keeps_the_rows(frame_app: GomoqApp) -> None:
    async with frame_app.run_test(size=(120, 40)) as pilot:
        screen = await _contacts(frame_app, pilot)
        search = screen.query_one("#search", Input)
        search.value = "city:fès"
        await wait_for(pilot, lambda: screen.rows is not None and screen.rows.height == 8)
        before = screen.searches
        search.value = "city:fès agee:3"
        await wait_for(pilot, lambda: screen.searches > before)
        status = str(screen.query_one("#contacts-status", Label).render())
        assert status == (
            "The filter is not valid at column 10: unknown attribute 'agee' — did you mean 'age'?"
        )
        assert screen.rows is not None and screen.rows.height == 8


async def test_filters_read_audiences_and_findings(frame_app: GomoqApp) -> None:
    async with frame_app.run_test(size=(120, 40)) as pilot:
        screen = await _contacts(frame_app, pilot)
        search = screen.query_one("#search", Input)
        for query, expected in [
            ("audience:Farmers", 20),
            ("-audience:Farmers", 20),
            ("check:phones severity:error", 1),
            ("check:attributes | check:call", 8),
        ]:
            before = screen.searches
            search.value = query
            await wait_for(pilot, lambda n=before: screen.searches > n)  # type: ignore[misc]
            assert screen.rows is not None and screen.rows.height == expected, query


async def test_completion_of_names_and_audiences(frame_app: GomoqApp) -> None:
    async with frame_app.run_test(size=(120, 40)) as pilot:
        screen = await _contacts(frame_app, pilot)
        search = screen.query_one("#search", Input)
        await pilot.press("slash")
        for typed, completed in [("audience:F", "audience:Farmers"), ("band:at", "band:at-risk")]:
            search.value = ""
            await pilot.press(*typed)
            # the grey suggestion arrives from a worker; → takes it
            await wait_for(pilot, lambda c=completed: search._suggestion == c)  # type: ignore[misc]
            await pilot.press("right")
            assert search.value == completed
