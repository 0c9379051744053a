"""Checked source rows against the cache: which contact each row is, and what would change.

A row is matched **by normalised phone**: the E.164 form of every live contact's stored phone
(`gomoq.phones`, with the profile's region) against the row's. Upsert matches the phone string
as stored, so matching raw strings is how `+212612345678` and `0612345678` become two
contacts; this is the one place gomoq decides it. A row whose phone no live contact holds is
new; one live holder is an update (only the fields whose values differ; a row with none
costs nothing); several live holders (an unreviewed duplicate) update none and are reported
with the cluster.

Reconcile may match by a source key instead (`attr:SLUG`, e.g. the CRM's id stored on each
contact); rows whose key is unknown fall back to the phone, so a contact that exists without
the key is updated (and gets the key), not duplicated.

Comparisons are typed: a number attribute holding 12 equals a source value "12,0" read as
12.0; a value stored with the wrong JSON type (the string "12" for a number) differs, so the
import also repairs it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

import polars as pl

from gomoq.api.contract import column_name
from gomoq.sources.fields import ATTR_PREFIX, PHONE
from gomoq.sources.reading import ROW

CUR: Final = "cur:"
NEW: Final = "new:"
WAS: Final = "was:"


@dataclass
class Matched:
    """Rows sorted by fate, ready to become plan actions."""

    creates: list[dict[str, Any]]  # API bodies
    create_rows: list[int]  # their source rows
    updates: list[dict[str, Any]]  # {"row", "contact", "phone" (as stored), "set"}
    unchanged: int
    ambiguous: pl.DataFrame  # ROW, phone, contacts (list of ids)
    matched_ids: pl.Series  # every live contact a row matched (changed or not)

    def summary(self) -> dict[str, int]:
        """Counts per fate."""
        return {
            "new": len(self.creates),
            "changed": len(self.updates),
            "unchanged": self.unchanged,
            "ambiguous": self.ambiguous.height,
        }


def _bodies(frame: pl.DataFrame, fields: list[str], prefix: str = NEW) -> list[dict[str, Any]]:
    """API bodies from the `prefix` columns of every row (null = not written); one pass over
    row tuples (a dict per row and a name lookup per cell cost 3 s per 100,000 rows)."""
    keys = [
        (f[len(ATTR_PREFIX) :], True) if f.startswith(ATTR_PREFIX) else (f, False) for f in fields
    ]
    if not fields:  # a file of phones alone
        return [{} for _ in range(frame.height)]
    picked = frame.select([prefix + f for f in fields])
    # a number column of whole values is sent as integers (12, not 12.0), decided per column
    whole = [
        c
        for c, t in picked.schema.items()
        if t == pl.Float64
        and picked.select(
            ((pl.col(c) == pl.col(c).round()) & (pl.col(c).abs() < 2**53)).all()
        ).item()
    ]
    picked = picked.with_columns(pl.col(whole).cast(pl.Int64))
    out: list[dict[str, Any]] = []
    for values in picked.iter_rows():
        body: dict[str, Any] = {}
        attrs: dict[str, Any] = {}
        for (key, is_attr), value in zip(keys, values, strict=True):
            if value is None:
                continue
            if is_attr:
                attrs[key] = value
            else:
                body[key] = value
        if attrs:
            body["customAttributes"] = attrs
        out.append(body)
    return out


def _was(body: Mapping[str, Any], before: Mapping[str, Any]) -> dict[str, Any]:
    """The cached values (`before`, by field name) of the fields `body` writes."""
    out: dict[str, Any] = {k: before.get(k) for k in body if k != "customAttributes"}
    attrs = body.get("customAttributes")
    if attrs:
        out["customAttributes"] = {s: before.get(ATTR_PREFIX + s) for s in attrs}
    return out


def _current_attributes(attributes: pl.LazyFrame, ids: pl.Series, slugs: list[str]) -> pl.DataFrame:
    """contact_id, then `cur:attr:SLUG` (text) and `cur:attr:SLUG:type` per slug."""
    frame = ids.to_frame("contact_id")
    if not slugs:
        return frame
    longf = (
        attributes.filter(pl.col("name").is_in(slugs) & pl.col("contact_id").is_in(ids.implode()))
        .select("contact_id", "name", "value", "json_type")
        .collect()
    )
    for slug in slugs:
        one = longf.filter(pl.col("name") == slug).select(
            "contact_id",
            pl.col("value").alias(f"{CUR}{ATTR_PREFIX}{slug}"),
            pl.col("json_type").alias(f"{CUR}{ATTR_PREFIX}{slug}:type"),
        )
        frame = frame.join(one.unique("contact_id"), on="contact_id", how="left")
    return frame


def _changed(name: str, attr_type: str | None, only_empty: bool) -> pl.Expr:
    """True where the source value should be written over the current one."""
    src, cur = pl.col(name), pl.col(CUR + name)
    if only_empty:
        return src.is_not_null() & cur.is_null()
    if attr_type is None:
        same = cur == src
    else:
        kind = pl.col(f"{CUR}{name}:type")
        if attr_type == "number":
            same = (kind == "number") & (cur.cast(pl.Float64, strict=False) == src)
        elif attr_type == "boolean":
            same = (kind == "boolean") & ((cur == "true") == src)
        else:
            same = (kind == "string") & (cur == src)
    return src.is_not_null() & ~same.fill_null(False)


def compare(
    rows: pl.DataFrame,
    contacts: pl.LazyFrame,
    attributes: pl.LazyFrame,
    fields: list[str],
    types: Mapping[str, str],
    *,
    only_empty: bool = False,
) -> tuple[list[dict[str, Any]], int]:
    """Updates for rows matched to one contact each (`id`, `primary_phone` columns set):
    (updates, rows with nothing to change)."""
    if rows.height == 0:
        return [], 0
    std = [f for f in fields if not f.startswith(ATTR_PREFIX)]
    slugs = [f[len(ATTR_PREFIX) :] for f in fields if f.startswith(ATTR_PREFIX)]
    ids = rows["id"]
    current = (
        contacts.filter(pl.col("id").is_in(ids.implode()))
        .select("id", *(pl.col(column_name(f)).alias(CUR + f) for f in std))
        .collect()
    )
    cur_attrs = _current_attributes(attributes, ids, slugs).rename({"contact_id": "id"})
    joined = rows.join(current, on="id", how="left").join(cur_attrs, on="id", how="left")
    news = [
        pl.when(
            _changed(
                f,
                types.get(f[len(ATTR_PREFIX) :]) if f.startswith(ATTR_PREFIX) else None,
                only_empty,
            )
        )
        .then(pl.col(f))
        .alias(NEW + f)
        for f in fields
    ]
    if "new_phone" in joined.columns:
        news.append(pl.col("new_phone").alias(NEW + PHONE))
    was = [pl.col(CUR + f).alias(WAS + f) for f in fields]
    out = joined.select(ROW, "id", "primary_phone", *news, *was)
    news_out = [pl.col(c).is_not_null() for c in out.columns if c.startswith(NEW)]
    changed = out.filter(pl.any_horizontal(news_out)) if news_out else out.head(0)
    written = [*fields, PHONE] if "new_phone" in joined.columns else fields
    bodies = _bodies(changed, written)
    was_names = [WAS + f for f in fields]
    updates = []
    for (row, cid, stored, *before), body in zip(
        changed.select(ROW, "id", "primary_phone", *was_names).iter_rows(), bodies, strict=True
    ):
        # what the reviewed cache held in the fields written: apply compares before writing
        cached = dict(zip(fields, before, strict=True))
        cached[PHONE] = stored
        updates.append(
            {"row": row, "contact": cid, "phone": stored, "set": body, "was": _was(body, cached)}
        )
    return updates, out.height - changed.height


def match_by_phone(
    rows: pl.DataFrame,
    live: pl.DataFrame,
    contacts: pl.LazyFrame,
    attributes: pl.LazyFrame,
    fields: list[str],
    types: Mapping[str, str],
    *,
    only_empty: bool = False,
) -> Matched:
    """Match preflight rows (ROW, phone, fields...) to the live contacts `live` (id,
    primary_phone as stored, phone as E.164)."""
    holders = (
        live.join(rows.select("phone").unique(), on="phone", how="semi")  # not all 1 M
        .group_by("phone")
        .agg(pl.col("id"), pl.col("primary_phone"))
    )
    joined = rows.join(holders, on="phone", how="left")
    n = pl.col("id").list.len().fill_null(0)
    new = joined.filter(n == 0)
    ambiguous = joined.filter(n > 1).select(ROW, "phone", pl.col("id").alias("contacts"))
    one = joined.filter(n == 1).with_columns(
        pl.col("id").list.first(), pl.col("primary_phone").list.first()
    )
    updates, unchanged = compare(
        one.drop(RAW_COLUMNS, strict=False),
        contacts,
        attributes,
        fields,
        types,
        only_empty=only_empty,
    )
    new_bodies = _bodies(new.with_columns(pl.col(f).alias(NEW + f) for f in fields), fields)
    creates = [
        {"primaryPhone": phone, **body}
        for phone, body in zip(new["phone"].to_list(), new_bodies, strict=True)
    ]
    return Matched(
        creates=creates,
        create_rows=new[ROW].to_list(),
        updates=updates,
        unchanged=unchanged,
        ambiguous=ambiguous,
        matched_ids=one["id"],
    )


RAW_COLUMNS: Final = ["phone_as_given"]


def key_values(column: pl.Expr, attr_type: str) -> pl.Expr:
    """A source key or a stored attribute value as comparable text (numbers as floats' text,
    so 12 and 12.0 are one key)."""
    if attr_type == "number":
        return column.cast(pl.Float64, strict=False).cast(pl.String)
    return column.cast(pl.String)


def match_by_key(
    rows: pl.DataFrame,
    live: pl.DataFrame,
    contacts: pl.LazyFrame,
    attributes: pl.LazyFrame,
    fields: list[str],
    types: Mapping[str, str],
    slug: str,
    *,
    only_empty: bool = False,
) -> Matched:
    """Match rows to live contacts by the value of attribute `slug` (mapped as `attr:SLUG`);
    rows whose key no contact holds are matched by phone (so no duplicate is created)."""
    key_col = ATTR_PREFIX + slug
    kind = types.get(slug, "text")
    stored = (
        attributes.filter(pl.col("name") == slug)
        .select("contact_id", key_values(pl.col("value"), kind).alias("_key"))
        .collect()
        .join(
            live.select(pl.col("id").alias("contact_id"), "primary_phone", "phone"),
            on="contact_id",
            how="inner",
        )
    )
    holders = stored.group_by("_key").agg(
        pl.col("contact_id").alias("id"), pl.col("primary_phone"), pl.col("phone").alias("_cur")
    )
    keyed = rows.with_columns(key_values(pl.col(key_col), kind).alias("_key"))
    joined = keyed.join(holders, on="_key", how="left")
    n = pl.col("id").list.len().fill_null(0)
    ambiguous = joined.filter(n > 1).select(ROW, "phone", pl.col("id").alias("contacts"))
    one = joined.filter(n == 1).with_columns(
        pl.col("id").list.first(),
        pl.col("primary_phone").list.first(),
        pl.col("_cur").list.first(),
    )
    # the source moved the contact to another number: write it (by id, see import_steps)
    one = one.with_columns(
        pl.when(pl.col("_cur").is_null() | (pl.col("_cur") != pl.col("phone")))
        .then(pl.col("phone"))
        .alias("new_phone")
    ).drop("_cur", "_key")
    if only_empty:
        one = one.with_columns(pl.lit(None, pl.String).alias("new_phone"))
    updates, unchanged = compare(
        one.drop(RAW_COLUMNS, strict=False),
        contacts,
        attributes,
        fields,
        types,
        only_empty=only_empty,
    )
    rest = joined.filter(n == 0).drop("id", "primary_phone", "_cur", "_key")
    by_phone = match_by_phone(
        rest, live, contacts, attributes, fields, types, only_empty=only_empty
    )
    return Matched(
        creates=by_phone.creates,
        create_rows=by_phone.create_rows,
        updates=updates + by_phone.updates,
        unchanged=unchanged + by_phone.unchanged,
        ambiguous=pl.concat([ambiguous, by_phone.ambiguous]),
        matched_ids=pl.concat([one["id"], by_phone.matched_ids]),
    )
