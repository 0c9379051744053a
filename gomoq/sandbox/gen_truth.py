"""The ground truth the generator records while planting problems, and its JSON document.

The document's format is described in gomoq/sandbox/README.md, "Generated organisations and their
ground truth"; `FORMAT_VERSION` changes when it does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

FORMAT_VERSION = 1
DUPLICATE_KINDS = (
    "format_variant",
    "typo",
    "swap",
    "missing_digit",
    "extra_digit",
    "country_code",
    # person-level patterns (`gen_patterns`)
    "household_subcluster",
    "missing_name_part",
    "two_typo_name",
    "swapped_name",
    "changed_number",
)
_NEAR_KINDS = ("typo", "swap", "missing_digit", "extra_digit", "country_code")


@dataclass
class Cluster:
    """One true duplicate cluster: the same person under several phone strings."""

    kind: str
    canonical_e164: str
    contact_ids: list[str]
    phones: list[str]
    # How the members' numbers relate: `same` (one number), `near` (one edit apart) or `other`.
    phone_relation: str = ""

    def as_json(self) -> dict[str, Any]:
        """The cluster as written in the truth file."""
        return {
            "kind": self.kind,
            "canonical_e164": self.canonical_e164,
            "contact_ids": self.contact_ids,
            "phones": self.phones,
            "phone_relation": self.phone_relation
            or ("near" if self.kind in _NEAR_KINDS else "same"),
        }


@dataclass
class Truth:
    """Everything planted so far, in insertion order."""

    clusters: list[Cluster] = field(default_factory=list)
    shared: dict[str, list[str]] = field(default_factory=dict)
    invalid_phones: list[dict[str, str]] = field(default_factory=list)
    always_failing: list[str] = field(default_factory=list)
    invalid_attribute_values: list[dict[str, Any]] = field(default_factory=list)
    undefined_attribute_values: list[dict[str, Any]] = field(default_factory=list)
    inactive: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """Planted items per kind (duplicates counted as extra contacts, not clusters)."""
        out = {kind: 0 for kind in DUPLICATE_KINDS}
        for cluster in self.clusters:
            out[cluster.kind] += len(cluster.contact_ids) - 1
        out["shared_number"] = sum(len(ids) - 1 for ids in self.shared.values())
        out["invalid_phone"] = len(self.invalid_phones)
        out["always_failing"] = len(self.always_failing)
        out["invalid_attribute"] = len(self.invalid_attribute_values)
        out["undefined_attribute"] = len(self.undefined_attribute_values)
        out["inactive"] = len(self.inactive)
        return out

    def document(
        self,
        *,
        seed: int,
        contacts: int,
        rates: dict[str, float],
        reference_time: str,
        inactive_days: int,
    ) -> dict[str, Any]:
        """The JSON document written beside the database."""
        return {
            "format_version": FORMAT_VERSION,
            "seed": seed,
            "contacts": contacts,
            "rates": rates,
            "reference_time": reference_time,
            "inactive_days": inactive_days,
            "counts": self.counts(),
            "duplicate_clusters": [c.as_json() for c in self.clusters],
            "shared_numbers": [
                {"e164": e164, "contact_ids": ids} for e164, ids in self.shared.items()
            ],
            "invalid_phones": self.invalid_phones,
            "always_failing": self.always_failing,
            "invalid_attribute_values": self.invalid_attribute_values,
            "undefined_attribute_values": self.undefined_attribute_values,
            "inactive": self.inactive,
        }
