"""The contact fields a source column can be mapped to, and the API's rules for their values.

The rules are the API's (`gomoq.api.contract`, which the sandbox answers by), applied in polars
through the attribute check's vectorised predicates (`gomoq.checks.attributes`): one
definition, so that a row the preflight accepts is a row the API stores and the checks do not
flag next week.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from gomoq.api import contract
from gomoq.checks import attributes as rules

ATTRIBUTE_TYPES: Final = contract.ATTRIBUTE_TYPES
PHONE: Final = "primaryPhone"
ATTR_PREFIX: Final = "attr:"


# field (camelCase, as the API names it) -> (min, max) characters
LENGTHS: Final = contract.FIELD_LENGTHS
CONTACT_FIELDS: Final[tuple[str, ...]] = (*LENGTHS, "primaryEmail", "gender")
GENDERS: Final = contract.GENDERS
# what people type for the two genders the API knows (stated in the README)
GENDER_WORDS: Final[dict[str, str]] = {
    "male": "male",
    "m": "male",
    "h": "male",
    "homme": "male",
    "man": "male",
    "masculin": "male",
    "female": "female",
    "f": "female",
    "femme": "female",
    "woman": "female",
    "feminin": "female",
    "féminin": "female",
}


def field_problem(name: str, value: pl.Expr) -> pl.Expr:
    """Why a (non-null, trimmed) value of contact field `name` would be refused, or null."""
    if name == "primaryEmail":
        return pl.when(~rules._is_email(value)).then(pl.lit("primaryEmail: not an email address"))
    if name == "gender":
        return pl.when(~value.is_in(list(GENDERS))).then(
            pl.lit("gender: must be male or female (or homme/femme, m/f)")
        )
    low, high = LENGTHS[name]
    n = value.str.len_chars()
    return (
        pl.when(n < low)
        .then(pl.lit(f"{name}: shorter than {low} characters"))
        .when(n > high)
        .then(pl.lit(f"{name}: longer than {high} characters"))
    )


def string_problem(attr_type: str, value: pl.Expr) -> pl.Expr:
    """Why a text value is not valid for an attribute of type `attr_type` (text, date,
    phone_number, email, url), or null."""
    ok = rules._string_rule(attr_type, value, pl.lit(True))
    what = {
        "text": f"longer than {contract.MAX_TEXT} characters",
        "date": "not a date",
        "phone_number": "not a phone number (3 to 20 digits, spaces and +()./-)",
        "email": "not an email address",
        "url": "not an absolute http(s) URL",
    }.get(attr_type, f"not a {attr_type}")
    return pl.when(~ok).then(pl.lit(what))
