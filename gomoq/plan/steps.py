"""From an action and the live data to the ordered requests it needs.

Step kinds (the journal's `journal_steps.kind`), each one request:

- `update` `{contact_id, body}`: PATCH/PUT a contact (partial update);
- `delete` `{contact_id}`: soft-delete a contact;
- `add_members` / `remove_members` `{audience_id, contact_ids}`: static-audience membership;
- `create` `{old_id, body, audiences}` (undo only): re-create a soft-deleted contact;
- `create_attribute_def` `{name, display_name, type}` and `upsert` `{rows}` (shared, bulk);
- `create_audience` `{ref, name, description}` and `delete_audience` `{audience_id}`
  (`gomoq.plan.audience_steps`).

The merge order is what makes the phone-ordering merge safe. When the survivor's new E.164 phone
is the phone a loser still holds, setting it first would be refused (409: a live contact has
it). So: (1) the survivor gets the merged data except that phone, (2) the losers' memberships
are added to the survivor, (3) the losers are soft-deleted (the sandbox frees a soft-deleted
contact's phone: its uniqueness check looks only at live contacts), (4) the survivor's phone is
set. At every point the data exists somewhere: in the losers until (3), in the survivor after (1).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from gomoq.plan.fingerprint import to_api_shape
from gomoq.plan.merge import PHONE, MergeResult, resolve_merge
from gomoq.plan.model import MergeAction

Step = tuple[str, dict[str, Any]]
UPSERT_BATCH = 1000


def attributes_body(
    current: Mapping[str, Any], changes: Mapping[str, Any], attributes_update: str
) -> dict[str, Any]:
    """The `customAttributes` to send so that `changes` land (a None value clears the key).

    With a server that merges attribute maps (the sandbox's default) only the changed keys are
    sent; with one that replaces the whole map, the full intended map is sent instead, or the
    contact's other attributes would be wiped.
    """
    if attributes_update == "replace":
        full = {k: v for k, v in current.items() if v is not None}
        for key, value in changes.items():
            if value is None:
                full.pop(key, None)
            else:
                full[key] = value
        return full
    return dict(changes)


def merge_steps(
    action: MergeAction,
    survivor: Mapping[str, Any],
    losers: Sequence[Mapping[str, Any]],
    memberships: Mapping[str, Sequence[str]],
    *,
    region: str = "MA",
    attributes_update: str = "merge",
) -> tuple[list[Step], MergeResult, list[str]]:
    """The steps of a merge, the resolved survivor, and notes for the operator."""
    surv = to_api_shape(survivor)
    result = resolve_merge(
        surv,
        losers,
        chosen_fields=action.fields,
        chosen_attributes=action.attributes,
        phone=action.phone,
        region=region,
    )
    notes: list[str] = []
    sid = str(surv["id"])
    body = {k: v for k, v in result.changed_fields.items() if k != PHONE}
    if result.changed_attributes:
        body["customAttributes"] = attributes_body(
            surv["customAttributes"], result.changed_attributes, attributes_update
        )
    new_phone = result.changed_fields.get(PHONE)
    loser_phones = {str(c.get("primaryPhone", c.get("primary_phone"))) for c in losers}
    late_phone = False
    if new_phone is not None:
        if new_phone not in loser_phones:
            body[PHONE] = new_phone
        elif action.loser_handling == "delete":
            late_phone = True
        else:
            notes.append(
                f"the survivor keeps its phone: {new_phone} stays with a loser that is not deleted"
            )
    steps: list[Step] = []
    if body:
        steps.append(("update", {"contact_id": sid, "body": body}))

    have = set(memberships.get(sid, ()))
    moved: dict[str, list[str]] = {}
    for loser in losers:
        lid = str(loser["id"])
        for audience in memberships.get(lid, ()):
            if audience not in have:
                moved.setdefault(audience, []).append(lid)
    for audience in sorted(moved):
        steps.append(("add_members", {"audience_id": audience, "contact_ids": [sid]}))

    for loser in losers:
        lid = str(loser["id"])
        if action.loser_handling == "delete":
            steps.append(("delete", {"contact_id": lid}))
            continue
        if action.loser_handling == "flag":
            attrs = to_api_shape(loser)["customAttributes"]
            flag_body = attributes_body(
                attrs, {action.flag_attribute: action.flag_value}, attributes_update
            )
            steps.append(("update", {"contact_id": lid, "body": {"customAttributes": flag_body}}))
            leave = [a for a in sorted(moved) if lid in moved[a]]
        else:
            leave = sorted(memberships.get(lid, ()))
        for audience in leave:
            steps.append(("remove_members", {"audience_id": audience, "contact_ids": [lid]}))
    if late_phone:
        steps.append(("update", {"contact_id": sid, "body": {PHONE: new_phone}}))
    return steps, result, notes


def delete_steps(contact_id: str) -> list[Step]:
    """Soft-delete one contact."""
    return [("delete", {"contact_id": contact_id})]


def remove_steps(
    contact_id: str, member_of: Sequence[str], only: Sequence[str] | None
) -> list[Step]:
    """Remove one contact from the static audiences it is in (all, or those in `only`)."""
    targets = sorted(set(member_of) & set(only)) if only is not None else sorted(set(member_of))
    return [("remove_members", {"audience_id": a, "contact_ids": [contact_id]}) for a in targets]


def upsert_row(
    image: Mapping[str, Any], attribute: str, value: Any, attributes_update: str
) -> dict[str, Any] | None:
    """The upsert row that sets `attribute` to `value` on the contact of `image`, matched on
    its phone as stored; None when the contact already has that value."""
    api = to_api_shape(image)
    attrs = api["customAttributes"]
    if attrs.get(attribute) == value and (value is not None or attribute not in attrs):
        return None
    if value is None and attribute not in attrs:
        return None
    return {
        "primaryPhone": api["primaryPhone"],
        "customAttributes": attributes_body(attrs, {attribute: value}, attributes_update),
    }


def batches(items: Sequence[Any], size: int = UPSERT_BATCH) -> Iterator[list[Any]]:
    """`items` in consecutive lists of at most `size`."""
    for lo in range(0, len(items), size):
        yield list(items[lo : lo + size])
