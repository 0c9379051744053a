"""The apply engine: runs a journaled run's units of work against the API, resumably.

Units (`journal_actions`) come in two families:

- **one contact or one merge at a time** (`merge`, `delete`, `remove_from_audiences`, and undo's
  `restore`): the contacts are re-read, compared with the fingerprints the operator reviewed
  (changed → `conflict`, nothing sent), their before-images and the unit's steps are written in
  one transaction, then the steps are sent in order. Units run concurrently (so the client's
  pacer, not our waiting, is the bottleneck), but never two units on the same contact at once;
- **bulk attribute writes** (`flag`, `set_attribute`): rows for `POST /contact/upsert`, in batches
  of up to 1,000, sending only the attribute that changes (see `steps.attributes_body`).

A step is marked `pending` before it is sent and `done` after. A step found `pending` (a kill, or
an answer lost to a dropped connection) is checked on the server before anything is re-sent:
an update is compared field by field, a delete is a 404, a re-create is looked up by phone; the
remaining kinds (membership add/remove, upsert by stored phone) have the same effect when sent
twice, and upsert answers name the contact each row landed on, so a row that created a contact
(its phone changed under us) is found, cleaned up and reported as a conflict.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from gomoq.api import (
    ApiError,
    Conflict,
    GomobileClient,
    NotFound,
    Page,
    ServerError,
    TransportError,
    retry,
)
from gomoq.api.contract import spelled
from gomoq.api.pages import iter_rows
from gomoq.errors import Cancelled
from gomoq.plan import audience_steps, phone_steps
from gomoq.plan import steps as st
from gomoq.plan.bulk import run_bulk
from gomoq.plan.cachepatch import Lookup
from gomoq.plan.conflict import UnitConflict
from gomoq.plan.fingerprint import contact_fingerprint, to_api_shape
from gomoq.plan.import_steps import IMPORT_KINDS, run_import
from gomoq.plan.journal import ACTION_FINAL, STEP_FINAL, ActionRow, Journal, StepRow
from gomoq.plan.model import action_from_dict
from gomoq.plan.own_writes import OwnWrites
from gomoq.progress import CancelFn, ProgressEvent, ProgressFn, check_cancel

log = logging.getLogger("gomoq.plan")

BULK_KINDS = ("flag", "set_attribute")


def unit_phase(unit: ActionRow) -> int:
    """Single units run in phases, so that no unit of a plan fights another.

    Apply: merges and audience removals first; then soft deletions (a contact the plan also
    merges or removes is handled first, as reviewed); phone rewrites last, once the contacts the
    plan deletes have freed their numbers (a soft-deleted contact's phone is free again), and
    never on a contact the plan deleted. Undo: phones put back before soft-deleted contacts are
    re-created, since a re-created contact may hold the number another was rewritten to; merges
    undone before deletions.
    """
    if unit.kind == "delete":
        return 1
    if unit.kind == "set_phone":
        return 2
    if unit.kind == "restore" and unit.data.get("of_kind") == "merge":
        return 1  # a survivor gives its loser's number back before anyone else is re-created
    if unit.kind == "restore" and unit.data.get("of_kind") == "delete":
        return 2
    return 0


# what tells a contact we re-created from another holding the same phone
IDENTITY_FIELDS = ("firstName", "lastName", "fullName", "primaryEmail")
MEMBER_PAGE = 100
STOP_AFTER_FAILURES = 5  # requests in a row unable to reach the server before a run stops


class AlreadyDone(Exception):
    """Nothing is left for the unit to do: an earlier action of the same plan did it."""


# Undo's step builder for a `restore` unit: (engine, unit) -> (current images, steps).
Preparer = Callable[
    ["Engine", ActionRow], Awaitable[tuple[dict[str, dict[str, Any]], list[st.Step]]]
]


@dataclass
class RunResult:
    """What a run did: counts per outcome, the reasons, and how many requests it took."""

    run_id: str
    kind: str
    state: str
    done: int = 0
    conflicts: int = 0
    failed: int = 0
    pending: int = 0
    messages: list[str] = field(default_factory=list)
    requests: int = 0
    dry_run: bool = False
    not_undone: int = 0  # undo units the journal could not support (named in `messages`)
    # actions done but whose new phone another live contact already held (see phone_steps)
    duplicates: int = 0

    @property
    def ok(self) -> bool:
        """True when nothing failed, nothing is left to do and nothing was left undone."""
        return (
            self.failed == 0
            and self.pending == 0
            and self.not_undone == 0
            and self.state != "cancelled"
        )

    def headline(self) -> str:
        """What the run did in one sentence, for the CLI and the app, e.g. `Apply finished:
        3 changes done, 1 skipped as a conflict (changed since review); 46 requests (run r).`"""
        name = {"apply": "Apply", "undo": "Undo"}.get(self.kind, self.kind.capitalize())
        outcome = {
            "done": "finished",
            "partial": "finished with problems",
            "running": "stopped before the end",
        }.get(self.state, self.state)
        parts = [_count(self.done, "change") + " done"]  # units: a merge, or one contact
        if self.duplicates:
            parts.append(
                f"{_count(self.duplicates, 'contact')} kept its phone: another live contact "
                "holds that E.164 number (duplicates, proposed for merging at the next check)"
                if self.duplicates == 1
                else f"{self.duplicates} contacts kept their phones: other live contacts hold "
                "those E.164 numbers (duplicates, proposed for merging at the next check)"
            )
        if self.conflicts:
            what = "a conflict" if self.conflicts == 1 else "conflicts"
            parts.append(f"{self.conflicts} skipped as {what} (changed since review)")
        if self.failed:
            parts.append(f"{self.failed} failed")
        if self.not_undone:
            parts.append(f"{self.not_undone} not undone (no record of the change; named below)")
        if self.pending:
            parts.append(f"{self.pending} not finished")
        return (
            f"{name} {outcome}: {', '.join(parts)}; "
            f"{_count(self.requests, 'request')} (run {self.run_id})."
        )


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _fields_match(contact: Mapping[str, Any], body: Mapping[str, Any], mode: str) -> bool:
    """Whether an update's `body` is already reflected in `contact` (API shape)."""
    api = to_api_shape(contact)
    for key, value in body.items():
        if key == "customAttributes":
            attrs = api["customAttributes"]
            if mode == "replace":
                if attrs != {k: v for k, v in value.items() if v is not None}:
                    return False
            else:
                for name, wanted in value.items():
                    if wanted is None and name in attrs and attrs[name] is not None:
                        return False
                    if wanted is not None and attrs.get(name) != wanted:
                        return False
        elif key == "channels":
            if list(api.get("channels") or []) != list(value or []):
                return False
        elif api.get(key) != value:
            return False
    return True


def _refused_attributes(body: Mapping[str, Any], contact: Mapping[str, Any]) -> list[Any]:
    """The attribute values a create sent that the created contact does not hold (the server
    refused them; found when the create's own answer, which names them, was lost)."""
    held = to_api_shape(contact)["customAttributes"]
    sent = body.get("customAttributes") or {}
    return [
        {"name": name, "value": value}
        for name, value in sent.items()
        if value is not None and held.get(name) != value
    ]


class Engine:
    """Runs the units of one journaled run (apply or undo) until each is final."""

    def __init__(
        self,
        client: GomobileClient,
        journal: Journal,
        run_id: str,
        *,
        fingerprints: Mapping[str, str] | None = None,
        region: str = "MA",
        attributes_update: str = "merge",
        progress: ProgressFn | None = None,
        should_cancel: CancelFn | None = None,
        cache_lookup: Lookup | None = None,  # before-images from the local cache
        shared_phones: Mapping[str, Sequence[str]] | None = None,
        preparers: Mapping[str, Preparer] | None = None,
        concurrency: int = 16,
    ) -> None:
        self.client = client
        self.journal = journal
        self.run_id = run_id
        run = journal.run(run_id)
        self._task = str(run["kind"]) if run is not None else "apply"
        """The progress task: the run's kind (`apply`, `undo`), so undo never reads "apply"."""
        self.fingerprints = dict(fingerprints or {})
        self.region = region
        self.attributes_update = attributes_update
        self.progress = progress
        self.should_cancel = should_cancel
        self.cache_lookup = cache_lookup
        # phones held by more than one live contact (None: unknown, so no upsert is safe)
        self.shared_phones = shared_phones if cache_lookup is not None else None
        self.preparers = dict(preparers or {})
        self.concurrency = concurrency
        self._members: dict[str, list[str]] | None = None
        self._members_lock = asyncio.Lock()
        self._contact_locks: dict[str, asyncio.Lock] = {}
        self._total = 0
        self._finished = 0
        self._cancelled = False
        # failures in a row to reach the server (transport errors, 5xx after the client's
        # retries): at `stop_after` the run stops early, what is left kept for a resume
        self.stop_after = STOP_AFTER_FAILURES
        self._unreachable = 0
        self.stopped: str | None = None
        self.own = OwnWrites()  # what this run itself wrote (see gomoq.plan.own_writes)
        self._phone_cache: dict[str, dict[str, Any]] = {}  # set_phone before-images (cache)
        self._run_images: dict[str, Any] = {}

    # -- running ------------------------------------------------------------------------------
    async def run(self) -> None:
        """Process every unit that is not final; raise `Cancelled` when asked to stop."""
        units = self.journal.actions(self.run_id)
        self._total = len(units)
        # failed units are tried again on resume (their confirmed steps are not re-sent)
        todo = [u for u in units if u.state not in ("done", "conflict")]
        self._finished = self._total - len(todo)
        self._report()
        imports = [u for u in todo if u.kind in IMPORT_KINDS]
        self.own = OwnWrites.from_journal(self.journal, self.run_id)
        rewrites = [str(u.contact_id) for u in todo if u.kind == "set_phone"]
        if rewrites and self.cache_lookup is not None:
            self._phone_cache = dict(self.cache_lookup(rewrites))
        bulk = [u for u in todo if u.kind in BULK_KINDS]
        single = [u for u in todo if u.kind not in BULK_KINDS and u.kind not in IMPORT_KINDS]
        if imports:  # definitions before anything writes their values
            await run_import(self, imports)
        check_cancel(self.should_cancel)
        if bulk and self.stopped is None:
            await self._run_bulk(bulk)
        check_cancel(self.should_cancel)
        for n in sorted({unit_phase(u) for u in single}):
            phase = [u for u in single if unit_phase(u) == n]
            if phase and not self._cancelled and self.stopped is None:
                await self._run_singles(phase)
        if self._cancelled:
            raise Cancelled("Apply cancelled; `gomoq apply --resume` finishes it.")
        self._report(finished=True)

    def _report(self, *, finished: bool = False, message: str | None = None) -> None:
        if self.progress is not None:
            self.progress(
                ProgressEvent(
                    self._task, self._finished, self._total, "changes", message, finished=finished
                )
            )

    def _finish_unit(self, seqs: int | Sequence[int], state: str, message: str | None) -> None:
        if state != "failed":
            self._unreachable = 0  # a unit reached the server (done, or refused as a conflict)
        self.journal.set_action_state(self.run_id, seqs, state, message)
        self._finished += 1 if isinstance(seqs, int) else len(seqs)
        self._report()

    # -- memberships -----------------------------------------------------------------------
    async def memberships(self) -> dict[str, list[str]]:
        """contact id → static audiences it is an active member of (read once per run)."""
        async with self._members_lock:
            if self._members is None:
                self._members = await self._load_memberships()
            return self._members

    async def _load_memberships(self) -> dict[str, list[str]]:
        index: dict[str, list[str]] = {}
        audiences = [a async for a in iter_rows(lambda p: self.client.list_audiences(p, 100))]
        for audience in audiences:
            if str(audience.get("type", "static")) != "static":
                continue
            aid = str(audience["id"])

            def members(page: int, aid: str = aid) -> Awaitable[Page]:
                return self.client.list_audience_members(aid, page, MEMBER_PAGE)

            async for member in iter_rows(members):
                if str(member.get("membershipStatus", "active")) == "active":
                    index.setdefault(str(member["id"]), []).append(aid)
        return index

    # -- single units ------------------------------------------------------------------------
    async def run_units(self, units: list[ActionRow]) -> None:
        """Run units one by one (concurrently, never two on the same contact)."""
        await self._run_singles(units)

    async def _run_singles(self, units: list[ActionRow]) -> None:
        queue: asyncio.Queue[ActionRow] = asyncio.Queue()
        for unit in units:
            queue.put_nowait(unit)

        async def worker() -> None:
            while not queue.empty():
                if self.should_cancel is not None and self.should_cancel():
                    self._cancelled = True
                    return
                if self.stopped is not None:
                    return  # the server is unreachable: the rest waits for a resume
                unit = queue.get_nowait()
                await self._run_unit(unit)

        await asyncio.gather(*(worker() for _ in range(max(1, self.concurrency))))

    def _unit_contacts(self, unit: ActionRow) -> list[str]:
        data = unit.data
        if unit.kind == "merge":
            return [data["survivor"], *data["losers"]]
        ids = list(data.get("contacts") or [])
        if unit.contact_id:
            ids.append(unit.contact_id)
        return sorted(set(ids) | set(data.get("touches", [])))

    async def _run_unit(self, unit: ActionRow) -> None:
        ids = sorted(set(self._unit_contacts(unit)))
        locks = [self._contact_locks.setdefault(cid, asyncio.Lock()) for cid in ids]
        for lock in locks:  # sorted order: no deadlock between units sharing contacts
            await lock.acquire()
        try:
            steps = self.journal.steps(self.run_id, unit.seq)
            if not steps and unit.state in ("pending", "failed"):
                prepared = await self._prepare(unit)
                if prepared is None:
                    return
                steps = prepared
            for step in steps:
                if step.state in STEP_FINAL:
                    continue
                check_cancel(self.should_cancel)
                await self.do_step(step)
            self._finish_unit(unit.seq, "done", self._notes(unit))
        except UnitConflict as exc:
            self._finish_unit(unit.seq, "conflict", str(exc))
        except Cancelled:
            self._cancelled = True
        except ApiError as exc:
            self._finish_unit(unit.seq, "failed", str(exc))
        finally:
            for lock in locks:
                lock.release()

    def _notes(self, unit: ActionRow) -> str | None:
        """The unit's message plus what the server refused to store while re-creating."""
        notes = [unit.message] if unit.message else []
        for step in self.journal.steps(self.run_id, unit.seq):
            if isinstance(step.result, dict) and step.result.get("_note"):
                notes.append(str(step.result["_note"]))
            errors = step.result.get("_attributeErrors") if isinstance(step.result, dict) else None
            for e in errors or []:
                name = e.get("name") if isinstance(e, dict) else e
                value = e.get("value") if isinstance(e, dict) else None
                notes.append(
                    f"contact {step.payload.get('old_id')}: the server refused to restore "
                    f"attribute {name}={spelled(value)}"
                )
        return "; ".join(notes) or None

    async def read_contacts(self, ids: Sequence[str]) -> dict[str, dict[str, Any] | None]:
        """Live contacts by id (None for a missing or deleted one), read concurrently."""

        async def one(cid: str) -> tuple[str, dict[str, Any] | None]:
            try:
                return cid, await self.client.get_contact(cid)
            except NotFound:
                return cid, None

        return dict(await asyncio.gather(*(one(c) for c in ids)))

    def check_reviewed(
        self, contacts: Mapping[str, Mapping[str, Any] | None], expect: Mapping[str, str]
    ) -> None:
        """Raise `UnitConflict` when a contact is gone or differs from the reviewed version."""
        for cid, contact in contacts.items():
            if contact is None:
                raise UnitConflict(f"contact {cid} no longer exists (deleted since review)")
            wanted = expect.get(cid)
            if wanted is not None and contact_fingerprint(contact) != wanted:
                raise UnitConflict(f"contact {cid} changed since review; not overwritten")

    async def _prepare(self, unit: ActionRow) -> list[StepRow] | None:
        """Read, check and plan a unit; returns its journaled steps (None when it ended)."""
        try:
            if unit.kind in self.preparers:
                images, steps = await self.preparers[unit.kind](self, unit)
                notes: list[str] = []
            else:
                images, steps, notes = await self._prepare_apply(unit)
        except UnitConflict as exc:
            self._finish_unit(unit.seq, "conflict", str(exc))
            return None
        except AlreadyDone as exc:
            self._finish_unit(unit.seq, "done", str(exc))
            return None
        except ApiError as exc:
            self._finish_unit(unit.seq, "failed", str(exc))
            if isinstance(exc, TransportError | ServerError):  # reading it back failed
                self.transport_failed(exc)
            return None
        message = "; ".join(notes) or None
        with self.journal.transaction():
            for cid, image in images.items():
                self.journal.save_image(self.run_id, cid, image)
            self.journal.add_steps(self.run_id, unit.seq, steps)
            self.journal.set_action_state(self.run_id, unit.seq, "running", message)
        unit.message = message
        return self.journal.steps(self.run_id, unit.seq)

    async def _prepare_apply(
        self, unit: ActionRow
    ) -> tuple[dict[str, dict[str, Any]], list[st.Step], list[str]]:
        ids = self._unit_contacts(unit)
        gone = [cid for cid in ids if cid in self.own.deleted]
        if gone and unit.kind in ("delete", "remove_from_audiences", "set_phone"):
            # e.g. a contact both merged away and listed as inactive: the plan's intent is met
            raise AlreadyDone(f"contact {gone[0]} was soft-deleted earlier by this plan")
        if unit.kind == "set_phone":
            fast = self._phone_from_cache(str(unit.contact_id), str(unit.data["phone"]))
            if fast is not None:
                return {}, fast, []
        contacts = await self.read_contacts(ids)
        expect = self.own.expect({**self.fingerprints, **unit.data.get("_expect", {})})
        self.check_reviewed(contacts, expect)
        live = {cid: c for cid, c in contacts.items() if c is not None}
        members = {} if unit.kind == "set_phone" else await self.memberships()
        images = {cid: {**c, "_memberships": list(members.get(cid, []))} for cid, c in live.items()}
        data = unit.data
        if unit.kind == "merge":
            clean = {k: v for k, v in data.items() if not k.startswith("_")}
            action = action_from_dict({**clean, "kind": "merge"})
            assert action.kind == "merge"
            survivor = live[data["survivor"]]
            losers = [live[cid] for cid in data["losers"]]
            steps, _result, notes = st.merge_steps(
                action,  # type: ignore[arg-type]
                survivor,
                losers,
                members,
                region=self.region,
                attributes_update=self.attributes_update,
            )
            return images, steps, notes
        if unit.kind == "audience_sync":
            return await audience_steps.prepare_audience_sync(self, unit)
        cid = str(unit.contact_id)
        if unit.kind == "delete":
            return images, st.delete_steps(cid), []
        if unit.kind == "remove_from_audiences":
            only = data.get("audiences")
            return images, st.remove_steps(cid, members.get(cid, []), only), []
        if unit.kind == "set_phone":
            return images, phone_steps.set_phone_steps(cid, live[cid], str(data["phone"])), []
        raise UnitConflict(f"unknown action kind {unit.kind}")

    def run_images(self, run_id: str) -> dict[str, tuple[dict[str, Any], dict[str, Any] | None]]:
        """The before/after images of another, finished run (an undo's applied run), read once:
        reading them for every restore unit made a 3,000-contact undo quadratic."""
        if run_id not in self._run_images:
            self._run_images[run_id] = self.journal.images(run_id)
        images: dict[str, tuple[dict[str, Any], dict[str, Any] | None]] = self._run_images[run_id]
        return images

    def _phone_from_cache(self, cid: str, phone: str) -> list[st.Step] | None:
        """A phone rewrite in one request: the reviewed version is the cache's (as for bulk
        writes), checked against the plan's fingerprint; None when the cache cannot say (no
        cache, contact not in it, or already written by this run: then it is read first)."""
        image = self._phone_cache.get(cid)
        if image is None or cid in self.own.expected:
            return None
        wanted = self.fingerprints.get(cid)
        if wanted is not None and contact_fingerprint(image) != wanted:
            raise UnitConflict(f"contact {cid} changed since review; not overwritten")
        return phone_steps.rewrite_steps(cid, image, phone)

    # -- steps --------------------------------------------------------------------------------
    async def do_step(self, step: StepRow) -> None:
        """Send one step (checking a `pending` one on the server first) and journal it."""
        if step.state == "pending":
            found = await self._landed(step)
            if found is not None:
                self._confirm(step, found)
                return
        if step.kind in ("add_members", "remove_members"):
            audience_steps.resolve_audience(self, step)
        async for attempt in retry.attempts():
            last = attempt + 1 >= retry.OPERATION_ATTEMPTS
            self.journal.mark_step(self.run_id, step.seq, "pending")
            try:
                result = await self._send(step)
            except (TransportError, ServerError) as exc:
                # The client gave up, or would not re-send a POST whose fate it cannot know.
                self.transport_failed(exc)
                if self.stopped is not None:
                    raise  # no more tries: the unit fails, its step stays pending for a resume
                if not last:
                    found = await self._landed(step)
                    if found is not None:
                        self._confirm(step, found)
                        return
                if last:
                    raise
                log.warning("step %s: %s; checking and retrying", step.kind, exc)
                continue
            self._confirm(step, result)
            return

    def _confirm(self, step: StepRow, result: Any) -> None:
        self._unreachable = 0  # the server answered
        # a phone refused as another contact's, with nothing else to send, changed nothing:
        # the step is kept (its result names the duplicate) but there is nothing to undo
        changed_nothing = phone_steps.duplicates_of(result) and "id" not in result
        state = "skipped" if changed_nothing else "done"
        with self.journal.transaction():
            self.journal.mark_step(self.run_id, step.seq, state, result=result)
            p = step.payload
            if step.kind == "update" and isinstance(result, dict) and "id" in result:
                if "before_phone" in p:  # a phone rewrite sent without reading first
                    before = {**result, "primaryPhone": p["before_phone"], "_memberships": []}
                    self.journal.save_image(self.run_id, p["contact_id"], before)
                self.journal.set_after(self.run_id, p["contact_id"], result)
                self.own.wrote(result)
            elif step.kind == "delete":
                self.journal.set_after(self.run_id, p["contact_id"], {"deleted": True})
                self.own.removed(str(p["contact_id"]))
            elif step.kind == "create" and isinstance(result, dict) and "id" in result:
                self.journal.map_id(self.run_id, p["old_id"], str(result["id"]))
            elif step.kind == "create_audience" and isinstance(result, dict) and "id" in result:
                self.journal.map_id(self.run_id, p["ref"], str(result["id"]))
        step.state = state

    def _ids(self, ids: Sequence[str]) -> list[str]:
        """Resolve `new:<old id>` placeholders to the id a re-created contact got."""
        if not any(i.startswith("new:") for i in ids):
            return list(ids)
        mapping = self.journal.id_map(self.run_id)
        return [mapping.get(i[4:], i[4:]) if i.startswith("new:") else i for i in ids]

    async def _send(self, step: StepRow) -> Any:
        p = step.payload
        kind = step.kind
        if kind == "update":
            try:
                return await self.client.update_contact(p["contact_id"], p["body"])
            except NotFound:
                raise UnitConflict(f"contact {p['contact_id']} was deleted meanwhile") from None
            except Conflict as exc:
                if "primaryPhone" not in p["body"]:
                    raise UnitConflict(f"update of {p['contact_id']} refused: {exc}") from None
                return await self._without_phone(step, exc)
        if kind == "delete":
            try:
                return await self.client.delete_contact(p["contact_id"])
            except NotFound:
                return {"alreadyDeleted": True}
        if kind == "add_members":
            return await self.client.add_audience_contacts(
                p["audience_id"], self._ids(p["contact_ids"])
            )
        if kind == "remove_members":
            return await self.client.remove_audience_contacts(
                p["audience_id"], self._ids(p["contact_ids"])
            )
        if kind == "create":
            try:
                created = await self.client.create_contact(p["body"])
            except Conflict as exc:
                found = await self.find_created(p["body"])
                if found is not None:  # our own earlier attempt landed after all: adopt it
                    return found
                # e.g. a household number: another live contact holds the phone, and the API
                # refuses a second one, so this contact cannot come back through the API
                raise UnitConflict(f"contact {p['old_id']} cannot be re-created: {exc}") from None
            if created.attribute_errors:
                # e.g. a value the attribute's type refuses today: the API cannot store it again
                return {**created.contact, "_attributeErrors": created.attribute_errors}
            return created.contact
        if kind == "create_audience":
            return await self.client.create_audience(p["name"], p.get("description"))
        if kind == "delete_audience":
            return await audience_steps.delete_if_empty(self, p["audience_id"])
        if kind == "create_attribute_def":
            try:
                return await self.client.create_attribute_def(p["display_name"], p["type"])
            except Conflict:
                return {"exists": True}
        raise ValueError(f"unknown step kind {kind}")

    async def _without_phone(self, step: StepRow, exc: ApiError) -> Any:
        """A phone another live contact (outside the merge) already holds: keep the contact's
        phone, write the rest, and say so (the duplicate is a finding for the next review)."""
        p = step.payload
        phone = p["body"]["primaryPhone"]
        body = {k: v for k, v in p["body"].items() if k != "primaryPhone"}
        owner = phone_steps.phone_owner(exc.message)
        marks = {
            "_note": phone_steps.duplicate_note(p["contact_id"], phone, owner),
            phone_steps.DUPLICATE_OF: owner or "?",
        }
        step.payload = {**p, "body": body}
        self.journal.set_payload(self.run_id, step.seq, step.payload)
        if not body:
            return marks
        contact = await self.client.update_contact(p["contact_id"], body)
        return {**contact, **marks}

    async def _landed(self, step: StepRow) -> Any | None:
        """What an unconfirmed step left on the server when it took effect, else None.

        What is returned is journaled as the step's answer, so it must carry what undo and the
        cache patch need: the contact as it is now for an update (its after-image), the
        re-created contact (its new id, and the attribute values the server did not keep).
        """
        p = step.payload
        try:
            if step.kind == "update":
                try:
                    contact = await self.client.get_contact(p["contact_id"])
                except NotFound:
                    return None
                if _fields_match(contact, p["body"], self.attributes_update):
                    return {**contact, "_verified": True}
                return None
            if step.kind == "delete":
                try:
                    await self.client.get_contact(p["contact_id"])
                except NotFound:
                    return {"verified": True}
                return None
            if step.kind == "create":
                found = await self.find_created(p["body"])
                if found is None:
                    return None
                self.journal.map_id(self.run_id, p["old_id"], str(found["id"]))
                refused = _refused_attributes(p["body"], found)
                extra = {"_attributeErrors": refused} if refused else {}
                return {**found, "_verified": True, **extra}
            if step.kind == "create_audience":
                return await audience_steps.created_audience(self, p["name"])
            if step.kind == "create_attribute_def":
                names = {str(d.get("name")) for d in await self.client.list_attribute_defs()}
                return {"verified": True} if p["name"] in names else None
        except (TransportError, ServerError):
            return None
        # membership add/remove: sending twice has the effect of sending once
        return None

    async def find_created(self, body: Mapping[str, Any]) -> dict[str, Any] | None:
        """A live contact with exactly this phone and these names (a create that landed)."""
        phone = str(body["primaryPhone"])
        page = await self.client.list_contacts(1, 100, search=phone)
        known = set(self.journal.id_map(self.run_id).values())
        for contact in page.data:
            if contact.get("primaryPhone") != phone or contact.get("id") in known:
                continue
            if all(contact.get(k) == body.get(k) for k in IDENTITY_FIELDS):
                return contact
        return None

    # -- bulk ---------------------------------------------------------------------------------
    async def _run_bulk(self, units: list[ActionRow]) -> None:
        await run_bulk(self, units)

    def finish_units(self, seqs: Sequence[int], state: str, message: str | None = None) -> None:
        """Public for `gomoq.plan.bulk`: record a final state for many units."""
        if seqs:
            self._finish_unit(list(seqs), state, message)

    def transport_failed(self, error: ApiError) -> None:
        """Called with every transport or server failure of a step that the client gave up on
        (bulk and import batches too): the one place to stop a run that keeps failing.

        After `stop_after` failures in a row (no answer from the server in between) `stopped`
        says why: no new unit starts, steps in flight give up instead of trying again, and the
        run ends resumable (a server down mid-apply once took 5 min 46 s and 1,041 requests
        to give up on 74 units)."""
        log.info("run %s: %s", self.run_id, error)
        self._unreachable += 1
        if self._unreachable >= self.stop_after and self.stopped is None:
            self.stopped = (
                f"Stopped early: {self._unreachable} requests in a row could not reach the "
                f"server (last: {error}); nothing else was sent, and "
                f"`gomoq apply --resume {self.run_id}` goes on from here."
            )
            log.warning("%s", self.stopped)

    def final_states(self) -> tuple[str, ...]:
        """The unit states that end a unit."""
        return ACTION_FINAL
