"""What a merged contact keeps: field choice and attribute precedence.

Rules (also in the README):

- **Standard fields**: the operator's chosen value wins; a field not chosen keeps the survivor's
  value; when the survivor has none (null or empty), the most recently updated loser's value is
  taken, so a merge never drops data the survivor lacks. `channels` is the union of all
  contacts' channels (survivor's order first).
- **Custom attributes** are united: a chosen value wins; else the survivor's value; else the
  value of the most recently updated loser that has one (non-null). When the survivor's value and
  losers' values are all JSON lists, the result is their union (survivor's items first, no
  repeats): a list attribute such as interests loses nothing in a merge.
- **Phone**: the survivor's phone (or the chosen one) rewritten to E.164 with the profile's
  region; an unparseable phone is kept as it is.
- **Another number** (a "same person, two numbers?" merge): a loser's number that is neither
  the survivor's nor one digit edit from it (a typo is not a number to keep) is kept in the
  custom attribute `ALT_PHONE` (`alt_phone`, E.164) when the survivor has none there, so the
  merge loses no way of reaching the person. The organisation needs that attribute defined
  (type phone number); without it Gomobile refuses the update and the apply says so.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import polars as pl

from gomoq.phones import normalise
from gomoq.plan.fingerprint import to_api_shape
from gomoq.plan.model import STANDARD_FIELDS

PHONE = "primaryPhone"
ALT_PHONE = "alt_phone"


@dataclass(frozen=True)
class MergeResult:
    """The survivor after a merge: full field values, full attribute map, and what changes."""

    fields: dict[str, Any]
    attributes: dict[str, Any]
    phone: str | None
    changed_fields: dict[str, Any]
    changed_attributes: dict[str, Any]


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "") or value == []


def _updated_key(contact: Mapping[str, Any]) -> str:
    value = contact.get("updatedAt")
    if isinstance(value, datetime):
        return value.isoformat()
    return "" if value is None else str(value)


def _union(lists: Sequence[list[Any]]) -> list[Any]:
    out: list[Any] = []
    seen: set[str] = set()
    for items in lists:
        for item in items:
            key = json.dumps(item, sort_keys=True, default=str)
            if key not in seen:
                seen.add(key)
                out.append(item)
    return out


def to_e164(raw: str | None, region: str = "MA") -> str | None:
    """`raw` in E.164, or None when `gomoq.phones` finds no number in it."""
    if raw is None or not raw.strip():
        return None
    value = normalise(pl.Series("raw", [raw]), region)["e164"][0]
    return None if value is None else str(value)


def _one_edit(a: str, b: str) -> bool:
    """Digit strings one substitution, adjacent swap, or missing / extra digit apart."""
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        if len(diff) == 1:
            return True
        return (
            len(diff) == 2
            and diff[1] == diff[0] + 1
            and a[diff[0]] == b[diff[1]]
            and (a[diff[1]] == b[diff[0]])
        )
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return len(long_) - len(short) == 1 and any(
        long_[:i] + long_[i + 1 :] == short for i in range(len(long_))
    )


def _other_number(
    target: str | None, losers: Sequence[Mapping[str, Any]], region: str
) -> str | None:
    """The first loser number (E.164) that is another number than `target`, not a typo of it."""
    if not target or not target.startswith("+"):
        return None
    for loser in losers:
        number = to_e164(loser.get(PHONE), region)
        if number and number != target and not _one_edit(number[1:], target[1:]):
            return number
    return None


def resolve_merge(
    survivor: Mapping[str, Any],
    losers: Sequence[Mapping[str, Any]],
    *,
    chosen_fields: Mapping[str, Any] | None = None,
    chosen_attributes: Mapping[str, Any] | None = None,
    phone: str | None = None,
    region: str = "MA",
) -> MergeResult:
    """The survivor's values after merging `losers` into it (contacts in cache or API shape)."""
    surv = to_api_shape(survivor)
    others = sorted((to_api_shape(c) for c in losers), key=_updated_key, reverse=True)
    chosen_fields = dict(chosen_fields or {})
    chosen_attributes = dict(chosen_attributes or {})

    fields: dict[str, Any] = {}
    for name in STANDARD_FIELDS:
        if name in chosen_fields:
            fields[name] = chosen_fields[name]
        elif name == "channels":
            fields[name] = _union([list(c.get("channels") or []) for c in [surv, *others]])
        elif not _empty(surv.get(name)) or name == PHONE:
            fields[name] = surv.get(name)
        else:
            fields[name] = next(
                (c.get(name) for c in others if not _empty(c.get(name))), surv.get(name)
            )

    attributes: dict[str, Any] = dict(surv["customAttributes"])
    keys: dict[str, None] = dict.fromkeys(attributes)
    for c in others:
        keys.update(dict.fromkeys(c["customAttributes"]))
    for key in keys:
        if key in chosen_attributes:
            attributes[key] = chosen_attributes[key]
            continue
        values = [c["customAttributes"].get(key) for c in [surv, *others]]
        present = [v for v in values if v is not None]
        if not present:
            continue  # null everywhere: keep the survivor's null (or absence) as it is
        if all(isinstance(v, list) for v in present):
            attributes[key] = _union(present)
        else:
            attributes[key] = present[0]
    for key, value in chosen_attributes.items():
        attributes.setdefault(key, value)

    target_phone = phone or to_e164(fields.get(PHONE), region) or fields.get(PHONE)
    fields[PHONE] = target_phone
    if ALT_PHONE not in chosen_attributes and _empty(attributes.get(ALT_PHONE)):
        other = _other_number(target_phone, others, region)
        if other is not None:
            attributes[ALT_PHONE] = other
    changed_fields = {k: v for k, v in fields.items() if surv.get(k) != v}
    if "channels" in changed_fields and list(surv.get("channels") or []) == fields["channels"]:
        del changed_fields["channels"]
    original = surv["customAttributes"]
    changed_attributes = {
        k: v for k, v in attributes.items() if k not in original or original[k] != v
    }
    return MergeResult(fields, attributes, target_phone, changed_fields, changed_attributes)
