"""The steps of an `audience_sync` action (`gomoq audience refresh`): static audiences kept
equal to a segment through `POST /audience/{id}/add-contacts` and `remove-contacts`.

At apply time the unit reads the live memberships (the engine's once-per-run index) and sends
only the real difference: a contact the plan adds that is already an active member is not sent,
nor one it removes that is not a member. That is what makes undo exact (it reverses the steps that
were sent, so it never removes a member the run did not add) and a plan made from a slightly old
cache harmless.

Steps, in order:

- `create_audience` `{ref, name, description}` when the plan names no audience id and the
  organisation has no static audience of that name (one of that name is adopted instead). The
  new id is recorded against `ref` (`new-audience:<action id>`) in the run's id map, and the
  membership steps that name `ref` are rewritten with the real id before they are sent — so the
  journal, undo and the cache patch only ever see real ids;
- `add_members` then `remove_members` `{audience_id, contact_ids}`, in batches of
  `MEMBER_BATCH` ids, the most one request takes (INFERRED from the sandbox, which refuses more
  than 1,000 with `arrayMaxSize`; gomobile-api.md documents no limit for these routes; the same
  1,000 is the documented bulk-upsert limit).

Undo (`gomoq.plan.undo.prepare_restore`) removes what was added, adds back what was removed, and
deletes an audience the run created (`delete_audience`) when no member is left in it.
"""

from __future__ import annotations

from typing import Any, Final

from gomoq.api import NotFound
from gomoq.plan import steps as st
from gomoq.plan.conflict import UnitConflict
from gomoq.plan.host import Engine
from gomoq.plan.journal import ActionRow

MEMBER_BATCH: Final = 1000
NEW_AUDIENCE: Final = "new-audience:"


async def find_audience(engine: Engine, name: str) -> dict[str, Any] | None:
    """The live audience called `name` (case as given), or None."""
    page = 1
    while True:
        got = await engine.client.list_audiences(page, 100)
        for audience in got.data:
            if str(audience.get("name")) == name:
                return audience
        if not got.meta.has_next_page or not got.data:
            return None
        page += 1


async def prepare_audience_sync(
    engine: Engine, unit: ActionRow
) -> tuple[dict[str, dict[str, Any]], list[st.Step], list[str]]:
    """(images, steps, notes) of one `audience_sync` unit (no contact is changed: no images)."""
    data = unit.data
    name = str(data["name"])
    audience_id = data.get("audience")
    notes: list[str] = []
    steps: list[st.Step] = []
    if audience_id is None:
        found = await find_audience(engine, name)
        if found is not None:
            audience_id = str(found["id"])
            notes.append(f"audience {name!r} already existed; used it")
            if str(found.get("type", "static")) != "static":
                raise UnitConflict(f"audience {name!r} is a live audience: its members are ruled")
    live: set[str] = set()
    if audience_id is None:
        audience_id = NEW_AUDIENCE + unit.action_id
        steps.append(
            (
                "create_audience",
                {"ref": audience_id, "name": name, "description": data.get("description")},
            )
        )
    else:
        members = await engine.memberships()
        live = {cid for cid, audiences in members.items() if audience_id in audiences}
    add = [c for c in data.get("add") or [] if c not in live]
    remove = [c for c in data.get("remove") or [] if c in live]
    for batch in st.batches(add, MEMBER_BATCH):
        steps.append(("add_members", {"audience_id": audience_id, "contact_ids": batch}))
    for batch in st.batches(remove, MEMBER_BATCH):
        steps.append(("remove_members", {"audience_id": audience_id, "contact_ids": batch}))
    skipped = len(data.get("add") or []) - len(add) + len(data.get("remove") or []) - len(remove)
    if skipped:
        notes.append(f"{skipped} membership change(s) already true on the server; not sent")
    return {}, steps, notes


def resolve_audience(engine: Engine, step: Any) -> None:
    """Give a membership step the real id of an audience created earlier in the run (the
    payload is rewritten in the journal before it is sent)."""
    audience_id = str(step.payload.get("audience_id", ""))
    if not audience_id.startswith(NEW_AUDIENCE):
        return
    real = engine.journal.id_map(engine.run_id).get(audience_id)
    if real is None:
        raise UnitConflict(f"the audience of {audience_id} was never created")
    step.payload = {**step.payload, "audience_id": real}
    engine.journal.set_payload(engine.run_id, step.seq, step.payload)


async def created_audience(engine: Engine, name: str) -> dict[str, Any] | None:
    """What an unconfirmed `create_audience` left: the audience of that name, if any."""
    return await find_audience(engine, name)


async def delete_if_empty(engine: Engine, audience_id: str) -> dict[str, Any]:
    """Undo of a created audience: delete it, unless members were added since by someone else."""
    try:
        audience = await engine.client.get_audience(audience_id)
    except NotFound:
        return {"alreadyDeleted": True}
    count = audience.get("contactCount")
    if isinstance(count, int) and count > 0:
        return {"_note": f"audience {audience.get('name')!r} kept: it has {count} member(s)"}
    return await engine.client.delete_audience(audience_id)
