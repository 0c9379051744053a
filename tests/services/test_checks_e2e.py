"""End to end: a generated organisation, synced through the API into the cache, checked.

The generator's ground truth says which problems were planted; the checks must find every
always-failing contact and every planted invalid or undefined attribute value.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import polars as pl
import pytest

from gomoq.api.testing import in_process
from gomoq.checks.settings import CheckSettings
from gomoq.config import Profile
from gomoq.sandbox.app import SandboxApp
from gomoq.services import checks as service

MINE = ["call_failures", "attributes", "inactivity"]


@pytest.fixture
def synced(sandbox_app: SandboxApp, sandbox_key: str) -> Profile:
    from gomoq.services.sync import sync

    sandbox_app.sandbox.settings.export_delay_ms = 0
    profile = Profile(
        name="org", base_url="http://sandbox.test/api", api_key=sandbox_key, rate_limit=1000.0
    )
    with in_process(sandbox_app):
        sync(profile, client_options={"backoff_base": 0.01, "backoff_cap": 0.05})
    return profile


def truth_of(sandbox_db: Path) -> dict[str, object]:
    path = sandbox_db.with_suffix(".truth.json")
    if not path.exists():
        pytest.skip("the sandbox fixture has no generator truth file")
    data: dict[str, object] = json.loads(path.read_text(encoding="utf-8"))
    return data


def test_planted_problems_are_found(synced: Profile, sandbox_db: Path) -> None:
    truth = truth_of(sandbox_db)
    now = datetime.fromisoformat(str(truth["reference_time"]).replace("Z", "+00:00"))
    run = service.run_checks(synced, checks=MINE, settings=CheckSettings(now=now))
    found = run.findings

    failing = set(found.filter(pl.col("kind") == "always_failing")["contact_id"].to_list())
    planted_failing = set(truth["always_failing"])  # type: ignore[arg-type]
    assert planted_failing, "the generator planted no always-failing contact"
    assert planted_failing <= failing

    invalid = set(
        found.filter(pl.col("kind") == "invalid_value").select("contact_id", "field").rows()
    )
    planted = {
        (v["contact_id"], v["name"])
        for v in truth["invalid_attribute_values"]  # type: ignore[attr-defined]
    }
    assert planted and planted <= invalid
    # Precision: every invalid value reported is one the generator planted.
    assert invalid <= planted

    undefined = set(
        found.filter(pl.col("kind") == "undefined_attribute").select("contact_id", "field").rows()
    )
    planted_undefined = {
        (v["contact_id"], v["name"])
        for v in truth["undefined_attribute_values"]  # type: ignore[attr-defined]
    }
    assert planted_undefined <= undefined

    # The generator's "inactive" is "no answered call in its last N days", which also covers
    # young contacts never reached yet (our never_answered) and always-failing ones.
    quiet = {"inactive", "never_answered", "always_failing"}
    inactive = set(found.filter(pl.col("kind").is_in(quiet))["contact_id"].to_list())
    planted_inactive = set(truth["inactive"])  # type: ignore[arg-type]
    assert planted_inactive <= inactive
    assert run.summary.contacts == 300


def test_gomoq_check_on_a_synced_cache_runs_every_check(synced: Profile) -> None:
    from click.testing import CliRunner

    from gomoq.checks import registry
    from gomoq.cli import cli
    from gomoq.config import save_profile

    # The CLI reads the cache by profile name; the URL only has to be a valid one.
    save_profile(
        Profile(name="org", base_url="http://127.0.0.1:9/api", api_key="k" * 16), activate=True
    )
    result = CliRunner().invoke(cli, ["check", "--format", "json"])
    assert result.exit_code == 1, result.output  # the generated org has errors planted
    rows = json.loads(result.stdout)
    assert {r["check"] for r in rows} == set(registry.available())
    ids = [r["finding_id"] for r in rows]
    assert all(len(i) == 16 for i in ids)
    # Ids are unique per finding: only a duplicate cluster shares one across its member rows.
    per_id = {}
    for row in rows:
        per_id.setdefault(row["finding_id"], set()).add(row["check"])
    assert all(len(checks) == 1 for checks in per_id.values())
    table = CliRunner().invoke(cli, ["check"])
    assert table.exit_code == 1 and "Top findings" in table.stdout
