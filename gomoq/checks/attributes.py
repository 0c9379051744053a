"""Attributes: custom attribute values against their definitions, and the standard fields.

Custom attributes (cache table `attributes`, one row per contact and name, with the JSON type
the API sent) are checked against their definition's type. The rules are the API's, from
`gomoq.api.contract` (gomobile-api.md §4 leaves the formats open), vectorised here in polars:

- text: a JSON string of at most 1000 characters;
- number: a JSON number (the *string* "12" is not a number: it is reported, so the operator can
  store 12);
- boolean: JSON true/false (not the strings "true"/"false");
- date: a string `YYYY-MM-DD`, or an ISO date-time `YYYY-MM-DDTHH:MM[:SS[.fraction]]` with `Z`
  or a `±HH:MM` offset; the date must exist (2020-02-30 does not) and the time be in range;
- phone_number: 3–20 characters of digits, spaces and `+()./-` with at least 3 digits, and a
  number `phonenumbers` deems valid for the profile's region (`gomoq.phones`; this part is the
  check's, not the API's);
- email: the sandbox's pragmatic rule (one `@`, a dotted domain, no spaces, ≤ 254 characters);
- url: an absolute http(s) URL with a host, no spaces, ≤ 2048 characters;
- a JSON array is valid when each element is (multi-value attributes; at most 100 elements;
  phone elements are checked for format only); an object never is;
- null values are absent values, not problems.

Values under a name with no definition are `undefined_attribute` (warn, switch `undefined`).

Standard fields (switch `standard_fields`), per gomobile-api.md §3.2: `primary_email` an email,
`gender` male or female, and the documented length limits in characters (e.g. first_name 2–64,
address 3–256, primary_phone 3–20). Null means "no value".

One finding per (contact, field): `field` is the attribute's name (slug) for custom attributes
and the cache column name for standard fields; `value` the bad value as text. Custom attribute
findings suggest `set_attribute`; standard-field findings suggest `review` (a plan's
`set_attribute` action writes custom attributes only).
"""

from __future__ import annotations

from typing import Final

import polars as pl

from gomoq.api.contract import (
    COLUMN_LENGTHS,
    DATE_PATTERN,
    DATETIME_PATTERN,
    EMAIL_PATTERN,
    GENDERS,
    MAX_EMAIL,
    MAX_TEXT,
    MAX_URL,
    PHONE_PATTERN,
    URL_PATTERN,
)
from gomoq.checks.base import CheckInput
from gomoq.checks.findings import conform, empty_findings
from gomoq.checks.ids import finding_id_expr
from gomoq.checks.settings import CheckSettings
from gomoq.phones import normalise

CHECK = "attributes"


def _is_date(value: pl.Expr) -> pl.Expr:
    """True where `value` is an accepted date or date-time (calendar and clock checked).

    The shape is checked by an anchored regex, the parts then read at fixed positions (capture
    groups cost ~20x more at a million rows)."""
    plain = value.str.contains(DATE_PATTERN)
    stamp = value.str.contains(DATETIME_PATTERN)
    day_ok = value.str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False).is_not_null()

    def num(offset: int, length: int) -> pl.Expr:
        return value.str.slice(offset, length).cast(pl.Int32, strict=False)

    has_seconds = value.str.slice(16, 1) == ":"
    zulu = value.str.ends_with("Z")
    clock_ok = (
        (num(11, 2) <= 23)
        & (num(14, 2) <= 59)
        & (~has_seconds | (num(17, 2) <= 59))
        & (zulu | ((num(-5, 2) <= 23) & (num(-2, 2) <= 59)))
    )
    return ((plain | (stamp & clock_ok)) & day_ok).fill_null(False)


def _is_email(value: pl.Expr) -> pl.Expr:
    return (value.str.len_chars() <= MAX_EMAIL) & value.str.contains(EMAIL_PATTERN)


def _is_phone_format(value: pl.Expr) -> pl.Expr:
    digits = value.str.count_matches(r"\d")
    return value.str.contains(PHONE_PATTERN) & (digits >= 3)


def _is_url(value: pl.Expr) -> pl.Expr:
    return (value.str.len_chars() <= MAX_URL) & value.str.contains(URL_PATTERN)


def _string_rule(attr_type: str, value: pl.Expr, phone_ok: pl.Expr) -> pl.Expr:
    """Validity of a JSON *string* value for an attribute of type `attr_type`."""
    if attr_type == "text":
        return value.str.len_chars() <= MAX_TEXT
    if attr_type == "date":
        return _is_date(value)
    if attr_type == "phone_number":
        return _is_phone_format(value) & phone_ok
    if attr_type == "email":
        return _is_email(value)
    if attr_type == "url":
        return _is_url(value)
    return pl.lit(False)  # number, boolean (or an unknown type) stored as a string


_STR: Final = r'"(?:[^"\\]|\\.)*"'
_NUM: Final = r"-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?"
_BOOL: Final = r"(?:true|false)"


def _array_of(element: str) -> str:
    return rf"^\[\s*(?:{element}\s*(?:,\s*{element}\s*)*)?\]$"


def _arrays_valid(arrays: pl.DataFrame) -> pl.Series:
    """Validity of JSON array values (multi-value attributes), vectorised: every element must
    be valid for the attribute's type, at most 100 elements (phone elements: format only)."""
    if arrays.height == 0:
        return pl.Series("valid", [], dtype=pl.Boolean)
    value, kind = pl.col("value"), pl.col("attr_type")
    frame = arrays.select("attr_type", "value").with_row_index("row")
    shape_ok = (
        pl.when(kind == "number")
        .then(value.str.contains(_array_of(_NUM)))
        .when(kind == "boolean")
        .then(value.str.contains(_array_of(_BOOL)))
        .otherwise(value.str.contains(_array_of(_STR)))
    )
    frame = frame.with_columns(shape_ok.alias("shape_ok"))
    strings = frame.filter(pl.col("shape_ok") & ~kind.is_in(["number", "boolean"]))
    bad_rows: set[int] = set()
    if strings.height:
        elements = strings.select(
            "row", "attr_type", value.str.json_decode(pl.List(pl.String)).alias("element")
        )
        too_long = elements.filter(pl.col("element").list.len() > 100)["row"]
        bad_rows.update(too_long.to_list())
        exploded = elements.explode("element").filter(pl.col("element").is_not_null())
        for (attr_type,), part in exploded.partition_by("attr_type", as_dict=True).items():
            rule = _string_rule(str(attr_type), pl.col("element"), pl.lit(True))
            bad_rows.update(part.filter(~rule)["row"].unique().to_list())
    counts = frame.filter(pl.col("shape_ok") & kind.is_in(["number", "boolean"])).select(
        "row", (value.str.count_matches(",") + 1).alias("n")
    )
    bad_rows.update(counts.filter(pl.col("n") > 100)["row"].to_list())
    return frame.select(
        (pl.col("shape_ok") & ~pl.col("row").is_in(sorted(bad_rows))).alias("valid")
    ).to_series()


def _reason(kind: pl.Expr, json_type: pl.Expr) -> pl.Expr:
    """Why the value is invalid, in words."""
    expected = (
        pl.when(kind == "date")
        .then(pl.lit("an ISO date (YYYY-MM-DD) or date-time with a time zone that exists"))
        .when(kind == "phone_number")
        .then(pl.lit("a valid phone number"))
        .when(kind == "email")
        .then(pl.lit("an email address"))
        .when(kind == "url")
        .then(pl.lit("an absolute http(s) URL"))
        .when(kind == "text")
        .then(pl.lit(f"a text of at most {MAX_TEXT} characters"))
        .when(kind == "number")
        .then(pl.lit("a JSON number"))
        .when(kind == "boolean")
        .then(pl.lit("JSON true or false"))
        .otherwise(pl.concat_str(pl.lit("a value of type "), kind))
    )
    return pl.concat_str(
        pl.lit("attribute of type "),
        kind,
        pl.lit(" holds a "),
        json_type,
        pl.lit(" that is not "),
        expected,
    )


def _phone_validity(tables: CheckInput, settings: CheckSettings, raws: pl.Series) -> pl.DataFrame:
    """raw -> valid per phonenumbers (via gomoq.phones) in the profile's region."""
    if raws.len() == 0:
        return pl.DataFrame({"raw": raws, "phone_ok": [True] * raws.len()})
    norm = normalise(raws.unique(), settings.region)
    return norm.select("raw", pl.col("valid").fill_null(False).alias("phone_ok"))


def _judged(tables: CheckInput, settings: CheckSettings, attrs: pl.DataFrame) -> pl.DataFrame:
    """The values that can be findings, each with `valid`: the invalid scalar values and every
    array (judged by `_arrays_valid`), from `attrs` (values joined with their `attr_type`)."""
    kind, json_type, value = pl.col("attr_type"), pl.col("json_type"), pl.col("value")
    parts = []
    # One lazy filter per attribute type, so each value meets only its own type's rule (a
    # when/then over every type would run every regex on every row); polars runs them side by
    # side and copies nothing up front (`partition_by` copied all 3 M rows of a million
    # contacts first).
    types = attrs.select(kind.drop_nulls().unique().sort()).to_series().to_list()
    for attr_type in types:
        part = attrs.lazy().filter(kind == attr_type)
        phone_ok: pl.Expr = pl.lit(True)
        if attr_type == "phone_number":
            raws = part.filter(json_type == "string").select("value").collect()["value"].unique()
            phones = _phone_validity(tables, settings, raws)
            part = part.join(phones.lazy(), left_on="value", right_on="raw", how="left")
            phone_ok = pl.col("phone_ok").fill_null(True)
        valid = (
            pl.when(json_type == "string")
            .then(_string_rule(str(attr_type), value, phone_ok))
            .when(json_type == "number")
            .then(pl.lit(attr_type == "number"))
            .when(json_type == "boolean")
            .then(pl.lit(attr_type == "boolean"))
            .otherwise(pl.lit(False))  # arrays are decided below, objects are never valid
        )
        parts.append(
            part.select(
                "contact_id", "name", "value", "json_type", "attr_type", valid.alias("valid")
            )
            # Only what can be a finding: the invalid values, and arrays (decided below).
            .filter(~pl.col("valid") | (json_type == "array"))
        )
    return (
        pl.concat(parts, how="vertical").collect()
        if parts
        else pl.DataFrame(schema={**attrs.schema, "valid": pl.Boolean()}).select(
            "contact_id", "name", "value", "json_type", "attr_type", "valid"
        )
    )


def _custom(tables: CheckInput, settings: CheckSettings) -> pl.LazyFrame:
    """Findings on custom attribute values: invalid for their definition's type, or (switch
    `undefined`) under a name with no definition."""
    defs = (
        tables.attribute_defs.select("name", pl.col("type").alias("attr_type"))
        .filter(pl.col("name").is_not_null())
        .unique("name", keep="first")
    )
    attrs = (
        tables.attributes.filter(
            pl.col("contact_id").is_not_null()
            & pl.col("value").is_not_null()
            & (pl.col("json_type").fill_null("string") != "null")
        )
        .join(defs, on="name", how="left")
        .collect()
    )
    checked = _judged(tables, settings, attrs)
    kind, json_type = pl.col("attr_type"), pl.col("json_type")
    arrays = checked.filter(json_type == "array")
    if arrays.height:
        fixed = arrays.with_columns(_arrays_valid(arrays))
        checked = pl.concat([checked.filter(json_type != "array"), fixed], how="vertical")
    invalid = checked.filter(~pl.col("valid")).select(
        "contact_id",
        pl.lit("invalid_value").alias("kind"),
        pl.lit("error").alias("severity"),
        pl.col("name").alias("field"),
        "value",
        pl.concat_str(pl.lit("'"), pl.col("name"), pl.lit("': "), _reason(kind, json_type)).alias(
            "evidence"
        ),
        pl.lit("set_attribute").alias("suggested_action"),
        pl.lit("custom").alias("scope"),
    )
    frames = [invalid]
    if settings.attributes.undefined:
        frames.append(
            attrs.filter(kind.is_null()).select(
                "contact_id",
                pl.lit("undefined_attribute").alias("kind"),
                pl.lit("warn").alias("severity"),
                pl.col("name").alias("field"),
                "value",
                pl.concat_str(
                    pl.lit("'"),
                    pl.col("name"),
                    pl.lit("' has no attribute definition in this organisation (a "),
                    json_type,
                    pl.lit(" value)"),
                ).alias("evidence"),
                pl.lit("set_attribute").alias("suggested_action"),
                pl.lit("custom").alias("scope"),
            )
        )
    return pl.concat(frames, how="vertical").lazy()


def _field_rule(field: str) -> tuple[pl.Expr, pl.Expr, pl.Expr, str]:
    """(kind or null, evidence, is-a-problem, severity) for one standard column."""
    value = pl.col(field)
    if field == "primary_email":
        bad = value.is_not_null() & ~_is_email(value)
        return (
            pl.lit("invalid_email"),
            pl.lit("primary_email is not a valid email address"),
            bad,
            "error",
        )
    if field == "gender":
        bad = value.is_not_null() & ~value.is_in(list(GENDERS))
        return pl.lit("invalid_gender"), pl.lit("gender must be male or female"), bad, "error"
    low, high = COLUMN_LENGTHS[field]
    n = value.str.len_chars()
    chars = pl.concat_str(pl.lit(f"{field} has "), n.cast(pl.String), pl.lit(" characters; "))
    kind = pl.when(n < low).then(pl.lit("too_short")).otherwise(pl.lit("too_long"))
    evidence = pl.concat_str(
        chars,
        pl.when(n < low)
        .then(pl.lit(f"at least {low} required"))
        .otherwise(pl.lit(f"at most {high} allowed")),
    )
    return kind, evidence, value.is_not_null() & ((n < low) | (n > high)), "warn"


def _standard(tables: CheckInput) -> pl.LazyFrame:
    """Standard-field findings: lengths, email syntax, gender (one filter per column)."""
    columns = [*COLUMN_LENGTHS, "primary_email", "gender"]
    contacts = tables.contacts.select(pl.col("id").alias("contact_id"), *columns).filter(
        pl.col("contact_id").is_not_null()
    )
    frames = []
    for field in columns:
        kind, evidence, bad, severity = _field_rule(field)
        frames.append(
            contacts.filter(bad).select(
                "contact_id",
                kind.alias("kind"),
                pl.lit(severity).alias("severity"),
                pl.lit(field).alias("field"),
                pl.col(field).alias("value"),
                evidence.alias("evidence"),
                pl.lit("review").alias("suggested_action"),
                pl.lit("standard").alias("scope"),
            )
        )
    return pl.concat(frames, how="vertical")


def run(tables: CheckInput, settings: CheckSettings) -> pl.DataFrame:
    """The attribute findings (see the module docstring)."""
    frames = [_custom(tables, settings)]
    if settings.attributes.standard_fields:
        frames.append(_standard(tables))
    found = pl.concat(frames, how="vertical").collect()
    if found.height == 0:
        return empty_findings()
    out = found.select(
        pl.lit(CHECK).alias("check"),
        finding_id_expr(CHECK, pl.col("scope"), "contact_id", "field").alias("finding_id"),
        "contact_id",
        "severity",
        "kind",
        "field",
        "value",
        "evidence",
        "suggested_action",
    ).sort("contact_id", "field")
    return conform(out)
