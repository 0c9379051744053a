"""The organisation around the contacts: its meta (names, ids, API key), its custom attribute
definitions and its audiences, for the generator."""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Callable

from gomoq.sandbox.gen_attributes import DEFINITIONS
from gomoq.sandbox.gen_calls import DAY_MS, Clock, uuid4
from gomoq.sandbox.gen_people import Person

_ORG_NAMES = (
    ("Atlas Distribution", "atlas-distribution"),
    ("Marjana Télécom Services", "marjana-telecom"),
    ("Dar Al Khayr Assurances", "dar-al-khayr"),
    ("Souss Agri Export", "souss-agri"),
    ("Casa Auto Pièces", "casa-auto-pieces"),
    ("Fès Médina Artisanat", "fes-medina"),
)

# An audience as the generator uses it: (id, name, creation time in ms, chance that a contact is
# a member, given the contact).
Audience = tuple[str, str, int, Callable[[Person], float]]


def make_org(rng: random.Random, seed: int, api_key: str | None) -> dict[str, str]:
    """The org meta values (all strings): ids, names, the user, the API key."""
    name, slug = _ORG_NAMES[seed % len(_ORG_NAMES)]
    key = api_key or f"gmq_sandbox_{rng.getrandbits(128):032x}"
    org_id = uuid4(rng)
    user_id = uuid4(rng)
    return {
        "org_id": org_id,
        "org_name": name,
        "org_slug": slug,
        "user_id": user_id,
        "user_email": f"admin@{slug}.ma",
        "api_key": key,
    }


def _tier(person: Person, tiers: tuple[str, ...], p: float) -> float:
    return p if person.attributes.get("customer_tier") in tiers else 0.0


# (name, description, type, created how many days ago, membership chance per contact)
_AUDIENCES: tuple[tuple[str, str | None, str, int, Callable[[Person], float]], ...] = (
    (
        "VIP customers",
        "Key accounts followed by the sales team",
        "static",
        900,
        lambda p: 0.9 if p.attributes.get("is_vip") is True else 0.01,
    ),
    (
        "Ramadan 2025 campaign",
        "Contacts called for the Ramadan offers",
        "static",
        400,
        lambda p: 0.2,
    ),
    (
        "Casablanca leads",
        "Prospects from the Casablanca fair",
        "static",
        700,
        lambda p: 0.5 if p.city_base == "Casablanca" else 0.0,
    ),
    ("Newsletter subscribers", None, "static", 1000, lambda p: 0.35 if p.email else 0.0),
    ("Salon Auto 2024", "Visitors of the car fair stand", "static", 600, lambda p: 0.05),
    (
        "Gold and platinum",
        "Live: tier gold or platinum",
        "live",
        300,
        lambda p: _tier(p, ("gold", "platinum"), 1.0),
    ),
    (
        "Rabat region",
        "Live: Rabat-Salé-Kénitra",
        "live",
        200,
        lambda p: 1.0 if p.region == "Rabat-Salé-Kénitra" else 0.0,
    ),
    ("Win-back", "Live: no purchase for a while", "live", 100, lambda p: 0.1),
)


def write_definitions_and_audiences(
    conn: sqlite3.Connection, rng: random.Random, org: dict[str, str], clock: Clock, now_ms: int
) -> list[Audience]:
    """Insert attribute definitions and audiences; return (id, name, created ms, share) per
    audience, the share giving each contact's chance of membership."""
    org_id, user_id = org["org_id"], org["user_id"]
    for n, (name, display, kind, description, _share) in enumerate(DEFINITIONS):
        created = clock.iso(now_ms - (1100 - 30 * n) * DAY_MS)
        conn.execute(
            "INSERT INTO custom_attributes (id, organization_id, name, display_name, description,"
            " type, created_at, updated_at, created_by, updated_by) VALUES (?,?,?,?,?,?,?,?,?,?)",
            (
                uuid4(rng),
                org_id,
                name,
                display,
                description,
                kind,
                created,
                created,
                user_id,
                user_id,
            ),
        )
    out: list[Audience] = []
    for name, about, kind, days_ago, share in _AUDIENCES:
        audience_id = uuid4(rng)
        created_ms = now_ms - days_ago * DAY_MS + rng.randrange(DAY_MS)
        updated = clock.iso(created_ms + rng.randrange(days_ago * DAY_MS // 2 + 1))
        conn.execute(
            "INSERT INTO audiences (id, organization_id, name, description, type, created_at,"
            " updated_at) VALUES (?,?,?,?,?,?,?)",
            (audience_id, org_id, name, about, kind, clock.iso(created_ms), updated),
        )
        out.append((audience_id, name, created_ms, share))
    return out
