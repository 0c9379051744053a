"""The steps of an import: attribute definitions, then creates and updates by upsert.

Units (one per definition, per new contact, per updated contact; see `expand_import`):

- `define_attribute` `{name, type}`: `POST /custom-attributes` unless the organisation already
  has the slug (with another type: the unit fails, nothing else is written for it);
- `create_contacts` `{row}`: a new contact, sent in an `import_upsert` batch;
- `update_contacts` `{contact, phone, set}`: the fields that change on an existing contact; in
  an `import_upsert` batch (matched on the phone as stored) when no other live contact holds
  that phone, else an `update` step by id.

**No contact is created twice.** An `import_upsert` batch is marked `pending` before it is sent
(with the time, `sent_at`) and `done` with its answer after. A batch found `pending` — a kill
-9, or an answer lost to a timeout — is never simply sent again (style.md rule 7): the newest
contacts are read back first (`GET /contact` newest first, down to a little before `sent_at`),
every create row whose phone is there is settled as created (its id recorded for undo), and
only the rows that did not land are sent. Even a row missed by that read cannot create a
second contact: upsert matches the phone string as stored, and the row's phone is the E.164
string the first attempt stored, so a second send updates the first contact.

Undo (`import_undo_units`): each created contact is soft-deleted (unless it changed since the
run: a conflict), each updated contact gets its before-image's values back for the fields the
run wrote, by the same upsert path; attribute definitions are left in place.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from gomoq.api import ApiError, ServerError, TransportError, retry
from gomoq.cache.convert import compact_json
from gomoq.plan import steps as st
from gomoq.plan.fingerprint import contact_fingerprint, to_api_shape
from gomoq.plan.host import Engine
from gomoq.plan.journal import STEP_FINAL, ActionRow, Journal, StepRow, utc_now
from gomoq.plan.model import CreateContactsAction, DefineAttributeAction, UpdateContactsAction

IMPORT_KINDS = ("define_attribute", "create_contacts", "update_contacts")
STEP = "import_upsert"
CONCURRENT_BATCHES = 4
CLOCK_MARGIN = timedelta(minutes=10)  # the server's clock may differ from ours
READBACK_PAGE = 100
NOTE_MATCHED = "matched an existing contact holding this phone (updated, not created)"

Unit = tuple[str, str, str | None, dict[str, Any]]


def expand_import(
    action: DefineAttributeAction | CreateContactsAction | UpdateContactsAction,
) -> list[Unit]:
    """The journal units of an import action: one per definition, per row."""
    if isinstance(action, DefineAttributeAction):
        return [(action.id, action.kind, None, {"name": action.name, "type": action.type})]
    if isinstance(action, CreateContactsAction):
        return [
            (action.id, action.kind, None, {"row": row, "batch_size": action.batch_size})
            for row in action.rows
        ]
    return [
        (action.id, action.kind, str(row["contact"]), {**row, "batch_size": action.batch_size})
        for row in action.rows
    ]


async def run_import(engine: Engine, units: list[ActionRow]) -> None:
    """Definitions first, then the create/update rows in batches, then the by-id updates."""
    defines = [u for u in units if u.kind == "define_attribute"]
    if defines:
        await _run_defines(engine, defines)
    rows = [u for u in units if u.kind != "define_attribute"]
    if not rows:
        return
    j, run = engine.journal, engine.run_id
    in_flight: set[int] = set()
    for step in j.steps(run, shared=True):
        if step.kind == STEP and step.state not in STEP_FINAL:
            in_flight.update(int(item["seq"]) for item in step.payload["rows"])
    own = j.units_with_steps(run)
    fresh = [u for u in rows if u.seq not in in_flight and u.seq not in own]
    if fresh:
        await _prepare(engine, fresh)
    batches = [s for s in j.steps(run, shared=True) if s.kind == STEP and s.state not in STEP_FINAL]
    sem = asyncio.Semaphore(CONCURRENT_BATCHES)

    async def one(step: StepRow) -> None:
        async with sem:
            await _send_batch(engine, step)

    await asyncio.gather(*(one(s) for s in batches))
    own = j.units_with_steps(run)
    if own:  # updates by id (their stored phone is shared); reading 100,000 units costs
        singles = [u for u in j.actions(run, states=("running", "failed")) if u.seq in own]
        singles = [u for u in singles if u.kind == "update_contacts"]
        if singles:
            await engine.run_units(singles)


# -- definitions ----------------------------------------------------------------------------


async def _run_defines(engine: Engine, units: list[ActionRow]) -> None:
    j, run = engine.journal, engine.run_id
    existing = {
        str(d.get("name")): str(d.get("type")) for d in await engine.client.list_attribute_defs()
    }
    for unit in units:
        name, kind = unit.data["name"], unit.data["type"]
        steps = j.steps(run, unit.seq)
        if not steps:
            have = existing.get(name)
            if have == kind:
                engine.finish_units([unit.seq], "done", f"{name} was already defined ({kind})")
                continue
            if have is not None:
                engine.finish_units(
                    [unit.seq], "failed", f"{name} is defined as {have} in Gomobile, not {kind}"
                )
                continue
            with j.transaction():
                j.add_steps(
                    run,
                    unit.seq,
                    [("create_attribute_def", {"name": name, "display_name": name, "type": kind})],
                )
                j.set_action_state(run, unit.seq, "running")
            steps = j.steps(run, unit.seq)
        try:
            for step in steps:
                if step.state not in STEP_FINAL:
                    await engine.do_step(step)
        except ApiError as exc:
            engine.finish_units([unit.seq], "failed", f"defining {name}: {exc}")
            continue
        created = j.steps(run, unit.seq)[-1].result
        got = created.get("name") if isinstance(created, dict) else None
        if got not in (None, name) and not created.get("exists"):
            engine.finish_units(
                [unit.seq], "failed", f"Gomobile named the new attribute {got}, not {name}"
            )
            continue
        engine.finish_units([unit.seq], "done", f"defined {name} ({kind})")


# -- preparing the rows ---------------------------------------------------------------------


def _as_cached(value: Any) -> str | None:
    """A value as the cache's text holds it (`gomoq.cache.convert`)."""
    return value if value is None or isinstance(value, str) else compact_json(value)


def _still(image: Mapping[str, Any], was: Mapping[str, Any]) -> bool:
    """Whether the contact still holds the values the plan was made against, in the fields it
    writes (`was`, as the cache's text); cheaper than a fingerprint per contact at 100,000
    rows, and blind to changes in fields the import does not touch, which it cannot clobber."""
    api = to_api_shape(image)
    for key, value in was.items():
        if key == "customAttributes":
            attrs = api["customAttributes"]
            if any(_as_cached(attrs.get(k)) != v for k, v in value.items()):
                return False
        elif _as_cached(api.get(key)) != value:
            return False
    return True


def _changes(image: Mapping[str, Any], wanted: Mapping[str, Any], mode: str) -> dict[str, Any]:
    """What of `wanted` the contact of `image` does not hold yet, as an update body."""
    api = to_api_shape(image)
    body = {k: v for k, v in wanted.items() if k != "customAttributes" and api.get(k) != v}
    attrs = api["customAttributes"]
    changed = {k: v for k, v in (wanted.get("customAttributes") or {}).items() if attrs.get(k) != v}
    if changed:
        body["customAttributes"] = st.attributes_body(attrs, changed, mode)
    return body


async def _prepare(engine: Engine, units: list[ActionRow]) -> None:
    """Journal the batches and by-id steps of fresh units (one transaction)."""
    updates = [u for u in units if u.kind == "update_contacts"]
    images: dict[str, dict[str, Any]] = {}
    ids = [str(u.contact_id) for u in updates]
    if ids and engine.cache_lookup is not None:
        images.update(engine.cache_lookup(ids))
    missing = [cid for cid in ids if cid not in images]
    for lo in range(0, len(missing), 200):
        read = await engine.read_contacts(missing[lo : lo + 200])
        images.update({cid: c for cid, c in read.items() if c is not None})

    items: list[dict[str, Any]] = []
    by_id: dict[int, st.Step] = {}
    conflicts: dict[str, list[int]] = defaultdict(list)
    unchanged: list[int] = []
    saved: dict[str, dict[str, Any]] = {}
    size = 500
    for unit in units:
        size = min(size, int(unit.data.get("batch_size", 500)))
        if unit.kind == "create_contacts":
            items.append({"seq": unit.seq, "create": True, "row": unit.data["row"]})
            continue
        cid = str(unit.contact_id)
        image = images.get(cid)
        if image is None:
            conflicts[f"contact {cid} no longer exists (deleted since review)"].append(unit.seq)
            continue
        expect = unit.data.get("_expect", {}).get(cid) or engine.fingerprints.get(cid)
        was = unit.data.get("was")
        if was is not None and not _still(image, was):
            conflicts[f"contact {cid} changed since review; not overwritten"].append(unit.seq)
            continue
        if expect is not None and contact_fingerprint(image) != expect:
            conflicts[f"contact {cid} changed since review; not overwritten"].append(unit.seq)
            continue
        body = _changes(image, unit.data["set"], engine.attributes_update)
        if not body:
            unchanged.append(unit.seq)
            continue
        saved[cid] = image
        stored = str(to_api_shape(image).get("primaryPhone"))
        shared = engine.shared_phones
        if (
            shared is None
            or stored in shared
            or stored != unit.data["phone"]
            or "primaryPhone" in body
        ):
            # upsert would land on the oldest holder of this phone, maybe not this contact
            by_id[unit.seq] = ("update", {"contact_id": cid, "body": body})
        else:
            items.append(
                {"seq": unit.seq, "contact_id": cid, "row": {"primaryPhone": stored, **body}}
            )
    j, run = engine.journal, engine.run_id
    with j.transaction():
        j.save_images(run, saved)
        for batch in st.batches(items, size):
            j.add_steps(run, None, [(STEP, {"rows": batch})])
        for seq, step in by_id.items():
            j.add_steps(run, seq, [step])
        j.set_action_state(run, [*(i["seq"] for i in items), *by_id], "running")
    for message, seqs in conflicts.items():
        engine.finish_units(seqs, "conflict", message)
    engine.finish_units(unchanged, "done", "already had these values")


# -- sending a batch ------------------------------------------------------------------------


def _record_created(j: Journal, run: str, created: Sequence[tuple[int, Mapping[str, Any]]]) -> None:
    """Remember the contacts a batch created (for undo and the cache), two statements per
    contact in one `executemany` each (one by one, 100,000 creates cost 35 s of writes)."""
    if not created:
        return
    ids = {f"row{seq}": str(contact["id"]) for seq, contact in created}
    j.map_ids(run, ids)
    j.save_created(run, {str(contact["id"]): contact for _seq, contact in created})


def _floor(sent_at: Any) -> str | None:
    """A little before `sent_at` (our clock), as the server writes times (to the second)."""
    if not isinstance(sent_at, str):
        return None
    stamp = datetime.fromisoformat(sent_at.replace("Z", "+00:00")) - CLOCK_MARGIN
    return stamp.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")


def _is_new(contact: Mapping[str, Any], floor: str | None) -> bool:
    """A contact an upsert just created: created after the batch was sent (less a margin)
    and never updated since (an update moves `updatedAt` past `createdAt`)."""
    created, updated = contact.get("createdAt"), contact.get("updatedAt")
    if not isinstance(created, str):
        return False
    recent = floor is None or created[:19] >= floor
    return recent and created == updated


async def _read_back(
    engine: Engine, step: StepRow, items: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Settle the create rows of a batch whose answer never came that did land; return the
    rows still to send (style.md rule 7: read before re-sending a POST)."""
    creates = {i["row"]["primaryPhone"]: i for i in items if i.get("create")}
    if not creates:
        return items
    floor = _floor(step.payload.get("sent_at"))
    found: dict[str, dict[str, Any]] = {}
    page = 1
    max_pages = len(creates) // READBACK_PAGE + 20
    while page <= max_pages and len(found) < len(creates):
        got = await engine.client.list_contacts(
            page, READBACK_PAGE, sort_by="createdAt", sort_order="desc"
        )
        for contact in got.data:
            phone = contact.get("primaryPhone")
            if phone in creates and phone not in found and _is_new(contact, floor):
                found[str(phone)] = contact
        oldest = str(got.data[-1].get("createdAt") or "") if got.data else ""
        if not got.meta.has_next_page or not got.data or (floor and oldest[:19] < floor):
            break
        page += 1
    j, run = engine.journal, engine.run_id
    if found:
        with j.transaction():
            _record_created(
                j, run, [(int(creates[phone]["seq"]), contact) for phone, contact in found.items()]
            )
            engine.finish_units([int(creates[p]["seq"]) for p in found], "done")
    return [i for i in items if not (i.get("create") and i["row"]["primaryPhone"] in found)]


async def _send_batch(engine: Engine, step: StepRow) -> None:
    """Send one `import_upsert` batch (reading back first if it may have landed)."""
    j, run = engine.journal, engine.run_id
    items: list[dict[str, Any]] = list(step.payload["rows"])
    maybe_sent = step.state == "pending"
    result = None
    async for attempt in retry.attempts():
        if maybe_sent:
            items = await _read_back(engine, step, items)
            if not items:
                j.mark_step(run, step.seq, "done", result={"read_back": True})
                return
        step.payload = {"rows": items, "sent_at": utc_now()}
        with j.transaction():
            j.set_payload(run, step.seq, step.payload)
            j.mark_step(run, step.seq, "pending")
        try:
            result = await engine.client.upsert_contacts([i["row"] for i in items])
            break
        except (TransportError, ServerError) as exc:
            maybe_sent = True
            engine.transport_failed(exc)
            if attempt + 1 >= retry.OPERATION_ATTEMPTS:
                # stays pending: a resume reads back before it sends again
                engine.finish_units(
                    [int(i["seq"]) for i in items], "failed", f"upsert failed: {exc}"
                )
                return
        except ApiError as exc:
            with j.transaction():
                j.mark_step(run, step.seq, "failed", error=str(exc))
                engine.finish_units(
                    [int(i["seq"]) for i in items], "failed", f"upsert refused: {exc}"
                )
            return
    assert result is not None
    await _settle(engine, step, items, result)


async def _settle(engine: Engine, step: StepRow, items: list[dict[str, Any]], result: Any) -> None:
    """Each row's outcome from the upsert answer, in one journal transaction."""
    j, run = engine.journal, engine.run_id
    raw = result.raw if isinstance(result.raw, dict) else {}
    data = raw.get("data") if isinstance(raw.get("data"), list) else None
    error_at = {int(e.get("index", -1)): e for e in result.errors if isinstance(e, dict)}
    attr_errors: dict[int, list[str]] = defaultdict(list)
    for e in raw.get("attributeErrors") or []:
        if isinstance(e, dict) and "index" in e:
            attr_errors[int(e["index"])].append(str(e.get("message") or e.get("code")))
    done: dict[str | None, list[int]] = defaultdict(list)
    failed: dict[str, list[int]] = defaultdict(list)
    conflicts: dict[str, list[int]] = defaultdict(list)
    created: list[tuple[int, dict[str, Any]]] = []
    afters: dict[str, dict[str, Any]] = {}
    strays: list[str] = []
    floor = _floor(step.payload.get("sent_at"))
    n_creates = sum(1 for i, item in enumerate(items) if item.get("create") and i not in error_at)
    # the answer's count settles most batches; the timestamps only the mixed ones
    all_new = isinstance(result.created, int) and result.created == n_creates
    none_new = isinstance(result.created, int) and result.created == 0
    landed = iter(data or [])
    for index, item in enumerate(items):
        seq = int(item["seq"])
        if index in error_at:
            failed[f"refused: {error_at[index].get('fieldErrors')}"].append(seq)
            continue
        contact = next(landed, None)
        note = "; ".join(attr_errors.get(index, [])) or None
        if contact is None:
            failed["the server's answer does not list this row; re-sync to check"].append(seq)
            continue
        if item.get("create"):
            if all_new or (not none_new and _is_new(contact, floor)):
                created.append((seq, contact))
                done[note].append(seq)
            else:
                afters[str(contact["id"])] = contact
                done[NOTE_MATCHED + (f"; {note}" if note else "")].append(seq)
            continue
        if str(contact.get("id")) != item["contact_id"]:
            if _is_new(contact, floor):
                strays.append(str(contact["id"]))
                msg = "its phone changed since review (the upsert created a contact, removed)"
            else:
                msg = f"its phone now belongs to contact {contact.get('id')}"
            conflicts[f"contact {item['contact_id']}: {msg}"].append(seq)
            continue
        afters[item["contact_id"]] = contact
        done[note].append(seq)
    for stray in strays:
        try:
            await engine.client.delete_contact(stray)
        except ApiError as exc:
            conflicts[f"could not remove contact {stray} created by mistake: {exc}"] += []
    with j.transaction():
        j.mark_step(
            run, step.seq, "done", result={"created": result.created, "updated": result.updated}
        )
        _record_created(j, run, created)
        j.set_afters(run, afters)
        for message, seqs in done.items():
            engine.finish_units(seqs, "done", message)
        for message, seqs in failed.items():
            engine.finish_units(seqs, "failed", message)
        for message, seqs in conflicts.items():
            engine.finish_units(seqs, "conflict", message)


# -- undo -----------------------------------------------------------------------------------


def import_undo_units(journal: Journal, run_id: str, unit: ActionRow) -> list[Unit]:
    """The undo of one done import unit: delete what it created, restore what it changed."""
    if unit.state != "done" or unit.kind == "define_attribute":
        return []
    images = journal.images(run_id)
    if unit.kind == "create_contacts":
        new_id = journal.id_map(run_id).get(f"row{unit.seq}")
        after = images.get(new_id, ({}, None))[1] if new_id else None
        if new_id is None or after is None:
            return []
        data: dict[str, Any] = {
            "id": f"undo-{unit.action_id}",
            "contacts": [new_id],
            "_expect": {new_id: contact_fingerprint(after)},
        }
        return [(f"undo-{unit.action_id}", "delete", new_id, data)]
    cid = str(unit.contact_id)
    before, after = images.get(cid, ({}, None))
    if after is None:
        return []
    old = to_api_shape(before)
    wrote = unit.data["set"]
    restore: dict[str, Any] = {k: old.get(k) for k in wrote if k != "customAttributes"}
    if wrote.get("customAttributes"):
        restore["customAttributes"] = {
            k: old["customAttributes"].get(k) for k in wrote["customAttributes"]
        }
    undo: dict[str, Any] = {
        "id": f"undo-{unit.action_id}",
        "contact": cid,
        "phone": to_api_shape(after).get("primaryPhone"),
        "set": restore,
        "batch_size": int(unit.data.get("batch_size", 500)),
        "_expect": {cid: contact_fingerprint(after)},
    }
    return [(f"undo-{unit.action_id}", "update_contacts", cid, undo)]


def created_ids(journal: Journal, run_id: str) -> Sequence[str]:
    """The contacts an import run created (for reports and tests)."""
    return [v for k, v in journal.id_map(run_id).items() if k.startswith("row")]
