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


HOSTILE = "\x1b[2J\x1b]52;c;SGVsbG8=\x07evil"  # a screen clear, then an OSC 52 clipboard write


def _raw_controls(text: str) -> list[str]:
    return [c for c in text if (ord(c) < 0x20 and c not in "\n") or 0x7F <= ord(c) <= 0x9F]


def test_escapes_never_reach_the_terminal(
    profile: Profile,  # noqa: F811
    snapshots: dict[str, FakeSnapshot],  # noqa: F811
) -> None:
    """Issue 13 item 8: the table and CSV on stdout show control characters as pictures."""
    snapshots["current"] = FakeSnapshot(**org(bad_age=HOSTILE))
    table = run("check")
    assert table.exit_code == 1
    assert "␛[2J␛]52;c;SGVsbG8=␇evil" in table.stdout
    assert _raw_controls(table.stdout) == []
    csv = run("check", "--format", "csv")
    assert "␛[2J" in csv.stdout and _raw_controls(csv.stdout) == []
    # JSON escapes them itself: the value survives exactly
    rows = json.loads(run("check", "--format", "json").stdout)
    assert HOSTILE in [r["value"] for r in rows]
    assert "\x1b" not in run("check", "--format", "json").stdout


@pytest.mark.parametrize("formula", ['=HYPERLINK("http://evil.example","x")', "@SUM(1)"])
def test_csv_cells_never_run_as_formulas(
    profile: Profile,  # noqa: F811
    snapshots: dict[str, FakeSnapshot],  # noqa: F811
    formula: str,
    tmp_path: Path,
) -> None:
    """Issue 13 item 9: a formula-looking value gets a leading apostrophe in CSV (stdout and
    file); `--raw` writes it as stored."""
    import polars as pl

    snapshots["current"] = FakeSnapshot(**org(bad_age=formula))
    out = tmp_path / "f.csv"
    assert run("check", "--format", "csv", "--output", str(out)).exit_code == 1
    values = pl.read_csv(out)["value"].to_list()
    assert "'" + formula in values and formula not in values
    stdout = pl.read_csv(run("check", "--format", "csv").stdout.encode())["value"].to_list()
    assert "'" + formula in stdout
    raw = pl.read_csv(run("check", "--format", "csv", "--raw").stdout.encode())["value"]
    assert formula in raw.to_list()
