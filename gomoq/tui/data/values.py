"""A value typed in "Set to…", read and checked against the attribute's type as the API would.

The rules are the API's (`gomoq.api.contract.validate_value`, the ones the attributes check
uses), so a value the dialog accepts is one the apply can send. The text is read by type: `42`
is a number for a number attribute and the string "42" for a text attribute; `true`/`false`
are booleans only for a boolean attribute.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from gomoq.api.contract import spelled, validate_value

EXAMPLES: dict[str, str] = {
    "text": "any text, e.g. Casablanca",
    "number": "a number, e.g. 42 or 3.5",
    "boolean": "true or false",
    "date": "a date, e.g. 2026-03-15",
    "phone_number": "a phone, e.g. +212612345678",
    "email": "an email, e.g. name@example.ma",
    "url": "a web address, e.g. https://example.ma",
}
"""The dialog's placeholder per attribute type: a valid example."""


EMPTY = "Type a value (x on the list clears the attribute instead)."


@dataclass(frozen=True)
class Reading:
    """What the typed text means: the value to send, or why it cannot be sent."""

    value: Any = None
    problem: str | None = None

    def describe(self) -> str:
        """One line under the input: the problem, or the value as it will be sent."""
        return self.problem or f"Will be sent as {json.dumps(self.value, ensure_ascii=False)}"


def undefined_problem(name: str, definition: Mapping[str, Any] | None) -> str | None:
    """Why no value can be set on `name` (no definition by that name), else None."""
    if definition is None:
        return f"{name} has no definition in the organisation: x clears it, F flags it."
    if definition.get("name") != name:
        return (
            f"{name} is not an attribute's name ({definition.get('name')} has it as display "
            "name): x clears it, F flags it."
        )
    return None


def read_value(name: str, definition: Mapping[str, Any] | None, text: str) -> Reading:
    """Read `text` as a value of the attribute `name` (its `definition` from the cache)."""
    problem = undefined_problem(name, definition)
    if problem:
        return Reading(problem=problem)
    assert definition is not None
    kind = str(definition.get("type") or "text")
    typed = text.strip()
    if not typed:
        return Reading(problem=EMPTY)
    value: Any = typed
    if kind == "number":
        try:
            value = json.loads(typed)
        except ValueError:
            return Reading(problem=f"{spelled(typed)} is not a number: type e.g. 42 or 3.5.")
        if isinstance(value, float) and not math.isfinite(value):
            return Reading(problem="The number must be finite.")
    elif kind == "boolean":
        value = {"true": True, "false": False}.get(typed.lower(), typed)
    why = validate_value(kind, value)
    if why:
        return Reading(problem=f"{why[0].upper()}{why[1:]} ({kind} attribute).")
    return Reading(value=value)
