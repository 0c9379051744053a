"""Person-level duplicate patterns for the generator (issue 18), with their ground truth.

Beside the phone kinds of `gen_people` (one person under format variants or single-edit
numbers, with tidy names), these plant what typists really do to a person typed twice:

- `household_subcluster`: one number held by two different people (a household), one of whom
  was entered again with a typo in the name ("Miller Egan", "Millr Egan", "Flynn Egan"). The
  person's entries are one duplicate cluster; the household (one id per person) is a shared
  number. Merging the two people is the error the check must never make.
- `missing_name_part`: the duplicate has only a first name or only a last name ("Tara" /
  "Tara White").
- `two_typo_name`: two typing slips in the name ("Lachlan Butt" / "Lachlian Burt").
- `swapped_name`: first and last name swapped, sometimes with a slip too.
- `changed_number`: the same person under a different number altogether (a changed number, the
  CRM's other phone): reachable only from the names, the email, the city.

The first four keep the number (another writing of it, or one digit off for a fifth of them);
the cluster's `phone_relation` says which: `same`, `near` (one edit) or `other`.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

from gomoq.sandbox import gen_phones as ph
from gomoq.sandbox.gen_rates import PATTERNS
from gomoq.sandbox.gen_truth import Cluster

if TYPE_CHECKING:
    from gomoq.sandbox.gen_people import Person, PersonMaker, _Original

NEAR_SHARE = 0.2  # of the name patterns: the duplicate's number is one digit off too

# Neighbouring keys (AZERTY and QWERTY share most of these rows): a slip hits a neighbour.
_ROWS = ("azertyuiop", "qsdfghjklm", "wxcvbn", "qwertyuiop", "asdfghjkl", "zxcvbnm")
_NEAR: dict[str, str] = {}
for _row in _ROWS:
    for _i, _c in enumerate(_row):
        _NEAR[_c] = _NEAR.get(_c, "") + _row[max(0, _i - 1) : _i] + _row[_i + 1 : _i + 2]


def typo(word: str, rng: random.Random) -> str:
    """`word` with one typing slip: a neighbouring key, a letter dropped, doubled or two
    letters swapped. The first letter is kept (people rarely miss it); short words are kept."""
    if len(word) < 3:
        return word
    for _ in range(10):
        pos = rng.randrange(1, len(word))
        c = word[pos]
        how = rng.random()
        if how < 0.4 and c.lower() in _NEAR:
            new = rng.choice(_NEAR[c.lower()])
            out = word[:pos] + (new.upper() if c.isupper() else new) + word[pos + 1 :]
        elif how < 0.65:
            out = word[:pos] + word[pos + 1 :]
        elif how < 0.8:
            out = word[:pos] + c + word[pos:]
        elif pos + 1 < len(word):
            out = word[:pos] + word[pos + 1] + c + word[pos + 2 :]
        else:
            continue
        if out != word:
            return out
    return word


__all__ = ["PATTERNS", "PatternPlanter", "typo"]


class PatternPlanter:
    """Plants the person-level patterns for a `PersonMaker` (its pools, numbers and truth).

    The generator hands it to its maker (`PersonMaker.patterns`): `gen_people` does not import
    this module, which reads the maker's pools and draws."""

    def __init__(self, maker: PersonMaker) -> None:
        self.maker = maker
        # Households still to be completed: (the person's cluster, the original, the other
        # person's id or "" while not yet drawn).
        self.open: list[tuple[Cluster, _Original, list[str]]] = []

    def plant(self, kind: str) -> Person | None:
        """One contact of pattern `kind`, or None when no original is available yet."""
        if kind == "household_subcluster":
            return self._household()
        pool = self.maker.pool_mobile
        if not pool:
            return None
        original = self.maker._take(pool)
        if kind == "changed_number":
            return self._changed_number(original)
        return self._renamed(kind, original)

    # --- patterns -------------------------------------------------------------------------------

    def _raw_for(self, original: _Original, relation: str) -> str | None:
        """Another writing of the original's number (`same`) or a one-digit slip of it."""
        maker, rng = self.maker, self.maker.rng
        nsn = original[2]
        if relation == "same":
            return maker._variant(nsn, [original[10]])
        mutated = maker._mutate("typo", nsn)
        if mutated is None:
            return None
        maker.used_numbers.add("+212" + mutated)
        return ph.write(mutated, ph.pick_style(rng), rng)

    def _renamed(self, kind: str, original: _Original) -> Person | None:
        maker, rng = self.maker, self.maker.rng
        relation = "near" if rng.random() < NEAR_SHARE else "same"
        raw = self._raw_for(original, relation)
        if raw is None:
            maker._remember(maker.pool_mobile, original)
            return None
        person = maker._draw_person(raw, same_as=original)
        first, last = person.first_name or "", person.last_name or ""
        if kind == "missing_name_part":
            if rng.random() < 0.5:
                person.first_name, person.full_name = None, last
            else:
                person.last_name, person.full_name = None, first
            return self._record(kind, original, person, relation)
        if kind == "two_typo_name":
            r = rng.random()
            if r < 0.6:
                first, last = typo(first, rng), typo(last, rng)
            elif r < 0.8:
                first = typo(typo(first, rng), rng)
            else:
                last = typo(typo(last, rng), rng)
        else:  # swapped_name
            if rng.random() < 0.4:
                if rng.random() < 0.5:
                    first = typo(first, rng)
                else:
                    last = typo(last, rng)
            first, last = last, first
        self._rename(person, first, last)
        return self._record(kind, original, person, relation)

    def _changed_number(self, original: _Original) -> Person:
        maker, rng = self.maker, self.maker.rng
        nsn = maker._fresh_nsn(ph.new_mobile)
        raw = ph.write(nsn, ph.pick_style(rng), rng)
        person = maker._draw_person(raw, same_as=original)
        if rng.random() < 0.3:
            first, last = person.first_name or "", person.last_name or ""
            if rng.random() < 0.5:
                first = typo(first, rng)
            else:
                last = typo(last, rng)
            self._rename(person, first, last)
        return self._record("changed_number", original, person, "other")

    def _household(self) -> Person | None:
        """The next entry of an open household (the other person, or the person again), or
        the first re-entry of a new one."""
        maker, rng = self.maker, self.maker.rng
        if self.open and rng.random() < 0.7:
            slot = rng.randrange(len(self.open))
            cluster, original, other = self.open[slot]
            if not other:  # the other person sharing the number
                raw = ph.write(original[2], ph.pick_style(rng), rng)
                taken = [(original[4], original[5])]
                sharer = maker._draw_person(raw, different_from=original, taken_first=taken)
                other.append(sharer.id)
                maker.truth.shared[original[1]] = [original[0], sharer.id]
                if len(cluster.contact_ids) >= 3:
                    self.open[slot] = self.open[-1]
                    self.open.pop()
                return sharer
            again = self._again(cluster, original)
            if again is not None and len(cluster.contact_ids) >= 3:
                self.open[slot] = self.open[-1]
                self.open.pop()
            return again
        if not maker.pool_mobile:
            return None
        original = maker._take(maker.pool_mobile)
        cluster = Cluster("household_subcluster", original[1], [original[0]], [original[10]])
        cluster.phone_relation = "same"
        person = self._again(cluster, original)
        if person is None:
            maker._remember(maker.pool_mobile, original)
            return None
        maker.truth.clusters.append(cluster)
        self.open.append((cluster, original, []))
        return person

    def _again(self, cluster: Cluster, original: _Original) -> Person | None:
        """The household's person once more, another writing of the number, a name slip."""
        maker, rng = self.maker, self.maker.rng
        raw = maker._variant(original[2], cluster.phones)
        if raw is None:
            return None
        person = maker._draw_person(raw, same_as=original)
        first, last = person.first_name or "", person.last_name or ""
        if rng.random() < 0.5:
            first = typo(first, rng)
        else:
            last = typo(last, rng)
        self._rename(person, first, last)
        cluster.contact_ids.append(person.id)
        cluster.phones.append(raw)
        return person

    # --- helpers --------------------------------------------------------------------------------

    @staticmethod
    def _rename(person: Person, first: str, last: str) -> None:
        person.first_name, person.last_name = first or None, last or None
        if person.full_name is not None:
            person.full_name = f"{first} {last}".strip()[:64] or None

    def _record(self, kind: str, original: _Original, person: Person, relation: str) -> Person:
        cluster = Cluster(kind, original[1], [original[0], person.id], [original[10], person.phone])
        cluster.phone_relation = relation
        self.maker.truth.clusters.append(cluster)
        return person
