"""A plan's own writes, so that no action of a plan conflicts with another action of the same
plan (a plan is one review: an action's own earlier writes are not someone else's edit).

Before a unit writes, its contacts are compared with the version the operator reviewed (the
plan's fingerprints). Once an earlier unit of the same run has written a contact, the version to
expect is no longer the reviewed one but the one that write left. `OwnWrites` carries it
forward:

- a single unit's update: the contact the server answered with (the unit had just re-read the
  contact and found it as expected, under the contact's lock);
- a bulk write (upsert): the reviewed image with the attribute changed, computed by us — not the
  server's answer, which would also carry someone else's edit made between plan and apply, and
  so hide it from the next unit on that contact;
- a soft delete: the contact is "deleted by this plan"; a later delete or audience removal of it
  has nothing left to do and ends `done`, saying so.

A genuine edit by someone else between plan and apply still differs from what we expect: it is
a conflict as before. On resume the expectations are rebuilt from the journal's after-images.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gomoq.plan.fingerprint import contact_fingerprint, to_api_shape
from gomoq.plan.journal import Journal


class OwnWrites:
    """What the run itself has done to contacts so far: expected fingerprints and deletions."""

    def __init__(self) -> None:
        self.expected: dict[str, str] = {}
        self.deleted: set[str] = set()
        self._pending: dict[int, tuple[str, str]] = {}

    @classmethod
    def from_journal(cls, journal: Journal, run_id: str) -> OwnWrites:
        """The writes a run already made (a resumed run carries on from them)."""
        own = cls()
        for cid, after in journal.afters(run_id).items():
            if after.get("deleted") is True and "id" not in after:
                own.deleted.add(cid)
            else:
                own.expected[cid] = contact_fingerprint(after)
        return own

    def expect(self, reviewed: Mapping[str, str]) -> dict[str, str]:
        """The fingerprints to compare with: the reviewed ones, overridden by our own writes."""
        return {**reviewed, **self.expected}

    def wrote(self, contact: Mapping[str, Any]) -> None:
        """A write of ours landed and the server answered with `contact`."""
        self.expected[str(contact["id"])] = contact_fingerprint(contact)
        self.deleted.discard(str(contact["id"]))

    def removed(self, contact_id: str) -> None:
        """A soft delete of ours landed."""
        self.deleted.add(contact_id)
        self.expected.pop(contact_id, None)

    def will_set(self, seq: int, image: Mapping[str, Any], attribute: str, value: Any) -> str:
        """Note what bulk unit `seq` will leave on the contact of `image` (kept until `landed`);
        returns that version's fingerprint."""
        after = with_attribute(image, attribute, value)
        fp = contact_fingerprint(after)
        self._pending[seq] = (str(after["id"]), fp)
        return fp

    def landed(self, seqs: list[int]) -> None:
        """Bulk units whose rows landed: their computed versions are now what to expect."""
        for seq in seqs:
            found = self._pending.pop(seq, None)
            if found is not None:
                self.expected[found[0]] = found[1]


def with_attribute(image: Mapping[str, Any], attribute: str, value: Any) -> dict[str, Any]:
    """The contact of `image` (any shape) with custom attribute `attribute` set (None: removed)."""
    api = to_api_shape(image)
    attrs = dict(api["customAttributes"])
    if value is None:
        attrs.pop(attribute, None)
    else:
        attrs[attribute] = value
    return {**api, "customAttributes": attrs}
