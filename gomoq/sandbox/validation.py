"""Field rules of contact bodies (gomobile-api.md §3.2, DOC) and of custom-attribute values (§4).

The rules themselves live in `gomoq.api.contract` (shared with the checks); this module puts
their verdicts in the sandbox's answer shapes (`fieldErrors`, `attributeErrors`).

`null` on an optional field means "no value" (clears it on update; INFERRED); `null` as a custom
attribute value removes the key from the contact;
- a value under a name with no live definition, or of the wrong type, is not stored and is
  reported in `attributeErrors` as `{name, value, code, message}`; the contact itself is saved.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from gomoq.api.contract import contact_problems, validate_value
from gomoq.sandbox.state import AttributeDef
from gomoq.sandbox.web import FieldDetails, FieldErrors


@dataclass
class Problems:
    """Accumulated field errors in the documented `fieldErrors` / `fieldDetails` shapes."""

    errors: FieldErrors = field(default_factory=dict)
    details: FieldDetails = field(default_factory=dict)

    def add(self, name: str, message: str, code: str, **params: Any) -> None:
        """Record one broken rule of field `name`."""
        self.errors.setdefault(name, []).append(message)
        self.details.setdefault(name, []).append({"code": code, "params": params})

    def __bool__(self) -> bool:
        return bool(self.errors)


def check_contact(body: dict[str, Any], *, creating: bool) -> Problems:
    """Every broken field rule of a contact create/update body (custom attributes aside)."""
    problems = Problems()
    for problem in contact_problems(body, creating=creating):
        problems.add(problem.field, problem.message, problem.code, **problem.params)
    return problems


def split_attributes(
    given: dict[str, Any], defs: dict[str, AttributeDef]
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """(values to store — `None` meaning "remove the key" — , attributeErrors) for `given`."""
    accepted: dict[str, Any] = {}
    rejected: list[dict[str, Any]] = []
    for name, value in given.items():
        definition = defs.get(name)
        if definition is None:
            rejected.append(
                {
                    "name": name,
                    "value": value,
                    "code": "UNDEFINED_ATTRIBUTE",
                    "message": f"No custom attribute named {name} is defined",
                }
            )
            continue
        if value is None:
            accepted[name] = None
            continue
        problem = validate_value(definition.type, value)
        if problem:
            rejected.append(
                {
                    "name": name,
                    "value": value,
                    "code": "INVALID_VALUE",
                    "type": definition.type,
                    "message": f"{name} ({definition.type}): {problem}",
                }
            )
        else:
            accepted[name] = value
    return accepted, rejected
