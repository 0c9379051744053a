"""Plans without a human in the loop: from recorded decisions, or from findings by rules.

Rules for `gomoq plan --auto RULE...` (parts separated by `:`):

- `merge-exact[:confidence>=X][:survivor=most-complete|most-recent|most-answered]`: every exact
  duplicate cluster (same E.164) whose confidence is at least X (default 0.9) becomes one merge;
  the survivor is the member with the most filled fields and attributes (default), the most
  recently updated one, or the one with the most answered calls; ties go to the oldest id order;
- `flag-invalid-phones[:attribute=A][:value=V]`: flag contacts with an invalid phone
  (`dq_flag = "invalid_phone"` by default);
- `flag-repeated-failures[:attribute=A][:value=V]`: flag contacts whose calls keep failing
  (`dq_flag = "repeated_failures"`).

Every plan carries the fingerprints of its contacts as the local cache holds them: the version
the operator (or the cron job) looked at.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl

from gomoq.config import Profile
from gomoq.errors import UsageError
from gomoq.plan.cachepatch import cache_lookup
from gomoq.plan.fingerprint import contact_fingerprint, to_api_shape
from gomoq.plan.model import (
    STANDARD_FIELDS,
    Action,
    DeleteAction,
    FlagAction,
    MergeAction,
    Plan,
    RemoveFromAudiencesAction,
    SetAttributeAction,
)

SURVIVOR_RULES = ("most-complete", "most-recent", "most-answered")
RULES = ("merge-exact", "flag-invalid-phones", "flag-repeated-failures")


@dataclass(frozen=True)
class Rule:
    """A parsed `--auto` rule."""

    name: str
    confidence: float = 0.9
    survivor: str = "most-complete"
    attribute: str = "dq_flag"
    value: Any = None


def parse_rule(text: str) -> Rule:
    """Parse one rule, or raise `UsageError` naming what is wrong."""
    name, *parts = text.strip().split(":")
    if name not in RULES:
        raise UsageError(f"Unknown rule {name!r}; rules are {', '.join(RULES)}.")
    opts: dict[str, Any] = {}
    for part in parts:
        if part.startswith("confidence>="):
            try:
                opts["confidence"] = float(part.split(">=", 1)[1])
            except ValueError:
                raise UsageError(f"Rule {text!r}: confidence needs a number.") from None
        elif "=" in part:
            key, value = part.split("=", 1)
            if key not in ("survivor", "attribute", "value"):
                raise UsageError(f"Rule {text!r}: unknown option {key!r}.")
            opts[key] = value
        else:
            raise UsageError(f"Rule {text!r}: cannot read {part!r}.")
    if opts.get("survivor", "most-complete") not in SURVIVOR_RULES:
        raise UsageError(f"Rule {text!r}: survivor must be one of {', '.join(SURVIVOR_RULES)}.")
    if "value" in opts and opts["value"] in ("true", "false"):
        opts["value"] = opts["value"] == "true"
    return Rule(name, **opts)


def _completeness(contact: Mapping[str, Any]) -> int:
    api = to_api_shape(contact)
    filled = sum(1 for f in STANDARD_FIELDS if api.get(f) not in (None, "", []))
    return filled + sum(1 for v in api["customAttributes"].values() if v is not None)


def choose_survivor(
    ids: Sequence[str],
    contacts: Mapping[str, Mapping[str, Any]],
    rule: str,
    answered: Mapping[str, int] | None = None,
) -> str:
    """The member of a cluster that survives a merge under `rule`."""
    ordered = sorted(ids)

    def key(cid: str) -> Any:
        c = contacts.get(cid, {})
        if rule == "most-recent":
            return str(to_api_shape(c).get("updatedAt") or "")
        if rule == "most-answered":
            return ((answered or {}).get(cid, 0), _completeness(c))
        return _completeness(c)

    return max(ordered, key=key)  # max keeps the first of equals: the smallest id


def _fingerprints(profile: str, ids: Sequence[str]) -> tuple[dict[str, str], dict[str, Any]]:
    lookup = cache_lookup(profile)
    contacts = dict(lookup(ids)) if lookup else {}
    return {cid: contact_fingerprint(c) for cid, c in contacts.items()}, contacts


def _answered(profile: str) -> dict[str, int]:
    try:
        from gomoq.cache.store import Snapshot

        calls = Snapshot.open(profile, "current").scan("calls")
        counts = calls.filter(pl.col("status") == "answered").group_by("contact_id").len().collect()
    except Exception:  # no cache, no calls: the rule falls back to completeness
        return {}
    return dict(zip(counts["contact_id"].to_list(), counts["len"].to_list(), strict=True))


def auto_plan(profile: Profile, rules: Sequence[str]) -> Plan:
    """A plan from the current findings (`gomoq.services.checks.run_checks`) by `rules`."""
    parsed = [parse_rule(r) for r in rules]
    if not parsed:
        raise UsageError("Give at least one rule, e.g. --auto flag-invalid-phones.")
    from gomoq.services.checks import run_checks

    findings: pl.DataFrame = run_checks(profile).findings
    if "decision" in findings.columns:  # what the operator already decided is not redone
        findings = findings.filter(pl.col("decision").is_null())
    actions: list[Action] = []
    clusters: list[tuple[Rule, list[str]]] = []
    for rule in parsed:
        if rule.name == "merge-exact":
            dup = findings.filter(
                (pl.col("check") == "duplicates")
                & pl.col("kind").str.contains("exact")
                & (pl.col("confidence").fill_null(0.0) >= rule.confidence)
                & pl.col("cluster_id").is_not_null()
            )
            grouped = dup.group_by("cluster_id").agg(pl.col("contact_id").unique().sort())
            for cid_list in grouped.sort("cluster_id")["contact_id"].to_list():
                if len(cid_list) > 1:
                    clusters.append((rule, list(cid_list)))
        else:
            check = "phones" if rule.name == "flag-invalid-phones" else "call_failures"
            frame = findings.filter(pl.col("check") == check)
            if check == "phones":
                frame = frame.filter(
                    pl.col("kind").str.contains("invalid|impossible")
                    | (pl.col("severity") == "error")
                )
            ids = sorted(set(frame["contact_id"].drop_nulls().to_list()))
            default = "invalid_phone" if check == "phones" else "repeated_failures"
            value = default if rule.value is None else rule.value
            if ids:
                kind = "boolean" if isinstance(value, bool) else "text"
                actions.append(
                    FlagAction(
                        f"{rule.name}-{len(actions) + 1}",
                        tuple(ids),
                        attribute=rule.attribute,
                        value=value,
                        attribute_type=kind,
                    )
                )
    all_ids = sorted(
        {c for _r, ids in clusters for c in ids} | {c for a in actions for c in a.contact_ids()}
    )
    fingerprints, contacts = _fingerprints(profile.name, all_ids)
    answered = (
        _answered(profile.name) if any(r.survivor == "most-answered" for r, _ in clusters) else {}
    )
    taken: set[str] = set()
    for n, (rule, ids) in enumerate(clusters, 1):
        ids = [c for c in ids if c not in taken]
        if len(ids) < 2:
            continue
        survivor = choose_survivor(ids, contacts, rule.survivor, answered)
        taken.update(ids)
        losers = tuple(c for c in ids if c != survivor)
        actions.append(MergeAction(f"merge-{n}", survivor, losers))
    return Plan(profile=profile.name, actions=actions, fingerprints=fingerprints)


def _payload(raw: Any) -> dict[str, Any]:
    if isinstance(raw, str) and raw:
        try:
            value = json.loads(raw)
        except json.JSONDecodeError:
            return {}
        return value if isinstance(value, dict) else {}
    return {}


def applied_units(conn: sqlite3.Connection, profile: str) -> dict[tuple[str, str], str]:
    """(unit kind, contact id) -> when it was last carried out, by apply runs not undone.

    A merge unit counts for its survivor and every loser. Only units in state `done` count: a
    conflict or a failure leaves the decision pending, so the next plan proposes it again.
    """
    from gomoq.plan import journal as jr

    journal = jr.Journal(conn)
    runs = journal.runs(profile)
    undone = {r["undo_of"] for r in runs if r["kind"] == "undo" and r["state"] != "cancelled"}
    out: dict[tuple[str, str], str] = {}
    for run in runs:
        if run["kind"] != "apply" or run["id"] in undone:
            continue
        when = str(run["finished_at"] or run["updated_at"])
        for unit in journal.actions(run["id"], states=("done",)):
            ids = [unit.contact_id] if unit.contact_id else []
            ids += [str(c) for c in unit.data.get("losers") or ()]
            for cid in ids:
                key = (unit.kind, cid)
                out[key] = max(out.get(key, ""), when)
    return out


def _already_applied(
    applied: Mapping[tuple[str, str], str], decision: str, ids: Sequence[str], decided_at: str
) -> bool:
    # decisions and plan actions share their names: merge, delete, flag, set_attribute, ...
    return all(applied.get((decision, cid), "") >= decided_at for cid in ids)


def from_decisions(profile: Profile) -> Plan:
    """A plan from every undecided-to-applied decision recorded for `profile`.

    Payload keys read: merge `survivor`, `fields` (or `field_values`), `attributes`,
    `loser_handling`; flag `attribute`, `value`, `attribute_type`; set_attribute `attribute`
    (or `field`), `value` (or `new_value`); remove_from_audiences `audiences`. Flags and fixes
    with the same attribute and value are grouped into one action.
    """
    from gomoq.plan.journal import connect
    from gomoq.state import decisions as dec

    conn = connect()
    frame = dec.load(conn, profile.name)
    applied = applied_units(conn, profile.name)
    actions: list[Action] = []
    grouped: dict[tuple[str, str, str], list[str]] = {}
    values: dict[tuple[str, str, str], tuple[Any, str]] = {}
    n = 0
    for row in frame.iter_rows(named=True):
        decision, payload = row["decision"], _payload(row["payload"])
        ids = [str(c) for c in (row["contact_ids"] or [])]
        if decision in ("dismissed", "skip") or not ids:
            continue
        if _already_applied(applied, decision, ids, row["decided_at"]):
            continue  # carried out by a run that was not undone: nothing left to do
        n += 1
        if decision == "merge":
            survivor = str(payload.get("survivor") or ids[0])
            losers = tuple(c for c in ids if c != survivor)
            if losers:
                actions.append(
                    MergeAction(
                        f"merge-{n}",
                        survivor,
                        losers,
                        fields=dict(payload.get("fields") or payload.get("field_values") or {}),
                        attributes=dict(payload.get("attributes") or {}),
                        loser_handling=payload.get("loser_handling", "delete"),
                    )
                )
        elif decision == "delete":
            actions.append(DeleteAction(f"delete-{n}", tuple(ids)))
        elif decision == "remove_from_audiences":
            auds = payload.get("audiences")
            actions.append(
                RemoveFromAudiencesAction(
                    f"remove-{n}", tuple(ids), None if auds is None else tuple(auds)
                )
            )
        elif decision in ("flag", "set_attribute"):
            attr = str(payload.get("attribute") or payload.get("field") or "dq_flag")
            value = payload.get("value", payload.get("new_value"))
            if decision == "flag" and value is None:
                value = row["check"] or "review"
            key = (decision, attr, json.dumps(value, sort_keys=True))
            grouped.setdefault(key, []).extend(ids)
            values[key] = (
                value,
                str(
                    payload.get("attribute_type")
                    or ("boolean" if isinstance(value, bool) else "text")
                ),
            )
    for i, (key, ids) in enumerate(sorted(grouped.items()), 1):
        decision, attr, _v = key
        value, kind = values[key]
        unique = tuple(dict.fromkeys(ids))
        if decision == "flag":
            actions.append(
                FlagAction(f"flag-{i}", unique, attribute=attr, value=value, attribute_type=kind)
            )
        else:
            actions.append(SetAttributeAction(f"fix-{i}", unique, attribute=attr, value=value))
    all_ids = sorted({c for a in actions for c in a.contact_ids()})
    fingerprints, _contacts = _fingerprints(profile.name, all_ids)
    return Plan(profile=profile.name, actions=actions, fingerprints=fingerprints)
