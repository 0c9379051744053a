"""People for the generator: one contact at a time, ordinary or carrying a planted problem.

`PersonMaker.next` decides each contact's phone kind (ordinary, a duplicate of an earlier person
under a format variant / typo / swap / missing or extra digit / country-code slip, a different
person sharing an earlier number, or an invalid number), draws the person, and records the plant
in `Truth`. Earlier people eligible as originals sit in a bounded reservoir (memory stays flat at
1M contacts); an original is used at most once, so clusters and shared numbers never overlap.
Every new number (including mutated ones) is checked against all numbers used so far, so a typo
never lands on a third contact's number by accident.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from gomoq.sandbox import gen_attributes as attrs
from gomoq.sandbox import gen_phones as ph
from gomoq.sandbox.gen_calls import uuid7
from gomoq.sandbox.gen_names import (
    CITIES,
    CITY_WEIGHTS,
    FEMALE_FIRST,
    LAST_NAMES,
    MALE_FIRST,
    OCCUPATIONS,
    STREETS,
    ascii_slug,
    make_email,
)
from gomoq.sandbox.gen_rates import PATTERNS, PlantRates
from gomoq.sandbox.gen_truth import Cluster, Truth

FOREIGN_SHARE = 0.03
FIXED_SHARE = 0.08
RESERVOIR = 50_000
THIRD_ENTRY = 0.15  # share of format-variant duplicates that join an existing cluster
# city index repeated by weight: one random() picks a city in proportion to CITY_WEIGHTS
_CITY_TABLE = tuple(i for i, weight in enumerate(CITY_WEIGHTS) for _ in range(weight))
_CHANNELS = ('["phone"]', '["phone","sms"]', '["phone","whatsapp"]', "[]", '["sms"]')
_PREFERRED = ("phone", "phone", "sms", "whatsapp", "email")


def _first_group(entry: tuple[str, tuple[str, ...]]) -> frozenset[str]:
    return frozenset(filter(None, (ascii_slug(n) for n in (entry[0], *entry[1]))))


# Latin spellings of each first-name entry: two entries sharing one are the same name
# ("محمد" is "Mohammed"); people sharing a number never do.
_FIRST_GROUPS = {
    "male": [_first_group(e) for e in MALE_FIRST],
    "female": [_first_group(e) for e in FEMALE_FIRST],
}


def _same_first(gender_a: str, a: int, gender_b: str, b: int) -> bool:
    return bool(_FIRST_GROUPS[gender_a][a] & _FIRST_GROUPS[gender_b][b])


class Planter(Protocol):
    """What plants a person-level pattern (`gen_patterns.PatternPlanter`)."""

    def plant(self, kind: str) -> Person | None:
        """A person for pattern `kind`, or None when none can be planted now."""


@dataclass(slots=True)
class Person:
    """One contact row in the making, with what the planting needs to know about it."""

    id: str
    phone: str
    first_name: str | None
    last_name: str | None
    full_name: str | None
    email: str | None
    address: str | None
    city: str | None
    state: str | None
    zip: str | None
    occupation: str | None
    preferred_channel: str | None
    gender: str | None
    channels: str
    attributes: dict[str, Any]
    call_mode: str
    city_base: str
    region: str


# What an original keeps in the reservoir: (contact id, e164, nsn or "" when foreign, style,
# gender, first-name entry index, last-name index, email, city index, occupation, raw phone)
_Original = tuple[str, str, str, str, str, int, int, str | None, int, str | None, str]


class PersonMaker:
    """Draws contacts one after another from a seeded generator."""

    def __init__(self, rng: random.Random, rates: PlantRates, now_ms: int) -> None:
        self.rng = rng
        self.rates = rates
        self.truth = Truth()
        self.attribute_names = [d[0] for d in attrs.DEFINITIONS]
        self.used_numbers: set[str] = set()  # every e164 (or raw, when invalid) in use
        # Hashes of the emails given so far (half the memory of the strings at 1M contacts):
        # different people never share an email. str hashes vary between processes, which
        # only matters on a 64-bit collision (~1e-8 at 1M), so determinism holds in practice.
        self.used_emails: set[int] = set()
        self.pool_mobile: list[_Original] = []
        self.pool_foreign: list[_Original] = []
        self.variant_clusters: list[tuple[Cluster, _Original]] = []
        self.shared_keys: list[str] = []
        self.shared_origin: dict[str, _Original] = {}
        self.shared_names: dict[str, list[tuple[str, int]]] = {}  # e164 -> (gender, first index)
        self.created_ms = now_ms  # creation time of the contact being drawn (its UUIDv7)
        # gender and first-name, last-name and city indexes of the last person drawn
        self.last_draw: tuple[str, int, int, int] = ("male", 0, 0, 0)
        self.patterns: Planter | None = None  # set by the generator (`gen_patterns`)
        self.now_year = datetime.fromtimestamp(now_ms / 1000, UTC).year
        normal = max(1e-9, 1.0 - rates.phone_total())
        self.p_failing = min(1.0, rates.always_failing / normal)
        self.p_inactive = min(1.0, rates.inactive / normal)
        r = rates
        kinds = (
            ("format_variant", r.format_variant),
            ("typo", r.typo),
            ("swap", r.swap),
            ("missing_digit", r.missing_digit),
            ("extra_digit", r.extra_digit),
            ("country_code", r.country_code),
            ("shared_number", r.shared_number),
            ("household_subcluster", r.household_subcluster),
            ("missing_name_part", r.missing_name_part),
            ("two_typo_name", r.two_typo_name),
            ("swapped_name", r.swapped_name),
            ("changed_number", r.changed_number),
            ("invalid_phone", r.invalid_phone),
        )
        acc = 0.0
        self.kinds: list[tuple[float, str]] = []
        for name, rate in kinds:
            acc += rate
            self.kinds.append((acc, name))

    # --- the public step ------------------------------------------------------------------------

    def next(self, index: int, created_ms: int) -> Person:
        """The contact at position `index` (0-based)."""
        rng = self.rng
        self.created_ms = created_ms
        u = rng.random()
        kind = "ordinary"
        for bound, name in self.kinds:
            if u < bound:
                kind = name
                break
        person: Person | None = None
        if kind in ("format_variant", "typo", "swap", "missing_digit", "extra_digit"):
            person = self._duplicate(kind, self.pool_mobile)
        elif kind == "country_code":
            person = self._duplicate(kind, self.pool_foreign)
        elif kind == "shared_number":
            person = self._shared()
        elif kind in PATTERNS and self.patterns is not None:
            person = self.patterns.plant(kind)
        elif kind == "invalid_phone":
            person = self._invalid()
        if person is None:  # ordinary, or no original available yet
            person = self._ordinary()
        if rng.random() < self.rates.invalid_attribute:
            name, value, reason = attrs.plant_invalid(
                rng, person.attributes, person.first_name or ""
            )
            self.truth.invalid_attribute_values.append(
                {"contact_id": person.id, "name": name, "value": value, "reason": reason}
            )
        if rng.random() < self.rates.undefined_attribute:
            name, value = attrs.plant_undefined(rng, person.attributes)
            self.truth.undefined_attribute_values.append(
                {"contact_id": person.id, "name": name, "value": value}
            )
        return person

    # --- kinds ----------------------------------------------------------------------------------

    def _ordinary(self) -> Person:
        rng = self.rng
        r = rng.random()
        if r < FOREIGN_SHARE:
            e164 = self._fresh(ph.new_foreign)
            raw, nsn, style = ph.write_foreign(e164, rng), "", "foreign"
        else:
            make = ph.new_fixed if r < FOREIGN_SHARE + FIXED_SHARE else ph.new_mobile
            nsn = self._fresh_nsn(make)
            e164 = "+212" + nsn
            style = ph.pick_style(rng)
            raw = ph.write(nsn, style, rng)
        person = self._draw_person(raw)
        mode = "normal"
        x = rng.random()
        if x < self.p_failing:
            mode = "always_failing"
            self.truth.always_failing.append(person.id)
        elif x < self.p_failing + self.p_inactive:
            mode = "inactive"
        person.call_mode = mode
        if mode != "always_failing":
            gender, fi, li, ci = self.last_draw
            original: _Original = (
                person.id,
                e164,
                nsn,
                style,
                gender,
                fi,
                li,
                person.email,
                ci,
                person.occupation,
                raw,
            )
            pool = self.pool_foreign if style == "foreign" else self.pool_mobile
            if nsn.startswith(("6", "7")) or style == "foreign":
                self._remember(pool, original)
        return person

    def _duplicate(self, kind: str, pool: list[_Original]) -> Person | None:
        rng = self.rng
        if kind == "format_variant" and self.variant_clusters and rng.random() < THIRD_ENTRY:
            return self._third_entry()
        if not pool:
            return None
        original = self._take(pool)
        cid, e164, nsn = original[:3]
        if kind == "format_variant":
            raw = self._variant(nsn, [original[10]])
            if raw is None:
                return None
        elif kind == "country_code":
            raw = e164[1:]  # the + forgotten: "33612345678", read as a Moroccan number
        else:
            mutated = self._mutate(kind, nsn)
            if mutated is None:
                self._remember(pool, original)
                return None
            self.used_numbers.add("+212" + mutated)
            if kind in ("typo", "swap"):
                raw = ph.write(mutated, ph.pick_style(rng), rng)
            else:
                # International form: phonenumbers keeps the trunk 0 of a short national
                # number ("072342571" -> +212072342571), which would hide the one-digit edit.
                raw = ("+212" if rng.random() < 0.7 else "00212") + mutated
        person = self._draw_person(raw, same_as=original)
        cluster = Cluster(kind, e164, [cid, person.id], [original[10], raw])
        self.truth.clusters.append(cluster)
        if kind == "format_variant" and len(self.variant_clusters) < RESERVOIR:
            self.variant_clusters.append((cluster, original))
        return person

    def _third_entry(self) -> Person | None:
        """The same person entered once more, under yet another writing of the number."""
        slot = int(self.rng.random() * len(self.variant_clusters))
        cluster, original = self.variant_clusters[slot]
        raw = self._variant(original[2], cluster.phones)
        if raw is None:
            return None
        person = self._draw_person(raw, same_as=original)
        cluster.contact_ids.append(person.id)
        cluster.phones.append(raw)
        if len(cluster.contact_ids) >= 4:  # enough: at most four entries of one person
            self.variant_clusters[slot] = self.variant_clusters[-1]
            self.variant_clusters.pop()
        return person

    def _variant(self, nsn: str, taken: list[str]) -> str | None:
        """Another writing of `nsn`, different from every string in `taken`."""
        for _ in range(20):
            raw = ph.write(nsn, ph.pick_style(self.rng), self.rng)
            if raw not in taken:
                return raw
        return None

    def _mutate(self, kind: str, nsn: str) -> str | None:
        rng = self.rng
        for _ in range(20):
            if kind == "typo":
                out: str | None = ph.substitute(nsn, rng)
            elif kind == "swap":
                out = ph.swap(nsn, rng)
            elif kind == "missing_digit":
                out = ph.drop(nsn, rng)
            else:
                out = ph.insert(nsn, rng)
            if out is None:
                return None
            if out != nsn and "+212" + out not in self.used_numbers:
                return out
        return None

    def _shared(self) -> Person | None:
        rng = self.rng
        shared = self.truth.shared
        if shared and rng.random() < 0.25:  # a reception desk: a third or fourth person
            e164 = self.shared_keys[rng.randrange(len(self.shared_keys))]
            entry = self.shared_origin[e164]
        else:
            if not self.pool_mobile:
                return None
            entry = self._take(self.pool_mobile)
            e164 = entry[1]
            self.shared_keys.append(e164)
            self.shared_origin[e164] = entry
            self.shared_names[e164] = [(entry[4], entry[5])]
            shared[e164] = [entry[0]]
        nsn = entry[2]
        raw = ph.write(nsn, entry[3] if rng.random() < 0.5 else ph.pick_style(rng), rng)
        taken = self.shared_names[e164]
        person = self._draw_person(raw, different_from=entry, taken_first=taken)
        taken.append((self.last_draw[0], self.last_draw[1]))
        shared[e164].append(person.id)
        return person

    def _invalid(self) -> Person:
        raw, reason = ph.new_invalid(self.rng, self.used_numbers)
        self.used_numbers.add(raw)
        person = self._draw_person(raw)
        person.call_mode = "invalid"
        self.truth.invalid_phones.append({"contact_id": person.id, "raw": raw, "reason": reason})
        return person

    # --- helpers --------------------------------------------------------------------------------

    def _remember(self, pool: list[_Original], original: _Original) -> None:
        """Add to a bounded reservoir, replacing a random entry once full."""
        if len(pool) < RESERVOIR:
            pool.append(original)
        else:
            pool[self.rng.randrange(RESERVOIR)] = original

    def _take(self, pool: list[_Original]) -> _Original:
        """Remove and return a random original (swap-remove: O(1), deterministic)."""
        slot = self.rng.randrange(len(pool))
        chosen = pool[slot]
        pool[slot] = pool[-1]
        pool.pop()
        return chosen

    def _fresh_nsn(self, make: Any) -> str:
        while True:
            nsn: str = make(self.rng)
            if "+212" + nsn not in self.used_numbers:
                self.used_numbers.add("+212" + nsn)
                return nsn

    def _fresh(self, make: Any) -> str:
        while True:
            e164: str = make(self.rng)
            if e164 not in self.used_numbers:
                self.used_numbers.add(e164)
                return e164

    def _draw_person(
        self,
        raw: str,
        *,
        same_as: _Original | None = None,
        different_from: _Original | None = None,
        taken_first: Sequence[tuple[str, int]] = (),
    ) -> Person:
        rng = self.rng
        rand = rng.random
        if same_as is not None:
            gender, fi, li, email0, ci, occupation0 = same_as[4:10]
        else:
            gender = "male" if rand() < 0.5 else "female"
            fi = int(rand() * len(MALE_FIRST if gender == "male" else FEMALE_FIRST))
            li = int(rand() * len(LAST_NAMES))
            if different_from is not None:
                household = rand() < 0.6
                while any(_same_first(gender, fi, g, f) for g, f in taken_first):
                    fi = rng.randrange(len(MALE_FIRST if gender == "male" else FEMALE_FIRST))
                if household:
                    li = different_from[6]
                else:
                    while li == different_from[6]:
                        li = rng.randrange(len(LAST_NAMES))
            ci = _CITY_TABLE[int(rand() * len(_CITY_TABLE))]
            email0 = None
            occupation0 = None
        firsts = MALE_FIRST if gender == "male" else FEMALE_FIRST
        first, first_v = firsts[fi]
        last, last_v = LAST_NAMES[li]
        city, city_v, zip_prefix, region = CITIES[ci]
        if same_as is not None:  # the same person typed again: spelling drifts, email often kept
            if rand() < 0.25:
                first = first_v[int(rand() * len(first_v))]
            if rand() < 0.15:
                last = last_v[int(rand() * len(last_v))]
            r = rand()
            email = (
                email0
                if r < 0.6
                else (None if r < 0.75 else self._email(first, last, first_v, last_v))
            )
            r = rand()
            city_out: str | None = (
                city if r < 0.7 else (city_v[int(rand() * len(city_v))] if r < 0.85 else None)
            )
            occupation = occupation0 if rand() < 0.5 else None
        else:
            email = self._email(first, last, first_v, last_v) if rand() < 0.85 else None
            city_out = city if rand() < 0.92 else None
            if city_out is not None and rand() < 0.1:
                city_out = city_v[int(rand() * len(city_v))]
            occupation = OCCUPATIONS[int(rand() * len(OCCUPATIONS))] if rand() < 0.6 else None
        self.last_draw = (gender, fi, li, ci)
        full = f"{first} {last}" if rand() < 0.8 else None
        return Person(
            id=uuid7(self.created_ms, rng),
            phone=raw,
            first_name=first,
            last_name=last,
            full_name=full if full is None or len(full) <= 64 else None,
            email=email,
            address=f"{1 + int(rand() * 299)} {STREETS[int(rand() * len(STREETS))]}"
            if rand() < 0.7
            else None,
            city=city_out,
            state=region if rand() < 0.5 else None,
            zip=f"{zip_prefix}{int(rand() * 1000):03d}" if rand() < 0.5 else None,
            occupation=occupation,
            preferred_channel=_PREFERRED[int(rand() * len(_PREFERRED))] if rand() < 0.5 else None,
            gender=gender if rand() < 0.85 else None,
            channels=_CHANNELS[int(rand() * len(_CHANNELS))],
            attributes=attrs.values_for(rng, first, last, self.now_year),
            call_mode="normal",
            city_base=city,
            region=region,
        )

    def _email(
        self, first: str, last: str, first_v: tuple[str, ...], last_v: tuple[str, ...]
    ) -> str:
        """A name-derived email no other person has."""
        for _ in range(20):
            email = make_email(self.rng, first, last, first_v, last_v)
            key = hash(email)
            if key not in self.used_emails:
                self.used_emails.add(key)
                return email
        email = f"c{self.rng.getrandbits(48):012x}@gmail.com"
        self.used_emails.add(hash(email))
        return email
