"""`set_phone`: a contact's stored phone rewritten to its E.164 form, one update each.

Why an update per contact and not an upsert: upsert matches the phone *as stored*, so a row
carrying the new E.164 phone would match (or create) the contact holding that string, never
rewrite the old one. Gomobile documents no cheaper way to change a phone, so a rewrite is one
`PUT/PATCH /contact/{id}` with `{primaryPhone}` only: nothing else on the contact is sent.

When another live contact already holds the E.164 form, the server refuses (409, the sandbox's
`duplicate_phone_conflict`, on by default). That is not a failure: the two contacts are
duplicates. The contact keeps its stored phone, the step's result names the other contact
(`_duplicate_of`), the run counts it under "duplicates", and the next check run proposes the two
as an exact-duplicate cluster (the duplicates check groups by E.164, whatever is stored).

With a local cache the rewrite is one request (`rewrite_steps`): the contact is not read first;
the cache's version is the one reviewed, as for bulk attribute writes, and the before-image is
the server's answer with the old phone put back. Without a cache the contact is read first.
Undo sends the before-image's phone string back exactly as it was stored (`gomoq.plan.undo`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from gomoq.plan.fingerprint import to_api_shape

Step = tuple[str, dict[str, Any]]
DUPLICATE_OF = "_duplicate_of"
_OWNER = re.compile(r"\(id ([^)\s]+)\)")


def set_phone_steps(contact_id: str, live: Mapping[str, Any], phone: str) -> list[Step]:
    """The one update that stores `phone` on the contact (none when it already does)."""
    if to_api_shape(live).get("primaryPhone") == phone:
        return []
    return [("update", {"contact_id": contact_id, "body": {"primaryPhone": phone}})]


def rewrite_steps(contact_id: str, cached: Mapping[str, Any], phone: str) -> list[Step]:
    """The update that stores `phone`, sent without reading the contact first (one request).

    `cached` is the contact as the local cache holds it (checked against the plan's fingerprint
    by the engine). The step carries the stored phone it replaces: once the server answers, the
    before-image is that answer with the old phone put back — exactly the contact before our
    write, whatever else someone changed since the sync, so undo never reverts their edit.
    """
    stored = to_api_shape(cached).get("primaryPhone")
    if stored == phone:
        return []
    body = {"primaryPhone": phone}
    return [("update", {"contact_id": contact_id, "body": body, "before_phone": stored})]


def phone_owner(message: str) -> str | None:
    """The id of the contact holding the phone, when the server's 409 message names it."""
    found = _OWNER.search(message or "")
    return found.group(1) if found else None


def duplicate_note(contact_id: str, phone: str, owner: str | None) -> str:
    """What the operator reads about a phone another live contact already holds."""
    who = f"contact {owner}" if owner else "another live contact"
    return (
        f"contact {contact_id} keeps its phone: {phone} belongs to {who} "
        "(duplicates; the next check proposes them for merging)"
    )


def duplicates_of(result: Any) -> str | None:
    """The other contact named by a step's result when the phone was refused as a duplicate."""
    if isinstance(result, dict) and DUPLICATE_OF in result:
        return str(result[DUPLICATE_OF])
    return None
