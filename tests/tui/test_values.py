"""Values typed in "Set to…" are read and checked by the attribute's type, as the API would."""

from __future__ import annotations

import pytest
from textual.widgets import Input, Label

from gomoq.api.contract import spelled
from gomoq.tui.app import GomoqApp
from gomoq.tui.data import EXAMPLES, read_value
from gomoq.tui.dialogs.ask import AskValue
from gomoq.tui.screens.attributes import AttributesScreen, shown_value
from gomoq.tui.screens.plan import cell
from tests.tui.conftest import wait_for

DATE = {"name": "renewal", "type": "date"}


@pytest.mark.parametrize(
    ("kind", "text", "value"),
    [
        ("number", "42", 42),
        ("number", "3.5", 3.5),
        ("boolean", "true", True),
        ("boolean", "False", False),
        ("date", "2026-03-15", "2026-03-15"),
        ("text", "42", "42"),  # a text attribute keeps the digits as text
        ("email", "a@example.ma", "a@example.ma"),
        ("url", "https://example.ma", "https://example.ma"),
        ("phone_number", "+212612345678", "+212612345678"),
    ],
)
def test_valid_values_are_read_by_type(kind: str, text: str, value: object) -> None:
    reading = read_value("x", {"name": "x", "type": kind}, text)
    assert reading.problem is None and reading.value == value
    assert type(reading.value) is type(value)


@pytest.mark.parametrize(
    ("kind", "text", "words"),
    [
        ("date", "1200", "ISO 8601 date"),
        ("date", "2020-02-30", "ISO 8601 date"),
        ("number", "abc", "not a number"),
        ("number", "true", "must be a number"),
        ("boolean", "yes", "true or false"),
        ("email", "nobody", "must be an email"),
        ("url", "example.ma", "http(s) URL"),
    ],
)
def test_invalid_values_say_why(kind: str, text: str, words: str) -> None:
    reading = read_value("x", {"name": "x", "type": kind}, text)
    assert reading.problem is not None and words in reading.problem


def test_an_undefined_attribute_takes_no_value() -> None:
    assert "no definition" in str(read_value("ghost", None, "1").problem)
    renamed = read_value("Ville", {"name": "city", "type": "text"}, "Fès")
    assert "display name" in str(renamed.problem)


def test_every_type_has_a_valid_example() -> None:
    for kind, example in EXAMPLES.items():
        sample = example.split("e.g. ")[-1].split(" or ")[0] if "e.g." in example else "true"
        assert read_value("x", {"name": "x", "type": kind}, sample).problem is None, kind


def test_values_are_spelled_as_json() -> None:
    assert [spelled(v) for v in (True, None, 12, "a", [1, True])] == [
        "true",
        "null",
        "12",
        "a",
        "[1, true]",
    ]
    assert cell(True) == "true" and cell({"is_vip": False}) == "is_vip false"
    assert shown_value("abc ") == '"abc "' and shown_value(None) == "∅ (empty)"


async def test_set_to_refuses_a_bad_value_as_typed(frame_app: GomoqApp) -> None:
    saved: list[object] = []
    async with frame_app.run_test(size=(80, 24)) as pilot:
        await pilot.press("a")
        screen = frame_app.screen
        assert isinstance(screen, AttributesScreen)
        await wait_for(pilot, lambda: "age" in screen.definitions)
        screen.decide = lambda group, decision, value: saved.append(value)  # type: ignore[method-assign]
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(frame_app.screen, AskValue))
        dialog = frame_app.screen
        answer = dialog.query_one("#answer", Input)
        assert frame_app.focused is answer
        assert answer.placeholder == EXAMPLES["number"]
        await pilot.press(*"12a")
        check = dialog.query_one("#answer-check", Label)
        assert "not a number" in str(check.render())
        await pilot.press("enter")
        assert frame_app.screen is dialog and saved == []  # Enter does nothing while invalid
        await pilot.press("backspace")
        assert "Will be sent as 12" in str(check.render())
        await pilot.press("enter")
        await wait_for(pilot, lambda: saved == [12])
