"""The `--auto` rules on a synced sandbox organisation: severity thresholds, one attribute per
reason (two rules never overwrite each other's flag; undo puts back exactly what was there),
the inactivity rules and their options."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import polars as pl
import pytest

from gomoq.api.testing import in_process
from gomoq.config import Profile
from gomoq.errors import UsageError
from gomoq.plan.model import DeleteAction, FlagAction, Plan, RemoveFromAudiencesAction
from gomoq.services import plan as svc
from gomoq.services.checks import run_checks
from gomoq.services.sync import sync
from tests.plan.conftest import Server


@pytest.fixture
def synced(sandbox_app: Any, sandbox_key: str) -> Iterator[Profile]:
    with in_process(sandbox_app):
        profile = Profile("rules", "http://sandbox.test/api", sandbox_key, rate_limit=1000.0)
        sync(profile)
        yield profile


def _ids(plan: Any) -> set[str]:
    return {c for a in plan.actions for c in a.contact_ids()}


def test_repeated_failures_takes_findings_at_or_above_the_severity(synced: Profile) -> None:
    findings = run_checks(synced).findings.filter(pl.col("check") == "call_failures")
    by_severity = {
        s: set(findings.filter(pl.col("severity") == s)["contact_id"].to_list())
        for s in ("info", "warn", "error")
    }
    assert by_severity["info"] - by_severity["warn"] - by_severity["error"]  # info-only exist
    default = _ids(svc.plan_auto(synced, ["flag-repeated-failures"]))
    assert default == by_severity["warn"] | by_severity["error"]
    everything = _ids(svc.plan_auto(synced, ["flag-repeated-failures:severity=info"]))
    assert everything == by_severity["info"] | by_severity["warn"] | by_severity["error"]
    errors = _ids(svc.plan_auto(synced, ["flag-repeated-failures:severity=error"]))
    assert errors == by_severity["error"]


def test_two_flag_rules_on_one_contact_keep_both_and_undo_restores_exactly(
    synced: Profile, sandbox_app: Any
) -> None:
    server = Server(sandbox_app)
    (failing,) = svc.plan_auto(synced, ["flag-repeated-failures"]).actions
    one = failing.contact_ids()[0]
    # give a contact whose calls keep failing an impossible number too, and an earlier value
    # of one of the attributes, which undo must put back exactly (not clear)
    server.edit(
        one,
        primary_phone="06 12 34",
        custom_attributes='{"dq_invalid_phone": false, "vip": true}',
    )
    sync(synced)
    before = server.contact(one)["custom_attributes"]
    plan = svc.plan_auto(synced, ["flag-invalid-phones", "flag-repeated-failures"])
    flags = [a for a in plan.actions if isinstance(a, FlagAction)]
    assert {f.attribute for f in flags} == {"dq_invalid_phone", "dq_repeated_failures"}
    assert all(one in f.contacts for f in flags)
    result = svc.apply(synced, plan)
    assert result.ok and result.conflicts == 0, result.messages
    attrs = server.contact(one)["custom_attributes"]
    assert attrs["dq_invalid_phone"] is True and attrs["dq_repeated_failures"] is True
    assert attrs["vip"] is True
    assert svc.undo(synced, result.run_id).ok
    assert server.contact(one)["custom_attributes"] == before


def test_two_rules_writing_one_attribute_differently_are_refused(synced: Profile) -> None:
    with pytest.raises(UsageError, match="both write attribute 'dq_flag'"):
        svc.plan_auto(
            synced,
            [
                "flag-inactive:attribute=dq_flag:value=inactive",
                "flag-repeated-failures:attribute=dq_flag:value=repeated_failures",
            ],
        )


def test_collisions_only_for_different_values() -> None:
    from gomoq.plan.auto import check_flag_collisions

    same = [FlagAction("a", ("c1", "c2"), "dq_flag", "x"), FlagAction("b", ("c2",), "dq_flag", "x")]
    check_flag_collisions(same)  # the same value twice is no collision
    other = [FlagAction("a", ("c1",), "dq_flag", "x"), FlagAction("b", ("c2",), "dq_flag", "y")]
    check_flag_collisions(other)  # different contacts
    with pytest.raises(UsageError, match="Actions a and b both write"):
        check_flag_collisions([other[0], FlagAction("b", ("c1",), "dq_flag", "y")])


def test_inactivity_rules_follow_the_bands(synced: Profile) -> None:
    from gomoq.checks.base import CheckInput
    from gomoq.checks.inactivity import engagement
    from gomoq.services.checks import open_snapshot, settings_for

    bands = engagement(CheckInput.from_snapshot(open_snapshot(synced.name)), settings_for(synced))
    inactive = set(bands.filter(pl.col("band") == "Inactive")["contact_id"].to_list())
    assert inactive
    plan = svc.plan_auto(
        synced, ["flag-inactive", "remove-inactive-from-audiences", "delete-inactive"]
    )
    flag, remove, delete = (
        next(a for a in plan.actions if isinstance(a, cls))
        for cls in (FlagAction, RemoveFromAudiencesAction, DeleteAction)
    )
    assert set(flag.contacts) == set(remove.contacts) == set(delete.contacts) == inactive
    assert (flag.attribute, flag.value, flag.attribute_type) == ("is_active", False, "boolean")
    assert remove.audiences is None
    # days= widens or narrows the band; audiences= limits the removal
    wider = svc.plan_auto(synced, ["flag-inactive:days=60:attribute=dormant:value=yes"])
    (wide,) = wider.actions
    assert isinstance(wide, FlagAction) and (wide.attribute, wide.value) == ("dormant", "yes")
    at_least_60 = bands.filter((pl.col("attempts") > 0) & (pl.col("days") >= 60))
    assert set(wide.contacts) == set(at_least_60["contact_id"].to_list()) > inactive
    (only,) = svc.plan_auto(synced, ["remove-inactive-from-audiences:audiences=a1,a2"]).actions
    assert isinstance(only, RemoveFromAudiencesAction) and only.audiences == ("a1", "a2")


def test_set_phone_decisions_become_one_rewrite(synced: Profile, sandbox_app: Any) -> None:
    from gomoq.plan.model import SetPhoneAction
    from gomoq.services.checks import record_decisions_on

    findings = run_checks(synced).findings
    formats = findings.filter((pl.col("check") == "phones") & (pl.col("kind") == "non_e164"))
    picked = formats.head(3)
    record_decisions_on(synced, findings, picked["finding_id"].to_list(), "set_phone")
    plan = svc.plan_from_decisions(synced)
    (action,) = [a for a in plan.actions if isinstance(a, SetPhoneAction)]
    assert set(action.contacts) == set(picked["contact_id"].to_list())
    for cid, phone in action.phones.items():
        assert phone.startswith("+212") and cid in plan.fingerprints
    result = svc.apply(synced, plan)
    assert result.ok, result.messages
    server = Server(sandbox_app)
    assert {server.contact(c)["primary_phone"] for c in action.contacts} == set(
        action.phones.values()
    )


def test_normalise_phones_is_one_request_each_and_undoes_exactly(
    synced: Profile, sandbox_app: Any
) -> None:
    from gomoq.plan.model import SetPhoneAction

    server = Server(sandbox_app)
    (action,) = svc.plan_auto(synced, ["normalise-phones"]).actions
    assert isinstance(action, SetPhoneAction) and len(action.contacts) > 20
    ids = list(action.contacts)
    # a colleague edits one contact's city after the sync: not our business, kept by undo;
    # a contact outside the plan takes the E.164 number of another first: duplicates
    server.edit(ids[0], city="Ifrane")
    taken = action.phones[ids[1]]
    outsider = next(c for c in server.live_ids() if c not in action.phones)
    same = server.contact(ids[1])  # the same person, entered twice
    server.edit(
        outsider,
        primary_phone=taken,
        first_name=same["first_name"],
        last_name=same["last_name"],
        full_name=same["full_name"],
        primary_email=same["primary_email"],
    )
    before = {c: server.contact(c) for c in ids}
    result = svc.apply(synced, Plan(profile=synced.name, actions=[action]))
    assert result.ok and result.conflicts == 0, result.messages
    assert (
        result.duplicates == 1
        and server.contact(ids[1])["primary_phone"] == before[ids[1]]["primary_phone"]
    )
    # one update per rewrite, nothing read first (the 409 costs its one request too)
    assert result.requests == len(ids)
    assert server.contact(ids[0])["city"] == "Ifrane"
    # the next check proposes the two holders of that number as one exact-duplicate cluster
    sync(synced)
    dupes = run_checks(synced, checks=["duplicates"]).findings
    exact = dupes.filter(pl.col("kind").str.contains("exact"))
    cluster = exact.filter(pl.col("contact_id") == ids[1])["cluster_id"].to_list()
    assert (
        cluster
        and outsider in exact.filter(pl.col("cluster_id") == cluster[0])["contact_id"].to_list()
    )
    assert svc.undo(synced, result.run_id).ok
    for cid in ids:
        now = server.contact(cid)
        assert now["primary_phone"] == before[cid]["primary_phone"], cid
        assert now["city"] == before[cid]["city"]
