"""Sandbox fixtures for every test folder (a pytest plugin, registered in tests/conftest.py).

- `sandbox_db`: a copy of a small generated organisation (300 contacts, seed 7; generated once
  per test session by `gomoq.sandbox.generator.generate_organisation`), with its truth file;
- `sandbox_app`: `create_app` over it, rate limit off (switch it on through
  `sandbox_app.state.sandbox.settings.rate_limit`);
- `sandbox_key`: its API key.

`build_small_org(path, contacts=...)` fills a database by hand (no generator): a handful of
attribute definitions, contacts, one static audience and calls. Sandbox tests use it when they
need to know every row; the fixtures fall back to it only while the generator is missing.
"""

from __future__ import annotations

import random
import shutil
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from gomoq.sandbox import db as sdb
from gomoq.sandbox.app import SandboxApp, create_app
from gomoq.sandbox.settings import SandboxSettings

SMALL_ORG_KEY = "gmq_sandbox_test_0123456789abcdef"
ORG_ID = "5b0f6a8e-1c7e-4a8e-9a53-000000000001"
ATTRIBUTES = (
    ("loyalty_points", "Loyalty Points", "number"),
    ("interests", "Interests", "text"),
    ("vip", "VIP", "boolean"),
    ("birthday", "Birthday", "date"),
    ("work_email", "Work Email", "email"),
    ("website", "Website", "url"),
    ("other_phone", "Other Phone", "phone_number"),
)
STATUSES = ("answered", "no_answer", "busy", "rejected", "voicemail", "failed")


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def build_small_org(path: Path, *, contacts: int = 30, seed: int = 1) -> Path:
    """Fill an empty sandbox database with a tiny, fully known organisation."""
    rng = random.Random(seed)
    conn = sdb.connect(path)
    for key, value in {
        "org_id": ORG_ID,
        "org_name": "Test Org",
        "org_slug": "test-org",
        "user_id": "5b0f6a8e-1c7e-4a8e-9a53-000000000002",
        "user_email": "owner@test.invalid",
        "api_key": SMALL_ORG_KEY,
        "seed": str(seed),
        "contacts": str(contacts),
    }.items():
        sdb.set_meta(conn, key, value)
    conn.execute("BEGIN")
    for i, (name, display, kind) in enumerate(ATTRIBUTES):
        stamp = f"2024-01-01T00:00:0{i}.000Z"
        conn.execute(
            "INSERT INTO custom_attributes (id, organization_id, name, display_name, type, "
            "created_at, updated_at) VALUES (?,?,?,?,?,?,?)",
            (_uuid(rng), ORG_ID, name, display, kind, stamp, stamp),
        )
    ids = []
    for i in range(contacts):
        contact_id = _uuid(rng)
        ids.append(contact_id)
        stamp = f"2024-02-{1 + i // 1440 % 28:02d}T{i // 60 % 24:02d}:{i % 60:02d}:00.000Z"
        conn.execute(
            "INSERT INTO contacts (id, organization_id, primary_phone, first_name, last_name, "
            "full_name, primary_email, city, gender, channels, custom_attributes, created_at, "
            "updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                contact_id,
                ORG_ID,
                f"+2126{10000000 + i:08d}",
                f"First{i:03d}",
                f"Last{i:03d}",
                f"First{i:03d} Last{i:03d}",
                f"person{i}@example.com",
                "Casablanca",
                ("male", "female")[i % 2],
                '["phone"]',
                f'{{"loyalty_points": {i}}}',
                stamp,
                stamp,
            ),
        )
        for k in range(2):
            call_stamp = f"2024-03-01T{k:02d}:{i % 60:02d}:00.000Z"
            conn.execute(
                "INSERT INTO calls (id, organization_id, contact_id, phone_number, status, "
                "created_at, duration_ms) VALUES (?,?,?,?,?,?,?)",
                (
                    _uuid(rng),
                    ORG_ID,
                    contact_id,
                    f"+2126{10000000 + i:08d}",
                    STATUSES[(i + k) % len(STATUSES)],
                    call_stamp,
                    1000 * k,
                ),
            )
    audience_id = _uuid(rng)
    conn.execute(
        "INSERT INTO audiences (id, organization_id, name, type, created_at, updated_at) "
        "VALUES (?,?,?,?,?,?)",
        (
            audience_id,
            ORG_ID,
            "Static list",
            "static",
            "2024-01-02T00:00:00.000Z",
            "2024-01-02T00:00:00.000Z",
        ),
    )
    for contact_id in ids[:5]:
        conn.execute(
            "INSERT INTO audience_members (audience_id, contact_id, joined_at) VALUES (?,?,?)",
            (audience_id, contact_id, "2024-01-03T00:00:00.000Z"),
        )
    conn.execute("COMMIT")
    conn.close()
    return path


def copy_db(source: Path, target: Path) -> Path:
    """Copy a sandbox database safely (SQLite backup, so WAL content comes along) + truth."""
    src = sqlite3.connect(source)
    dst = sqlite3.connect(target)
    with dst:
        src.backup(dst)
    src.close()
    dst.close()
    truth = source.with_suffix(".truth.json")
    if truth.exists():
        shutil.copyfile(truth, target.with_suffix(".truth.json"))
    return target


@pytest.fixture(scope="session")
def sandbox_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The generated 300-contact organisation (seed 7), made once per session."""
    path = tmp_path_factory.mktemp("sandbox-template") / "org.sqlite3"
    try:
        from gomoq.sandbox.generator import generate_organisation
    except ImportError:  # generator not written yet: a hand-made org keeps others unblocked
        return build_small_org(path, contacts=300, seed=7)
    generate_organisation(path, contacts=300, seed=7)
    return path


@pytest.fixture
def sandbox_db(sandbox_template: Path, tmp_path: Path) -> Path:
    """A private copy of the generated organisation for one test."""
    return copy_db(sandbox_template, tmp_path / "sandbox.sqlite3")


@pytest.fixture
def sandbox_app(sandbox_db: Path) -> Iterator[SandboxApp]:
    """The sandbox ASGI app over `sandbox_db`, rate limit off."""
    app = create_app(sandbox_db, SandboxSettings(rate_limit=0))
    yield app
    app.close()


@pytest.fixture
def sandbox_key(sandbox_app: SandboxApp) -> str:
    """The API key of `sandbox_app`."""
    return sandbox_app.sandbox.api_key
