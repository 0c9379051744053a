"""Every threshold and switch of the checks, read from a profile's `[checks]` table.

In `config.toml` a profile may carry one sub-table per check::

    [profiles.prod.checks]
    enabled = ["phones", "duplicates", "call_failures", "attributes", "inactivity"]

    [profiles.prod.checks.call_failures]
    consecutive = 3                 # N failed attempts in a row, counted from the latest
    failure_statuses = ["no_answer", "busy", "rejected", "failed"]
    voicemail_is_failure = false    # adds "voicemail" to the failure statuses
    unknown_is_failure = false      # statuses outside the known vocabulary count as failures
    window_days = 30                # "never answered in M days" (needs >= 1 attempt in the window)
    action = "flag"                 # or "delete"

    [profiles.prod.checks.attributes]
    standard_fields = true          # email syntax, gender, length limits of the standard fields
    undefined = true                # values under names with no attribute definition

    [profiles.prod.checks.inactivity]
    inactive_days = 90              # Inactive: no answered call for this many days or more
    at_risk_days = 60               # At risk: from here up to inactive_days
    active_days = 30                # Active: at most this many days; between: Cooling
    report_at_risk = true
    report_never_called = true
    action = "flag"                 # for Inactive contacts, or "delete"

`[profiles.X.checks.phones]` and `[profiles.X.checks.duplicates]` fill `PhoneSettings` and
`DuplicateSettings` (here, beside the others). An unknown key anywhere is a `ConfigError` naming it,
never silently ignored (a typo in a threshold must not go unnoticed).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final, TypeVar

from gomoq.errors import ConfigError

T = TypeVar("T")

CHECK_NAMES: Final = ("phones", "duplicates", "call_failures", "attributes", "inactivity")

# Call statuses the sandbox and the docs know (gomobile-api.md §6.5); anything else is "unknown"
# and is counted and shown, never dropped.
KNOWN_STATUSES: Final = ("answered", "no_answer", "busy", "rejected", "voicemail", "failed")
ACTIONS: Final = ("flag", "delete")


@dataclass(frozen=True)
class CallFailureSettings:
    """Thresholds of the call-failures check (see the module docstring for each key)."""

    consecutive: int = 3
    failure_statuses: tuple[str, ...] = ("no_answer", "busy", "rejected", "failed")
    voicemail_is_failure: bool = False
    unknown_is_failure: bool = False
    answered_statuses: tuple[str, ...] = ("answered",)
    window_days: int = 30
    action: str = "flag"

    def failures(self) -> tuple[str, ...]:
        """The statuses that count as a failed attempt."""
        extra = ("voicemail",) if self.voicemail_is_failure else ()
        return tuple(dict.fromkeys((*self.failure_statuses, *extra)))

    def known(self) -> tuple[str, ...]:
        """The statuses that are not "unknown" (the vocabulary plus configured ones)."""
        return tuple(
            dict.fromkeys((*KNOWN_STATUSES, *self.failure_statuses, *self.answered_statuses))
        )


@dataclass(frozen=True)
class AttributeSettings:
    """Switches of the attributes check."""

    standard_fields: bool = True
    undefined: bool = True


@dataclass(frozen=True)
class InactivitySettings:
    """Engagement bands: Active <= active_days < Cooling < at_risk_days <= At risk <
    inactive_days <= Inactive (days since the last answered call)."""

    inactive_days: int = 90
    at_risk_days: int = 60
    active_days: int = 30
    report_at_risk: bool = True
    report_never_called: bool = True
    action: str = "flag"


@dataclass(frozen=True)
class PhoneSettings:
    """`[profiles.X.checks.phones]`: which kinds to report and what to suggest."""

    callable_types: tuple[str, ...] = ("MOBILE", "FIXED_LINE", "FIXED_LINE_OR_MOBILE", "VOIP")
    domestic: bool = True
    non_e164: bool = True
    invalid_action: str = "flag"

    def __post_init__(self) -> None:
        if self.invalid_action not in ("flag", "delete"):
            raise ConfigError(
                "checks.phones.invalid_action must be flag or delete "
                f"(got {self.invalid_action!r})."
            )


@dataclass(frozen=True)
class DuplicateSettings:
    """`[profiles.X.checks.duplicates]`: thresholds of the duplicates check."""

    merge_confidence: float = 0.9
    min_confidence: float = 0.5
    different_person_below: float = 0.5
    max_key_share: int = 8
    max_name_block: int = 6
    two_numbers_confidence: float = 0.99
    max_cluster: int = 10
    max_same_number: int = 25
    report_uncorroborated: bool = False

    def __post_init__(self) -> None:
        for name in (
            "merge_confidence",
            "min_confidence",
            "different_person_below",
            "two_numbers_confidence",
        ):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ConfigError(f"checks.duplicates.{name} must be between 0 and 1.")
        sizes = (self.max_key_share, self.max_cluster, self.max_same_number, self.max_name_block)
        if min(sizes) < 2:
            raise ConfigError(
                "checks.duplicates.max_key_share, max_cluster, max_same_number and"
                " max_name_block must be >= 2."
            )


@dataclass(frozen=True)
class CheckSettings:
    """All check settings of one profile. `now` (UTC) is injectable so tests can fix "today"."""

    region: str = "MA"
    now: datetime | None = None
    enabled: tuple[str, ...] = CHECK_NAMES
    call_failures: CallFailureSettings = field(default_factory=CallFailureSettings)
    attributes: AttributeSettings = field(default_factory=AttributeSettings)
    inactivity: InactivitySettings = field(default_factory=InactivitySettings)
    phones: PhoneSettings = field(default_factory=PhoneSettings)
    duplicates: DuplicateSettings = field(default_factory=DuplicateSettings)

    def today(self) -> datetime:
        """The reference instant of this run: `now` if set, else the current UTC time."""
        if self.now is None:
            return datetime.now(UTC)
        return self.now if self.now.tzinfo else self.now.replace(tzinfo=UTC)

    def pinned(self) -> CheckSettings:
        """These settings with `now` fixed to `today()`: one run, one reference instant.

        Without it every `today()` is a new instant, so results shared between checks and keyed
        by it (the call summary) were computed again by each reader — three times a run."""
        return self if self.now is not None else dataclasses.replace(self, now=self.today())

    @classmethod
    def from_mapping(
        cls, mapping: Mapping[str, Any] | None, *, region: str = "MA", now: datetime | None = None
    ) -> CheckSettings:
        """Build settings from a profile's raw `[checks]` table; unknown keys are a ConfigError."""
        table = dict(mapping or {})
        enabled = table.pop("enabled", list(CHECK_NAMES))
        if not isinstance(enabled, list) or any(n not in CHECK_NAMES for n in enabled):
            raise ConfigError(
                f"checks.enabled must be a list of check names among {', '.join(CHECK_NAMES)} "
                f"(got {enabled!r})."
            )
        call_failures = _section(
            CallFailureSettings, "call_failures", table.pop("call_failures", {})
        )
        attributes = _section(AttributeSettings, "attributes", table.pop("attributes", {}))
        inactivity = _section(InactivitySettings, "inactivity", table.pop("inactivity", {}))
        phones = _section(PhoneSettings, "phones", table.pop("phones", {}))
        duplicates = _section(DuplicateSettings, "duplicates", table.pop("duplicates", {}))
        if table:
            raise ConfigError(
                f"Unknown key(s) in the profile's [checks] table: {', '.join(sorted(table))}; "
                f"known: enabled, {', '.join(CHECK_NAMES)}."
            )
        _validate(call_failures, inactivity)
        return cls(
            region=region,
            now=now,
            enabled=tuple(enabled),
            call_failures=call_failures,
            attributes=attributes,
            inactivity=inactivity,
            phones=phones,
            duplicates=duplicates,
        )


def _section(klass: type[T], name: str, raw: Any) -> T:
    """An instance of the dataclass `klass` from a TOML sub-table, checking keys and types."""
    if not isinstance(raw, Mapping):
        raise ConfigError(f"checks.{name} must be a table of settings (got {raw!r}).")
    fields = {f.name: f for f in dataclasses.fields(klass)}  # type: ignore[arg-type]
    unknown = sorted(set(raw) - set(fields))
    if unknown:
        raise ConfigError(
            f"Unknown key(s) in checks.{name}: {', '.join(unknown)}; "
            f"known: {', '.join(sorted(fields))}."
        )
    values: dict[str, Any] = {}
    for key, value in raw.items():
        spec = fields[key]
        default: Any = spec.default
        if default is dataclasses.MISSING and callable(spec.default_factory):
            default = spec.default_factory()
        values[key] = _coerce(f"checks.{name}.{key}", value, default)
    return klass(**values)


def _coerce(where: str, value: Any, default: Any) -> Any:
    """`value` checked against the type of `default` (bool, int, float, str, tuple of str)."""
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise ConfigError(f"{where} must be true or false (got {value!r}).")
        return value
    if isinstance(default, int):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ConfigError(f"{where} must be a whole number >= 0 (got {value!r}).")
        return value
    if isinstance(default, float):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"{where} must be a number (got {value!r}).")
        return float(value)
    if isinstance(default, tuple):
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{where} must be a list of strings (got {value!r}).")
        return tuple(value)
    if isinstance(default, str):
        if not isinstance(value, str):
            raise ConfigError(f"{where} must be a string (got {value!r}).")
        return value
    return value


def _validate(calls: CallFailureSettings, inactivity: InactivitySettings) -> None:
    if calls.consecutive < 1:
        raise ConfigError("checks.call_failures.consecutive must be at least 1.")
    for where, action in (
        ("checks.call_failures.action", calls.action),
        ("checks.inactivity.action", inactivity.action),
    ):
        if action not in ACTIONS:
            raise ConfigError(f"{where} must be one of {', '.join(ACTIONS)} (got {action!r}).")
    if not inactivity.active_days < inactivity.at_risk_days < inactivity.inactive_days:
        raise ConfigError(
            "checks.inactivity needs active_days < at_risk_days < inactive_days "
            f"(got {inactivity.active_days}, {inactivity.at_risk_days}, "
            f"{inactivity.inactive_days})."
        )
