"""Field rules of contact bodies (gomobile-api.md §3.2, DOC) and of custom-attribute values (§4).

Contact fields: lengths per the G2 types, `primaryEmail` an email, `gender` male|female,
`channels` an array of strings, `customAttributes` an object, unknown properties rejected (DOC).
`null` on an optional field means "no value" (clears it on update; INFERRED).

Custom-attribute values (the docs name the types but not the accepted formats; all INFERRED):
- text: a string of at most 1000 characters; number: a JSON number (not a numeric string, not a
  boolean); boolean: JSON true/false; date: `YYYY-MM-DD` or an ISO date-time with `Z` or an
  offset; phone_number: 3-20 characters of digits, spaces and `+()-./`, at least 3 digits;
  email: the same rule as `primaryEmail`; url: an absolute http(s) URL with a host.
- a list value is accepted when every element is valid for the attribute's type (a multi-value
  attribute, as the bulk-upsert guide's `"interests": ["tech"]`), at most 100 elements;
- `null` removes the key from the contact;
- a value under a name with no live definition, or of the wrong type, is not stored and is
  reported in `attributeErrors` as `{name, value, code, message}`; the contact itself is saved.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from urllib.parse import urlsplit

from gomoq.sandbox.state import AttributeDef
from gomoq.sandbox.web import FieldDetails, FieldErrors

# field -> (min length, max length); DOC (G2 types; G3 agrees on the maxima it states).
LENGTHS: dict[str, tuple[int, int]] = {
    "primaryPhone": (3, 20),
    "firstName": (2, 64),
    "lastName": (1, 64),
    "fullName": (3, 64),
    "address": (3, 256),
    "city": (3, 64),
    "state": (3, 64),
    "zip": (3, 64),
    "occupation": (3, 64),
    "preferredChannel": (3, 64),
}
CONTACT_FIELDS = frozenset([*LENGTHS, "primaryEmail", "gender", "channels", "customAttributes"])
GENDERS = ("male", "female")
ATTRIBUTE_TYPES = ("text", "number", "boolean", "date", "phone_number", "email", "url")
EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s.]+(\.[^@\s.]+)+$")
PHONE_ATTR_RE = re.compile(r"^[0-9 +()./-]{3,20}$")
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
DATETIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$")
MAX_TEXT = 1000
MAX_LIST = 100
MAX_CHANNELS = 20


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


def is_email(value: str) -> bool:
    """A pragmatic email check: one @, a dotted domain, no spaces, at most 254 characters."""
    return len(value) <= 254 and EMAIL_RE.match(value) is not None


def check_contact(body: dict[str, Any], *, creating: bool) -> Problems:
    """Every broken field rule of a contact create/update body (custom attributes aside)."""
    problems = Problems()
    for key in body:
        if key not in CONTACT_FIELDS:
            problems.add(key, f"property {key} should not exist", "whitelistValidation")
    phone = body.get("primaryPhone")
    if (creating and phone is None) or ("primaryPhone" in body and phone is None):
        problems.add("primaryPhone", "primaryPhone should not be empty", "isNotEmpty")
    for name, (low, high) in LENGTHS.items():
        value = body.get(name)
        if value is None:
            continue
        if not isinstance(value, str):
            problems.add(name, f"{name} must be a string", "isString")
        elif len(value) < low:
            problems.add(
                name,
                f"{name} must be longer than or equal to {low} characters",
                "minLength",
                min=low,
            )
        elif len(value) > high:
            problems.add(
                name,
                f"{name} must be shorter than or equal to {high} characters",
                "maxLength",
                max=high,
            )
    email = body.get("primaryEmail")
    if email is not None and not (isinstance(email, str) and is_email(email)):
        problems.add("primaryEmail", "primaryEmail must be an email", "isEmail")
    gender = body.get("gender")
    if gender is not None and gender not in GENDERS:
        problems.add(
            "gender",
            "gender must be one of the following values: male, female",
            "isEnum",
            values=list(GENDERS),
        )
    channels = body.get("channels")
    if channels is not None:
        if not isinstance(channels, list) or not all(
            isinstance(c, str) and 1 <= len(c) <= 64 for c in channels
        ):
            problems.add(
                "channels",
                "channels must be an array of strings of 1 to 64 characters",
                "isArray",
            )
        elif len(channels) > MAX_CHANNELS:
            problems.add(
                "channels",
                f"channels must contain no more than {MAX_CHANNELS} elements",
                "arrayMaxSize",
                max=MAX_CHANNELS,
            )
    attrs = body.get("customAttributes")
    if attrs is not None and not isinstance(attrs, dict):
        problems.add("customAttributes", "customAttributes must be an object", "isObject")
    return problems


def check_attribute_value(kind: str, value: Any) -> str | None:
    """Why `value` is not valid for an attribute of type `kind`, or None when it is."""
    if isinstance(value, list):
        if len(value) > MAX_LIST:
            return f"a list value holds at most {MAX_LIST} elements"
        for element in value:
            if isinstance(element, list):
                return "a list value cannot contain lists"
            problem = check_attribute_value(kind, element)
            if problem:
                return problem
        return None
    if kind == "text":
        if not isinstance(value, str):
            return "value must be a string"
        return None if len(value) <= MAX_TEXT else f"value must be at most {MAX_TEXT} characters"
    if kind == "number":
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        return (
            None
            if ok and value == value and abs(value) != float("inf")
            else ("value must be a number")
        )
    if kind == "boolean":
        return None if isinstance(value, bool) else "value must be true or false"
    if not isinstance(value, str):
        return f"value must be a string holding a {kind.replace('_', ' ')}"
    if kind == "date":
        return None if _is_date(value) else "value must be an ISO 8601 date or date-time"
    if kind == "phone_number":
        digits = sum(ch.isdigit() for ch in value)
        ok = PHONE_ATTR_RE.match(value) is not None and digits >= 3
        return None if ok else "value must be a phone number of 3 to 20 characters"
    if kind == "email":
        return None if is_email(value) else "value must be an email"
    if kind == "url":
        return None if _is_url(value) else "value must be an absolute http(s) URL"
    return f"attribute type {kind} is not supported"


def _is_date(value: str) -> bool:
    try:
        if DATE_RE.match(value):
            date.fromisoformat(value)
            return True
        if DATETIME_RE.match(value):
            datetime.fromisoformat(value.replace("Z", "+00:00"))
            return True
    except ValueError:
        return False
    return False


def _is_url(value: str) -> bool:
    if len(value) > 2048 or any(ch.isspace() for ch in value):
        return False
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


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
        problem = check_attribute_value(definition.type, value)
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
