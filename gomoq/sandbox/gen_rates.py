"""The planted-problem rates of a generated organisation (`generate_organisation(rates=...)`).

A module of its own so that the generator's parts (`gen_people`, `gen_org`, ...) can read the
rates without importing `generator`, which imports them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from gomoq.errors import UsageError

# The person-level duplicate patterns (`gen_patterns`), by their rate's name.
PATTERNS = (
    "household_subcluster",
    "missing_name_part",
    "two_typo_name",
    "swapped_name",
    "changed_number",
)


@dataclass(frozen=True, slots=True)
class PlantRates:
    """Share of contacts carrying each planted problem (0.03 = 3 %).

    The phone kinds (format_variant … invalid_phone) are exclusive: a contact is at most one of
    them. A duplicate is an extra contact for a person who already exists. The others are drawn
    independently for ordinary contacts.
    """

    format_variant: float = 0.03
    typo: float = 0.01
    swap: float = 0.005
    missing_digit: float = 0.0015
    extra_digit: float = 0.0015
    country_code: float = 0.002
    shared_number: float = 0.005
    # person-level patterns (`gen_patterns`): a person typed again with the name mangled
    household_subcluster: float = 0.003
    missing_name_part: float = 0.003
    two_typo_name: float = 0.003
    swapped_name: float = 0.003
    changed_number: float = 0.003
    invalid_phone: float = 0.01
    always_failing: float = 0.01
    invalid_attribute: float = 0.02
    undefined_attribute: float = 0.005
    inactive: float = 0.05

    def __post_init__(self) -> None:
        for name, value in asdict(self).items():
            if not 0.0 <= value <= 1.0:
                raise UsageError(f"Plant rate {name} must be between 0 and 1, not {value}.")
        if self.phone_total() > 0.5:
            raise UsageError("The phone plant rates add up to more than half of the contacts.")

    def phone_total(self) -> float:
        """The share of contacts whose phone carries a planted problem."""
        return (
            self.format_variant
            + self.typo
            + self.swap
            + self.missing_digit
            + self.extra_digit
            + self.country_code
            + self.shared_number
            + self.household_subcluster
            + self.missing_name_part
            + self.two_typo_name
            + self.swapped_name
            + self.changed_number
            + self.invalid_phone
        )
