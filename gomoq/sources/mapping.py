"""Which source column becomes which contact field.

A mapping is `{column: field}` where field is a contact field (`primaryPhone`, `fullName`,
`firstName`, `lastName`, `primaryEmail`, `city`, ...) or `attr:SLUG` for a custom attribute.
It comes from `--map COLUMN=FIELD` options, from a TOML file (`--mapping FILE.toml`, written by
`--save-mapping`), or, when neither is given, from a guess on the headers (English and French:
`téléphone`, `prénom`, `ville`, ...). The mapping in force is always shown to the operator,
with the columns left out.

TOML shape::

    [map]
    "Téléphone" = "primaryPhone"
    "CRM id" = "attr:crm_id"
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import tomli_w

from gomoq.errors import UsageError
from gomoq.safe_text import printable
from gomoq.sources.fields import ATTR_PREFIX, CONTACT_FIELDS, PHONE

SLUG_RE = re.compile(r"^[a-z0-9_]{1,64}$")

# normalised header (lower case, accents and punctuation folded to spaces) -> field
SYNONYMS: dict[str, str] = {}
for _field, _words in {
    PHONE: (
        "mobile", "phone", "tel", "telephone", "gsm", "portable", "cell", "cellphone",
        "numero", "numero de telephone", "num tel", "msisdn", "phone number", "primary phone",
        "primaryphone", "mobile number", "mobile phone", "tel mobile", "telephone mobile",
    ),
    "fullName": ("name", "full name", "fullname", "nom complet", "nom et prenom", "contact"),
    "firstName": ("first name", "firstname", "prenom", "given name"),
    "lastName": ("last name", "lastname", "surname", "family name", "nom de famille"),
    "primaryEmail": (
        "email", "e mail", "mail", "courriel", "adresse email", "adresse mail",
        "email address", "primary email", "primaryemail",
    ),
    "city": ("city", "ville", "town", "localite", "commune"),
    "address": ("address", "adresse", "rue", "street", "adresse postale"),
    "zip": ("zip", "zip code", "code postal", "postal code", "postcode", "cp"),
    "state": ("state", "region", "province"),
    "occupation": ("occupation", "profession", "metier", "job", "job title"),
    "gender": ("gender", "sexe", "genre", "sex"),
}.items():  # fmt: skip
    for _word in _words:
        SYNONYMS[_word] = _field


def normalise_header(header: str) -> str:
    """`Téléphone (GSM)` -> `telephone gsm`: lower case, no accents, words split on the rest."""
    folded = unicodedata.normalize("NFKD", header)
    ascii_only = "".join(c for c in folded if not unicodedata.combining(c)).lower()
    return " ".join(re.sub(r"[^a-z0-9]+", " ", ascii_only).split())


def check_field(name: str) -> str:
    """`name` if it is a field a column can be mapped to, else a usage error saying which are."""
    if name in CONTACT_FIELDS:
        return name
    if name.startswith(ATTR_PREFIX):
        slug = name[len(ATTR_PREFIX) :]
        if SLUG_RE.match(slug):
            return name
        raise UsageError(
            f"{printable(name)!r}: an attribute slug is 1 to 64 of a-z, 0-9 and _ "
            "(as Gomobile names them)."
        )
    raise UsageError(
        f"Unknown field {printable(name)!r}; map columns to one of {', '.join(CONTACT_FIELDS)} "
        "or attr:SLUG."
    )


@dataclass(frozen=True)
class ColumnMapping:
    """A resolved mapping: column -> field, how it was obtained, and the columns left out."""

    fields: dict[str, str]
    origin: str  # "file" | "guess", with "+options" when --map added to it
    unmapped: tuple[str, ...]

    def column_for(self, field: str) -> str | None:
        """The column mapped to `field`, if any."""
        for column, name in self.fields.items():
            if name == field:
                return column
        return None

    def attributes(self) -> list[str]:
        """The slugs of the custom attributes the mapping writes."""
        return [f[len(ATTR_PREFIX) :] for f in self.fields.values() if f.startswith(ATTR_PREFIX)]

    def lines(self) -> list[str]:
        """The mapping as the operator reads it: `Téléphone -> primaryPhone`, then unmapped."""
        out = [f"{printable(c)} -> {f}" for c, f in self.fields.items()]
        if self.unmapped:
            out.append("not imported: " + ", ".join(printable(c) for c in self.unmapped))
        return out


def parse_map_options(options: Iterable[str]) -> dict[str, str]:
    """`["Tel=primaryPhone", "CRM id=attr:crm_id"]` -> `{column: field}` (the last `=`
    splits, so a column name may hold one)."""
    out: dict[str, str] = {}
    for option in options:
        column, sep, field = option.rpartition("=")
        if not sep or not column or not field:
            raise UsageError(f"--map {printable(option)!r}: write it COLUMN=FIELD.")
        out[column] = check_field(field.strip())
    return out


def load_mapping(path: Path | str) -> dict[str, str]:
    """A mapping TOML file's `[map]` table (see the module docstring)."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"There is no mapping file at {path}.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"The mapping file {path} cannot be read ({exc}).") from None
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"The mapping file {path} is not valid TOML ({exc}).") from None
    table = data.get("map")
    if not isinstance(table, dict) or not all(isinstance(v, str) for v in table.values()):
        raise UsageError(
            f'The mapping file {path} needs a [map] table of "COLUMN" = "FIELD" lines.'
        )
    return {str(k): check_field(v) for k, v in table.items()}


def save_mapping(path: Path | str, fields: Mapping[str, str]) -> None:
    """Write `fields` as a mapping TOML file (atomically)."""
    target = Path(path)
    tmp = target.with_name(target.name + ".tmp")
    tmp.write_text(tomli_w.dumps({"map": dict(fields)}), encoding="utf-8")
    tmp.replace(target)


def guess_mapping(columns: Iterable[str]) -> dict[str, str]:
    """A mapping from the headers alone; each field taken by its first matching column.

    `nom` is a last name beside a `prénom` column and a full name otherwise."""
    columns = list(columns)
    normal = {c: normalise_header(c) for c in columns}
    has_first = any(SYNONYMS.get(n) == "firstName" for n in normal.values())
    out: dict[str, str] = {}
    taken: set[str] = set()
    for column in columns:
        n = normal[column]
        field = SYNONYMS.get(n)
        if n == "nom":
            field = "lastName" if has_first else "fullName"
        if field is None:
            # "Téléphone portable", "Mobile 1": the first word says it
            field = SYNONYMS.get(n.split(" ")[0]) if n else None
            if field != PHONE:
                field = None
        if field is not None and field not in taken:
            out[column] = field
            taken.add(field)
    return out


def resolve_mapping(
    columns: Iterable[str],
    *,
    options: Iterable[str] = (),
    mapping_file: Path | str | None = None,
) -> ColumnMapping:
    """The mapping in force: the file's, or else a guess from the headers, with `--map`
    options on top (a `--map` replaces a guessed column or field). Unknown columns, two
    columns on one field and a missing phone are usage errors."""
    columns = list(columns)
    from_options = parse_map_options(options)
    if mapping_file is not None:
        fields = load_mapping(mapping_file)
        origin = "file+options" if from_options else "file"
    else:
        fields = guess_mapping(columns)
        origin = "guess+options" if from_options else "guess"
        # an explicit --map wins over a guess of the same column or the same field
        claimed = set(from_options.values())
        fields = {c: f for c, f in fields.items() if f not in claimed}
    fields.update(from_options)
    missing = [c for c in fields if c not in columns]
    if missing:
        shown = ", ".join(repr(printable(c)) for c in missing)
        raise UsageError(
            f"The mapping names columns the file does not have: {shown} "
            f"(its columns: {', '.join(printable(c) for c in columns)})."
        )
    seen: dict[str, str] = {}
    for column, field in fields.items():
        if field in seen:
            raise UsageError(
                f"Columns {printable(seen[field])!r} and {printable(column)!r} are both mapped "
                f"to {field}; keep one."
            )
        seen[field] = column
    if PHONE not in seen:
        raise UsageError(
            "No column is mapped to primaryPhone (the key of every contact); "
            "name it with --map COLUMN=primaryPhone."
        )
    ordered = {c: fields[c] for c in columns if c in fields}
    unmapped = tuple(c for c in columns if c not in fields)
    return ColumnMapping(ordered, origin, unmapped)
