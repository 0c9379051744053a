"""Plans: the reviewed list of changes gomoq will make, as a versioned JSON file.

A plan is what the operator decided, written down so that it can be reviewed (`gomoq plan show`),
kept, and applied later or headless. Its shape::

    {"version": 1, "profile": "demo", "created_at": "2026-01-01T10:00:00Z",
     "fingerprints": {"<contact id>": "<fingerprint of the version reviewed>"},
     "actions": [{"kind": "merge", "id": "m1", "survivor": "...", "losers": ["..."], ...}, ...]}

Field names inside actions are the API's camelCase names (`firstName`, `primaryPhone`). Every
action carries an `id` unique in its plan, which the journal uses to name it.

Loading is strict: an unknown version, an unknown action kind or a missing field is one clear
sentence (`PlanError`) and nothing is applied.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import MISSING, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar, Literal

from gomoq.api.contract import ATTRIBUTE_TYPES
from gomoq.errors import UsageError

PLAN_VERSION = 1

STANDARD_FIELDS: tuple[str, ...] = (
    "primaryPhone",
    "firstName",
    "lastName",
    "fullName",
    "primaryEmail",
    "address",
    "city",
    "state",
    "zip",
    "occupation",
    "preferredChannel",
    "gender",
    "channels",
)

LoserHandling = Literal["delete", "flag", "remove_from_audiences"]
LOSER_HANDLINGS: tuple[str, ...] = ("delete", "flag", "remove_from_audiences")


class PlanError(UsageError):
    """A plan file that cannot be read, or an action that makes no sense."""


@dataclass(frozen=True)
class MergeAction:
    """Merge `losers` into `survivor`.

    `fields`: the operator's chosen value for standard fields that differ (camelCase keys); fields
    not listed keep the survivor's value, or take a loser's when the survivor has none (see
    `gomoq.plan.merge`). `attributes`: chosen custom-attribute values that override the default
    precedence. `phone`: the survivor's phone after the merge (E.164); None = normalise the
    chosen phone at apply time. `loser_handling`: what becomes of the losers.
    """

    kind: ClassVar[str] = "merge"
    id: str
    survivor: str
    losers: tuple[str, ...]
    fields: dict[str, Any] = field(default_factory=dict)
    attributes: dict[str, Any] = field(default_factory=dict)
    phone: str | None = None
    loser_handling: LoserHandling = "delete"
    flag_attribute: str = "dq_flag"
    flag_value: Any = "merged"

    def contact_ids(self) -> tuple[str, ...]:
        """Every contact the action touches, survivor first."""
        return (self.survivor, *self.losers)


@dataclass(frozen=True)
class DeleteAction:
    """Soft-delete each contact."""

    kind: ClassVar[str] = "delete"
    id: str
    contacts: tuple[str, ...]

    def contact_ids(self) -> tuple[str, ...]:
        """Every contact the action touches."""
        return self.contacts


@dataclass(frozen=True)
class FlagAction:
    """Set custom attribute `attribute` to `value` on each contact, creating its definition
    (of `attribute_type`) when the organisation has none."""

    kind: ClassVar[str] = "flag"
    id: str
    contacts: tuple[str, ...]
    attribute: str = "dq_flag"
    value: Any = "review"
    attribute_type: str = "text"

    def contact_ids(self) -> tuple[str, ...]:
        """Every contact the action touches."""
        return self.contacts


@dataclass(frozen=True)
class SetAttributeAction:
    """Fix (`value`) or clear (`value` None) custom attribute `attribute` on each contact."""

    kind: ClassVar[str] = "set_attribute"
    id: str
    contacts: tuple[str, ...]
    attribute: str
    value: Any = None

    def contact_ids(self) -> tuple[str, ...]:
        """Every contact the action touches."""
        return self.contacts


@dataclass(frozen=True)
class RemoveFromAudiencesAction:
    """Remove each contact from `audiences` (None: every static audience it is active in)."""

    kind: ClassVar[str] = "remove_from_audiences"
    id: str
    contacts: tuple[str, ...]
    audiences: tuple[str, ...] | None = None

    def contact_ids(self) -> tuple[str, ...]:
        """Every contact the action touches."""
        return self.contacts


@dataclass(frozen=True)
class SetPhoneAction:
    """Rewrite each contact's stored `primaryPhone` to `phones[contact]` (its E.164 form).

    When another live contact already holds that phone the server refuses (409): the two are
    duplicates, the contact keeps its phone and the run reports them (see
    `gomoq.plan.phone_steps`). Step logic: `gomoq.plan.phone_steps`.
    """

    kind: ClassVar[str] = "set_phone"
    id: str
    contacts: tuple[str, ...]
    phones: dict[str, str] = field(default_factory=dict)

    def contact_ids(self) -> tuple[str, ...]:
        """Every contact the action touches."""
        return self.contacts


@dataclass(frozen=True)
class DefineAttributeAction:
    """Define custom attribute `name` (its slug) of `type` unless the organisation has it
    (then it must have that type). Imports put these first: values of an undefined attribute
    would be refused."""

    kind: ClassVar[str] = "define_attribute"
    id: str
    name: str
    type: str = "text"

    def contact_ids(self) -> tuple[str, ...]:
        """None: a definition touches no contact."""
        return ()


@dataclass(frozen=True)
class CreateContactsAction:
    """Create one contact per row (an API body whose `primaryPhone` is E.164), by
    `POST /contact/upsert` in batches of `batch_size` (`gomoq.plan.import_steps`)."""

    kind: ClassVar[str] = "create_contacts"
    id: str
    rows: tuple[dict[str, Any], ...]
    batch_size: int = 500

    def contact_ids(self) -> tuple[str, ...]:
        """None yet: the contacts get their ids when they are created."""
        return ()


@dataclass(frozen=True)
class UpdateContactsAction:
    """Write each row's `set` (standard fields, and `customAttributes` holding only the keys
    that change) on contact `contact`, whose phone as stored is `phone`: by upsert when no
    other live contact holds that phone, else by id."""

    kind: ClassVar[str] = "update_contacts"
    id: str
    rows: tuple[dict[str, Any], ...]
    batch_size: int = 500

    def contact_ids(self) -> tuple[str, ...]:
        """Every contact the action writes."""
        return tuple(str(r["contact"]) for r in self.rows)


@dataclass(frozen=True)
class AudienceSyncAction:
    """Bring static audience `name` in line with a segment (`gomoq audience refresh`): create it
    when `audience` (its id) is None and none of that name exists, add `add`, remove `remove`.
    One journal unit; the step logic is `gomoq.plan.audience_steps`."""

    kind: ClassVar[str] = "audience_sync"
    id: str
    name: str
    audience: str | None = None
    add: tuple[str, ...] = ()
    remove: tuple[str, ...] = ()
    segment: str | None = None
    filter: str | None = None

    def contact_ids(self) -> tuple[str, ...]:
        """Every contact whose membership changes."""
        return (*self.add, *self.remove)


Action = (
    MergeAction
    | DeleteAction
    | FlagAction
    | SetAttributeAction
    | RemoveFromAudiencesAction
    | SetPhoneAction
    | DefineAttributeAction
    | CreateContactsAction
    | UpdateContactsAction
    | AudienceSyncAction
)
ACTION_TYPES: dict[str, type[Action]] = {
    cls.kind: cls
    for cls in (
        MergeAction,
        DeleteAction,
        FlagAction,
        SetAttributeAction,
        RemoveFromAudiencesAction,
        SetPhoneAction,
        DefineAttributeAction,
        CreateContactsAction,
        UpdateContactsAction,
        AudienceSyncAction,
    )
}
_TUPLE_FIELDS = {"losers", "contacts", "audiences", "add", "remove"}
_ROW_FIELDS = {"rows"}

MAX_BATCH = 1000


def now_iso() -> str:
    """The current UTC time as `2026-01-01T10:00:00Z`."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def action_to_dict(action: Action) -> dict[str, Any]:
    """An action as plain JSON data (`kind` first)."""
    out: dict[str, Any] = {"kind": action.kind}
    for name in action.__dataclass_fields__:
        value = getattr(action, name)
        out[name] = list(value) if isinstance(value, tuple) else value
    return out


def action_from_dict(data: Mapping[str, Any], where: str = "action") -> Action:
    """Build an action from JSON data, or raise `PlanError` naming what is wrong."""
    if not isinstance(data, Mapping):
        raise PlanError(f"The plan's {where} is not a JSON object.")
    kind = data.get("kind")
    cls = ACTION_TYPES.get(str(kind))
    if cls is None:
        known = ", ".join(ACTION_TYPES)
        raise PlanError(f"The plan's {where} has unknown kind {kind!r} (known: {known}).")
    names = set(cls.__dataclass_fields__)
    unknown = set(data) - names - {"kind"}
    if unknown:
        raise PlanError(
            f"The plan's {where} ({kind}) has unknown keys: {', '.join(sorted(unknown))}."
        )
    kwargs: dict[str, Any] = {}
    for name, value in data.items():
        if name == "kind":
            continue
        if name in _TUPLE_FIELDS and value is not None:
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise PlanError(f"The plan's {where} ({kind}): {name} must be a list of ids.")
            value = tuple(value)
        if name in _ROW_FIELDS:
            if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
                raise PlanError(f"The plan's {where} ({kind}): {name} must be a list of objects.")
            value = tuple(value)
        kwargs[name] = value
    try:
        action = cls(**kwargs)
    except TypeError as exc:
        missing = sorted(
            n
            for n, f in cls.__dataclass_fields__.items()
            if n not in kwargs and f.default is MISSING and f.default_factory is MISSING
        )
        raise PlanError(
            f"The plan's {where} ({kind}) lacks required keys: {', '.join(missing)}."
        ) from exc
    _validate(action, where)
    return action


def _validate(action: Action, where: str) -> None:
    if not isinstance(action.id, str) or not action.id:
        raise PlanError(f"The plan's {where} needs a non-empty string id.")
    if isinstance(action, MergeAction):
        if not action.losers:
            raise PlanError(f"The plan's {where} (merge {action.id}) has no losers.")
        if action.survivor in action.losers:
            raise PlanError(
                f"The plan's {where} (merge {action.id}) lists its survivor as a loser."
            )
        if action.loser_handling not in LOSER_HANDLINGS:
            raise PlanError(
                f"The plan's {where} (merge {action.id}) has unknown loser_handling "
                f"{action.loser_handling!r}."
            )
        bad = set(action.fields) - set(STANDARD_FIELDS)
        if bad:
            raise PlanError(
                f"The plan's {where} (merge {action.id}) chooses unknown fields: "
                f"{', '.join(sorted(bad))}."
            )
    elif isinstance(action, DefineAttributeAction | CreateContactsAction | UpdateContactsAction):
        _validate_import(action, where)
    elif isinstance(action, AudienceSyncAction):
        if not isinstance(action.name, str) or not 3 <= len(action.name) <= 64:
            raise PlanError(
                f"The plan's {where} (audience_sync {action.id}) needs an audience name of "
                "3 to 64 characters."
            )
        if set(action.add) & set(action.remove):
            raise PlanError(
                f"The plan's {where} (audience_sync {action.id}) both adds and removes a contact."
            )
    elif not action.contacts:
        raise PlanError(f"The plan's {where} ({action.kind} {action.id}) lists no contacts.")
    if isinstance(action, SetPhoneAction):
        phones = action.phones
        if not isinstance(phones, dict) or not all(
            isinstance(v, str) and v.strip() for v in phones.values()
        ):
            raise PlanError(
                f"The plan's {where} (set_phone {action.id}): phones must map contact ids "
                "to non-empty phone strings."
            )
        missing = [c for c in action.contacts if c not in phones]
        if missing or set(phones) - set(action.contacts):
            raise PlanError(
                f"The plan's {where} (set_phone {action.id}) needs exactly one phone per contact "
                f"({len(missing)} without one)."
            )


def _validate_import(
    action: DefineAttributeAction | CreateContactsAction | UpdateContactsAction, where: str
) -> None:
    name = f"The plan's {where} ({action.kind} {action.id})"
    if isinstance(action, DefineAttributeAction):
        if action.type not in ATTRIBUTE_TYPES:
            raise PlanError(f"{name} has unknown attribute type {action.type!r}.")
        if not isinstance(action.name, str) or not action.name:
            raise PlanError(f"{name} names no attribute.")
        return
    if not isinstance(action.batch_size, int) or not 1 <= action.batch_size <= MAX_BATCH:
        raise PlanError(f"{name}: batch_size must be 1 to {MAX_BATCH}.")
    if not action.rows:
        raise PlanError(f"{name} has no rows.")
    for i, row in enumerate(action.rows):
        if isinstance(action, CreateContactsAction):
            if not isinstance(row.get("primaryPhone"), str):
                raise PlanError(f"{name}: row {i + 1} has no primaryPhone.")
        elif not (
            isinstance(row.get("contact"), str)
            and isinstance(row.get("phone"), str)
            and isinstance(row.get("set"), dict)
            and row["set"]
        ):
            raise PlanError(f"{name}: row {i + 1} needs contact, phone and a non-empty set.")


@dataclass
class Plan:
    """A versioned list of actions plus the fingerprints of the contact versions reviewed."""

    profile: str
    actions: list[Action] = field(default_factory=list)
    fingerprints: dict[str, str] = field(default_factory=dict)
    created_at: str = field(default_factory=now_iso)
    version: int = PLAN_VERSION
    source: dict[str, Any] | None = None  # an import's file, mapping and preflight report
    # the organisation the plan was made for (the cache's, from GET /users/me): apply refuses
    # before any write when the profile's key now opens another one
    organization_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The plan as JSON data."""
        return {
            "version": self.version,
            "profile": self.profile,
            "created_at": self.created_at,
            "fingerprints": dict(sorted(self.fingerprints.items())),
            "actions": [action_to_dict(a) for a in self.actions],
            **({"source": self.source} if self.source is not None else {}),
            **({"organization_id": self.organization_id} if self.organization_id else {}),
        }

    def to_json(self) -> str:
        """The plan as indented JSON text."""
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"

    def save(self, path: Path | str) -> None:
        """Write the plan to `path` atomically (a temporary file renamed over it)."""
        target = Path(path)
        tmp = target.with_name(target.name + ".tmp")
        tmp.write_text(self.to_json(), encoding="utf-8")
        tmp.replace(target)

    @classmethod
    def from_dict(cls, data: Any) -> Plan:
        """Build and validate a plan from JSON data, or raise `PlanError`."""
        if not isinstance(data, dict):
            raise PlanError("The plan file is not a JSON object.")
        version = data.get("version")
        if version != PLAN_VERSION:
            raise PlanError(
                f"The plan file has version {version!r}; this gomoq reads version {PLAN_VERSION}."
            )
        profile = data.get("profile")
        if not isinstance(profile, str) or not profile:
            raise PlanError("The plan file names no profile.")
        raw_actions = data.get("actions")
        if not isinstance(raw_actions, list):
            raise PlanError("The plan file has no list of actions.")
        fingerprints = data.get("fingerprints", {})
        if not isinstance(fingerprints, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in fingerprints.items()
        ):
            raise PlanError("The plan file's fingerprints must map contact ids to strings.")
        actions = [action_from_dict(a, f"action #{i + 1}") for i, a in enumerate(raw_actions)]
        seen: set[str] = set()
        for action in actions:
            if action.id in seen:
                raise PlanError(f"The plan file uses the action id {action.id!r} twice.")
            seen.add(action.id)
        created = data.get("created_at")
        source = data.get("source")
        if source is not None and not isinstance(source, dict):
            raise PlanError("The plan file's source must be a JSON object.")
        org = data.get("organization_id")
        if org is not None and (not isinstance(org, str) or not org):
            raise PlanError("The plan file's organization_id must be a non-empty string.")
        return cls(
            profile=profile,
            actions=actions,
            fingerprints=dict(fingerprints),
            created_at=created if isinstance(created, str) else now_iso(),
            source=source,
            organization_id=org,
        )

    @classmethod
    def from_json(cls, text: str) -> Plan:
        """Parse plan JSON text, or raise `PlanError`."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise PlanError(
                f"The plan file is not valid JSON (line {exc.lineno}, column {exc.colno})."
            ) from None
        return cls.from_dict(data)

    @classmethod
    def load(cls, path: Path | str) -> Plan:
        """Read a plan file, or raise `PlanError` with one sentence."""
        try:
            text = Path(path).read_text(encoding="utf-8")
        except FileNotFoundError:
            raise PlanError(f"There is no plan file at {path}.") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise PlanError(f"The plan file {path} cannot be read ({exc}).") from None
        return cls.from_json(text)

    def contact_ids(self) -> list[str]:
        """Every contact any action touches, in first-seen order."""
        seen: dict[str, None] = {}
        for action in self.actions:
            for cid in action.contact_ids():
                seen.setdefault(cid, None)
        return list(seen)
