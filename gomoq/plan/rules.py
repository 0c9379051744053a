"""The `--auto` rules of `gomoq plan`: their names, their options, and parsing `RULE:key=value`.

A rule is its name followed by options separated by `:`, each `key=value` (merge-exact also
reads `confidence>=X`). Every rule and option is listed here, once: an unknown rule or option is
one sentence naming the valid ones (`UsageError`, exit 2), raised before anything is read or
written. What each rule selects is built in `gomoq.plan.auto`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from gomoq.errors import UsageError

SEVERITIES = ("info", "warn", "error")
SURVIVOR_RULES = ("most-complete", "most-recent", "most-answered")


def _number(text: str) -> float:
    return float(text)


def _days(text: str) -> int:
    value = int(text)
    if value < 1:
        raise ValueError(text)
    return value


def _confidence(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise ValueError(text)
    return value


def _choice(*allowed: str) -> Callable[[str], str]:
    def parse(text: str) -> str:
        if text not in allowed:
            raise ValueError(text)
        return text

    parse.__doc__ = "one of " + ", ".join(allowed)
    return parse


def _text(text: str) -> str:
    if not text:
        raise ValueError(text)
    return text


def _value(text: str) -> Any:
    """`true`/`false` are booleans (the attribute is then defined as boolean), else text."""
    return {"true": True, "false": False}.get(text, text)


def _ids(text: str) -> tuple[str, ...]:
    ids = tuple(part for part in text.split(",") if part)
    if not ids:
        raise ValueError(text)
    return ids


@dataclass(frozen=True)
class Option:
    """One option of a rule: how to read its value, and what the operator is told it takes."""

    parse: Callable[[str], Any]
    takes: str


@dataclass(frozen=True)
class RuleSpec:
    """A rule: what it does (one line, for help and errors) and its options with defaults."""

    name: str
    does: str
    options: dict[str, Option] = field(default_factory=dict)
    defaults: dict[str, Any] = field(default_factory=dict)


_ATTRIBUTE = Option(_text, "an attribute name")
_VALUE = Option(_value, "a value (true/false make a boolean attribute)")
_SEVERITY = Option(_choice(*SEVERITIES), "info, warn or error")
_DAYS = Option(_days, "a whole number of days ≥ 1")

RULE_SPECS: dict[str, RuleSpec] = {
    spec.name: spec
    for spec in (
        RuleSpec(
            "merge-exact",
            "merge every exact duplicate cluster (same E.164 number)",
            {
                "confidence": Option(_confidence, "confidence>=X with X between 0 and 1"),
                "survivor": Option(_choice(*SURVIVOR_RULES), ", ".join(SURVIVOR_RULES)),
            },
            {"confidence": 0.9, "survivor": "most-complete"},
        ),
        RuleSpec(
            "normalise-phones",
            "rewrite every valid phone not stored in E.164 to its E.164 form",
        ),
        RuleSpec(
            "flag-invalid-phones",
            "flag contacts whose phone is invalid or of an impossible length",
            {"attribute": _ATTRIBUTE, "value": _VALUE, "severity": _SEVERITY},
            {"attribute": "dq_invalid_phone", "value": True, "severity": "warn"},
        ),
        RuleSpec(
            "delete-invalid-phones",
            "soft-delete contacts whose phone is invalid or of an impossible length",
            {"severity": _SEVERITY},
            {"severity": "warn"},
        ),
        RuleSpec(
            "flag-repeated-failures",
            "flag contacts whose calls keep failing",
            {"attribute": _ATTRIBUTE, "value": _VALUE, "severity": _SEVERITY},
            {"attribute": "dq_repeated_failures", "value": True, "severity": "warn"},
        ),
        RuleSpec(
            "flag-inactive",
            "flag contacts with no answered call for DAYS days (option C of the guide)",
            {"days": _DAYS, "attribute": _ATTRIBUTE, "value": _VALUE},
            {"days": None, "attribute": "is_active", "value": False},
        ),
        RuleSpec(
            "remove-inactive-from-audiences",
            "take contacts with no answered call for DAYS days out of their static audiences "
            "(option B)",
            {"days": _DAYS, "audiences": Option(_ids, "audience ids separated by commas")},
            {"days": None, "audiences": None},
        ),
        RuleSpec(
            "delete-inactive",
            "soft-delete contacts with no answered call for DAYS days (option A)",
            {"days": _DAYS},
            {"days": None},
        ),
    )
}
RULES: tuple[str, ...] = tuple(RULE_SPECS)


@dataclass(frozen=True)
class Rule:
    """A parsed `--auto` rule: its name and every option (defaults filled in)."""

    name: str
    options: Mapping[str, Any] = field(default_factory=dict)
    text: str = ""

    def get(self, key: str) -> Any:
        """An option's value (its default when not given)."""
        return self.options.get(key)


def _options_sentence(spec: RuleSpec) -> str:
    if not spec.options:
        return f"rule {spec.name} takes no options"
    listed = "; ".join(f"{k} ({o.takes})" for k, o in spec.options.items())
    return f"the options of {spec.name} are: {listed}"


def parse_rule(text: str) -> Rule:
    """Parse one rule, or raise `UsageError` naming the valid rules or options."""
    name, *parts = text.strip().split(":")
    spec = RULE_SPECS.get(name)
    if spec is None:
        raise UsageError(f"Unknown rule {name!r}; the rules are: {', '.join(RULES)}.")
    options: dict[str, Any] = dict(spec.defaults)
    for part in parts:
        if part.startswith("confidence>="):
            key, raw = "confidence", part.split(">=", 1)[1]
        elif "=" in part:
            key, raw = part.split("=", 1)
        else:
            raise UsageError(f"Rule {text!r}: cannot read {part!r}; {_options_sentence(spec)}.")
        option = spec.options.get(key)
        if option is None or (key == "confidence") != part.startswith("confidence>="):
            raise UsageError(f"Rule {text!r}: unknown option {key!r}; {_options_sentence(spec)}.")
        try:
            options[key] = option.parse(raw)
        except ValueError:
            raise UsageError(f"Rule {text!r}: {key} takes {option.takes}, not {raw!r}.") from None
    return Rule(name, options, text)


def rules_help() -> str:
    """Every rule with its options, one per line (for `gomoq plan --help`)."""
    lines = []
    for spec in RULE_SPECS.values():
        opts = ":".join("confidence>=X" if k == "confidence" else f"{k}=…" for k in spec.options)
        lines.append(f"{spec.name}{':' + opts if opts else ''} — {spec.does}")
    return "\n".join(lines)
