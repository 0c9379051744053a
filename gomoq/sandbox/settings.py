"""The sandbox's settings: behaviour switches (where Gomobile's docs are silent) and fault switches.

Both are plain dataclasses so that they can be given at start (`create_app(db, settings)`, the
`gomoq sandbox` options) and changed at run time, in-process through `app.state.sandbox.settings`
or over HTTP through `/_admin/settings` and `/_admin/faults` (see `gomoq.sandbox.admin`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Literal

UpdateMethod = Literal["put", "patch", "both"]
AttributeUpdate = Literal["merge", "replace"]
DeletedVisibility = Literal["hidden", "shown"]
CreateEnvelope = Literal["wrapped", "flat"]
FaultPhase = Literal["before", "after"]
DriftPosition = Literal["random", "start", "end"]

_CHOICES: dict[str, tuple[str, ...]] = {
    "update_method": ("put", "patch", "both"),
    "custom_attributes_update": ("merge", "replace"),
    "deleted_contacts": ("hidden", "shown"),
    "create_envelope": ("wrapped", "flat"),
    "phase": ("before", "after"),
    "drift_position": ("random", "start", "end"),
}


@dataclass
class Faults:
    """Fault switches; every rate is a share of `/api` requests in [0, 1].

    - `latency_ms` (+ up to `latency_jitter_ms` more) is added to every `/api` answer;
    - `error_rate`: answer 500, 502 or 503 instead of the real answer;
    - `drop_rate`: close the connection without any answer;
    - `malformed_rate`: answer 200 with a truncated, invalid JSON body;
    - `phase`: whether error and drop faults strike `before` the request is processed (nothing
      happened) or `after` it (the change was made, the client never learns it);
    - concurrent editor: every `editor_interval_ms` of wall time and/or on every
      `editor_every_requests`-th request, change one random live contact (a field or a custom
      attribute, `updatedAt` bumped);
    - page drift: on every `/api` request create `creates_per_request` contacts and soft-delete
      `deletes_per_request` live ones, at `drift_position` of the createdAt order;
    - `seed`: makes every random choice above repeatable (None = a fresh seed).
    """

    latency_ms: int = 0
    latency_jitter_ms: int = 0
    error_rate: float = 0.0
    drop_rate: float = 0.0
    malformed_rate: float = 0.0
    phase: FaultPhase = "before"
    editor_interval_ms: int = 0
    editor_every_requests: int = 0
    creates_per_request: int = 0
    deletes_per_request: int = 0
    drift_position: DriftPosition = "random"
    seed: int | None = None


@dataclass
class SandboxSettings:
    """Everything that shapes the sandbox's behaviour (defaults in gomoq/sandbox/README.md).

    `api_key` None means "the key stored in the database's meta table". `rate_limit` is requests
    per second per API key (token bucket, burst = one second's worth); 0 turns it off.
    `latency_ms` is the base latency of every `/api` answer (`--latency-ms`); the fault
    `faults.latency_ms` (+ jitter) is added on top.
    """

    api_key: str | None = None
    rate_limit: float = 10.0
    latency_ms: int = 0
    update_method: UpdateMethod = "both"
    custom_attributes_update: AttributeUpdate = "merge"
    deleted_contacts: DeletedVisibility = "hidden"
    duplicate_phone_conflict: bool = True
    create_envelope: CreateEnvelope = "wrapped"
    hide_orphan_attributes: bool = False
    export_delay_ms: int = 300
    export_url_ttl_s: int = 300
    faults: Faults = field(default_factory=Faults)


class SettingsError(ValueError):
    """A settings update named an unknown switch or gave it a value of the wrong kind."""

    def __init__(self, field_errors: dict[str, list[str]]) -> None:
        super().__init__("; ".join(f"{k}: {', '.join(v)}" for k, v in field_errors.items()))
        self.field_errors = field_errors


def as_dict(obj: Faults | SandboxSettings) -> dict[str, Any]:
    """The switches as JSON-ready data (the API key is never included)."""
    data = dataclasses.asdict(obj)
    data.pop("api_key", None)
    return data


def apply_update(obj: Faults | SandboxSettings, changes: Any) -> None:
    """Validate `changes` (a JSON object) fully, then set them on `obj`; all or nothing."""
    if not isinstance(changes, dict):
        raise SettingsError({"body": ["body must be a JSON object"]})
    fields = {f.name: f for f in dataclasses.fields(obj) if f.name not in ("api_key", "faults")}
    errors: dict[str, list[str]] = {}
    clean: dict[str, Any] = {}
    for key, value in changes.items():
        if key == "faults" and isinstance(obj, SandboxSettings):
            try:
                candidate = dataclasses.replace(obj.faults)
                apply_update(candidate, value)
                clean[key] = candidate
            except SettingsError as exc:
                errors.update({f"faults.{k}": v for k, v in exc.field_errors.items()})
            continue
        if key not in fields:
            errors[key] = [f"property {key} should not exist"]
            continue
        current = getattr(obj, key)
        problem = _check_value(key, value, current)
        if problem:
            errors[key] = [problem]
        else:
            clean[key] = float(value) if isinstance(current, float) else value
    if errors:
        raise SettingsError(errors)
    for key, value in clean.items():
        setattr(obj, key, value)


def _check_value(key: str, value: Any, current: Any) -> str | None:
    if key in _CHOICES:
        allowed = _CHOICES[key]
        return None if value in allowed else f"{key} must be one of: {', '.join(allowed)}"
    if key == "seed":
        ok = value is None or (isinstance(value, int) and not isinstance(value, bool))
        return None if ok else "seed must be an integer or null"
    if isinstance(current, bool):
        return None if isinstance(value, bool) else f"{key} must be a boolean"
    if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
        return f"{key} must be a non-negative number"
    if key.endswith("_rate") and key != "rate_limit" and value > 1:
        return f"{key} must be between 0 and 1"
    if isinstance(current, int) and not isinstance(value, int):
        return f"{key} must be an integer"
    return None
