"""Fixtures for every test: each test gets its own gomoq home, so the developer's own config,
cache and state never leak in (the Harlequin habit)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

pytest_plugins = ["tests.sandbox_fixtures"]

# No per-example deadline: the machine is shared and noisy, and a deadline is a timing assertion
# (speed is measured by bench/, not by tests). Examples still run to completion.
settings.register_profile("gomoq", deadline=None)
settings.load_profile("gomoq")


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Point every gomoq root at a fresh folder and clear profile/key variables."""
    home = tmp_path / "gomoq-home"
    home.mkdir()
    monkeypatch.setenv("GOMOQ_HOME", str(home))
    for var in (
        "GOMOQ_CONFIG_DIR",
        "GOMOQ_CACHE_DIR",
        "GOMOQ_DATA_DIR",
        "GOMOQ_LOG_DIR",
        "GOMOQ_PROFILE",
        "GOMOQ_API_KEY",
    ):
        monkeypatch.delenv(var, raising=False)
    yield home
