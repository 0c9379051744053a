"""The local cache seen from plans: before-images for bulk writes, and patching after a run.

`cache_lookup(profile)` gives contacts of the current snapshot in API shape (plus their static
`_memberships`), or None when there is no cache. `patch_cache(profile, journal, run_id)` writes
what a run did into the current snapshot (`gomoq.cache.store.patch_current`) so that checks
reflect it without a re-sync: updated contacts get their after-images, soft-deleted ones leave,
re-created ones arrive, memberships follow the membership steps. Without a cache it does nothing.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

import polars as pl

from gomoq.cache.schema import ATTRIBUTES, AUDIENCE_MEMBERS, CONTACTS
from gomoq.plan.fingerprint import SNAKE_TO_CAMEL, to_api_shape
from gomoq.plan.journal import Journal

log = logging.getLogger("gomoq.plan")
CAMEL_TO_SNAKE = {v: k for k, v in SNAKE_TO_CAMEL.items()}

Lookup = Callable[[Sequence[str]], Mapping[str, dict[str, Any]]]


def _snapshot(profile: str) -> Any:
    try:
        from gomoq.cache.store import NoCache, Snapshot
    except ImportError:
        return None
    try:
        return Snapshot.open(profile, "current")
    except NoCache:
        return None
    except Exception as exc:  # a damaged cache must not stop an apply; it is only a shortcut
        log.warning("cache of %s unreadable: %s", profile, exc)
        return None


def cache_lookup(profile: str) -> Lookup | None:
    """A lookup of the current snapshot's contacts by id, or None without a cache."""
    snap = _snapshot(profile)
    if snap is None:
        return None

    def lookup(ids: Sequence[str]) -> Mapping[str, dict[str, Any]]:
        wanted = list(dict.fromkeys(ids))
        rows = snap.scan("contacts").filter(pl.col("id").is_in(wanted)).collect()
        members = (
            snap.scan("audience_members")
            .filter(pl.col("contact_id").is_in(wanted) & (pl.col("status") == "active"))
            .collect()
        )
        by_contact: dict[str, list[str]] = {}
        for m in members.iter_rows(named=True):
            by_contact.setdefault(m["contact_id"], []).append(m["audience_id"])
        out: dict[str, dict[str, Any]] = {}
        for row in rows.iter_rows(named=True):
            api = to_api_shape(row)
            api["_memberships"] = by_contact.get(row["id"], [])
            out[row["id"]] = api
        return out

    return lookup


def _ts(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None


def contact_row(contact: Mapping[str, Any]) -> dict[str, Any]:
    """An API contact as a `contacts` cache row (schema in `gomoq.cache.schema`)."""
    api = to_api_shape(contact)
    row: dict[str, Any] = {}
    for column in CONTACTS:
        camel = SNAKE_TO_CAMEL[column]
        if column == "custom_attributes":
            row[column] = json.dumps(
                api["customAttributes"], separators=(",", ":"), ensure_ascii=False
            )
        elif column in ("created_at", "updated_at"):
            row[column] = _ts(api.get(camel))
        elif column == "channels":
            row[column] = [str(c) for c in api.get("channels") or []]
        else:
            value = api.get(camel)
            row[column] = None if value is None else str(value)
    return row


def attribute_rows(contact_id: str, attrs: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The long-form `attributes` rows of one contact."""
    out = []
    for name, value in attrs.items():
        kind = {
            str: "string",
            bool: "boolean",
            int: "number",
            float: "number",
            list: "array",
            dict: "object",
        }.get(type(value), "null")
        text = value if isinstance(value, str) else (None if value is None else json.dumps(value))
        out.append({"contact_id": contact_id, "name": name, "value": text, "json_type": kind})
    return out


def patch_cache(profile: str, journal: Journal, run_id: str) -> bool:
    """Write a run's effects into the current snapshot; False when there is nothing to patch."""
    snap = _snapshot(profile)
    if snap is None:
        return False
    try:
        from gomoq.cache.store import patch_current
    except ImportError:
        return False
    images = journal.images(run_id)
    updated = {
        cid: after
        for cid, (_b, after) in images.items()
        if after is not None and not after.get("deleted")
    }
    deleted = {cid for cid, (_b, after) in images.items() if after and after.get("deleted")}
    created: dict[str, dict[str, Any]] = {}
    member_ops: list[tuple[str, str, str]] = []
    for step in journal.steps(run_id):
        if step.state != "done":
            continue
        if step.kind == "create" and isinstance(step.result, dict) and "id" in step.result:
            created[str(step.result["id"])] = step.result
        if step.kind in ("add_members", "remove_members"):
            mapping = journal.id_map(run_id)
            for cid in step.payload["contact_ids"]:
                real = mapping.get(cid[4:], cid[4:]) if cid.startswith("new:") else cid
                member_ops.append((step.kind, step.payload["audience_id"], real))
    if not (updated or deleted or created or member_ops):
        return False
    try:
        changed = set(updated) | deleted | set(created)
        contacts = snap.read("contacts").filter(~pl.col("id").is_in(list(changed)))
        fresh = [contact_row(c) for c in [*updated.values(), *created.values()]]
        if fresh:
            contacts = pl.concat([contacts, pl.DataFrame(fresh, schema=CONTACTS)])
        attributes = snap.read("attributes").filter(~pl.col("contact_id").is_in(list(changed)))
        extra = [
            r
            for cid, c in {**updated, **created}.items()
            for r in attribute_rows(cid, to_api_shape(c)["customAttributes"])
        ]
        if extra:
            attributes = pl.concat([attributes, pl.DataFrame(extra, schema=ATTRIBUTES)])
        members = snap.read("audience_members")
        for kind, audience, cid in member_ops:
            members = members.filter(
                ~((pl.col("audience_id") == audience) & (pl.col("contact_id") == cid))
            )
            status = "active" if kind == "add_members" else "exited"
            members = pl.concat(
                [
                    members,
                    pl.DataFrame(
                        [{"audience_id": audience, "contact_id": cid, "status": status}],
                        schema=AUDIENCE_MEMBERS,
                    ),
                ]
            )
        members = members.filter(~pl.col("contact_id").is_in(list(deleted)))
        patch_current(profile, "contacts", contacts)
        patch_current(profile, "attributes", attributes)
        patch_current(profile, "audience_members", members)
    except Exception as exc:  # the server is right whatever happens here; say so and go on
        log.warning("could not patch the cache of %s after run %s: %s", profile, run_id, exc)
        return False
    return True
