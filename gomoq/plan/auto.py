"""Plans without a human in the loop: from recorded decisions, or from findings by rules.

The rules of `gomoq plan --auto RULE...` and their options are listed in `gomoq.plan.rules`;
here each becomes actions:

- `merge-exact`: every exact duplicate cluster (same E.164) whose confidence is at least X
  becomes one merge; the survivor is chosen by `survivor=` (see `choose_survivor`);
- `normalise-phones`: one `set_phone` per valid phone stored in another form than its E.164.
  A contact whose E.164 number another live contact also holds (in any form) is left out and
  reported in the plan's notes: the two are duplicates, for `merge-exact` or the review, and a
  rewrite would be refused (409) or, worse, could not be undone exactly;
- `flag-invalid-phones` / `delete-invalid-phones`: phones findings `invalid_number` and
  `impossible_length` at or above `severity=` (default warn);
- `flag-repeated-failures`: call-failures findings at or above `severity=` (default warn: an
  info-level finding such as a single unanswered call is left alone);
- `flag-inactive` / `remove-inactive-from-audiences` / `delete-inactive`: contacts called at
  least once with no answered call for `days=` days (default: the profile's
  `checks.inactivity.inactive_days`, 90), from `gomoq.checks.inactivity.engagement`.

**The flag model: one attribute per reason.** Each flag rule writes its own attribute
(`dq_invalid_phone=true`, `dq_repeated_failures=true`, `is_active=false`), so two rules flagging
one contact never overwrite each other and undo puts back exactly the value each attribute had.
Two actions of one plan that would write different values to the same attribute of the same
contact are refused when the plan is made (`UsageError`): give one of them `attribute=`.

Every plan carries the fingerprints of its contacts as the local cache holds them: the version
the operator (or the cron job) looked at. This module holds the rules only: opening the cache
and the state database, and running the checks, is `gomoq.services.plan`'s.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from gomoq.config import Profile
from gomoq.errors import UsageError
from gomoq.plan.cachepatch import Lookup
from gomoq.plan.fingerprint import contact_fingerprint, to_api_shape
from gomoq.plan.journal import Journal
from gomoq.plan.model import (
    STANDARD_FIELDS,
    Action,
    DeleteAction,
    FlagAction,
    MergeAction,
    Plan,
    RemoveFromAudiencesAction,
    SetAttributeAction,
    SetPhoneAction,
)
from gomoq.plan.rules import RULES, SEVERITIES, SURVIVOR_RULES, Rule, parse_rule

__all__ = [
    "RULES",
    "SURVIVOR_RULES",
    "AutoInput",
    "Rule",
    "auto_plan",
    "check_flag_collisions",
    "choose_survivor",
    "from_decisions",
    "parse_rule",
]

INVALID_PHONE_KINDS = ("invalid_number", "impossible_length")


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


def _fingerprints(
    lookup: Lookup | None, ids: Sequence[str]
) -> tuple[dict[str, str], dict[str, Any]]:
    contacts = dict(lookup(ids)) if lookup else {}
    return {cid: contact_fingerprint(c) for cid, c in contacts.items()}, contacts


@dataclass
class AutoInput:
    """What the rules read, computed by the caller (`gomoq.services.plan.plan_auto`).

    `findings`: every check's findings with their `decision` column; `phones`: every live
    contact's `id`, `primary_phone`, `e164`, `valid` (`CheckInput.contact_phones`); `bands`:
    `gomoq.checks.inactivity.engagement`; `inactive_days`: the profile's threshold; `lookup`:
    contacts from the local cache (their fingerprints go in the plan; None without a cache);
    `answered`: each contact's answered calls, asked only for `survivor=most-answered`.
    """

    findings: pl.DataFrame
    phones: pl.DataFrame | None = None
    bands: pl.DataFrame | None = None
    inactive_days: int = 90
    notes: list[str] = field(default_factory=list)
    lookup: Lookup | None = None
    answered: Callable[[], Mapping[str, int]] | None = None


def _at_least(severity: str) -> pl.Expr:
    wanted = list(SEVERITIES[SEVERITIES.index(severity) :])
    return pl.col("severity").is_in(wanted)


def _ids(frame: pl.DataFrame) -> list[str]:
    return sorted(set(frame["contact_id"].drop_nulls().to_list()))


def _invalid_phone_ids(findings: pl.DataFrame, rule: Rule) -> list[str]:
    frame = findings.filter(
        (pl.col("check") == "phones")
        & pl.col("kind").is_in(INVALID_PHONE_KINDS)
        & _at_least(str(rule.get("severity")))
    )
    return _ids(frame)


def _inactive_ids(data: AutoInput, rule: Rule) -> list[str]:
    days = int(rule.get("days") or data.inactive_days)
    if data.bands is None:
        return []
    decided = set(
        data.findings.filter((pl.col("check") == "inactivity") & pl.col("decision").is_not_null())[
            "contact_id"
        ].to_list()
        if "decision" in data.findings.columns
        else []
    )
    frame = data.bands.filter((pl.col("attempts") > 0) & (pl.col("days") >= days))
    return [c for c in _ids(frame) if c not in decided]


def _normalise_phones(
    data: AutoInput, undecided: pl.DataFrame, gone: set[str], busy: set[str]
) -> tuple[dict[str, str], int]:
    """contact id → E.164 for every undecided `non_e164` finding whose E.164 number no other
    live contact holds once the plan's deletions are done (`gone`: soft-deleted or merged away;
    `busy`: contacts a merge of the plan already rewrites); and how many were left out as
    duplicates."""
    if data.phones is None:
        return {}, 0
    wanted = (
        set(
            undecided.filter((pl.col("check") == "phones") & (pl.col("kind") == "non_e164"))[
                "contact_id"
            ].to_list()
        )
        - gone
        - busy
    )
    valid = data.phones.filter(
        pl.col("valid").fill_null(False)
        & pl.col("e164").is_not_null()
        & ~pl.col("id").is_in(list(gone))
    )
    holders = valid.group_by("e164").agg(pl.len().alias("holders"))
    frame = valid.join(holders, on="e164", how="left").filter(
        pl.col("id").is_in(list(wanted)) & (pl.col("primary_phone") != pl.col("e164"))
    )
    alone = frame.filter(pl.col("holders") == 1)
    phones = dict(zip(alone["id"].to_list(), alone["e164"].to_list(), strict=True))
    return dict(sorted(phones.items())), frame.height - alone.height


def _undoable(data: AutoInput, rule: str, ids: list[str]) -> list[str]:
    """The contacts a rule may soft-delete: not those whose stored phone another live contact
    holds as well (a household's number). Undo re-creates a deleted contact, and the API refuses
    a second live contact with the same phone (409), so such a deletion could not be undone;
    they are left out and counted in the plan's notes (flag them, or take them out of audiences)."""
    if data.phones is None:
        return ids
    counts = data.phones.group_by("primary_phone").len()
    shared = set(counts.filter(pl.col("len") > 1)["primary_phone"].drop_nulls().to_list())
    held = data.phones.filter(pl.col("primary_phone").is_in(list(shared)))
    skip = set(held["id"].to_list()) & set(ids)
    if skip:
        data.notes.append(
            f"{rule}: {len(skip)} contacts left out: another live contact holds the same stored "
            "phone, so undo could not re-create them (flag them or remove them from audiences)"
        )
    return [c for c in ids if c not in skip]


def _flag(rule: Rule, ids: Sequence[str], n: int) -> FlagAction:
    value = rule.get("value")
    return FlagAction(
        f"{rule.name}-{n}",
        tuple(ids),
        attribute=str(rule.get("attribute")),
        value=value,
        attribute_type="boolean" if isinstance(value, bool) else "text",
    )


def auto_plan(profile: Profile, rules: Sequence[str], data: AutoInput) -> Plan:
    """A plan from the current findings by `rules` (parsed first: a bad rule changes nothing).

    Actions come merges first, then phone rewrites, flags, audience removals and deletions; the
    engine runs them so that none conflicts with another of the same plan.
    """
    parsed = [parse_rule(r) for r in rules]
    if not parsed:
        raise UsageError("Give at least one rule, e.g. --auto flag-invalid-phones.")
    findings = data.findings
    if "decision" in findings.columns:  # what the operator already decided is not redone
        findings = findings.filter(pl.col("decision").is_null())
    actions: list[Action] = []
    clusters: list[tuple[Rule, list[str]]] = []
    normalise: str | None = None
    for rule in parsed:
        n = len(actions) + 1
        if rule.name == "merge-exact":
            dup = findings.filter(
                (pl.col("check") == "duplicates")
                & pl.col("kind").str.contains("exact")
                & (pl.col("confidence").fill_null(0.0) >= float(rule.get("confidence")))
                & pl.col("cluster_id").is_not_null()
            )
            grouped = dup.group_by("cluster_id").agg(pl.col("contact_id").unique().sort())
            for cid_list in grouped.sort("cluster_id")["contact_id"].to_list():
                if len(cid_list) > 1:
                    clusters.append((rule, list(cid_list)))
        elif rule.name == "normalise-phones":
            normalise = f"{rule.name}-{n}"  # built last: it depends on what the plan deletes
        elif rule.name in ("flag-invalid-phones", "delete-invalid-phones"):
            ids = _invalid_phone_ids(findings, rule)
            if ids and rule.name.startswith("flag"):
                actions.append(_flag(rule, ids, n))
            elif ids:
                ids = _undoable(data, rule.name, ids)
                if ids:
                    actions.append(DeleteAction(f"{rule.name}-{n}", tuple(ids)))
        elif rule.name == "flag-repeated-failures":
            frame = findings.filter(
                (pl.col("check") == "call_failures") & _at_least(str(rule.get("severity")))
            )
            ids = _ids(frame)
            if ids:
                actions.append(_flag(rule, ids, n))
        else:  # the inactivity rules
            ids = _inactive_ids(data, rule)
            if not ids:
                continue
            if rule.name == "flag-inactive":
                actions.append(_flag(rule, ids, n))
            elif rule.name == "delete-inactive":
                ids = _undoable(data, rule.name, ids)
                if ids:
                    actions.append(DeleteAction(f"{rule.name}-{n}", tuple(ids)))
            else:
                auds = rule.get("audiences")
                actions.append(RemoveFromAudiencesAction(f"{rule.name}-{n}", tuple(ids), auds))
    check_flag_collisions(actions)
    all_ids = sorted(
        {c for _r, ids in clusters for c in ids} | {c for a in actions for c in a.contact_ids()}
    )
    fingerprints, contacts = _fingerprints(data.lookup, all_ids)
    most_answered = any(r.get("survivor") == "most-answered" for r, _ in clusters)
    answered = data.answered() if most_answered and data.answered is not None else {}
    merges: list[Action] = []
    taken: set[str] = set()
    for n, (rule, ids) in enumerate(clusters, 1):
        ids = [c for c in ids if c not in taken]
        if len(ids) < 2:
            continue
        survivor = choose_survivor(ids, contacts, str(rule.get("survivor")), answered)
        taken.update(ids)
        losers = tuple(c for c in ids if c != survivor)
        merges.append(MergeAction(f"merge-{n}", survivor, losers))
    if normalise is not None:
        gone = {c for a in actions if isinstance(a, DeleteAction) for c in a.contacts}
        gone |= {c for m in merges if isinstance(m, MergeAction) for c in m.losers}
        phones, shared = _normalise_phones(data, findings, gone, taken)
        if phones:
            actions.append(SetPhoneAction(normalise, tuple(phones), phones))
            more, _c = _fingerprints(data.lookup, [c for c in phones if c not in fingerprints])
            fingerprints.update(more)
        if shared:
            data.notes.append(
                f"normalise-phones: {shared} contacts left as they are: another live contact "
                "holds the same number (duplicates: merge-exact or the Duplicates screen)"
            )
    return Plan(profile=profile.name, actions=merges + actions, fingerprints=fingerprints)


def check_flag_collisions(actions: Sequence[Action]) -> None:
    """Refuse two actions writing different values to one attribute of one contact."""
    written: dict[tuple[str, str], tuple[str, str]] = {}
    for action in actions:
        if not isinstance(action, FlagAction | SetAttributeAction):
            continue
        value = json.dumps(action.value, sort_keys=True)
        for cid in action.contacts:
            key = (cid, action.attribute)
            seen = written.setdefault(key, (action.id, value))
            if seen[1] != value:
                raise UsageError(
                    f"Actions {seen[0]} and {action.id} both write attribute "
                    f"{action.attribute!r} on contact {cid} with different values; give one of "
                    "them another attribute (e.g. attribute=dq_other)."
                )


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
    journal = Journal(conn)
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


def from_decisions(
    profile: str,
    frame: pl.DataFrame,
    applied: Mapping[tuple[str, str], str],
    lookup: Lookup | None,
    region: str = "MA",
) -> Plan:
    """A plan from every decision in `frame` (`gomoq.state.decisions.load`) not yet applied.

    `applied` is `applied_units` of the same profile; `lookup` reads contacts from the local
    cache for the plan's fingerprints (`gomoq.services.plan.plan_from_decisions` opens both).

    Payload keys read: merge `survivor`, `fields` (or `field_values`), `attributes`,
    `loser_handling`; flag `attribute`, `value`, `attribute_type`; set_attribute `attribute`
    (or `field`), `value` (or `new_value`); remove_from_audiences `audiences`. Flags and fixes
    with the same attribute and value are grouped into one action; `set_phone` decisions
    become one action rewriting each contact's cached phone to its E.164 form in `region`.
    """
    actions: list[Action] = []
    grouped: dict[tuple[str, str, str], list[str]] = {}
    rewrite: list[str] = []  # set_phone decisions: one action for them all
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
        elif decision == "set_phone":
            rewrite.extend(ids)
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
    all_ids = sorted({c for a in actions for c in a.contact_ids()} | set(rewrite))
    fingerprints, contacts = _fingerprints(lookup, all_ids)
    phones = e164_forms(contacts, dict.fromkeys(rewrite), region)
    if phones:
        actions.append(SetPhoneAction("normalise-1", tuple(phones), phones))
    return Plan(profile=profile, actions=actions, fingerprints=fingerprints)


def e164_forms(
    contacts: Mapping[str, Mapping[str, Any]], ids: Mapping[str, None], region: str
) -> dict[str, str]:
    """contact id → the E.164 form of its stored phone, for those of `ids` whose stored phone
    is valid and not already E.164 (a `set_phone` decision names no phone: the number the
    contact holds at plan time is the one rewritten)."""
    from gomoq.phones import normalise

    wanted = [cid for cid in ids if cid in contacts]
    raws = [to_api_shape(contacts[cid]).get("primaryPhone") for cid in wanted]
    if not wanted:
        return {}
    read = normalise(pl.Series(raws, dtype=pl.String), region)
    out: dict[str, str] = {}
    for cid, raw, e164, valid in zip(
        wanted, raws, read["e164"].to_list(), read["valid"].to_list(), strict=True
    ):
        if valid and e164 and e164 != raw:
            out[cid] = str(e164)
    return dict(sorted(out.items()))
