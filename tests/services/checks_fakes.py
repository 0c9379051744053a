"""A fake cache snapshot over hand-built frames, and a saved profile, for service/CLI tests.

Not a conftest (tests/services is shared): test modules wrap these in their own fixtures.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import polars as pl
import pytest

from gomoq.config import Profile, save_profile
from gomoq.errors import UsageError
from gomoq.services import checks as service
from tests.checks.conftest import calls, contacts

MY_CHECKS = ["call_failures", "attributes", "inactivity"]


class FakeSnapshot:
    """What `gomoq.cache.store.Snapshot` offers the checks: `scan`, `read`, `manifest`."""

    def __init__(self, **frames: pl.DataFrame) -> None:
        self.frames = frames
        self.manifest: dict[str, Any] = {"profile": "p"}

    def scan(self, table: str) -> pl.LazyFrame:
        from gomoq.cache.schema import empty_frame

        return self.frames.get(table, empty_frame(table)).lazy()

    def read(self, table: str) -> pl.DataFrame:
        return self.scan(table).collect()


def org(bad_age: str = "12") -> dict[str, pl.DataFrame]:
    """Three contacts: a failing one, a bad attribute value, an inactive one."""
    return {
        "contacts": contacts("fail", "attr", "quiet"),
        "calls": calls(
            ("fail", "busy", 60),
            ("fail", "no_answer", 50),
            ("fail", "no_answer", 40),
            ("fail", "network_congestion", 39),
            ("attr", "answered", 2),
            ("quiet", "answered", 120),
        ),
        "attributes": pl.DataFrame(
            {"contact_id": ["attr"], "name": ["age"], "value": [bad_age], "json_type": ["string"]}
        ),
        "attribute_defs": pl.DataFrame({"name": ["age"], "type": ["number"]}),
    }


def install_snapshots(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, FakeSnapshot]]:
    """profile snapshots by `which` ("current", "previous"); absent means no cache."""
    store: dict[str, FakeSnapshot] = {}

    def fake_open(profile_name: str, which: str = "current") -> FakeSnapshot:
        if which not in store:
            raise UsageError(f"No cache for profile {profile_name} yet: run `gomoq sync`.")
        return store[which]

    monkeypatch.setattr(service, "open_snapshot", fake_open)
    yield store


def make_profile() -> Profile:
    """A saved, active profile `p` whose [checks] table fixes today and the enabled checks."""
    prof = Profile(
        name="p",
        base_url="http://127.0.0.1:9",
        api_key="test-key-123456",
        checks={"enabled": MY_CHECKS},
    )
    save_profile(prof, activate=True)
    return prof
