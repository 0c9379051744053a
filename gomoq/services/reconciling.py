"""`gomoq reconcile`: keep Gomobile in step with a system of record, as a plan (no printing).

The same reading, mapping and preflight as `gomoq import`, plus the source's view of which
contacts should exist. Every live contact in scope is classified:

- **new** (in the source, not in Gomobile): created;
- **changed**: the fields that differ are written (`only_empty`: only fields that are empty in
  Gomobile);
- **unchanged**: nothing;
- **gone** (in scope, not in the source): `ignore` (default), `soft-delete` (the guide's option
  A), `remove-from-audiences` (B: only contacts still in a static audience), or
  `flag:SLUG=VALUE` (C, e.g. `flag:is_active=false`; contacts already flagged are left alone).

The key is the normalised phone, or a source id stored on the contacts (`attr:SLUG`). The scope
says which contacts count as "from this source": `all`, or `attr:SLUG` (those holding a value
for that attribute), so that contacts created by hand in Gomobile are never touched by accident.

A guard refuses a plan whose gone-action would touch more than `max_deletes` contacts (default
5 % of the scope): a truncated export must not empty an organisation. Applying the plan and
reconciling the same file again plans nothing.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import polars as pl

from gomoq import phones
from gomoq.config import Profile
from gomoq.errors import UsageError
from gomoq.plan.model import Action, DeleteAction, FlagAction, Plan, RemoveFromAudiencesAction
from gomoq.progress import CancelFn, ProgressFn, check_cancel
from gomoq.services.importing import (
    ImportOptions,
    ImportResult,
    fingerprints,
    import_actions,
    prepare,
)
from gomoq.sources.fields import ATTR_PREFIX, PHONE
from gomoq.sources.mapping import SLUG_RE
from gomoq.sources.matching import key_values, match_by_key, match_by_phone
from gomoq.sources.preflight import write_rejects
from gomoq.sources.values import infer_type, typed

log = logging.getLogger("gomoq.reconcile")

DELETED_MODES: Final = ("ignore", "soft-delete", "remove-from-audiences", "flag:SLUG=VALUE")
DEFAULT_SHARE: Final = 0.05


@dataclass(frozen=True)
class ReconcileOptions:
    """`--key`, `--deleted`, `--scope`, `--max-deletes` (None: 5 % of the scope)."""

    key: str = "phone"
    deleted: str = "ignore"
    scope: str = "all"
    max_deletes: str | None = None

    def __post_init__(self) -> None:
        for name, value in (("--key", self.key), ("--scope", self.scope)):
            plain = "phone" if name == "--key" else "all"
            if value != plain and not _slug_of(value):
                raise UsageError(f"{name} must be {plain} or attr:SLUG (not {value!r}).")
        if self.deleted not in ("ignore", "soft-delete", "remove-from-audiences"):
            flag = self.flag()
            if flag is None:
                raise UsageError(
                    f"--deleted must be one of {', '.join(DELETED_MODES)} (not {self.deleted!r})."
                )
        self.limit(100)  # an unreadable --max-deletes fails before anything is read

    def flag(self) -> tuple[str, str] | None:
        """(slug, value) of `flag:SLUG=VALUE`, else None."""
        if not self.deleted.startswith("flag:"):
            return None
        slug, sep, value = self.deleted[5:].partition("=")
        return (slug, value) if sep and SLUG_RE.match(slug) and value else None

    def limit(self, scope: int) -> int:
        """The most contacts the gone-action may touch for a scope of `scope` contacts."""
        text = (self.max_deletes or "").strip()
        try:
            if not text:
                return math.floor(DEFAULT_SHARE * scope)
            if text.endswith("%"):
                return math.floor(float(text[:-1]) / 100 * scope)
            return int(text)
        except ValueError:
            raise UsageError(
                f"--max-deletes takes a count or a share such as 5% (not {text!r})."
            ) from None


def _slug_of(value: str) -> str | None:
    slug = value[len(ATTR_PREFIX) :] if value.startswith(ATTR_PREFIX) else ""
    return slug if SLUG_RE.match(slug) else None


def _source_keys(result: ImportResult, options: ReconcileOptions, kind: str) -> pl.Series:
    """Every key the source holds, rejected rows included (a row rejected for a bad email is
    still a contact the source knows: it is not gone)."""
    table = result.table
    if options.key == "phone":
        column = result.mapping.column_for(PHONE)
        assert column is not None
        raw = table.read([column])[column]
        return phones.normalise_cached(raw, result.preflight.options.region)["e164"].drop_nulls()
    column = result.mapping.column_for(options.key)
    if column is None:
        raise UsageError(
            f"--key {options.key}: no column is mapped to it (use --map COLUMN={options.key})."
        )
    raw = table.read([column])[column].str.strip_chars()
    values = pl.DataFrame({"v": raw}).select(key_values(pl.col("v"), kind))["v"]
    return values.drop_nulls()


def build_reconcile(
    profile: Profile,
    path: Path | str,
    options: ImportOptions,
    reconcile: ReconcileOptions,
    *,
    progress: ProgressFn | None = None,
    should_cancel: CancelFn | None = None,
) -> ImportResult:
    """A plan that brings the profile's organisation in step with the source file."""
    ready = prepare(profile, path, options, progress=progress, should_cancel=should_cancel)
    table, mapping, preflight, cache = ready.table, ready.mapping, ready.preflight, ready.cache
    try:
        check_cancel(should_cancel)
        snap = cache.snapshot
        contacts, attributes = snap.scan("contacts"), snap.scan("attributes")
        live = ready.live
        fields = [f for f in mapping.fields.values() if f != PHONE]
        key_slug = _slug_of(reconcile.key)
        types = preflight.attribute_types
        if key_slug is not None:
            if reconcile.key not in mapping.fields.values():
                raise UsageError(
                    f"--key {reconcile.key}: no column is mapped to it "
                    f"(use --map COLUMN={reconcile.key})."
                )
            matched = match_by_key(
                preflight.rows,
                live,
                contacts,
                attributes,
                fields,
                types,
                key_slug,
                only_empty=options.only_empty,
            )
        else:
            matched = match_by_phone(
                preflight.rows,
                live,
                contacts,
                attributes,
                fields,
                types,
                only_empty=options.only_empty,
            )
        result = ImportResult(Plan(profile.name), table, mapping, preflight, matched, cache)
        key_kind = types.get(key_slug, "text") if key_slug else "text"
        keys = _source_keys(result, reconcile, key_kind).unique()

        scope_slug = _slug_of(reconcile.scope)
        in_scope = live.select("id", "phone")
        if scope_slug is not None:
            holders = (
                attributes.filter((pl.col("name") == scope_slug) & pl.col("value").is_not_null())
                .select(pl.col("contact_id").alias("id"))
                .unique()
                .collect()
            )
            in_scope = in_scope.join(holders, on="id", how="semi")
        if key_slug is None:
            keyed = in_scope.rename({"phone": "_key"})
        else:
            stored = (
                attributes.filter(pl.col("name") == key_slug)
                .select(
                    pl.col("contact_id").alias("id"),
                    key_values(pl.col("value"), key_kind).alias("_key"),
                )
                .collect()
                .unique("id")
            )
            keyed = in_scope.select("id").join(stored, on="id", how="left")
        gone = keyed.filter(
            ~pl.col("_key").is_in(keys.implode()).fill_null(False)
            & ~pl.col("id").is_in(matched.matched_ids.implode())
        )["id"].sort()
        scope_size = in_scope.height
        actions: list[Action] = import_actions(preflight, matched, options.batch_size)
        gone_action, acted = _gone_action(reconcile, gone, snap, preflight.attribute_types)
        limit = reconcile.limit(scope_size)
        if gone_action is not None and acted > limit:
            verb = {"soft-delete": "delete", "remove-from-audiences": "remove from audiences"}
            raise UsageError(
                f"Refused: the plan would {verb.get(reconcile.deleted, 'flag')} {acted:,} of the "
                f"{scope_size:,} contacts in scope, more than --max-deletes allows ({limit:,}); "
                "a truncated export must not empty an organisation: check the file, or raise "
                "--max-deletes if this is right."
            )
        if gone_action is not None:
            actions.append(gone_action)
        # updates carry their `was` values; the gone contacts are checked by fingerprint
        gone_ids = list(gone_action.contact_ids()) if gone_action is not None else []
        result.plan = Plan(profile.name, actions, fingerprints=fingerprints(profile, gone_ids))
        counts = {**matched.summary(), "gone": gone.len(), "gone_acted": acted, "scope": scope_size}
        result.extra.update(
            {
                "reconcile": {
                    "key": reconcile.key,
                    "scope": reconcile.scope,
                    "deleted": reconcile.deleted,
                    "max_deletes": limit,
                    "counts": counts,
                },
                "lines": [
                    f"Scope {reconcile.scope}: {scope_size:,} live contacts; key {reconcile.key}.",
                    f"Gone from the source: {gone.len():,} ({reconcile.deleted}"
                    + (f": {acted:,} to act on" if gone_action is not None else "")
                    + f"; the guard allows {limit:,}).",
                ],
            }
        )
        if options.rejects is not None:
            result.rejects_written = write_rejects(table, preflight, options.rejects)
            result.extra["rejects_path"] = str(options.rejects)
        result.plan.source = {"command": "reconcile", **result.summary()}
        log.info(
            "reconcile %s: %s", Path(path).name, " ".join(f"{k}={v}" for k, v in counts.items())
        )
        return result
    finally:
        table.close()


def _gone_action(
    options: ReconcileOptions, gone: pl.Series, snap: Any, defs_types: dict[str, str]
) -> tuple[Action | None, int]:
    """The action for contacts gone from the source, and how many contacts it touches."""
    ids = gone.to_list()
    if options.deleted == "ignore" or not ids:
        return None, 0
    if options.deleted == "soft-delete":
        return DeleteAction("gone", tuple(ids)), len(ids)
    if options.deleted == "remove-from-audiences":
        statics = snap.scan("audiences").filter(pl.col("type") == "static").select("id")
        members = (
            snap.scan("audience_members")
            .filter((pl.col("status") == "active") & pl.col("contact_id").is_in(ids))
            .join(statics, left_on="audience_id", right_on="id", how="semi")
            .select("contact_id")
            .unique()
            .collect()["contact_id"]
            .sort()
            .to_list()
        )
        if not members:
            return None, 0
        return RemoveFromAudiencesAction("gone", tuple(members)), len(members)
    flag = options.flag()
    assert flag is not None
    slug, text = flag
    defs = snap.read("attribute_defs")
    defined = dict(zip(defs["name"].to_list(), defs["type"].to_list(), strict=True))
    kind = defined.get(slug) or defs_types.get(slug) or infer_type(pl.Series([text]))
    out, why = typed(pl.col("v"), kind)
    frame = pl.DataFrame({"v": [text]}).select(out.alias("o"), why.alias("w"))
    if frame["w"][0] is not None:
        raise UsageError(f"--deleted flag:{slug}={text}: {slug} is {kind}, and {frame['w'][0]}.")
    value = frame["o"][0]
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    current = (
        snap.scan("attributes")
        .filter((pl.col("name") == slug) & pl.col("contact_id").is_in(ids))
        .select("contact_id", "value")
        .collect()
    )
    shown = (
        {True: "true", False: "false"}.get(value, str(value))
        if isinstance(value, bool)
        else str(value)
    )
    already = set(current.filter(pl.col("value") == shown)["contact_id"].to_list())
    todo = [c for c in ids if c not in already]
    if not todo:
        return None, 0
    return FlagAction("gone", tuple(todo), attribute=slug, value=value, attribute_type=kind), len(
        todo
    )
