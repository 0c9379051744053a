"""`gomoq audience refresh --engagement` then `gomoq apply` on a fresh generated organisation
(the sandbox, in-process): the three audiences' members equal the engagement bands computed here,
independently, from the synced calls; a second refresh plans nothing; undo takes it all back."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from click.testing import CliRunner

from gomoq.api.testing import in_process
from gomoq.cache.store import Snapshot
from gomoq.checks.settings import CheckSettings
from gomoq.cli import cli, main
from gomoq.config import Profile, load_profile, save_profile
from gomoq.plan.model import Plan
from gomoq.services import checks as checks_service
from gomoq.services.sync import sync

NOW = datetime.now(UTC)
NAMES = {
    "Active (last 30 days)": "active",
    "At Risk (60-90 days)": "at-risk",
    "Inactive (90+ days)": "inactive",
}


@pytest.fixture
def profile(
    sandbox_app: Any, sandbox_key: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Profile]:
    real = checks_service.settings_for

    def pinned(p: Profile) -> CheckSettings:
        s = real(p)
        return CheckSettings(region=s.region, now=NOW, inactivity=s.inactivity)

    monkeypatch.setattr(checks_service, "settings_for", pinned)
    with in_process(sandbox_app):
        prof = Profile("org", "http://127.0.0.1:9/api", sandbox_key, rate_limit=1000.0)
        save_profile(prof, activate=True)
        sync(prof)
        yield prof


def bands_by_hand(snapshot: Snapshot) -> dict[str, set[str]]:
    """The bands of the product brief, from the cached calls, in plain Python: days since the
    last answered call (the contact's creation, else its first call, when never answered);
    active <= 30 days, at risk 60-89, inactive >= 90; never called contacts have no band."""
    contacts = {r["id"]: r["created_at"] for r in snapshot.read("contacts").iter_rows(named=True)}
    last_answer: dict[str, datetime] = {}
    first: dict[str, datetime] = {}
    for call in snapshot.read("calls").iter_rows(named=True):
        cid = call["contact_id"]
        if cid not in contacts:
            continue
        first[cid] = min(first.get(cid, call["created_at"]), call["created_at"])
        if call["status"] == "answered":
            when = call["answered_at"] or call["created_at"]
            last_answer[cid] = max(last_answer.get(cid, when), when)
    out: dict[str, set[str]] = {"active": set(), "at-risk": set(), "inactive": set()}
    for cid, created in contacts.items():
        if cid not in first:
            continue  # never called
        ref = last_answer.get(cid) or created or first[cid]
        days = int((NOW - ref).total_seconds() // 86_400)
        if cid not in last_answer and days < 90:
            continue  # not reached yet ("never answered")
        if days <= 30:
            out["active"].add(cid)
        elif 60 <= days < 90:
            out["at-risk"].add(cid)
        elif days >= 90:
            out["inactive"].add(cid)
    return out


def members(snapshot: Snapshot) -> dict[str, set[str]]:
    """Active members of the three audiences, by band word (from a fresh sync)."""
    audiences = snapshot.read("audiences").filter(pl.col("name").is_in(list(NAMES)))
    rows = snapshot.read("audience_members").filter(pl.col("status") == "active")
    out = {}
    for aid, name in audiences.select("id", "name").iter_rows():
        out[NAMES[name]] = set(rows.filter(pl.col("audience_id") == aid)["contact_id"])
    return out


def test_engagement_refresh_apply_again_and_undo(profile: Profile, tmp_path: Path) -> None:
    runner = CliRunner()
    plan_file = tmp_path / "p.json"
    made = runner.invoke(cli, ["audience", "refresh", "--engagement", "-o", str(plan_file)])
    assert made.exit_code == 0, made.output
    plan = Plan.load(plan_file)
    assert sorted(a.name for a in plan.actions) == sorted(NAMES)  # type: ignore[union-attr]
    assert set(load_profile("org").segments) == set(NAMES)  # kept in the profile

    applied = runner.invoke(cli, ["apply", str(plan_file), "--yes"])
    assert applied.exit_code == 0, applied.output

    expected = bands_by_hand(Snapshot.open("org"))
    assert all(expected.values())  # the generated organisation has all three bands
    sync(profile)  # what the server holds now
    assert members(Snapshot.open("org")) == expected

    again = tmp_path / "again.json"
    second = runner.invoke(cli, ["audience", "refresh", "--engagement", "-o", str(again)])
    assert second.exit_code == 0, second.output
    assert Plan.load(again).actions == []
    assert "0 audience action(s), 0 change(s)" in second.stderr

    run_id = json.loads(runner.invoke(cli, ["history", "--format", "json"]).output)[0]["run_id"]
    undone = runner.invoke(cli, ["undo", run_id, "--yes"])
    assert undone.exit_code == 0, undone.output
    sync(profile)
    snapshot = Snapshot.open("org")
    assert snapshot.read("audiences").filter(pl.col("name").is_in(list(NAMES))).height == 0
    added = set().union(*expected.values())
    rows = snapshot.read("audience_members").filter(pl.col("status") == "active")
    assert not set(rows["contact_id"]) & added - set(_members_before(profile))


def _members_before(profile: Profile) -> list[str]:
    """Contacts active in some other audience (the generated organisation has its own)."""
    snapshot = Snapshot.open(profile.name)
    others = snapshot.read("audiences").filter(~pl.col("name").is_in(list(NAMES)))["id"]
    rows = snapshot.read("audience_members")
    return rows.filter(pl.col("audience_id").is_in(others.implode()))["contact_id"].to_list()


def exit_code(args: list[str]) -> int:
    """Run the CLI as `gomoq` does (errors become one line and an exit status)."""
    try:
        main(args)
    except SystemExit as stop:
        return int(stop.code or 0)
    return 0


def test_bad_input_exits_2_and_writes_nothing(
    profile: Profile, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "p.json"
    for args, words in [
        (["audience", "refresh", "Nope", "-o", str(out)], "no segment named 'Nope'"),
        (
            ["audience", "refresh", "--all", "-o", str(tmp_path / "missing" / "p.json")],
            "does not exist",
        ),
        (["segment", "add", "Bad", "city:(x"], "not valid at column 6"),
        (["segment", "add", "Trial", 'audience:"No Such Audience"'], "unknown audience"),
    ]:
        assert exit_code(args) == 2, args
        err = capsys.readouterr().err
        assert words in err and "Traceback" not in err, err
    assert not out.exists()
    assert load_profile("org").segments == {}
    assert exit_code(["segment", "add", "Rabat people", "city:rabat"]) == 0
    capsys.readouterr()
    assert exit_code(["segment", "add", "Rabat people", "city:fes"]) == 2
    assert "already exists" in capsys.readouterr().err
    assert load_profile("org").segments == {"Rabat people": "city:rabat"}
    assert exit_code(["segment", "show", "Rabat people"]) == 0
    shown = capsys.readouterr().out
    assert "match now" in shown and "none yet" in shown
    assert exit_code(["segment", "list"]) == 0
    assert capsys.readouterr().out == "Rabat people\tcity:rabat\n"
    assert exit_code(["segment", "remove", "Rabat people"]) == 0
    assert load_profile("org").segments == {}
