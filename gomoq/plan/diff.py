"""The field-by-field view of a plan (`gomoq plan show FILE`, the TUI's plan screen).

"Before" values come from the local cache when it has the contact (the version the operator
reviewed); without a cache a row shows only what the plan will write.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from gomoq.plan.fingerprint import to_api_shape
from gomoq.plan.merge import resolve_merge
from gomoq.plan.model import (
    CreateContactsAction,
    DefineAttributeAction,
    DeleteAction,
    FlagAction,
    MergeAction,
    Plan,
    RemoveFromAudiencesAction,
    SetAttributeAction,
    SetPhoneAction,
    UpdateContactsAction,
)
from gomoq.safe_text import printable

Lookup = Callable[[Sequence[str]], Mapping[str, dict[str, Any]]]


@dataclass(frozen=True)
class DiffRow:
    """One change: on which contact, which field, from what, to what."""

    action_id: str
    kind: str
    contact_id: str
    field: str
    before: Any
    after: Any


UNKNOWN = "?"


def describe_plan(plan: Plan, lookup: Lookup | None = None) -> list[DiffRow]:
    """Every change the plan makes, in plan order."""
    known: Mapping[str, dict[str, Any]] = lookup(plan.contact_ids()) if lookup else {}
    rows: list[DiffRow] = []
    for action in plan.actions:
        if isinstance(action, MergeAction):
            rows += _merge_rows(action, known)
        elif isinstance(action, DeleteAction):
            rows += [
                DiffRow(action.id, "delete", c, "(contact)", "live", "soft-deleted")
                for c in action.contacts
            ]
        elif isinstance(action, FlagAction | SetAttributeAction):
            for cid in action.contacts:
                before = (
                    to_api_shape(known[cid])["customAttributes"].get(action.attribute)
                    if cid in known
                    else UNKNOWN
                )
                rows.append(
                    DiffRow(action.id, action.kind, cid, action.attribute, before, action.value)
                )
        elif isinstance(action, SetPhoneAction):
            for cid in action.contacts:
                before = to_api_shape(known[cid]).get("primaryPhone") if cid in known else UNKNOWN
                rows.append(
                    DiffRow(action.id, action.kind, cid, "primaryPhone", before, action.phones[cid])
                )
        elif isinstance(action, DefineAttributeAction):
            rows.append(DiffRow(action.id, action.kind, "-", action.name, "undefined", action.type))
        elif isinstance(action, CreateContactsAction):
            rows += [
                DiffRow(action.id, "create", "(new)", "(contact)", None, _short(row))
                for row in action.rows
            ]
        elif isinstance(action, UpdateContactsAction):
            rows += _update_rows(action, known)
        elif isinstance(action, RemoveFromAudiencesAction):
            for cid in action.contacts:
                member_of = known.get(cid, {}).get("_memberships")
                target = (
                    "every static audience"
                    if action.audiences is None
                    else ", ".join(action.audiences)
                )
                rows.append(
                    DiffRow(
                        action.id,
                        action.kind,
                        cid,
                        "audiences",
                        UNKNOWN if member_of is None else ", ".join(member_of),
                        f"removed from {target}",
                    )
                )
    return rows


def _short(row: Mapping[str, Any]) -> str:
    """A new contact in one line: its phone, then its other values (control characters shown
    as pictures: the values come from someone else's file)."""
    values = [str(row.get("primaryPhone"))]
    values += [str(v) for k, v in row.items() if k not in ("primaryPhone", "customAttributes")]
    values += [f"{k}={v}" for k, v in (row.get("customAttributes") or {}).items()]
    return printable(", ".join(values))


def _update_rows(
    action: UpdateContactsAction, known: Mapping[str, dict[str, Any]]
) -> list[DiffRow]:
    rows: list[DiffRow] = []
    for row in action.rows:
        cid = str(row["contact"])
        current = to_api_shape(known[cid]) if cid in known else None
        for name, value in row["set"].items():
            if name == "customAttributes":
                for attr, new in value.items():
                    old = current["customAttributes"].get(attr) if current else UNKNOWN
                    rows.append(
                        DiffRow(action.id, "update", cid, f"customAttributes.{attr}", old, new)
                    )
                continue
            old = current.get(name) if current else UNKNOWN
            rows.append(DiffRow(action.id, "update", cid, name, old, value))
    return rows


def _merge_rows(action: MergeAction, known: Mapping[str, dict[str, Any]]) -> list[DiffRow]:
    rows: list[DiffRow] = []
    sid = action.survivor
    if sid in known and all(c in known for c in action.losers):
        result = resolve_merge(
            known[sid],
            [known[c] for c in action.losers],
            chosen_fields=action.fields,
            chosen_attributes=action.attributes,
            phone=action.phone,
        )
        survivor = to_api_shape(known[sid])
        for name, value in result.changed_fields.items():
            rows.append(DiffRow(action.id, "merge", sid, name, survivor.get(name), value))
        for name, value in result.changed_attributes.items():
            rows.append(
                DiffRow(
                    action.id,
                    "merge",
                    sid,
                    f"customAttributes.{name}",
                    survivor["customAttributes"].get(name),
                    value,
                )
            )
        have = set(known[sid].get("_memberships") or [])
        moved = sorted(
            {a for c in action.losers for a in known[c].get("_memberships") or []} - have
        )
        if moved:
            rows.append(
                DiffRow(
                    action.id,
                    "merge",
                    sid,
                    "audiences",
                    ", ".join(sorted(have)),
                    "+ " + ", ".join(moved),
                )
            )
    else:
        for name, value in action.fields.items():
            rows.append(DiffRow(action.id, "merge", sid, name, UNKNOWN, value))
        if action.phone:
            rows.append(DiffRow(action.id, "merge", sid, "primaryPhone", UNKNOWN, action.phone))
    fate = {
        "delete": "soft-deleted",
        "flag": f"flagged {action.flag_attribute}",
        "remove_from_audiences": "removed from audiences",
    }[action.loser_handling]
    for cid in action.losers:
        rows.append(
            DiffRow(action.id, "merge", cid, "(contact)", "live", f"{fate}, merged into {sid}")
        )
    return rows
