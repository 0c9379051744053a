"""Plan files: round trip, strict loading, one-sentence errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gomoq.plan.model import (
    DeleteAction,
    FlagAction,
    MergeAction,
    Plan,
    PlanError,
    RemoveFromAudiencesAction,
    SetAttributeAction,
)


def _plan() -> Plan:
    return Plan(
        profile="demo",
        actions=[
            MergeAction(
                "m1", "s", ("l1", "l2"), fields={"firstName": "Amal"}, phone="+212612345678"
            ),
            DeleteAction("d1", ("x",)),
            FlagAction(
                "f1", ("a", "b"), attribute="is_active", value=False, attribute_type="boolean"
            ),
            SetAttributeAction("s1", ("c",), attribute="tier", value=None),
            RemoveFromAudiencesAction("r1", ("d",), audiences=("aud",)),
        ],
        fingerprints={"s": "abc"},
    )


def test_round_trip(tmp_path: Path) -> None:
    plan = _plan()
    path = tmp_path / "p.json"
    plan.save(path)
    loaded = Plan.load(path)
    assert loaded == plan
    assert loaded.contact_ids() == ["s", "l1", "l2", "x", "a", "b", "c", "d"]
    assert json.loads(path.read_text())["version"] == 1


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.update(version=99), "version 99"),
        (lambda d: d["actions"].append({"kind": "explode", "id": "x"}), "unknown kind 'explode'"),
        (lambda d: d["actions"][0].pop("survivor"), "lacks required keys: survivor"),
        (lambda d: d["actions"][0].update(losers=[]), "has no losers"),
        (lambda d: d["actions"][0].update(fields={"shoeSize": 1}), "unknown fields: shoeSize"),
        (lambda d: d["actions"][1].update(id="m1"), "action id 'm1' twice"),
        (lambda d: d["actions"][1].update(colour="red"), "unknown keys: colour"),
        (lambda d: d.pop("profile"), "names no profile"),
    ],
)
def test_bad_plans_are_one_sentence(mutate, message: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    data = _plan().to_dict()
    mutate(data)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data))
    with pytest.raises(PlanError) as info:
        Plan.load(path)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_malformed_and_missing_files(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{"version": 1, "actions": [')
    with pytest.raises(PlanError, match="not valid JSON"):
        Plan.load(path)
    with pytest.raises(PlanError, match="no plan file"):
        Plan.load(tmp_path / "absent.json")
    assert path.read_text() == '{"version": 1, "actions": ['
