"""The Gomobile API's field rules, in one home.

What the API accepts in a contact body (gomobile-api.md §3.2, DOC) and in a custom attribute's
value (§4: the docs name the seven types but not their formats, so those are INFERRED and are
the sandbox's). Everything that judges a value against the API uses this module: the sandbox
(`gomoq.sandbox.validation`, which answers like the API), the attributes check
(`gomoq.checks.attributes`, the same rules vectorised in polars with the patterns below), and
whatever validates a value before it is sent (import preflight, the app's "Set to…").

Public API:

- `validate_value(attr_type, value) -> str | None`: why a custom attribute value (a decoded JSON
  value) is not valid for an attribute of that type, or None when it is.
- `field_problem(name, value) -> FieldProblem | None`: the first broken rule of one standard
  contact field (API spelling, e.g. `firstName`), or None.
- `contact_problems(body, creating=...) -> list[FieldProblem]`: every broken field rule of a
  contact create/update body (custom attribute values aside: see `validate_value`).
- `is_email`, `is_date`, `is_url`, `is_phone_format`: the single-string predicates.
- Constants: `ATTRIBUTE_TYPES`, `GENDERS`, `FIELD_LENGTHS` (API names), `COLUMN_LENGTHS`
  (the cache's snake_case column names), `CONTACT_FIELDS`, `MAX_TEXT`, `MAX_LIST`,
  `MAX_CHANNELS`, `MAX_EMAIL`, `MAX_URL`, and the `*_PATTERN` regex strings, written so that
  Python's `re` and polars (Rust `regex`) read them alike.

The rules, in words:

- text: a JSON string of at most 1000 characters;
- number: a JSON number, finite (the *string* "12" is not a number, nor is `true`);
- boolean: JSON true/false (not the strings "true"/"false");
- date: `YYYY-MM-DD`, or an ISO date-time `YYYY-MM-DDTHH:MM[:SS[.fraction]]` with `Z` or a
  `±HH:MM` offset; the date must exist (2020-02-30 does not) and the time be in range;
- phone_number: 3–20 characters of digits, spaces and `+()./-` with at least 3 digits (format
  only: whether `phonenumbers` deems the number valid is a check's question, not the API's);
- email: one `@`, a dotted domain, no spaces, at most 64 characters before the `@` and 254 in
  all (also the rule of the standard `primaryEmail`);
- url: an absolute http(s) URL with a host, no spaces, at most 2048 characters;
- a list value is valid when each element is (a multi-value attribute), at most 100 elements,
  no nested lists; an object never is; `null` means "no value" (removes the key).

Standard fields: the lengths of `FIELD_LENGTHS` (characters), `primaryEmail` an email, `gender`
one of `GENDERS`, `channels` at most 20 strings of 1–64 characters, `customAttributes` an
object, `primaryPhone` required on create and never set to null, unknown properties rejected.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import date, datetime
from typing import Any, Final
from urllib.parse import urlsplit

#: The seven custom attribute types (§4, DOC).
ATTRIBUTE_TYPES: Final = ("text", "number", "boolean", "date", "phone_number", "email", "url")
#: The accepted values of the standard `gender` field (DOC).
GENDERS: Final = ("male", "female")

#: Standard field (API spelling) -> (min, max) characters; DOC (G2 types; G3 agrees on maxima).
FIELD_LENGTHS: Final[Mapping[str, tuple[int, int]]] = {
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


def column_name(api_name: str) -> str:
    """The cache's column for a standard field: `primaryPhone` -> `primary_phone`."""
    return re.sub(r"(?<!^)([A-Z])", r"_\1", api_name).lower()


#: The same limits keyed by the cache's column names (`first_name`, ...), in the same order.
COLUMN_LENGTHS: Final[Mapping[str, tuple[int, int]]] = {
    column_name(name): limits for name, limits in FIELD_LENGTHS.items()
}
#: Every property a contact body may hold; any other is rejected (DOC).
CONTACT_FIELDS: Final = frozenset(
    [*FIELD_LENGTHS, "primaryEmail", "gender", "channels", "customAttributes"]
)

MAX_TEXT: Final = 1000
MAX_LIST: Final = 100
MAX_CHANNELS: Final = 20
MAX_EMAIL: Final = 254
MAX_URL: Final = 2048

EMAIL_PATTERN: Final = r"^[^@\s]{1,64}@[^@\s.]+(\.[^@\s.]+)+$"
PHONE_PATTERN: Final = r"^[0-9 +()./-]{3,20}$"
DATE_PATTERN: Final = r"^\d{4}-\d{2}-\d{2}$"
DATETIME_PATTERN: Final = (
    r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})$"
)
#: The vectorised form of `is_url` (polars has no urlsplit). It agrees with `is_url` on the
#: values the generator and the API produce; on exotic authorities (a non-numeric port) the
#: Python predicate is the more lenient of the two.
URL_PATTERN: Final = (
    r"^(?i:https?)://(?:[^/?#@\s]*@)?(?:\[[0-9A-Fa-f:.]+\]|[^/?#:@\s\[\]]+)(?::\d*)?(?:[/?#]\S*)?$"
)

EMAIL_RE: Final = re.compile(EMAIL_PATTERN)
PHONE_RE: Final = re.compile(PHONE_PATTERN)
DATE_RE: Final = re.compile(DATE_PATTERN)
DATETIME_RE: Final = re.compile(DATETIME_PATTERN)


def is_email(value: str) -> bool:
    """A pragmatic email check: one @, a dotted domain, no spaces, at most 254 characters."""
    return len(value) <= MAX_EMAIL and EMAIL_RE.match(value) is not None


def is_date(value: str) -> bool:
    """`YYYY-MM-DD` or an ISO date-time with `Z` or an offset, on a day and time that exist."""
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


def is_url(value: str) -> bool:
    """An absolute http(s) URL with a host, no whitespace, at most 2048 characters."""
    if len(value) > MAX_URL or any(ch.isspace() for ch in value):
        return False
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def is_phone_format(value: str) -> bool:
    """3–20 characters of digits, spaces and `+()./-`, at least 3 of them digits."""
    return PHONE_RE.match(value) is not None and sum(ch.isdigit() for ch in value) >= 3


def validate_value(attr_type: str, value: Any) -> str | None:
    """Why `value` (decoded JSON) is not valid for an attribute of type `attr_type`, or None.

    The reason is a short sentence ("value must be an email"); `None` values are not judged
    here (they mean "no value" and are always accepted by the API).
    """
    if isinstance(value, list):
        if len(value) > MAX_LIST:
            return f"a list value holds at most {MAX_LIST} elements"
        for element in value:
            if isinstance(element, list):
                return "a list value cannot contain lists"
            problem = validate_value(attr_type, element)
            if problem:
                return problem
        return None
    if attr_type == "text":
        if not isinstance(value, str):
            return "value must be a string"
        return None if len(value) <= MAX_TEXT else f"value must be at most {MAX_TEXT} characters"
    if attr_type == "number":
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        finite = ok and value == value and abs(value) != float("inf")
        return None if finite else "value must be a number"
    if attr_type == "boolean":
        return None if isinstance(value, bool) else "value must be true or false"
    if not isinstance(value, str):
        return f"value must be a string holding a {attr_type.replace('_', ' ')}"
    if attr_type == "date":
        return None if is_date(value) else "value must be an ISO 8601 date or date-time"
    if attr_type == "phone_number":
        ok = is_phone_format(value)
        return None if ok else "value must be a phone number of 3 to 20 characters"
    if attr_type == "email":
        return None if is_email(value) else "value must be an email"
    if attr_type == "url":
        return None if is_url(value) else "value must be an absolute http(s) URL"
    return f"attribute type {attr_type} is not supported"


@dataclass(frozen=True)
class FieldProblem:
    """One broken rule of a standard field, as the API reports it.

    `message` is the API's sentence ("firstName must be longer than or equal to 2
    characters"), `code` the constraint's name (`minLength`, `maxLength`, `isString`,
    `isEmail`, `isEnum`, `isArray`, `arrayMaxSize`, `isObject`, `isNotEmpty`,
    `whitelistValidation`) and `params` its parameters (`{"min": 2}`).
    """

    field: str
    message: str
    code: str
    params: Mapping[str, Any] = dataclass_field(default_factory=dict)


def field_problem(name: str, value: Any) -> FieldProblem | None:
    """The broken rule of standard field `name` (API spelling) holding `value`, or None.

    `None` is "no value" and always passes here (whether `primaryPhone` may be null is a
    question of the whole body: see `contact_problems`); an unknown `name` is a problem.
    """
    if value is None:
        return None
    if name in FIELD_LENGTHS:
        low, high = FIELD_LENGTHS[name]
        if not isinstance(value, str):
            return FieldProblem(name, f"{name} must be a string", "isString")
        if len(value) < low:
            message = f"{name} must be longer than or equal to {low} characters"
            return FieldProblem(name, message, "minLength", {"min": low})
        if len(value) > high:
            message = f"{name} must be shorter than or equal to {high} characters"
            return FieldProblem(name, message, "maxLength", {"max": high})
        return None
    if name == "primaryEmail":
        if isinstance(value, str) and is_email(value):
            return None
        return FieldProblem(name, "primaryEmail must be an email", "isEmail")
    if name == "gender":
        if value in GENDERS:
            return None
        message = "gender must be one of the following values: " + ", ".join(GENDERS)
        return FieldProblem(name, message, "isEnum", {"values": list(GENDERS)})
    if name == "channels":
        return _channels_problem(value)
    if name == "customAttributes":
        if isinstance(value, dict):
            return None
        return FieldProblem(name, "customAttributes must be an object", "isObject")
    return FieldProblem(name, f"property {name} should not exist", "whitelistValidation")


def _channels_problem(value: Any) -> FieldProblem | None:
    if not isinstance(value, list) or not all(
        isinstance(c, str) and 1 <= len(c) <= 64 for c in value
    ):
        message = "channels must be an array of strings of 1 to 64 characters"
        return FieldProblem("channels", message, "isArray")
    if len(value) > MAX_CHANNELS:
        message = f"channels must contain no more than {MAX_CHANNELS} elements"
        return FieldProblem("channels", message, "arrayMaxSize", {"max": MAX_CHANNELS})
    return None


def contact_problems(body: Mapping[str, Any], *, creating: bool) -> list[FieldProblem]:
    """Every broken field rule of a contact create (`creating`) or update body.

    In the API's order: unknown properties first, then a missing or nulled `primaryPhone`,
    then the fields' own rules. Custom attribute *values* are judged by `validate_value`
    against their definitions (a bad one is not stored but does not reject the contact).
    """
    problems = [
        FieldProblem(key, f"property {key} should not exist", "whitelistValidation")
        for key in body
        if key not in CONTACT_FIELDS
    ]
    phone = body.get("primaryPhone")
    if (creating and phone is None) or ("primaryPhone" in body and phone is None):
        problems.append(
            FieldProblem("primaryPhone", "primaryPhone should not be empty", "isNotEmpty")
        )
    for name in (*FIELD_LENGTHS, "primaryEmail", "gender", "channels", "customAttributes"):
        problem = field_problem(name, body.get(name))
        if problem is not None:
            problems.append(problem)
    return problems


def spelled(value: Any) -> str:
    """A value as the API spells it, for any human output: JSON (`true`, `12`, `"text"` shown
    bare), `null` for no value; never Python's `True` / `None`."""
    if value is None:
        return "null"
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        return str(value)
