"""Phone numbers for the generator: Moroccan mobiles and fixed lines written every way people type
them, foreign numbers, single-edit mistakes and invalid numbers.

A Moroccan number is held as its 9-digit national significant number (NSN, e.g. "612345678");
`write` renders it in one of the `STYLES`. Every style here is one `phonenumbers` parses back to
the same E.164 number with region MA (checked by the tests), and stays within the API's 20
characters. Mistakes (`substitute`, `swap`, `drop`, `insert`) only touch the last six digits, so a
substituted or swapped number keeps a valid operator prefix.
"""

from __future__ import annotations

import random

import phonenumbers

# Operator prefixes (first three NSN digits) phonenumbers deems valid MOBILE numbers for MA, and
# four-digit fixed-line prefixes (Casablanca 522…, Rabat 537…): a subset checked by the tests.
MOBILE_PREFIXES: tuple[str, ...] = tuple(
    [str(p) for p in range(600, 700) if p not in (683, 685, 686)]
    + [str(p) for p in range(700, 729)]
    + [str(p) for p in range(760, 790)]
)
FIXED_PREFIXES: tuple[str, ...] = (
    "5220",
    "5222",
    "5223",
    "5224",
    "5225",
    "5226",
    "5227",
    "5228",
    "5229",
    "5370",
    "5376",
    "5377",
    "5356",
    "5243",
    "5394",
)

# Style name -> weight. The weights are how often each way of writing appears in real exports.
STYLES: dict[str, int] = {
    "e164": 38,
    "national": 30,
    "national_spaced": 8,
    "national_dashed": 3,
    "national_dotted": 2,
    "intl_00": 3,
    "intl_no_plus": 3,
    "intl_spaced": 5,
    "intl_trunk": 1,
    "lost_zero": 2,
    "arabic_digits": 1,
    "stray_text": 2,
}
STYLE_NAMES: tuple[str, ...] = tuple(STYLES)
STYLE_CUM: tuple[int, ...] = tuple(sum(list(STYLES.values())[: i + 1]) for i in range(len(STYLES)))

_ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
_STRAY_PREFIX = ("tel: ", "Tel ", "GSM: ", "Mob. ")
_STRAY_SUFFIX = (" (h)", " wa", ";")


def pairs(digits: str) -> list[str]:
    """'0612345678' -> ['06', '12', '34', '56', '78'] (the French-style grouping)."""
    return [digits[i : i + 2] for i in range(0, len(digits), 2)]


def write(nsn: str, style: str, rng: random.Random) -> str:
    """The NSN written in `style` (a key of STYLES)."""
    national = "0" + nsn
    if style == "e164":
        return "+212" + nsn
    if style == "national":
        return national
    if style == "national_spaced":
        return " ".join(pairs(national))
    if style == "national_dashed":
        return "-".join(pairs(national))
    if style == "national_dotted":
        return ".".join(pairs(national))
    if style == "intl_00":
        return "00212" + nsn if rng.random() < 0.5 else "00212 " + nsn
    if style == "intl_no_plus":
        return "212" + nsn
    if style == "intl_spaced":
        return "+212 " + nsn[0] + " " + " ".join(pairs(nsn[1:]))
    if style == "intl_trunk":
        return "+212 (0)" + nsn
    if style == "lost_zero":
        return nsn
    if style == "arabic_digits":
        return national.translate(_ARABIC_INDIC)
    if style == "stray_text":
        if rng.random() < 0.6:
            return rng.choice(_STRAY_PREFIX) + (
                national if rng.random() < 0.5 else " ".join(pairs(national))
            )
        return national + rng.choice(_STRAY_SUFFIX)
    raise ValueError(f"unknown phone style {style}")


def pick_style(rng: random.Random, *, avoid: str | None = None) -> str:
    """A style drawn by weight, different from `avoid` when given."""
    while True:
        style = rng.choices(STYLE_NAMES, cum_weights=STYLE_CUM)[0]
        if style != avoid:
            return style


def new_mobile(rng: random.Random) -> str:
    """A random Moroccan mobile NSN ("6XXXXXXXX" or "7XXXXXXXX")."""
    return rng.choice(MOBILE_PREFIXES) + f"{int(rng.random() * 1_000_000):06d}"


def new_fixed(rng: random.Random) -> str:
    """A random Moroccan fixed-line NSN ("5XXXXXXXX")."""
    return rng.choice(FIXED_PREFIXES) + f"{int(rng.random() * 100_000):05d}"


# Foreign numbers: (country, template of E.164 without the digits to draw, digits to draw, how
# often). Written in international form, sometimes with 00 or spaces.
_FOREIGN = (
    ("FR", "+336", 8, 35),
    ("FR", "+337", 8, 5),
    ("ES", "+346", 8, 15),
    ("BE", "+3247", 7, 10),
    ("US", "+1212", 7, 10),
    ("SN", "+22177", 7, 10),
    ("IT", "+393", 9, 5),
    ("DE", "+4915", 9, 5),
    ("NL", "+316", 8, 5),
)


def new_foreign(rng: random.Random) -> str:
    """A valid foreign number in E.164 (re-drawn until phonenumbers deems it valid)."""
    weights = [w for *_, w in _FOREIGN]
    for _ in range(50):
        _, head, n, _ = rng.choices(_FOREIGN, weights=weights)[0]
        if head == "+1212":
            tail = f"{rng.randrange(200, 1000)}{rng.randrange(10_000):04d}"
        else:
            tail = "".join(str(rng.randrange(10)) for _ in range(n))
        e164 = head + tail
        if phonenumbers.is_valid_number(phonenumbers.parse(e164)):
            return e164
    raise RuntimeError("could not draw a valid foreign number")  # pragma: no cover


def write_foreign(e164: str, rng: random.Random) -> str:
    """A foreign E.164 number as people type it: as is, with 00, or with spaces."""
    r = rng.random()
    if r < 0.6:
        return e164
    if r < 0.8:
        return "00" + e164[1:]
    number = phonenumbers.parse(e164)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


# --- single-edit mistakes on a 9-digit NSN (positions 3..8: the prefix stays intact) -------------


def substitute(nsn: str, rng: random.Random) -> str:
    """One digit replaced by another."""
    pos = rng.randrange(3, len(nsn))
    digit = rng.choice([d for d in "0123456789" if d != nsn[pos]])
    return nsn[:pos] + digit + nsn[pos + 1 :]


def swap(nsn: str, rng: random.Random) -> str | None:
    """Two different adjacent digits swapped, or None when all candidate pairs are equal."""
    spots = [i for i in range(3, len(nsn) - 1) if nsn[i] != nsn[i + 1]]
    if not spots:
        return None
    i = rng.choice(spots)
    return nsn[:i] + nsn[i + 1] + nsn[i] + nsn[i + 2 :]


def drop(nsn: str, rng: random.Random) -> str:
    """One digit missing (an 8-digit, invalid NSN)."""
    pos = rng.randrange(3, len(nsn))
    return nsn[:pos] + nsn[pos + 1 :]


def insert(nsn: str, rng: random.Random) -> str:
    """One digit too many (a 10-digit, invalid NSN)."""
    pos = rng.randrange(3, len(nsn) + 1)
    return nsn[:pos] + str(rng.randrange(10)) + nsn[pos:]


# --- invalid and impossible numbers ---------------------------------------------------------------

INVALID_REASONS = ("too_short", "too_long", "invalid_prefix", "placeholder", "not_a_number")
_PLACEHOLDERS = ("0000000000", "1111111111", "123", "000", "0123456789", "9999999999", "x")
_NOT_NUMBERS = ("N/A", "inconnu", "---", "pas de tel", "none", "?")


def new_invalid(rng: random.Random, used: set[str]) -> tuple[str, str]:
    """(raw, reason) for a number phonenumbers rejects as invalid, not yet in `used`."""
    for _ in range(100):
        reason = rng.choice(INVALID_REASONS)
        if reason == "too_short":
            raw = "06" + "".join(str(rng.randrange(10)) for _ in range(rng.randrange(2, 6)))
        elif reason == "too_long":
            raw = "06" + "".join(str(rng.randrange(10)) for _ in range(rng.randrange(10, 13)))
        elif reason == "invalid_prefix":
            raw = rng.choice(("08", "04", "01")) + f"{rng.randrange(100_000_000):08d}"
        elif reason == "placeholder":
            raw = rng.choice(_PLACEHOLDERS)
        else:
            raw = rng.choice(_NOT_NUMBERS)
        if len(raw) < 3 or raw in used or is_valid(raw):
            continue
        return raw, reason
    raw = "06" + f"{rng.randrange(10**12):012d}"  # practically never reached: surely unique
    return raw, "too_long"


def is_valid(raw: str, region: str = "MA") -> bool:
    """True when phonenumbers parses `raw` into a valid number."""
    try:
        return bool(phonenumbers.is_valid_number(phonenumbers.parse(raw, region)))
    except phonenumbers.NumberParseException:
        return False


def e164_of(raw: str, region: str = "MA") -> str | None:
    """phonenumbers' E.164 form of `raw`, or None when it cannot be parsed."""
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
