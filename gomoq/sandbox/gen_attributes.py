"""Custom attributes for the generator: definitions of all seven types, valid values, and the
planted invalid and undefined values.

Valid means valid for `gomoq.api.contract.validate_value` (the rules the sandbox
server applies and the attributes check reuses); the tests check every generated value with it.
"""

from __future__ import annotations

import random
from typing import Any

from gomoq.sandbox.gen_names import ascii_slug
from gomoq.sandbox.gen_phones import new_mobile

# (name (slug), display name, type, description, share of contacts holding a value)
DEFINITIONS: tuple[tuple[str, str, str, str, float], ...] = (
    ("customer_tier", "Customer Tier", "text", "Loyalty tier: bronze, silver, gold, platinum", 0.7),
    ("loyalty_points", "Loyalty Points", "number", "Points balance", 0.6),
    ("is_vip", "Is VIP", "boolean", "Key account", 0.5),
    ("birth_date", "Birth Date", "date", "Date of birth", 0.35),
    ("alt_phone", "Alt Phone", "phone_number", "Second number (home, work)", 0.15),
    ("work_email", "Work Email", "email", "Professional address", 0.2),
    ("website", "Website", "url", "Company or shop website", 0.08),
    ("interests", "Interests", "text", "Topics of interest (several values)", 0.3),
    ("preferred_language", "Preferred Language", "text", "fr, ar, darija, en", 0.4),
    ("last_purchase_at", "Last Purchase At", "date", "Last order (date-time)", 0.25),
)
TYPES = {name: kind for name, _, kind, _, _ in DEFINITIONS}

_TIERS = ("bronze", "bronze", "bronze", "silver", "silver", "gold", "platinum")
_INTERESTS = (
    "tech",
    "sport",
    "football",
    "travel",
    "cuisine",
    "mode",
    "immobilier",
    "auto",
    "finance",
    "santé",
    "éducation",
    "musique",
)
_LANGS = ("fr", "fr", "ar", "darija", "darija", "en", "es")
_WORK_DOMAINS = ("ocp.ma", "attijariwafa.com", "marjane.ma", "iam.ma", "ram.ma", "bmce.ma")

# Planted invalid values per type: (value, reason). Each is rejected by validate_value.
BAD_VALUES: dict[str, tuple[tuple[Any, str], ...]] = {
    "number": (
        ("1 200", "wrong_type"),
        ("12,5", "wrong_type"),
        ("abc", "wrong_type"),
        ("N/A", "wrong_type"),
        (True, "wrong_type"),
    ),
    "boolean": (
        ("yes", "wrong_type"),
        ("oui", "wrong_type"),
        ("true", "wrong_type"),
        (1, "wrong_type"),
    ),
    "date": (
        ("31/02/2020", "bad_date"),
        ("2020-13-01", "bad_date"),
        ("2021-02-30", "bad_date"),
        ("15-06-1990", "bad_date"),
        ("hier", "bad_date"),
        ("1990-06-31", "bad_date"),
    ),
    "email": (
        ("{f}@", "bad_email"),
        ("{f}.gmail.com", "bad_email"),
        ("{f} @gmail.com", "bad_email"),
        ("{f}@gmail", "bad_email"),
    ),
    "url": (
        ("www.{f}.ma", "bad_url"),
        ("htp://{f}.ma", "bad_url"),
        ("not a url", "bad_url"),
        ("{f}.com", "bad_url"),
    ),
    "phone_number": (
        ("06 12 AB", "bad_phone"),
        ("appeler le soir", "bad_phone"),
        ("0612-3456-789012345678", "bad_phone"),
    ),
    "text": ((12345, "wrong_type"), (False, "wrong_type")),
}
UNDEFINED_NAMES = (
    "old_segment",
    "Customer Tier",
    "fax",
    "source_campagne",
    "nps_score",
    "ancien_id",
)


def values_for(rng: random.Random, first: str, last: str, now_year: int) -> dict[str, Any]:
    """Valid custom attribute values for one contact (a share of attributes each)."""
    rand = rng.random
    out: dict[str, Any] = {}
    for name, _, _, _, share in DEFINITIONS:
        if rand() >= share:
            continue
        if name == "customer_tier":
            out[name] = _TIERS[int(rand() * len(_TIERS))]
        elif name == "loyalty_points":
            out[name] = int(rand() * 20_000) if rand() < 0.9 else round(rand() * 500, 1)
        elif name == "is_vip":
            out[name] = rand() < 0.15
        elif name == "birth_date":
            year = now_year - 75 + int(rand() * 58)
            out[name] = f"{year}-{1 + int(rand() * 12):02d}-{1 + int(rand() * 28):02d}"
        elif name == "alt_phone":
            out[name] = "0" + new_mobile(rng)
        elif name == "work_email":
            local = ascii_slug(first)[:1] + ascii_slug(last)[:30] or "contact"
            out[name] = f"{local}@{_WORK_DOMAINS[int(rand() * len(_WORK_DOMAINS))]}"
        elif name == "website":
            out[name] = f"https://www.{ascii_slug(last) or 'boutique'}{int(rand() * 100)}.ma"
        elif name == "interests":
            out[name] = rng.sample(_INTERESTS, 1 + int(rand() * 3))
        elif name == "preferred_language":
            out[name] = _LANGS[int(rand() * len(_LANGS))]
        else:  # last_purchase_at: a date-time in the two years before this one
            year = now_year - 2 + int(rand() * 2)
            out[name] = (
                f"{year}-{1 + int(rand() * 12):02d}-{1 + int(rand() * 28):02d}"
                f"T{8 + int(rand() * 12):02d}:{int(rand() * 60):02d}:00.000Z"
            )
    return out


def plant_invalid(rng: random.Random, values: dict[str, Any], first: str) -> tuple[str, Any, str]:
    """Write one invalid value into `values`; return (name, value, reason)."""
    name, _, kind, _, _ = rng.choice(DEFINITIONS)
    value, reason = rng.choice(BAD_VALUES[kind])
    if isinstance(value, str) and "{f}" in value:
        value = value.replace("{f}", ascii_slug(first) or "contact")
    values[name] = value
    return name, value, reason


def plant_undefined(rng: random.Random, values: dict[str, Any]) -> tuple[str, Any]:
    """Write one value under a name no definition has; return (name, value)."""
    name = rng.choice(UNDEFINED_NAMES)
    value: Any = rng.choice(("A", "B", "legacy", "7", "0522000000", "oui"))
    values[name] = value
    return name, value
