"""Fingerprints of contact versions: did a contact change since the operator reviewed it?

`contact_fingerprint` accepts a cache row (snake_case, `custom_attributes` as JSON text,
timestamps as datetimes) or an API contact (camelCase, `customAttributes` as an object) and gives
the same 16-hex text for the same data. It covers the id, every standard field and the custom
attributes, and deliberately not `createdAt`/`updatedAt`: a write that changes nothing must not
turn into a conflict, and the cache and the API spell times differently.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from gomoq.cache.convert import camel
from gomoq.cache.schema import CONTACTS
from gomoq.plan.model import STANDARD_FIELDS

# The cache's contact columns under the API's names (the rule sync uses to read them).
SNAKE_TO_CAMEL: dict[str, str] = {column: camel(column) for column in CONTACTS}


def attributes_of(contact: Mapping[str, Any]) -> dict[str, Any]:
    """The custom-attribute map of a cache row or API contact (JSON text is parsed)."""
    raw = contact.get("customAttributes", contact.get("custom_attributes"))
    if raw is None:
        return {}
    if isinstance(raw, str):
        try:
            raw = json.loads(raw) if raw else {}
        except json.JSONDecodeError:
            return {"__unparseable__": raw}
    return dict(raw) if isinstance(raw, Mapping) else {}


def to_api_shape(contact: Mapping[str, Any]) -> dict[str, Any]:
    """A cache row or API contact as an API-shaped dict (camelCase, attributes as an object)."""
    if isinstance(contact.get("customAttributes"), dict) and "custom_attributes" not in contact:
        out = dict(contact)  # already API-shaped (the common case in bulk runs): just copy
    else:
        out = {SNAKE_TO_CAMEL.get(key, key): value for key, value in contact.items()}
        out["customAttributes"] = attributes_of(contact)
    channels = out.get("channels")
    if channels is not None and not isinstance(channels, list):
        out["channels"] = list(channels)
    return out


def canonical(contact: Mapping[str, Any]) -> dict[str, Any]:
    """The data a fingerprint covers, in one canonical form."""
    api = to_api_shape(contact)
    data: dict[str, Any] = {"id": api.get("id")}
    for name in STANDARD_FIELDS:
        value = api.get(name)
        if name == "channels":
            value = list(value or [])
        data[name] = value
    data["customAttributes"] = api["customAttributes"]
    return data


def contact_fingerprint(contact: Mapping[str, Any]) -> str:
    """16 hex characters naming this version of the contact's data."""
    text = json.dumps(canonical(contact), sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
