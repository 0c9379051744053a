"""How alike two people's names are, for the duplicates check (0 = unrelated, 1 = same).

Names typed twice for one person drift: accents (Saïd / Said), Arabic transliteration
(Mohammed / Mohamed / Mouhamed, Hicham / Hisham, Mustapha / Mostafa), doubled letters (Ayyoub),
glued or hyphenated particles (El Amrani / Elamrani / El-Amrani, Ben Jelloun / Benjelloun), an
extra or missing part (Karim / Abdelkarim, Alaoui / Alaoui Mdaghri) and first/last order. So a
name is compared as tokens (lowercase, accents removed, `el`/`al` particles dropped) and each
token also as a consonant *skeleton* (ph→f, sh→ch, ou→u, doubled letters once, vowels removed)
that the transliteration variants share. Scores are cached per distinct pair of names: names
repeat a lot, so the pair table is small even for a million contacts.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

STRONG = 0.85
"""From here on two names are taken as the same name."""
PARTIAL = 0.8
"""What a name sharing only some of its parts with another scores at most."""
_PARTICLES = frozenset({"el", "al", "de", "la", "es", "et", "en", "er", "ez"})
# Consonants the Arabic article "al" assimilates to when written joined ("essaidi", "ettazi").
_SUN_LETTERS = frozenset("tdrzsn")
_SPLIT = re.compile(r"[^a-z]+")
# Arabic letters to the Latin letters French-style transliteration uses (enough for the
# skeleton: short vowels are not written in Arabic, and the skeleton drops them anyway).
_ARABIC = str.maketrans(
    {
        "ا": "a", "أ": "a", "إ": "i", "آ": "a", "ب": "b", "ت": "t", "ث": "t", "ج": "j",
        "ح": "h", "خ": "kh", "د": "d", "ذ": "d", "ر": "r", "ز": "z", "س": "s", "ش": "ch",
        "ص": "s", "ض": "d", "ط": "t", "ظ": "d", "ع": "", "غ": "gh", "ف": "f", "ق": "k",
        "ك": "k", "ل": "l", "م": "m", "ن": "n", "ه": "h", "و": "u", "ي": "y", "ى": "a",
        "ة": "a", "ء": "", "ئ": "y", "ؤ": "u",
    }
)  # fmt: skip


@lru_cache(maxsize=200_000)
def tokens(name: str) -> tuple[str, ...]:
    """The normalised tokens of a name (particles dropped, `elX` unglued)."""
    text = unicodedata.normalize("NFKD", name.lower().translate(_ARABIC))
    text = "".join(c for c in text if not unicodedata.combining(c))
    out = []
    for tok in _SPLIT.split(text):
        if not tok or tok in _PARTICLES:
            continue
        if len(tok) > 5 and (tok[:2] == "el" or (tok[:2] == "al" and tok[2] not in "aeiou")):
            tok = tok[2:]  # "elamrani" is "el amrani" typed without the space
        elif len(tok) > 5 and tok[0] in "ae" and tok[1] == tok[2] and tok[1] in _SUN_LETTERS:
            tok = tok[2:]  # "Es-Saidi", "Ettazi": the article assimilated to a sun letter
        if len(tok) > 3 and tok.endswith("h") and tok[-2] in "aeiou":
            tok = tok[:-1]  # Hamzah, Sarah, Kenzah
        out.append(tok)
    return tuple(out)


@lru_cache(maxsize=200_000)
def spelled(token: str) -> str:
    """`token` with transliteration spellings unified ("ouazzani", "wazzani" -> "uazani")."""
    t = token.replace("ph", "f").replace("sh", "ch").replace("ou", "u").replace("kh", "k")
    t = t.replace("th", "t").replace("dj", "j").replace("q", "k").replace("w", "u")
    t = re.sub(r"c([ei])", r"s\1", t)
    return re.sub(r"(.)\1+", r"\1", t)


@lru_cache(maxsize=200_000)
def skeleton(token: str) -> str:
    """Consonant skeleton shared by transliteration variants ("mohammed" -> "mhmd")."""
    t = spelled(token)
    core = re.sub(r"[aeiouy]", "", t)
    return core if len(core) >= 2 else t


def _ratio(a: str, b: str) -> float:
    """1 - Levenshtein distance / longer length; one slip in a name of 5+ letters is 0.88."""
    if a == b:
        return 1.0
    if not a or not b:
        return 0.0
    longest = max(len(a), len(b))
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    if prev[-1] == 1 and longest >= 5:
        return 0.88  # Dupont / Dupond: one letter off in a long enough name is a slip
    return 1.0 - prev[-1] / longest


@lru_cache(maxsize=500_000)
def token_similarity(a: str, b: str) -> float:
    """Similarity of two normalised tokens."""
    if a == b:
        return 1.0
    sa, sb = skeleton(a), skeleton(b)
    # A shared skeleton means a transliteration variant only when the names also start alike
    # once spellings are unified: short skeletons collide across unrelated names ("omar"/"marie"
    # -> "mr", "sophie"/"youssef" -> "sf", "amine"/"imane" -> "mn"), and those are exactly a
    # household's first names. A skeleton of three consonants or more is distinctive on its own
    # ("العمراني" keeps the skeleton "mrn" of "amrani" but not its first vowel).
    trusted = spelled(a)[:1] == spelled(b)[:1] or min(len(sa), len(sb)) >= 3
    if sa == sb and trusted:
        return 0.95
    score = max(_ratio(a, b), 0.9 * _ratio(sa, sb)) if trusted else _ratio(a, b)
    # "karim" inside "abdelkarim", "driss" inside "idriss": one name typed with a prefix.
    short, long_ = (a, b) if len(a) <= len(b) else (b, a)
    if len(short) >= 4 and long_.endswith(short):
        score = max(score, PARTIAL)
    return score


@lru_cache(maxsize=500_000)
def name_similarity(a: str, b: str) -> float:
    """Similarity of two names of any number of tokens (order-insensitive)."""
    ta, tb = tokens(a), tokens(b)
    if not ta or not tb:
        return 0.0
    if ta == tb:
        return 1.0
    joined = token_similarity("".join(ta), "".join(tb))
    short, long_ = (ta, tb) if len(ta) <= len(tb) else (tb, ta)
    # Each token of the shorter name against its best partner in the longer one.
    best = [max(token_similarity(s, t) for t in long_) for s in short]
    matched = sum(best) / len(best)
    if len(short) < len(long_):
        # A part missing ("Fatima" / "Fatima Zahra", "Amine" / "Mohamed Amine"): maybe the
        # same name shortened, maybe a relative's: partial evidence, never strong on its own.
        matched = min(matched, PARTIAL)
    return round(max(joined, matched), 4)


def person_similarity(
    first_a: str | None,
    last_a: str | None,
    full_a: str | None,
    first_b: str | None,
    last_b: str | None,
    full_b: str | None,
) -> float | None:
    """How alike two people's names are; None when one of them has no name at all.

    First and last names are compared separately (and crossed, for swapped fields); a clearly
    different first name caps the score however alike the last names are, because a household
    shares a last name but not a first name: unless both parts reach STRONG, the score is the
    weaker part's.
    """
    if first_a and last_a and first_b and last_b:
        f, last = name_similarity(first_a, first_b), name_similarity(last_a, last_b)
        fx, lx = name_similarity(first_a, last_b), name_similarity(last_a, first_b)
        straight = (f + last) / 2 if min(f, last) >= STRONG else min(f, last)
        crossed = (fx + lx) / 2 if min(fx, lx) >= STRONG else min(fx, lx)
        return max(straight, crossed)
    name_a = full_a or " ".join(p for p in (first_a, last_a) if p)
    name_b = full_b or " ".join(p for p in (first_b, last_b) if p)
    if not name_a.strip() or not name_b.strip():
        return None
    return name_similarity(name_a, name_b)
