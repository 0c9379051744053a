"""`gomoq check` and `gomoq decide`: formats, exit codes, decisions from the command line."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from click.testing import CliRunner

from gomoq.checks.settings import CheckSettings
from gomoq.cli import cli
from gomoq.config import Profile
from gomoq.services import checks as service
from tests.checks.conftest import NOW
from tests.services.checks_fakes import FakeSnapshot, install_snapshots, make_profile, org


@pytest.fixture
def snapshots(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, FakeSnapshot]]:
    """Fake snapshots by `which` ("current", "previous"); absent means no cache."""
    yield from install_snapshots(monkeypatch)


@pytest.fixture
def profile() -> Profile:
    """A saved, active profile `p` with the CHECKS engineer's checks enabled."""
    return make_profile()


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch: pytest.MonkeyPatch) -> None:
    """The profile's settings with "today" fixed, so the hand-built histories are stable."""
    real = service.settings_for

    def with_now(profile: Profile) -> CheckSettings:
        settings = real(profile)
        return CheckSettings(
            region=settings.region,
            now=NOW,
            enabled=settings.enabled,
            call_failures=settings.call_failures,
            attributes=settings.attributes,
            inactivity=settings.inactivity,
        )

    monkeypatch.setattr(service, "settings_for", with_now)


def run(*args: str) -> Any:
    return CliRunner().invoke(cli, list(args))


def test_no_cache_exits_2_with_a_sentence(profile: Profile) -> None:
    result = run("check")
    assert result.exit_code == 2
    assert "No cache for profile p yet: run `gomoq sync`." in result.stderr
    assert result.stdout == ""


def test_unknown_check_and_bad_options_exit_2(
    profile: Profile, snapshots: dict[str, FakeSnapshot]
) -> None:
    snapshots["current"] = FakeSnapshot(**org())
    assert run("check", "--check", "bogus").exit_code == 2
    assert "Unknown check(s): bogus" in run("check", "--check", "bogus").stderr
    assert run("check", "--format", "xml").exit_code == 2
    assert run("check", "--format", "parquet").exit_code == 2


def test_json_is_one_array_of_finding_objects(
    profile: Profile, snapshots: dict[str, FakeSnapshot]
) -> None:
    snapshots["current"] = FakeSnapshot(**org())
    result = run("check", "--format", "json")
    assert result.exit_code == 1  # errors found, --fail-on error by default
    rows = json.loads(result.stdout)
    assert isinstance(rows, list) and len(rows) == 4
    assert set(rows[0]) == {
        "check",
        "finding_id",
        "contact_id",
        "cluster_id",
        "severity",
        "kind",
        "field",
        "value",
        "evidence",
        "suggested_action",
        "confidence",
        "decision",
    }
    second = rows[1]
    assert (second["check"], second["kind"], second["value"]) == (
        "attributes",
        "invalid_value",
        "12",
    )


def test_fail_on_levels(profile: Profile, snapshots: dict[str, FakeSnapshot]) -> None:
    quiet = org()
    quiet["attributes"] = quiet["attributes"].clear()
    quiet["calls"] = quiet["calls"].filter(pl.col("contact_id") != "fail")
    snapshots["current"] = FakeSnapshot(**quiet)
    # Only warn/info findings left (inactivity).
    assert run("check", "--format", "json").exit_code == 0
    assert run("check", "--format", "json", "--fail-on", "warn").exit_code == 1
    only_attrs = run("check", "--check", "attributes", "--fail-on", "warn", "--format", "csv")
    assert only_attrs.exit_code == 0
    assert only_attrs.stdout.splitlines()[0].startswith("check,finding_id,contact_id")


def test_table_csv_and_parquet_outputs(
    profile: Profile, snapshots: dict[str, FakeSnapshot], tmp_path: Path
) -> None:
    snapshots["current"] = FakeSnapshot(**org())
    table = run("check")
    assert table.exit_code == 1
    assert "call_failures" in table.stdout and "Top findings" in table.stdout
    assert "network_congestion×1" in table.stdout
    assert re.search(r"\d+\.\d s in all \(the checks run side by side", table.stdout)
    out = tmp_path / "f.parquet"
    assert run("check", "--format", "parquet", "--output", str(out)).exit_code == 1
    frame = pl.read_parquet(out)
    assert frame.height == 4 and "decision" in frame.columns
    # Every finding's whole id is on the table (it is what `gomoq decide` takes).
    assert all(fid in table.stdout for fid in frame["finding_id"])
    csv = tmp_path / "f.csv"
    assert run("check", "--format", "csv", "--output", str(csv)).exit_code == 1
    assert pl.read_csv(csv).height == 4
    as_json = tmp_path / "f.json"
    assert run("check", "--format", "json", "--output", str(as_json)).exit_code == 1
    text = as_json.read_text(encoding="utf-8")
    assert text.endswith("]\n") and json.loads(text) == json.loads(
        run("check", "--format", "json").stdout
    )


def test_decide_dismiss_hides_and_undo_restores(
    profile: Profile, snapshots: dict[str, FakeSnapshot]
) -> None:
    snapshots["current"] = FakeSnapshot(**org())
    rows = json.loads(run("check", "--format", "json").stdout)
    errors = [r["finding_id"] for r in rows if r["severity"] == "error"]
    assert len(errors) == 2
    decided = run("decide", *errors, "--dismiss", "--note", "known")
    assert decided.exit_code == 0, decided.output
    assert "Dismissed 2 finding(s)." in decided.stderr
    after = run("check", "--format", "json")
    assert after.exit_code == 0  # no error left once both are dismissed
    assert {r["finding_id"] for r in json.loads(after.stdout)}.isdisjoint(errors)
    everything = json.loads(run("check", "--format", "json", "--include-dismissed").stdout)
    assert sorted(r["decision"] for r in everything if r["finding_id"] in errors) == [
        "dismissed",
        "dismissed",
    ]
    # Shown, but dismissed findings never make the run fail.
    assert run("check", "--format", "json", "--include-dismissed").exit_code == 0
    assert run("decide", errors[0], "--undo").exit_code == 0
    assert run("check", "--format", "json").exit_code == 1


def test_decide_needs_an_action_and_known_ids(
    profile: Profile, snapshots: dict[str, FakeSnapshot]
) -> None:
    snapshots["current"] = FakeSnapshot(**org())
    assert run("decide", "abc").exit_code == 2
    missing = run("decide", "abc", "--dismiss")
    assert missing.exit_code == 2
    assert "No current finding with id abc" in missing.stderr
