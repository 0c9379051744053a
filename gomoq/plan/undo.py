"""Undo: reverse an apply run from its journal, as a journaled (and resumable) run of its own.

Each unit of the applied run that changed something becomes one undo unit, in reverse order:

- a bulk write (`flag`, `set_attribute`) becomes a `set_attribute` back to the before-image's
  value (cleared when the contact had none), sent by upsert like any bulk write;
- a merge, delete or audience removal becomes a `restore` unit whose steps are built when it
  runs: (1) every contact the run updated gets its before-image's fields and attributes back
  (the survivor first, which frees a loser's phone), (2) every contact the run soft-deleted is
  re-created from its before-image — the API has no restore, so it gets a new id, recorded
  against the old one in `journal_idmap` — and put back in its static audiences, (3) every
  membership the run added is removed and every one it removed is added back, and (4) an
  audience the run created is deleted when nobody else has joined it since.

Before anything is sent each contact is re-read and compared with the after-image the run
recorded: a contact changed since the run is a conflict, reported, never overwritten.
"""

from __future__ import annotations

from typing import Any

from gomoq.errors import UsageError
from gomoq.plan import steps as st
from gomoq.plan.conflict import UnitConflict
from gomoq.plan.fingerprint import contact_fingerprint, to_api_shape
from gomoq.plan.host import Engine
from gomoq.plan.import_steps import IMPORT_KINDS, import_undo_units
from gomoq.plan.journal import ActionRow, Journal
from gomoq.plan.model import STANDARD_FIELDS

BULK = ("flag", "set_attribute")
UNCHANGED = "already had this value"  # the message of a bulk unit that sent nothing
UNRECORDED = "unrecorded"  # undo unit of a change whose after-image the journal lacks


def undo_units(journal: Journal, run_id: str) -> list[tuple[str, str, str | None, dict[str, Any]]]:
    """The units of an undo of `run_id` (raises `UsageError` when it cannot be undone yet)."""
    run = journal.run(run_id)
    if run is None:
        raise UsageError(f"There is no run {run_id}; `gomoq history` lists them.")
    if run["kind"] != "apply":
        raise UsageError(f"Run {run_id} is an undo; apply its plan again instead of undoing it.")
    if run["state"] in ("running", "cancelled"):
        raise UsageError(
            f"Run {run_id} is unfinished; `gomoq apply --resume {run_id}` first, then undo it."
        )
    pending = [s for s in journal.steps(run_id) if s.state == "pending"]
    if pending:
        raise UsageError(
            f"Run {run_id} has {len(pending)} unconfirmed steps; "
            f"`gomoq apply --resume {run_id}` first."
        )
    images = journal.images(run_id)
    restored = _restored_whole(journal, run_id)
    units: list[tuple[str, str, str | None, dict[str, Any]]] = []
    for unit in reversed(journal.actions(run_id)):
        if unit.kind in IMPORT_KINDS:
            units += import_undo_units(journal, run_id, unit)
            continue
        if unit.kind in BULK:
            cid = str(unit.contact_id)
            if cid in restored:
                continue  # a restore unit puts its whole before-image back, this attribute too
            before, after = images.get(cid, ({}, None))
            if unit.state != "done" or unit.message == UNCHANGED:
                continue
            attr = unit.data["attribute"]
            if after is None:
                # The run changed this contact but kept no after-image to check it against:
                # never skip it in silence (the undo run names it and does not end well).
                data = {
                    "id": f"undo-{unit.action_id}",
                    "contacts": [cid],
                    "attribute": attr,
                    "value": unit.data.get("value"),
                }
                units.append((data["id"], UNRECORDED, cid, data))
                continue
            old = to_api_shape(before)["customAttributes"].get(attr)
            data = {
                "id": f"undo-{unit.action_id}",
                "contacts": [cid],
                "attribute": attr,
                "value": old,
                "_expect": {cid: contact_fingerprint(after)},
            }
            units.append((data["id"], "set_attribute", cid, data))
            continue
        done = [s for s in journal.steps(run_id, unit.seq) if s.state == "done"]
        if not done:
            continue
        touched: list[str] = []
        for s in done:
            touched += [s.payload["contact_id"]] if "contact_id" in s.payload else []
            touched += list(s.payload.get("contact_ids", []))
        data = {
            "id": f"undo-{unit.action_id}",
            "of_run": run_id,
            "of_seq": unit.seq,
            "of_kind": unit.kind,  # orders the undo's phases (engine.unit_phase)
            "touches": sorted(set(touched)),
        }
        units.append((data["id"], "restore", unit.contact_id, data))
    return units


def _restored_whole(journal: Journal, run_id: str) -> set[str]:
    """Contacts a `restore` unit of the undo puts back whole from their before-image: those a
    merge, delete or phone rewrite updated or deleted (the before-image is the first one of the
    run, so it predates any flag the same run wrote)."""
    bulk_units = {u.seq for u in journal.actions(run_id) if u.kind in BULK}
    return {
        str(step.payload.get("contact_id"))
        for step in journal.steps(run_id)
        # a bulk unit's own by-id writes (shared phones) are undone by that unit
        if step.action_seq is not None
        and step.action_seq not in bulk_units
        and step.state == "done"
        and step.kind in ("update", "delete")
    }


def _restore_body(before: dict[str, Any], current: dict[str, Any], mode: str) -> dict[str, Any]:
    b, c = to_api_shape(before), to_api_shape(current)
    body: dict[str, Any] = {}
    for name in STANDARD_FIELDS:
        if name == "channels":
            if list(b.get("channels") or []) != list(c.get("channels") or []):
                body["channels"] = list(b.get("channels") or [])
        elif b.get(name) != c.get(name):
            body[name] = b.get(name)
    battrs, cattrs = b["customAttributes"], c["customAttributes"]
    changes = {
        k: battrs.get(k) for k in set(battrs) | set(cattrs) if battrs.get(k) != cattrs.get(k)
    }
    if changes:
        body["customAttributes"] = st.attributes_body(cattrs, changes, mode)
    return body


def _create_body(before: dict[str, Any]) -> dict[str, Any]:
    b = to_api_shape(before)
    body = {k: b[k] for k in STANDARD_FIELDS if b.get(k) not in (None, [], "")}
    attrs = {k: v for k, v in b["customAttributes"].items() if v is not None}
    if attrs:
        body["customAttributes"] = attrs
    return body


async def prepare_unrecorded(
    engine: Engine, unit: ActionRow
) -> tuple[dict[str, dict[str, Any]], list[st.Step]]:
    """A change the applied run made without recording its after-image cannot be undone
    safely (a colleague's later edit could not be told from ours): say so, send nothing."""
    data = unit.data
    raise UnitConflict(
        f"contact {unit.contact_id} was not undone: the run kept no record of it after setting "
        f"{data['attribute']}={data['value']!r}; check that contact and fix it by hand"
    )


async def prepare_restore(
    engine: Engine, unit: ActionRow
) -> tuple[dict[str, dict[str, Any]], list[st.Step]]:
    """Build a `restore` unit's steps from the applied run's journal and the live data."""
    journal = engine.journal
    orig, seq = unit.data["of_run"], int(unit.data["of_seq"])
    done = [s for s in journal.steps(orig, seq) if s.state == "done"]
    images = engine.run_images(orig)
    updated: list[str] = []
    deleted: list[str] = []
    for s in done:
        cid = str(s.payload.get("contact_id"))
        if s.kind == "update" and cid not in updated:
            updated.append(cid)
        elif s.kind == "delete" and cid not in deleted:
            deleted.append(cid)
    # a contact another unit of the run deleted later comes back whole from its re-create
    gone = {cid for cid, (_b, after) in images.items() if after == {"deleted": True}}
    updated = [c for c in updated if c not in deleted and c not in gone]
    current = await engine.read_contacts([*updated, *deleted])
    for cid in deleted:
        if current.get(cid) is not None:
            raise UnitConflict(f"contact {cid} exists again since the run; not re-created")
    for cid in updated:
        now = current.get(cid)
        after = images.get(cid, ({}, None))[1]
        if now is None:
            raise UnitConflict(f"contact {cid} was deleted since the run; not restored")
        if after is not None and contact_fingerprint(now) != contact_fingerprint(after):
            raise UnitConflict(f"contact {cid} changed since the run; not overwritten")

    steps: list[st.Step] = []
    for cid in updated:
        now = current[cid]
        assert now is not None
        body = _restore_body(images[cid][0], now, engine.attributes_update)
        if body:
            steps.append(("update", {"contact_id": cid, "body": body}))
    for cid in deleted:
        before = images[cid][0]
        steps.append(("create", {"old_id": cid, "body": _create_body(before)}))
        for audience in before.get("_memberships", []):
            steps.append(("add_members", {"audience_id": audience, "contact_ids": [f"new:{cid}"]}))
    created_audiences = [
        str(s.result["id"])
        for s in done
        if s.kind == "create_audience" and isinstance(s.result, dict) and "id" in s.result
    ]
    for s in reversed(done):
        ids = [i for i in s.payload.get("contact_ids", []) if i not in deleted and i not in gone]
        if not ids:
            continue
        if s.kind == "add_members":
            steps.append(
                ("remove_members", {"audience_id": s.payload["audience_id"], "contact_ids": ids})
            )
        elif s.kind == "remove_members":
            steps.append(
                ("add_members", {"audience_id": s.payload["audience_id"], "contact_ids": ids})
            )
    for audience_id in created_audiences:  # after its members are out (kept if others joined)
        steps.append(("delete_audience", {"audience_id": audience_id}))
    live = {cid: c for cid, c in current.items() if c is not None}
    return live, steps
