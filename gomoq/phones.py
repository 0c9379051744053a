"""Phone numbers to E.164, with validity and type, exactly as `phonenumbers` says, but fast.

`normalise(raw, region)` gives, for every raw string, what `phonenumbers.parse(raw, region)`
followed by `format_number(E164)`, `is_valid_number`, `is_possible_number`, `number_type` and
`region_code_for_number` give (or the `NumberParseException` kind when parsing raises). Per row,
`phonenumbers` costs ~22 µs (22 s per million), so:

- raw values are deduplicated first;
- the common shapes are decided in vectorised polars: a string of ASCII (or Arabic-Indic /
  fullwidth) digits with at most one leading `+` and space, dot, dash or parenthesis
  separators (maybe behind a short label such as "GSM: " and before a ";" or a short note,
  which phonenumbers drops too), written as
  `+<cc><nsn>`, `00<cc><nsn>` (the region's IDD), `<region cc><nsn>`, `0<nsn>` or `<nsn>`. The
  country code is found the way `phonenumbers` finds it (the first 1-3 digit prefix that is a
  known calling code) and the national number is classified with the regular expressions of
  `phonenumbers`' own metadata (`PhoneMetadata.metadata_for_region`), applied in the order of
  `phonenumberutil._number_type_helper` — never hand-written ranges;
- everything else (text, extensions, national prefixes inside international numbers, other
  regions' national formats, ...) goes through `phonenumbers` itself, once per unique value.

`tests/test_phones_differential.py` proves the two paths agree on hundreds of thousands of
varied strings. The national shapes are only taken on the fast path for the regions in
`FAST_REGIONS` (those the differential test covers); other default regions still get the fast
path for `+<cc>` numbers and `phonenumbers` for the rest.

`normalise_cached` keeps a Parquet memo per region under the cache dir so a later run parses only
raw values it has not seen; the memo records the `phonenumbers` version and is ignored when it
differs (new metadata can change answers).

Result columns: `raw`, `e164` (null when unparseable), `valid`, `possible`, `number_type`
(`PhoneNumberType` name; null when unparseable), `region_code` (null when unparseable or no
region matches), `parse_error` (`NOT_A_NUMBER`, `INVALID_COUNTRY_CODE`, `TOO_SHORT_AFTER_IDD`,
`TOO_SHORT_NSN`, `TOO_LONG`; null when parsed).
"""

from __future__ import annotations

import contextlib
import logging
import os
from functools import cache
from pathlib import Path
from typing import Any, Final

import phonenumbers
import polars as pl
import pyarrow.parquet as pq
from phonenumbers import PhoneMetadata, PhoneNumberDesc
from phonenumbers.phonenumberutil import COUNTRY_CODE_TO_REGION_CODE

from gomoq import paths

log = logging.getLogger("gomoq.phones")

SCHEMA: Final[dict[str, pl.DataType]] = {
    "raw": pl.String(),
    "e164": pl.String(),
    "valid": pl.Boolean(),
    "possible": pl.Boolean(),
    "number_type": pl.String(),
    "region_code": pl.String(),
    "parse_error": pl.String(),
}
FAST_REGIONS: Final = frozenset({"MA"})
MEMO_VERSION: Final = 1
_PARSE_ERRORS: Final = {
    phonenumbers.NumberParseException.INVALID_COUNTRY_CODE: "INVALID_COUNTRY_CODE",
    phonenumbers.NumberParseException.NOT_A_NUMBER: "NOT_A_NUMBER",
    phonenumbers.NumberParseException.TOO_SHORT_AFTER_IDD: "TOO_SHORT_AFTER_IDD",
    phonenumbers.NumberParseException.TOO_SHORT_NSN: "TOO_SHORT_NSN",
    phonenumbers.NumberParseException.TOO_LONG: "TOO_LONG",
}
# Digits phonenumbers folds to ASCII that people actually type: Arabic-Indic, Eastern
# Arabic-Indic (Persian) and fullwidth.
_UNICODE_DIGITS: Final = [chr(base + i) for base in (0x0660, 0x06F0, 0xFF10) for i in range(10)]
_ASCII_DIGITS: Final = [str(i) for i in range(10)] * 3
_SHAPE: Final = r"^\+?[0-9](?:[0-9 .\-()]*[0-9])?$"
# Text phonenumbers drops around a number: a short label before it ("Tel ", "GSM: ", "Mob. ";
# everything before the first digit or + is dropped) and, after it, a ";" or a one-letter
# note in parentheses or a one- or two-letter word (too few letters to be read as an alpha
# number; x, the extension mark, excluded).
_LABEL: Final = r"^[A-Za-z][A-Za-z.: ]{0,6}?([+0-9])"
_TAIL: Final = r"(?: ?\([a-wyz]\)| [a-wyz]{1,2}|;)$"
_MAX_SHAPE_LEN: Final = 40
# The type checks of `_number_type_helper`, in its order (before fixed line / mobile).
_TYPE_ORDER: Final = (
    ("premium_rate", "PREMIUM_RATE"),
    ("toll_free", "TOLL_FREE"),
    ("shared_cost", "SHARED_COST"),
    ("voip", "VOIP"),
    ("personal_number", "PERSONAL_NUMBER"),
    ("pager", "PAGER"),
    ("uan", "UAN"),
    ("voicemail", "VOICEMAIL"),
)


def reference_row(raw: str | None, region: str = "MA") -> dict[str, object]:
    """One row of the result computed by `phonenumbers` itself (the definition of correct)."""
    try:
        number = phonenumbers.parse(raw, region)  # type: ignore[arg-type]  # None raises
    except phonenumbers.NumberParseException as exc:
        return {
            "raw": raw,
            "e164": None,
            "valid": False,
            "possible": False,
            "number_type": None,
            "region_code": None,
            "parse_error": _PARSE_ERRORS.get(exc.error_type, "NOT_A_NUMBER"),
        }
    return {
        "raw": raw,
        "e164": phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164),
        "valid": phonenumbers.is_valid_number(number),
        "possible": phonenumbers.is_possible_number(number),
        "number_type": phonenumbers.PhoneNumberType.to_string(phonenumbers.number_type(number)),
        "region_code": phonenumbers.region_code_for_number(number),
        "parse_error": None,
    }


def reference(raw: pl.Series, region: str = "MA") -> pl.DataFrame:
    """`reference_row` for every value (slow: the baseline and the fallback)."""
    rows = [reference_row(value, region) for value in raw.to_list()]
    return pl.DataFrame(rows, schema=SCHEMA, orient="row") if rows else pl.DataFrame(schema=SCHEMA)


# --- metadata to polars expressions ------------------------------------------------------------


def _desc_match(nsn: pl.Expr, desc: PhoneNumberDesc | None) -> pl.Expr:
    """`_is_number_matching_desc`: possible length first, then a full match of the pattern."""
    pattern = None if desc is None else desc.national_number_pattern
    if desc is None or not pattern:
        return pl.lit(False)
    cond = nsn.str.contains(f"^(?:{pattern})$")
    if desc.possible_length:
        cond = nsn.str.len_chars().is_in(list(desc.possible_length)) & cond
    return cond


def _type_expr(nsn: pl.Expr, meta: PhoneMetadata) -> pl.Expr:
    """`_number_type_helper(nsn, meta)` as the PhoneNumberType name."""
    chain: Any = pl.when(~_desc_match(nsn, meta.general_desc)).then(pl.lit("UNKNOWN"))
    for attr, name in _TYPE_ORDER:
        desc = getattr(meta, attr)
        if desc is not None and desc.national_number_pattern:
            chain = chain.when(_desc_match(nsn, desc)).then(pl.lit(name))
    same = bool(meta.same_mobile_and_fixed_line_pattern)
    mobile = _desc_match(nsn, meta.mobile)
    fixed_kind = (
        pl.lit("FIXED_LINE_OR_MOBILE")
        if same
        else pl.when(mobile).then(pl.lit("FIXED_LINE_OR_MOBILE")).otherwise(pl.lit("FIXED_LINE"))
    )
    chain = chain.when(_desc_match(nsn, meta.fixed_line)).then(fixed_kind)
    if not same:
        chain = chain.when(mobile).then(pl.lit("MOBILE"))
    result: pl.Expr = chain.otherwise(pl.lit("UNKNOWN"))
    return result


@cache
def _calling_code_regions(cc: int) -> tuple[tuple[str, PhoneMetadata], ...] | None:
    """The regions (with metadata) of calling code `cc`, or None when not fast-path material."""
    regions = COUNTRY_CODE_TO_REGION_CODE.get(cc)
    if not regions or "001" in regions:
        return None  # non-geographic entities: left to phonenumbers
    out = []
    for region in regions:
        meta = PhoneMetadata.metadata_for_region(region, None)
        if meta is None:
            return None
        out.append((region, meta))
    return tuple(out)


@cache
def _possible(cc: int, length: int) -> bool:
    """`is_possible_number` for calling code `cc` and an NSN of `length` digits (no leading 0):
    it depends on nothing else (`_test_number_length` with the unknown type)."""
    number = phonenumbers.PhoneNumber(country_code=cc, national_number=int("1" * length))
    return bool(phonenumbers.is_possible_number(number))


def _classify(frame: pl.DataFrame, cc: int) -> tuple[pl.DataFrame | None, pl.DataFrame]:
    """Result rows for `frame` (`i`, `raw`, `nsn`) all under calling code `cc`, and the rows
    (`i`, `raw`) left for phonenumbers (all when the calling code is not fast-path material)."""
    regions = _calling_code_regions(cc)
    if regions is None:
        return None, frame.select("i", "raw")
    nsn = pl.col("nsn")
    # parse() strips the national prefix (and carrier codes, and transforms) of the calling
    # code's main region when its pattern matches the start of the national number: those rows
    # go to phonenumbers.
    npfp = regions[0][1].national_prefix_for_parsing
    if npfp:
        try:
            stripped = frame.select(nsn.str.contains(f"^(?:{npfp})")).to_series()
        except pl.exceptions.PolarsError:
            return None, frame.select("i", "raw")
        slow = frame.filter(stripped).select("i", "raw")
        frame = frame.filter(~stripped)
    else:
        slow = frame.clear().select("i", "raw")
    if len(regions) == 1:
        region_expr: pl.Expr = pl.lit(regions[0][0])
    else:
        chain: Any = None
        for region, meta in regions:
            if meta.leading_digits is not None:
                cond = nsn.str.contains(f"^(?:{meta.leading_digits})")
            else:
                cond = _type_expr(nsn, meta) != "UNKNOWN"
            chain = (
                pl.when(cond).then(pl.lit(region))
                if chain is None
                else chain.when(cond).then(pl.lit(region))
            )
        assert chain is not None
        region_expr = chain.otherwise(pl.lit(None, dtype=pl.String))
    try:
        out = frame.with_columns(region_expr.alias("region_code"))
        type_chain: Any = None
        for region, meta in regions:
            cond = pl.col("region_code") == region
            expr = _type_expr(nsn, meta)
            type_chain = (
                pl.when(cond).then(expr) if type_chain is None else type_chain.when(cond).then(expr)
            )
        assert type_chain is not None
        out = out.with_columns(type_chain.otherwise(pl.lit("UNKNOWN")).alias("number_type"))
    except pl.exceptions.PolarsError:  # a metadata regex polars cannot compile
        return None, pl.concat([slow, frame.select("i", "raw")])
    lengths = out.select(pl.col("nsn").str.len_chars().unique()).to_series().to_list()
    possible = {n: _possible(cc, n) for n in lengths}
    done = out.select(
        "i",
        "raw",
        (pl.lit(f"+{cc}") + nsn).alias("e164"),
        (pl.col("number_type") != "UNKNOWN").alias("valid"),
        nsn.str.len_chars().replace_strict(possible, return_dtype=pl.Boolean).alias("possible"),
        "number_type",
        "region_code",
        pl.lit(None, dtype=pl.String).alias("parse_error"),
    )
    return done, slow


@cache
def _valid_calling_codes(width: int) -> frozenset[str]:
    return frozenset(str(cc) for cc in COUNTRY_CODE_TO_REGION_CODE if len(str(cc)) == width)


def _split(values: pl.Series, region: str) -> pl.DataFrame:
    """Columns `i` (row number in `values`), `raw`, `cc` (str), `nsn` (str): the fast-path
    reading; nulls where not fast. Rows come in no particular order."""
    meta = PhoneMetadata.metadata_for_region(region, None)
    # Lazy: polars runs the independent string expressions below in parallel and once each.
    frame = values.to_frame("raw").with_row_index("i").lazy()
    # Most values are already plain digits: only the others pay for the clean-up.
    plain = pl.col("raw").str.contains(_SHAPE).fill_null(False)
    cleaned = (
        pl.col("raw")
        .str.replace_many(_UNICODE_DIGITS, _ASCII_DIGITS)
        .str.replace(_LABEL, "$1")
        .str.replace(_TAIL, "")
    )
    frame = pl.concat(
        [
            frame.filter(plain).with_columns(pl.col("raw").alias("s")),
            frame.filter(~plain).with_columns(cleaned.alias("s")),
        ]
    )
    shaped = pl.col("s").str.contains(_SHAPE) & (pl.col("s").str.len_chars() <= _MAX_SHAPE_LEN)
    # Shaped values hold only digits, "+" and these separators: literal removal (Aho-Corasick)
    # is several times cheaper than a regular expression.
    digits = pl.col("s").str.replace_many(["+", " ", ".", "-", "(", ")"], [""] * 6)
    frame = frame.with_columns(
        pl.when(shaped).then(digits).alias("d"),
        pl.col("s").str.starts_with("+").alias("plus"),
    )
    d = pl.col("d")
    idd = None
    own_cc = national_prefix = None
    nsn_len = None
    national_ok = (
        meta is not None
        and region in FAST_REGIONS
        and meta.international_prefix is not None
        and meta.international_prefix.isdigit()
        and meta.national_prefix is not None
        and meta.national_prefix.isdigit()
        and meta.national_prefix_for_parsing == meta.national_prefix
        and meta.national_prefix_transform_rule is None
        and meta.general_desc is not None
        and len(meta.general_desc.possible_length) == 1
        and not meta.general_desc.possible_length_local_only
    )
    if national_ok:
        assert meta is not None and meta.general_desc is not None
        idd = meta.international_prefix
        own_cc = str(meta.country_code)
        national_prefix = meta.national_prefix
        nsn_len = meta.general_desc.possible_length[0]
    # International digits: after "+", or after the region's IDD when the next digit is not 0.
    intl: Any = pl.when(pl.col("plus")).then(d)
    if idd is not None:
        after = d.str.slice(len(idd))
        intl = intl.when(d.str.starts_with(idd) & ~after.str.starts_with("0")).then(after)
    frame = frame.with_columns(intl.alias("full"))
    full = pl.col("full")
    cc = (
        pl.when(full.str.slice(0, 1).is_in(_valid_calling_codes(1)))
        .then(full.str.slice(0, 1))
        .when(full.str.slice(0, 2).is_in(_valid_calling_codes(2)))
        .then(full.str.slice(0, 2))
        .when(full.str.slice(0, 3).is_in(_valid_calling_codes(3)))
        .then(full.str.slice(0, 3))
    )
    frame = frame.with_columns(cc.alias("cc"))
    rest = pl.col("full").str.slice(pl.col("cc").str.len_chars())
    nsn: Any = pl.when(rest.str.len_chars().is_between(3, 17) & ~rest.str.starts_with("0")).then(
        rest
    )
    cc_out: Any = pl.when(rest.str.len_chars().is_between(3, 17) & ~rest.str.starts_with("0")).then(
        pl.col("cc")
    )
    if national_ok:
        assert own_cc is not None and national_prefix is not None and nsn_len is not None
        np_len = len(national_prefix)
        national = pl.col("full").is_null() & pl.col("d").is_not_null() & ~pl.col("plus")
        # "+212 0612345678": the national prefix inside an international number is stripped.
        own_trunk = (
            (pl.col("cc") == own_cc)
            & rest.str.starts_with(national_prefix)
            & (rest.str.len_chars() == np_len + nsn_len)
            & ~rest.str.slice(np_len).str.starts_with("0")
        )
        # "212612345678": the region's calling code without + (too long to be national).
        no_plus_cc = (
            national
            & d.str.starts_with(own_cc)
            & (d.str.len_chars() == len(own_cc) + nsn_len)
            & ~d.str.slice(len(own_cc)).str.starts_with("0")
        )
        # "0612345678": the national prefix and the NSN.
        trunk = (
            national
            & d.str.starts_with(national_prefix)
            & (d.str.len_chars() == np_len + nsn_len)
            & ~d.str.slice(np_len).str.starts_with("0")
        )
        # "612345678": the NSN alone (not starting like the calling code or the prefix).
        bare = (
            national
            & (d.str.len_chars() == nsn_len)
            & ~d.str.starts_with(national_prefix)
            & ~d.str.starts_with(own_cc)
        )
        nsn = (
            pl.when(own_trunk)
            .then(rest.str.slice(np_len))
            .when(no_plus_cc)
            .then(d.str.slice(len(own_cc)))
            .when(trunk)
            .then(d.str.slice(np_len))
            .when(bare)
            .then(d)
            .otherwise(nsn)
        )
        cc_out = (
            pl.when(own_trunk | no_plus_cc | trunk | bare).then(pl.lit(own_cc)).otherwise(cc_out)
        )
    return frame.select("i", "raw", cc_out.alias("cc"), nsn.alias("nsn")).collect()


def _normalise_unique(values: pl.Series, region: str) -> pl.DataFrame:
    """The result for every value, in order (duplicates are cheap: phonenumbers sees each
    distinct value once, and the fast path costs little per row)."""
    split = _split(values, region)
    parts = []
    fast = split.filter(pl.col("nsn").is_not_null())
    slow_rows = [split.filter(pl.col("nsn").is_null()).select("i", "raw")]
    for (cc,), group in fast.group_by("cc"):
        done, slow_part = _classify(group.select("i", "raw", "nsn"), int(str(cc)))
        slow_rows.append(slow_part)
        if done is not None:
            parts.append(done)
    slow = pl.concat(slow_rows)
    if slow.height:
        read = reference(slow["raw"].unique(), region)
        parts.append(slow.join(read, on="raw", how="left", nulls_equal=True))
    if not parts:
        return pl.DataFrame(schema=SCHEMA)
    schema = {"i": pl.UInt32(), **SCHEMA}
    return pl.concat([p.cast(schema) for p in parts]).sort("i").drop("i")  # type: ignore[arg-type]


def normalise(raw: pl.Series, region: str = "MA") -> pl.DataFrame:
    """One row per value of `raw`, in order: its E.164 form, validity and type (module doc)."""
    return _normalise_unique(raw.cast(pl.String).alias("raw"), region)


def memo_path(region: str) -> Path:
    """Where `normalise_cached` keeps its memo for `region`."""
    return paths.cache_dir() / f"phones-{region}-v{MEMO_VERSION}.parquet"


_VERSION_KEY: Final = b"gomoq.phonenumbers_version"


def _read_memo(path: Path) -> pl.DataFrame | None:
    try:
        meta = pq.read_schema(path).metadata or {}
        if meta.get(_VERSION_KEY, b"").decode() != phonenumbers.__version__:
            return None
        return pl.read_parquet(path).cast(SCHEMA)  # type: ignore[arg-type]
    except (OSError, pl.exceptions.PolarsError, ValueError):
        return None  # a missing or damaged memo costs one slow run, never a failure


def _write_memo(path: Path, frame: pl.DataFrame) -> None:
    """Save the memo, best-effort: a read-only cache or a full disk costs the next run some
    parsing, never this run (a read-only command such as `gomoq check` must work read-only)."""
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        table = frame.to_arrow()
        table = table.replace_schema_metadata({_VERSION_KEY: phonenumbers.__version__.encode()})
        pq.write_table(table, tmp, compression="zstd")
        os.replace(tmp, path)  # atomic: a reader sees the old or the new memo, never half of one
    except OSError as exc:  # pyarrow's write errors are OSErrors too
        log.info("phone memo not saved (%s); the next run parses these numbers again", exc)
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)


def normalise_cached(
    raw: pl.Series, region: str = "MA", *, memo_limit: int = 3_000_000
) -> pl.DataFrame:
    """`normalise`, parsing only raw values absent from the region's memo file.

    The memo keeps the previous memo's rows plus the new ones; past `memo_limit` rows it is cut
    back to this run's values, so it cannot grow without bound.
    """
    raw = raw.cast(pl.String).alias("raw")
    path = memo_path(region)
    memo = _read_memo(path) if path.exists() else None
    known = memo if memo is not None else pl.DataFrame(schema=SCHEMA)
    # One join answers every value the memo knows (the bulk of a weekly run) and names the
    # ones it does not, which alone are parsed.
    joined = raw.to_frame().join(
        known.with_columns(pl.lit(True).alias("_hit")),
        on="raw",
        how="left",
        nulls_equal=True,
        maintain_order="left",
    )
    new = joined.filter(pl.col("_hit").is_null())["raw"].unique()
    if memo is not None and new.len() == 0:
        return joined.drop("_hit")
    known = pl.concat([known, _normalise_unique(new, region)])
    if known.height > memo_limit:
        known = known.join(raw.unique().to_frame(), on="raw", how="semi", nulls_equal=True)
    _write_memo(path, known)
    return raw.to_frame().join(known, on="raw", how="left", nulls_equal=True, maintain_order="left")
