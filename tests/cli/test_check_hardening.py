"""`gomoq check` under hostile conditions (issue 13): a read-only cache (item 7)."""

from __future__ import annotations

import errno
import json
from pathlib import Path
from typing import Any

import pytest

from gomoq import phones
from gomoq.config import Profile
from tests.cli.test_check_cmd import fixed_today, profile, run, snapshots  # noqa: F401
from tests.services.checks_fakes import FakeSnapshot, org


def test_check_works_on_a_read_only_cache(
    profile: Profile,  # noqa: F811
    snapshots: dict[str, FakeSnapshot],  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The phones memo cannot be written (a read-only file system; root ignores chmod, so the
    write itself is made to fail as the kernel would): the check still runs and reports."""

    def read_only(*_args: Any, **_kwargs: Any) -> None:
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr("gomoq.phones.pq.write_table", read_only)
    snapshots["current"] = FakeSnapshot(**org())
    result = run("check", "--check", "phones", "--format", "json")
    assert "unexpected problem" not in result.stderr
    assert result.exit_code in (0, 1), result.stderr  # findings or none, not a crash
    assert isinstance(json.loads(result.stdout), list)
    assert not list(Path(phones.memo_path("MA")).parent.glob("*.tmp"))
