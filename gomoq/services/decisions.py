"""The operator's decisions, listed, taken back and released by an undo (CLI and TUI alike).

`gomoq decisions list|undo` and the app (Plan screen's decision list, `u` on Calls, Attributes
and Duplicates) call these functions; the state lives in `gomoq.state.decisions`.

What an undo of a run does to the decisions behind it (`release_run`): every decision that run
carried out (same action kind, its contacts among the run's done units, decided before the run)
is forgotten, so its finding is open again. A contact that the undo re-creates comes back under a
new id (the API has no restore): its findings are new ones, and the old decision lapses with it.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from gomoq.api.contract import spelled
from gomoq.config import Profile
from gomoq.errors import UsageError
from gomoq.plan import journal as jr
from gomoq.plan.auto import applied_units
from gomoq.state import decisions as dec

LABELS = {
    "dismissed": "dismissed",
    "merge": "merge",
    "flag": "flag",
    "delete": "delete",
    "set_attribute": "set value",
    "remove_from_audiences": "remove from audiences",
    "set_phone": "normalise phone",
    "skip": "skipped",
}
"""A decision as the operator reads it."""


@dataclass(frozen=True)
class DecisionRow:
    """One decision in force: what, on which finding and contacts, when, and whether applied."""

    finding_id: str
    check: str
    decision: str
    detail: str
    contact_ids: tuple[str, ...]
    decided_at: str
    status: str
    """`pending` (the next plan carries it out), `applied`, or `kept` (dismissed, skipped)."""

    def to_dict(self) -> dict[str, Any]:
        """The row as plain JSON-able data (for `--format json`)."""
        return {
            "finding_id": self.finding_id,
            "check": self.check,
            "decision": self.decision,
            "detail": self.detail,
            "contact_ids": list(self.contact_ids),
            "decided_at": self.decided_at,
            "status": self.status,
        }


def _detail(decision: str, payload_text: str | None) -> str:
    """The choices of a decision in words, values spelled as the API does (`true`, `null`)."""
    try:
        payload = json.loads(payload_text) if payload_text else {}
    except json.JSONDecodeError:
        payload = {}
    if not isinstance(payload, dict):
        return ""
    if decision == "set_attribute":
        attr = payload.get("attribute") or payload.get("field") or "?"
        value = payload.get("value", payload.get("new_value"))
        return f"{attr} = {spelled(value)}"
    if decision == "flag":
        attr = payload.get("attribute") or "dq_flag"
        return f"{attr}" + (f" = {spelled(payload['value'])}" if "value" in payload else "")
    if decision == "merge" and payload.get("survivor"):
        return f"survivor {payload['survivor']}"
    if decision == "remove_from_audiences" and payload.get("audiences"):
        return f"{len(payload['audiences'])} audience(s)"
    return ""


def _connect() -> sqlite3.Connection:
    return jr.connect()


def list_decisions(profile: Profile | str) -> list[DecisionRow]:
    """Every decision in force for the profile, newest first."""
    name = profile if isinstance(profile, str) else profile.name
    conn = _connect()
    try:
        frame = dec.load(conn, name)
        applied = applied_units(conn, name)
    finally:
        conn.close()
    rows: list[DecisionRow] = []
    for r in frame.iter_rows(named=True):
        ids = tuple(str(c) for c in (r["contact_ids"] or []))
        decision = str(r["decision"])
        if decision in ("dismissed", "skip"):
            status = "kept"
        elif ids and all(applied.get((decision, c), "") >= r["decided_at"] for c in ids):
            status = "applied"
        else:
            status = "pending"
        rows.append(
            DecisionRow(
                finding_id=str(r["finding_id"]),
                check=str(r["check"] or ""),
                decision=decision,
                detail=_detail(decision, r["payload"]),
                contact_ids=ids,
                decided_at=str(r["decided_at"]),
                status=status,
            )
        )
    rows.sort(key=lambda row: (row.decided_at, row.finding_id), reverse=True)
    return rows


def resolve(profile: Profile | str, given: Sequence[str]) -> list[str]:
    """The finding ids of decisions in force named by `given` (full ids or unique prefixes of at
    least 6 characters); raises `UsageError` naming every id that matches none or several."""
    known = [r.finding_id for r in list_decisions(profile)]
    out: list[str] = []
    problems: list[str] = []
    for text in dict.fromkeys(given):
        if text in known:
            out.append(text)
            continue
        matches = [k for k in known if len(text) >= 6 and k.startswith(text)]
        if len(matches) == 1:
            out.append(matches[0])
        elif matches:
            problems.append(f"{text} matches {len(matches)} decisions")
        else:
            problems.append(f"{text} has no decision")
    if problems:
        raise UsageError(
            "; ".join(problems) + ". `gomoq decisions list` shows the decisions and their ids."
        )
    return out


def take_back(profile: Profile | str, finding_ids: Sequence[str]) -> dict[str, str | None]:
    """Take back the decision on each finding: the one it replaced comes back, or the finding is
    open again. Returns finding id -> the decision now in force (None: open).

    Every id is checked first: when one has no decision nothing is changed (`UsageError`).
    """
    name = profile if isinstance(profile, str) else profile.name
    conn = _connect()
    try:
        current = set(dec.load(conn, name)["finding_id"].to_list())
        missing = [f for f in dict.fromkeys(finding_ids) if f not in current]
        if missing:
            raise UsageError(
                f"No decision on {', '.join(missing)}; `gomoq decisions list` shows them."
            )
        return {f: dec.take_back(conn, name, f) for f in dict.fromkeys(finding_ids)}
    finally:
        conn.close()


def take_back_any(profile: Profile | str, finding_ids: Sequence[str]) -> dict[str, str | None]:
    """`take_back` on those of `finding_ids` that have a decision (the app's `u` on a group or a
    cluster whose findings are not all decided); the others are left alone."""
    name = profile if isinstance(profile, str) else profile.name
    conn = _connect()
    try:
        current = set(dec.load(conn, name)["finding_id"].to_list())
        return {f: dec.take_back(conn, name, f) for f in dict.fromkeys(finding_ids) if f in current}
    finally:
        conn.close()


def release_run(profile: Profile | str, run_id: str) -> list[str]:
    """After `run_id` was undone: forget the decisions it carried out (their findings are open
    again). Returns the finding ids released."""
    name = profile if isinstance(profile, str) else profile.name
    conn = _connect()
    try:
        journal = jr.Journal(conn)
        run = journal.run(run_id)
        if run is None or run["kind"] != "apply":
            return []
        started = str(run["created_at"])
        carried: set[tuple[str, str]] = set()
        for unit in journal.actions(run_id, states=("done",)):
            ids = [unit.contact_id] if unit.contact_id else []
            ids += [str(c) for c in unit.data.get("losers") or ()]
            carried.update((unit.kind, str(c)) for c in ids)
        frame = dec.load(conn, name)
        released: list[str] = []
        for r in frame.iter_rows(named=True):
            ids = [str(c) for c in (r["contact_ids"] or [])]
            if not ids or str(r["decided_at"]) > started:
                continue  # decided after the run: not what produced it
            if all((r["decision"], c) in carried for c in ids):
                dec.forget(conn, name, str(r["finding_id"]))
                released.append(str(r["finding_id"]))
        return released
    finally:
        conn.close()


def release_sentence(released: Sequence[str], run_id: str) -> str:
    """What `release_run` did, in one sentence for the undo's result."""
    count = len(released)
    return (
        f"{count} decision(s) behind run {run_id} taken back: their findings are open again "
        "(contacts re-created by the undo have new ids, so their findings are new ones)."
    )
