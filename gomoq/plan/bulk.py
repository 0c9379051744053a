"""Bulk attribute writes (`flag`, `set_attribute`) through `POST /contact/upsert`.

Why upsert: 10,000 flags are 10 requests of 1,000 rows instead of 10,000 updates (Gomobile's
guide advises batches for bulk writes). The catch is that upsert matches on the phone **as
stored**, so each row sends the contact's stored phone; the answer's `data` names the contact
each row landed on, and a row that landed elsewhere means the phone changed under us (a new
contact was created, or another contact now holds that phone): that row is a conflict, a
contact we created is soft-deleted again, and the operator is told.

Before-images come from the local cache when it has the contact (the version the operator
reviewed; reading 10,000 contacts one by one would take 1,000 s at 10 requests/s), otherwise
from the server. Only the attribute that changes is sent (the full map when the server replaces
maps, see `steps.attributes_body`), so nothing else on the contact is overwritten.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from typing import Any

from gomoq.api import ApiError, ServerError, TransportError, retry
from gomoq.plan import steps as st
from gomoq.plan.fingerprint import contact_fingerprint
from gomoq.plan.host import Engine
from gomoq.plan.journal import STEP_FINAL, ActionRow, StepRow
from gomoq.plan.own_writes import with_attribute


async def run_bulk(engine: Engine, units: list[ActionRow]) -> None:
    """Prepare, batch and send the bulk units of a run."""
    j, run = engine.journal, engine.run_id
    shared = j.steps(run, shared=True)
    in_flight: set[int] = set()
    for step in shared:
        if step.kind == "upsert" and step.state not in STEP_FINAL:
            for r in step.payload["rows"]:
                in_flight.add(int(r["seq"]))
                in_flight.update(int(seq) for seq, _cid in r.get("group", []))
    own = j.units_with_steps(run)
    fresh = [
        u
        for u in units
        if u.seq not in in_flight
        and u.seq not in own
        and u.state in ("pending", "failed", "running")
    ]
    if fresh:
        await _ensure_defs(engine, fresh, shared)
        await _prepare(engine, fresh)
    open_steps = [s for s in j.steps(run, shared=True) if s.state not in STEP_FINAL]
    for step in [s for s in open_steps if s.kind == "create_attribute_def"]:
        await engine.do_step(step)
    upserts = [s for s in open_steps if s.kind == "upsert"]
    sem = asyncio.Semaphore(4)

    async def one(step: StepRow) -> None:
        async with sem:
            await _send_batch(engine, step)

    await asyncio.gather(*(one(s) for s in upserts))

    # contacts whose stored phone another live contact shares go one by one, by id
    own = j.units_with_steps(run)
    singles = [u for u in j.actions(run, states=("running", "failed")) if u.seq in own]
    if singles:
        await engine.run_units(singles)


async def _ensure_defs(engine: Engine, units: list[ActionRow], shared: list[StepRow]) -> None:
    wanted: dict[str, str] = {}
    for unit in units:
        if unit.kind == "flag":
            wanted.setdefault(unit.data["attribute"], unit.data.get("attribute_type", "text"))
    if not wanted:
        return
    planned = {s.payload["name"] for s in shared if s.kind == "create_attribute_def"}
    existing = {str(d.get("name")) for d in await engine.client.list_attribute_defs()}
    missing = [
        ("create_attribute_def", {"name": n, "display_name": n, "type": t})
        for n, t in sorted(wanted.items())
        if n not in existing and n not in planned
    ]
    if missing:
        engine.journal.add_steps(engine.run_id, None, missing)


async def _prepare(engine: Engine, units: list[ActionRow]) -> None:
    ids = [str(u.contact_id) for u in units]
    images: dict[str, dict[str, Any]] = {}
    if engine.cache_lookup is not None:
        images.update(engine.cache_lookup(ids))
    missing = [cid for cid in ids if cid not in images]
    for lo in range(0, len(missing), 200):
        read = await engine.read_contacts(missing[lo : lo + 200])
        images.update({cid: c for cid, c in read.items() if c is not None})

    rows: list[dict[str, Any]] = []
    by_id: dict[int, list[st.Step]] = {}
    sharing: dict[str, list[tuple[int, str, dict[str, Any]]]] = {}
    conflicts: dict[str, list[int]] = defaultdict(list)
    unchanged: list[int] = []
    saved: dict[str, dict[str, Any]] = {}
    working: dict[str, dict[str, Any]] = {}  # a contact as this run's earlier units leave it
    for unit in units:
        cid = str(unit.contact_id)
        image = working.get(cid) or images.get(cid)
        if image is None:
            conflicts[f"contact {cid} no longer exists (deleted since review)"].append(unit.seq)
            continue
        expect = (
            engine.own.expected.get(cid)
            or unit.data.get("_expect", {}).get(cid)
            or engine.fingerprints.get(cid)
        )
        # a contact an earlier unit of this batch already checked is as that unit leaves it
        if cid not in working and expect is not None and contact_fingerprint(image) != expect:
            conflicts[f"contact {cid} changed since review; not overwritten"].append(unit.seq)
            continue
        saved.setdefault(cid, image)  # the before-image is the first one of the run
        attribute, value = unit.data["attribute"], unit.data.get("value")
        row = st.upsert_row(image, attribute, value, engine.attributes_update)
        if row is None:
            unchanged.append(unit.seq)
            continue
        working[cid] = with_attribute(image, attribute, value)
        engine.own.will_set(unit.seq, image, attribute, value)
        shared = engine.shared_phones
        if shared is None or row["primaryPhone"] in shared:
            # upsert would match the oldest contact holding this phone, maybe not this one
            sharing.setdefault(row["primaryPhone"], []).append((unit.seq, cid, row))
            continue
        rows.append({"seq": unit.seq, "contact_id": cid, "row": row})
    for phone, members in sharing.items():
        holders = set((engine.shared_phones or {}).get(phone, ()))
        same = all(m[2] == members[0][2] for m in members)
        if holders and same and holders <= {cid for _s, cid, _r in members}:
            # every live holder of this phone wants this very row: wherever upsert lands, it
            # lands right; the holders it did not reach are then written by id
            seq, cid, row = members[0]
            group = [[s_, c_] for s_, c_, _r in members]
            rows.append({"seq": seq, "contact_id": cid, "row": row, "group": group})
            continue
        for seq, cid, row in members:
            by_id[seq] = [_by_id_step(cid, row)]
    with engine.journal.transaction():
        engine.journal.save_images(engine.run_id, saved)
        for batch in st.batches(rows):
            engine.journal.add_steps(engine.run_id, None, [("upsert", {"rows": batch})])
        for seq, steps in by_id.items():
            engine.journal.add_steps(engine.run_id, seq, steps)
        running = [int(seq) for r in rows for seq, _c in r.get("group", [[r["seq"], None]])]
        running += list(by_id)
        engine.journal.set_action_state(engine.run_id, running, "running")
    for message, seqs in conflicts.items():
        engine.finish_units(seqs, "conflict", message)
    engine.finish_units(unchanged, "done", "already had this value")


def _seqs(item: dict[str, Any]) -> list[int]:
    """The units one upsert row stands for (a shared-phone group, or just its own)."""
    return [int(q) for q, _c in item.get("group", [])] or [int(item["seq"])]


def _by_id_step(contact_id: str, row: dict[str, Any]) -> st.Step:
    return (
        "update",
        {"contact_id": contact_id, "body": {"customAttributes": row["customAttributes"]}},
    )


async def _send_batch(engine: Engine, step: StepRow) -> None:
    """Send one upsert batch and settle each of its rows' units."""
    j, run = engine.journal, engine.run_id
    items = step.payload["rows"]
    j.mark_step(run, step.seq, "pending")
    result = None
    async for attempt in retry.attempts():
        try:
            result = await engine.client.upsert_contacts([i["row"] for i in items])
            break
        except (TransportError, ServerError) as exc:
            # Upsert by stored phone has the same effect when sent twice (and a row that
            # created a contact is caught below), so an unknown outcome is simply re-sent.
            engine.transport_failed(exc)
            if attempt + 1 >= retry.OPERATION_ATTEMPTS or engine.stopped is not None:
                engine.finish_units(
                    [q for i in items for q in _seqs(i)], "failed", f"upsert failed: {exc}"
                )
                return
        except ApiError as exc:
            j.mark_step(run, step.seq, "failed", error=str(exc))
            engine.finish_units(
                [q for i in items for q in _seqs(i)], "failed", f"upsert refused: {exc}"
            )
            return
    assert result is not None
    raw = result.raw if isinstance(result.raw, dict) else {}
    data = raw.get("data") if isinstance(raw.get("data"), list) else None
    error_at = {int(e.get("index", -1)): e for e in result.errors if isinstance(e, dict)}
    attr_errors: dict[int, list[str]] = defaultdict(list)
    for e in raw.get("attributeErrors") or []:
        if isinstance(e, dict) and "index" in e:
            attr_errors[int(e["index"])].append(str(e.get("message") or e.get("code")))
    done: list[int] = []
    failed: dict[str, list[int]] = defaultdict(list)
    conflicts: dict[str, list[int]] = defaultdict(list)
    cleanup: dict[
        str, tuple[str, list[int]]
    ] = {}  # contact created by mistake -> (row's contact, units)
    afters: dict[str, dict[str, Any]] = {}
    later: dict[int, list[st.Step]] = {}
    landed = iter(data or [])
    for index, item in enumerate(items):
        if index in error_at:
            failed[f"rejected: {error_at[index].get('fieldErrors')}"].extend(_seqs(item))
            continue
        contact = next(landed, None) if data is not None else None
        if index in attr_errors:
            failed["; ".join(attr_errors[index])].extend(_seqs(item))
            continue
        if data is None:
            if result.created:
                failed["the server created contacts; re-sync to check"].extend(_seqs(item))
            elif item.get("group"):  # where it landed is unknown: write each holder by id
                for q, c in item["group"]:
                    later[int(q)] = [_by_id_step(str(c), item["row"])]
            else:
                done.append(item["seq"])
            continue
        group = {str(c): int(q) for q, c in item.get("group", [])}
        if group and contact is not None and str(contact.get("id")) in group:
            landed_on = str(contact.get("id"))
            done.append(group[landed_on])
            afters[landed_on] = contact
            for cid, seq in group.items():
                if cid != landed_on:
                    later[seq] = [_by_id_step(cid, item["row"])]
            continue
        if contact is None or str(contact.get("id")) != item["contact_id"]:
            other = None if contact is None else str(contact.get("id"))
            if contact is not None and other and _looks_created(contact, item["row"]):
                # told once the removal is known to have worked (below)
                cleanup[other] = (item["contact_id"], _seqs(item))
                continue
            msg = f"its phone now belongs to contact {other}, which got the value"
            conflicts[f"contact {item['contact_id']}: {msg}"].extend(_seqs(item))
            continue
        done.append(item["seq"])
        afters[item["contact_id"]] = contact
    cleaned: list[str] = []
    for stray, (cid, seqs) in cleanup.items():
        try:
            await engine.client.delete_contact(stray)
        except ApiError as exc:
            msg = f"the upsert created contact {stray}, which could not be removed: {exc}"
        else:
            cleaned.append(stray)
            msg = "the upsert created a contact, removed"
        conflicts[f"contact {cid}: its phone changed since review ({msg})"] += seqs
    with j.transaction():  # the batch and its units' outcomes in one commit
        j.mark_step(
            run,
            step.seq,
            "done",
            result={"created": result.created, "updated": result.updated, "cleaned": cleaned},
        )
        j.set_afters(run, afters)
        for seq, steps in later.items():  # group members the upsert did not reach
            j.add_steps(run, seq, steps)
        engine.own.landed(done)
        engine.finish_units(done, "done")
        for message, seqs in failed.items():
            engine.finish_units(seqs, "failed", message)
        for message, seqs in conflicts.items():
            engine.finish_units(seqs, "conflict", message)


def _looks_created(contact: dict[str, Any], row: dict[str, Any]) -> bool:
    """A contact holding nothing but what our row sent: the upsert created it."""
    keys = ("firstName", "lastName", "fullName", "primaryEmail")
    return contact.get("primaryPhone") == row["primaryPhone"] and not any(
        contact.get(k) for k in keys
    )
