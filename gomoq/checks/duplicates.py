"""Duplicates: the same person stored more than once, found by phone number and corroborated.

Candidates (never all pairs; see `gomoq.checks.dup_keys`):

- *same number*: contacts whose phones read as the same E.164 number (format variants);
- *one edit apart*: one digit substituted, two adjacent digits swapped, a digit missing or extra
  (deletion-neighbourhood keys over the E.164 digits);
- *country-code confusion*: a number read in the region that is invalid there but valid once a
  `+` is put in front of its digits (a foreign "33612345678" stored without its +), and a trunk
  0 kept inside an international number ("+212 0612..." typed as "+2120612...").

Every candidate pair of contacts is scored from corroborating evidence: name similarity
(`gomoq.checks.dup_names`: accents, transliteration variants, token order), same email, same
city, and calls of one contact dialled to the other's (different) number. The confidence is
0.4 + 0.6 x name similarity for one number, 0.2 + 0.7 x name similarity for numbers one edit
apart, plus 0.15 for the same email, 0.05 for the same city and 0.1 for the calls. `merge` needs
the same name (similarity >= 0.85), or a partial name ("Jean" / "Jean-Marc") with the same
email, or, for numbers one edit apart, with the same city; short of that the confidence stays
just under `merge_confidence`. Same number with clearly different names (below
`different_person_below`, and no shared email) is not a duplicate but a shared number (a
family, a reception desk): one `shared_number` finding per number (severity info, action
`review`, never `merge`); so is a number held by more than `max_same_number` contacts.

Pairs at or above `merge_confidence` are joined into clusters (union-find; a component larger
than `max_cluster` is not trusted as a whole and falls back to its pairs); a pair between
`min_confidence` and `merge_confidence` not already inside one cluster is a cluster of its own
(so a weak link never drags a sure pair down to review). A cluster's confidence is its weakest
link; its kind is `exact_duplicate` when all its members share one number, else
`near_duplicate`. Each member gets a row (shared `cluster_id`), suggested action `merge` when the
confidence reaches `merge_confidence`, else `review`. An uncorroborated near pair (different
names, no email, another city) scores below `min_confidence` and is not reported unless
`report_uncorroborated` is set: on a million numbers, hundreds of thousands of unrelated people
are one digit apart.

The finding id hashes the kind and the sorted member ids (so "not a duplicate" sticks to that
set of people); the `data_fingerprint` column hashes the members' (id, phone, names), so a
decision lapses when one of them changes.
"""

from __future__ import annotations

from dataclasses import dataclass

import phonenumbers
import polars as pl

from gomoq import phones as phone_lib
from gomoq.checks.base import PHONE_CHECK_FIELDS, CheckInput
from gomoq.checks.dup_keys import near_number_pairs
from gomoq.checks.dup_names import PARTIAL, STRONG, name_similarity, person_similarity
from gomoq.checks.findings import conform, empty_findings
from gomoq.checks.ids import SEP, finding_id_expr
from gomoq.checks.settings import CheckSettings
from gomoq.errors import ConfigError

CHECK = "duplicates"
_COLUMNS = PHONE_CHECK_FIELDS


@dataclass(frozen=True)
class DuplicateSettings:
    """`[profiles.X.checks.duplicates]`: thresholds of the duplicates check."""

    merge_confidence: float = 0.8
    min_confidence: float = 0.6
    different_person_below: float = 0.7
    max_key_share: int = 8
    max_cluster: int = 10
    max_same_number: int = 25
    report_uncorroborated: bool = False

    def __post_init__(self) -> None:
        for name in ("merge_confidence", "min_confidence", "different_person_below"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ConfigError(f"checks.duplicates.{name} must be between 0 and 1.")
        if self.max_key_share < 2 or self.max_cluster < 2 or self.max_same_number < 2:
            raise ConfigError(
                "checks.duplicates.max_key_share, max_cluster and max_same_number must be >= 2."
            )


def duplicate_settings(settings: CheckSettings) -> DuplicateSettings:
    """The duplicates settings of a run (defaults when the profile has none)."""
    own = settings.duplicates
    return own if isinstance(own, DuplicateSettings) else DuplicateSettings()


def run(tables: CheckInput, settings: CheckSettings) -> pl.DataFrame:
    """Duplicate clusters and shared numbers (see the module docstring)."""
    joined = tables.contact_phones(settings.region)
    if joined.height < 2:
        return empty_findings()
    calls = tables.calls.select("contact_id", "phone_number")
    return find(_people(joined), settings.region, duplicate_settings(settings), calls)


# --- candidates --------------------------------------------------------------------------------


def _people(joined: pl.DataFrame) -> pl.DataFrame:
    """Contacts (`_COLUMNS` with their normalised phone, `CheckInput.contact_phones`) whose
    phone parses, with `digits` (E.164 without +) and `num` (the digits as an integer)."""
    return (
        joined.select(*_COLUMNS, "e164", "valid")
        .filter(pl.col("e164").is_not_null())
        .with_columns(pl.col("e164").str.slice(1).alias("digits"))
        # The digits as one integer (null past UInt64): near pairs are joined on it, cheaper
        # than on strings for a million contacts.
        .with_columns(pl.col("digits").cast(pl.UInt64, strict=False).alias("num"))
        # Pairs name contacts by row (`r`): gathering rows is cheaper than joining on ids.
        .with_row_index("r")
    )


def _alt_edges(people: pl.DataFrame, region: str) -> pl.DataFrame:
    """`num`, `num_b`, `edit` between numbers (as integers) for country-code confusion and a
    kept trunk 0."""
    own = str(phonenumbers.country_code_for_region(region))
    invalid = people.filter(~pl.col("valid") & pl.col("digits").str.starts_with(own))
    nsn = invalid.select("digits", pl.col("digits").str.slice(len(own)).alias("nsn")).unique()
    # A whole international number (calling code + at least 7 digits) read as a national one.
    whole = nsn.filter(pl.col("nsn").str.len_chars().is_between(8, 15))
    plus = phone_lib.normalise(("+" + whole["nsn"]).alias("raw"))
    cc_edges = (
        pl.DataFrame({"a": whole["digits"], "b": plus["e164"].str.slice(1), "ok": plus["valid"]})
        .filter(pl.col("ok"))
        .with_columns(pl.lit("country_code").alias("edit"))
    )
    trunk = nsn.filter(pl.col("nsn").str.starts_with("0")).select(
        pl.col("digits").alias("a"),
        (pl.lit(own) + pl.col("nsn").str.slice(1)).alias("b"),
        pl.lit("trunk_zero").alias("edit"),
    )
    edges = pl.concat([cc_edges.select("a", "b", "edit"), trunk]).select(
        pl.col("a").cast(pl.UInt64, strict=False).alias("num"),
        pl.col("b").cast(pl.UInt64, strict=False).alias("num_b"),
        "edit",
    )
    # Only edges to a number some contact has (on integers: a semi-join on a million strings
    # costs ~0.15 s).
    return edges.join(people.select(pl.col("num").alias("num_b")), on="num_b", how="semi")


def _crowded(people: pl.DataFrame, cfg: DuplicateSettings) -> pl.DataFrame:
    """`num`, `n`: the numbers held by more than `max_same_number` contacts.

    Grouped on `num` (the digits as an integer, never null for E.164 digits): cheaper than on
    the number as a string for a million contacts."""
    sizes = people.group_by("num").agg(pl.len().alias("n"))
    return sizes.filter(pl.col("n") > cfg.max_same_number)


def _contact_pairs(
    people: pl.DataFrame, crowded: pl.DataFrame, region: str, cfg: DuplicateSettings
) -> pl.DataFrame:
    """Candidate contact pairs as rows of `people`, `r_a` and `r_b` (the one with the smaller
    id first), with `edit` (`same` for one number); contacts on a `crowded` number are not
    paired."""
    small = people.join(crowded, on="num", how="anti").select("r", "id", "num")
    exact = (
        small.join(small, on="num", suffix="_b")
        .filter(pl.col("id") < pl.col("id_b"))
        .select(pl.col("r").alias("r_a"), "r_b", pl.lit("same").alias("edit"))
    )
    alt = _alt_edges(people, region)
    near_numbers = near_number_pairs(people["num"], max_key_share=cfg.max_key_share)
    edges = pl.concat([near_numbers, alt]).drop_nulls().unique(["num", "num_b"], keep="first")
    holders = small.filter(pl.col("num").is_not_null())
    swap = pl.col("id") > pl.col("id_b")
    near = (
        edges.join(holders, on="num")
        .join(holders, left_on="num_b", right_on="num", suffix="_b")
        .select(
            pl.when(swap).then("r_b").otherwise("r").alias("r_a"),
            pl.when(swap).then("r").otherwise("r_b").alias("r_b"),
            "edit",
        )
    )
    return pl.concat([exact, near]).unique(["r_a", "r_b"], keep="first")


# --- scoring -----------------------------------------------------------------------------------


def _pair_column(frame: pl.DataFrame, a: str, b: str, name: str) -> pl.DataFrame:
    """`frame` with `name` = `name_similarity(a, b)`, computed once per distinct pair."""
    distinct = frame.select(a, b).unique()
    values = [name_similarity(x, y) for x, y in distinct.iter_rows()]
    table = distinct.with_columns(pl.Series(name, values, dtype=pl.Float64))
    return frame.join(table, on=[a, b], how="left")


def _name_similarity(frame: pl.DataFrame) -> pl.DataFrame:
    """`frame` (pairs with both sides' names) with `name_sim` = `person_similarity(...)`.

    With all four name parts present (the usual case) the four part similarities are computed
    per distinct pair of names and combined in polars: on a million contacts there are far fewer
    distinct pairs of first names than pairs of contacts. The rest go through
    `person_similarity` per distinct tuple.
    """
    four = ("first_name", "last_name", "first_name_b", "last_name_b")
    whole = pl.all_horizontal((pl.col(c).str.len_chars() > 0).fill_null(False) for c in four)
    frame = frame.with_row_index("_r")
    full = frame.filter(whole)
    for a, b, name in (
        ("first_name", "first_name_b", "_f"),
        ("last_name", "last_name_b", "_l"),
        ("first_name", "last_name_b", "_fx"),
        ("last_name", "first_name_b", "_lx"),
    ):
        full = _pair_column(full, a, b, name)

    def combine(x: str, y: str) -> pl.Expr:
        low = pl.min_horizontal(x, y)
        return pl.when(low >= STRONG).then((pl.col(x) + pl.col(y)) / 2).otherwise(low)

    full = full.with_columns(
        pl.max_horizontal(combine("_f", "_l"), combine("_fx", "_lx")).alias("name_sim")
    ).drop("_f", "_l", "_fx", "_lx")
    rest = frame.filter(~whole)
    cols = ["first_name", "last_name", "full_name", "first_name_b", "last_name_b", "full_name_b"]
    keys = rest.select(cols).unique()
    sims = [person_similarity(*row) for row in keys.iter_rows()]
    keys = keys.with_columns(pl.Series("name_sim", sims, dtype=pl.Float64))
    rest = rest.join(keys, on=cols, how="left", nulls_equal=True)
    return pl.concat([full, rest]).sort("_r").drop("_r")


def _norm_text(col: str) -> pl.Expr:
    return pl.col(col).str.strip_chars().str.to_lowercase()


def _dialled(pairs: pl.DataFrame, calls: pl.LazyFrame, people: pl.DataFrame) -> pl.DataFrame:
    """`pairs` (`id_a`, `e164`, `id_b`, `e164_b`... as in `_score`) with `dialled`: a call of
    one contact was dialled to the other's number.

    Calls keep the number as dialled (raw, mostly the contact's phone as it was stored): read
    through the contacts' phones (`people`); a raw no contact has is not read (rare, and
    parsing millions of calls' numbers is not worth it)."""
    ids = pl.concat([pairs["id_a"], pairs["id_b"]]).unique()
    hits = (
        calls.filter(
            pl.col("contact_id").is_in(ids.implode()) & pl.col("phone_number").is_not_null()
        )
        .select("contact_id", "phone_number")
        .unique()
        .collect()
        .join(
            people.select("primary_phone", "e164"), left_on="phone_number", right_on="primary_phone"
        )
        .select("contact_id", "e164")
        .unique()
        .with_columns(pl.lit(True).alias("hit"))
    )
    return (
        pairs.join(
            hits.rename({"contact_id": "id_a", "e164": "e164_b", "hit": "hit_ab"}),
            on=["id_a", "e164_b"],
            how="left",
        )
        .join(hits.rename({"contact_id": "id_b", "hit": "hit_ba"}), on=["id_b", "e164"], how="left")
        .with_columns((pl.col("hit_ab") | pl.col("hit_ba")).fill_null(False).alias("dialled"))
        .drop("hit_ab", "hit_ba")
    )


def _confidence(merge_confidence: float) -> pl.Expr:
    """A pair's confidence from `name_sim`, `same_email`, `same_city`, `dialled`, `edit`."""
    s = pl.col("name_sim").fill_null(0.5)
    bonus = (
        0.15 * pl.col("same_email").cast(pl.Float64)
        + 0.05 * pl.col("same_city").cast(pl.Float64)
        + 0.1 * (pl.col("dialled") & (pl.col("edit") != "same")).cast(pl.Float64)
    )
    exact_conf = 0.4 + 0.6 * s + bonus
    near_conf = 0.2 + 0.7 * s + bonus
    conf = pl.when(pl.col("edit") == "same").then(exact_conf).otherwise(near_conf)
    # Merge needs the same name (STRONG), or a partial name ("Jean" / "Jean-Marc") with the
    # same email, or, for numbers one edit apart (relatives sharing a phone are the risk of
    # same-number pairs, not of near ones), with the same city. Anything less stays just under
    # the merge threshold, for review. Different emails are said, not scored: people have
    # several addresses.
    sim = pl.col("name_sim").fill_null(0.0)
    near_partial = (pl.col("edit") != "same") & (sim >= PARTIAL) & pl.col("same_city")
    weak = (sim < STRONG) & ~pl.col("same_email") & ~near_partial
    conf = pl.when(weak).then(pl.min_horizontal(conf, merge_confidence - 0.01)).otherwise(conf)
    return conf.clip(0.0, 0.99).round(2)


def _score(
    pairs: pl.DataFrame, people: pl.DataFrame, calls: pl.LazyFrame, cfg: DuplicateSettings
) -> pl.DataFrame:
    """Pairs with the members' data, `name_sim`, `same_email`, `same_city`, `dialled`,
    `confidence`."""
    side = people.select((*_COLUMNS, "e164")).rechunk()  # gathers from one chunk are fast
    first = side[pairs["r_a"]].rename({"id": "id_a"})
    second = side[pairs["r_b"]].rename(lambda c: "id_b" if c == "id" else f"{c}_b")
    frame = pl.concat([pairs.select("edit"), first, second], how="horizontal")
    frame = _name_similarity(frame)
    cities = frame.select("city", "city_b").drop_nulls().unique()
    city_sim = [name_similarity(a, b) >= 0.85 for a, b in cities.iter_rows()]
    cities = cities.with_columns(pl.Series("same_city", city_sim, dtype=pl.Boolean))
    frame = frame.join(cities, on=["city", "city_b"], how="left")
    # Each side's email normalised once (lower-casing 2 x 368k texts per use costs).
    frame = frame.with_columns(
        _norm_text("primary_email").alias("_email_a"),
        _norm_text("primary_email_b").alias("_email_b"),
    )
    email_a, email_b = pl.col("_email_a"), pl.col("_email_b")
    frame = frame.with_columns(
        (email_a == email_b).fill_null(False).alias("same_email"),
        ((email_a != email_b) & email_a.is_not_null() & email_b.is_not_null())
        .fill_null(False)
        .alias("other_email"),
        pl.col("same_city").fill_null(False),
    ).drop("_email_a", "_email_b")
    # The calls bonus only counts for numbers one edit apart, and only pairs it could lift to
    # `min_confidence` need it: on a million contacts that is a few thousand of ~350,000 near
    # pairs, and reading the calls of all of them costs seconds.
    conf = _confidence(cfg.merge_confidence)
    could = (pl.col("edit") != "same") & (
        pl.lit(cfg.report_uncorroborated) | (conf >= cfg.min_confidence)
    )
    frame = frame.with_columns(pl.lit(True).alias("dialled")).with_columns(could.alias("_ask"))
    asked = _dialled(frame.filter("_ask"), calls, people)
    rest = frame.filter(~pl.col("_ask")).with_columns(pl.lit(False).alias("dialled"))
    frame = pl.concat([asked, rest]).drop("_ask")
    return frame.with_columns(conf.alias("confidence"))


# --- clusters and findings -----------------------------------------------------------------------

_EDIT_WORDS = {
    "typo": "differ by one digit",
    "swap": "differ by two adjacent digits swapped",
    "missing_digit": "differ by one digit missing in one of them",
    "extra_digit": "differ by one digit missing in one of them",
    "country_code": "are the same number with and without its country code",
    "trunk_zero": "differ by a trunk 0 kept after the country code",
}


def _pair_words(row: dict[str, object]) -> str:
    if row["edit"] == "same":
        phones = sorted({str(row["primary_phone"]), str(row["primary_phone_b"])})
        how = f"written {len(phones)} ways" if len(phones) > 1 else "written the same way"
        text = f"same number {row['e164']} {how}"
    else:
        text = f"numbers {row['e164']} / {row['e164_b']} {_EDIT_WORDS[str(row['edit'])]}"
    name_a = row["full_name"] or " ".join(
        str(p) for p in (row["first_name"], row["last_name"]) if p
    )
    name_b = row["full_name_b"] or " ".join(
        str(p) for p in (row["first_name_b"], row["last_name_b"]) if p
    )
    if row["name_sim"] is not None:
        text += f"; names '{name_a}' / '{name_b}' (similarity {float(row['name_sim']):.2f})"  # type: ignore[arg-type]
    if row["same_email"]:
        text += "; same email"
    elif row["other_email"]:
        text += "; different emails"
    if row["same_city"]:
        text += "; same city"
    if row["dialled"] and row["edit"] != "same":
        text += "; calls of one were dialled to the other's number"
    return text


def _components(edges: list[tuple[str, str]]) -> dict[str, str]:
    """Union-find: node -> representative."""
    parent: dict[str, str] = {}

    def root(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in edges:
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    return {x: root(x) for x in parent}


def find(
    people: pl.DataFrame, region: str, cfg: DuplicateSettings, calls: pl.LazyFrame
) -> pl.DataFrame:
    """Findings from the contacts whose phone parses (`_people`) and the calls."""
    crowded_numbers = _crowded(people, cfg)
    pairs = _contact_pairs(people, crowded_numbers, region, cfg)
    crowded = _crowded_numbers(people, crowded_numbers, cfg)
    if pairs.height == 0 and not crowded:
        return empty_findings()
    scored = _score(pairs, people, calls, cfg)
    different = (
        (pl.col("edit") == "same")
        & (pl.col("name_sim") < cfg.different_person_below)
        & ~pl.col("same_email")
    )
    rows: list[dict[str, object]] = []
    rows += _shared_numbers(scored.filter(different), people)
    rows += crowded
    kept = scored.filter(
        ~different
        & ((pl.col("confidence") >= cfg.min_confidence) | pl.lit(cfg.report_uncorroborated))
    )
    rows += _clusters(kept, people, cfg)
    if not rows:
        return empty_findings()
    out = pl.DataFrame(rows, infer_schema_length=None)
    out = out.join(_fingerprints(out, people), on="finding_id", how="left", maintain_order="left")
    # Hashed here for all clusters at once: the members' ids joined by the parts separator
    # hash exactly as `finding_id(CHECK, kind, *sorted ids)`.
    fid = finding_id_expr(CHECK, pl.col("kind"), pl.col("finding_id"))
    out = out.with_columns(
        fid.alias("finding_id"),
        fid.alias("cluster_id"),
        finding_id_expr(CHECK, "fingerprint", pl.col("data_fingerprint")).alias("data_fingerprint"),
    )
    return conform(out).with_columns(out["data_fingerprint"]).sort("cluster_id", "contact_id")


def _member_rows(
    ids: list[str],
    people_by_id: dict[str, dict[str, object]],
    kind: str,
    severity: str,
    evidence: str,
    action: str,
    confidence: float | None,
) -> list[dict[str, object]]:
    members = [people_by_id[i] for i in sorted(ids)]
    fid = SEP.join(sorted(ids))  # the finding id's parts, hashed in `find`
    return [
        {
            "check": CHECK,
            "finding_id": fid,
            "contact_id": m["id"],
            "cluster_id": fid,
            "severity": severity,
            "kind": kind,
            "field": "primary_phone",
            "value": m["primary_phone"],
            "evidence": evidence,
            "suggested_action": action,
            "confidence": confidence,
        }
        for m in members
    ]


def _display_name() -> pl.Expr:
    """The name shown for a contact: its full name, else its first and last names."""
    parts = [pl.col(c).replace("", None) for c in ("first_name", "last_name")]
    joined = pl.concat_str(parts, separator=" ", ignore_nulls=True)
    return pl.coalesce(pl.col("full_name").replace("", None), joined)


def _fingerprints(out: pl.DataFrame, people: pl.DataFrame) -> pl.DataFrame:
    """The data fingerprint text of every finding of `out` (by its `finding_id`, still the
    members' ids joined): the members' "id|phone|first|last|full" lines, sorted, one per line
    (null shown as None). Hashed in `find`; a decision lapses when one of these changes."""
    cols = ("id", "primary_phone", "first_name", "last_name", "full_name")
    line = pl.concat_str([pl.col(c).fill_null("None") for c in cols], separator="|")
    members = (
        out.select("finding_id", pl.col("contact_id").alias("id"))
        .unique()
        .join(people.select(cols), on="id")
    )
    return members.group_by("finding_id").agg(line.sort().str.join("\n").alias("data_fingerprint"))


def _number_findings(
    members: pl.DataFrame, severity: str, evidence: pl.Expr
) -> list[dict[str, object]]:
    """`shared_number` rows for every number (`e164`) of `members`, in polars: a million
    contacts can hold thousands of shared numbers. `evidence` is an aggregation over one
    number's members sorted by id (it may use `n`, their count, and `names`, their display
    names quoted and joined)."""
    if members.height == 0:
        return []
    groups = (
        members.sort("id")
        .group_by("e164", maintain_order=True)
        .agg(
            pl.col("id").str.join(SEP).alias("finding_id"),
            pl.len().alias("n"),
            pl.concat_str(pl.lit("'"), _display_name().fill_null(""), pl.lit("'"))
            .str.join(", ")
            .alias("names"),
        )
        .with_columns(evidence.alias("evidence"))
        .select("e164", "finding_id", "evidence")
    )
    rows = members.join(groups, on="e164").select(
        pl.lit(CHECK).alias("check"),
        "finding_id",
        pl.col("id").alias("contact_id"),
        pl.col("finding_id").alias("cluster_id"),
        pl.lit(severity).alias("severity"),
        pl.lit("shared_number").alias("kind"),
        pl.lit("primary_phone").alias("field"),
        pl.col("primary_phone").alias("value"),
        "evidence",
        pl.lit("review").alias("suggested_action"),
        pl.lit(None, dtype=pl.Float64).alias("confidence"),
    )
    return rows.to_dicts()


def _shared_numbers(different: pl.DataFrame, people: pl.DataFrame) -> list[dict[str, object]]:
    if different.height == 0:
        return []
    members = people.join(different.select("e164").unique(), on="e164", how="semi")
    evidence = pl.concat_str(
        pl.col("e164"),
        pl.lit(" is the number of "),
        pl.col("n").cast(pl.String),
        pl.lit(" contacts with different names: "),
        pl.col("names"),
        pl.lit("; a shared phone (household, office), not a duplicate"),
    )
    return _number_findings(members, "info", evidence)


def _crowded_numbers(
    people: pl.DataFrame, crowded: pl.DataFrame, cfg: DuplicateSettings
) -> list[dict[str, object]]:
    """Numbers held by more than `max_same_number` contacts (`crowded`, from `_crowded`): a
    switchboard or a placeholder, reported once as a shared number without comparing its
    holders."""
    if crowded.height == 0:
        return []
    members = people.join(crowded, on="num")
    evidence = pl.concat_str(
        pl.col("e164"),
        pl.lit(" is the number of "),
        pl.col("n").cast(pl.String),
        pl.lit(
            f" contacts (more than {cfg.max_same_number}): a switchboard or a placeholder, "
            "not one person"
        ),
    )
    return _number_findings(members, "warn", evidence)


def _link_order(link: dict[str, object]) -> tuple[float, str, str]:
    """Weakest link first, then by the ids: an order that does not depend on the pairs' order."""
    confidence = link["confidence"]
    assert isinstance(confidence, float)
    return (confidence, str(link["id_a"]), str(link["id_b"]))


def _cluster_rows(
    part: list[dict[str, object]], by_id: dict[str, dict[str, object]], cfg: DuplicateSettings
) -> list[dict[str, object]]:
    """The member rows of one cluster made of the links `part`."""
    ids = {str(e[k]) for e in part for k in ("id_a", "id_b")}
    confidence = min(float(e["confidence"]) for e in part)  # type: ignore[arg-type]
    exact = len({by_id[i]["e164"] for i in ids}) == 1
    kind = "exact_duplicate" if exact else "near_duplicate"
    ordered = sorted(part, key=_link_order)
    evidence = " | ".join(_pair_words(e) for e in ordered[:3])
    if len(part) > 3:
        evidence += f" | and {len(part) - 3} more links"
    action = "merge" if confidence >= cfg.merge_confidence else "review"
    return _member_rows(
        sorted(ids), by_id, kind, "warn", f"{len(ids)} contacts: {evidence}", action, confidence
    )


def _clusters(
    kept: pl.DataFrame, people: pl.DataFrame, cfg: DuplicateSettings
) -> list[dict[str, object]]:
    if kept.height == 0:
        return []
    edges = kept.to_dicts()
    # Clusters are built from the strong links only (a weak link must not drag a sure pair
    # down to "review"); each weak link between two strong clusters is its own review pair.
    strong = [e for e in edges if e["confidence"] >= cfg.merge_confidence]
    weak = [e for e in edges if e["confidence"] < cfg.merge_confidence]
    comp = _components([(str(e["id_a"]), str(e["id_b"])) for e in strong])
    for e in weak:
        a, b = str(e["id_a"]), str(e["id_b"])
        if comp.get(a, a) != comp.get(b, b):  # not already inside one strong cluster
            e["_group"] = f"{a}+{b}"
    groups: dict[str, list[dict[str, object]]] = {}
    for e in strong:
        groups.setdefault(comp[str(e["id_a"])], []).append(e)
    for e in weak:
        if "_group" in e:
            groups.setdefault(str(e["_group"]), []).append(e)
    member_ids = {str(e[k]) for e in edges for k in ("id_a", "id_b")}
    by_id = {r["id"]: r for r in people.filter(pl.col("id").is_in(list(member_ids))).to_dicts()}
    rows: list[dict[str, object]] = []
    for group in groups.values():
        ids = {str(e[k]) for e in group for k in ("id_a", "id_b")}
        # A component too big to be one person is not trusted as a whole: its pairs instead.
        parts = [[e] for e in group] if len(ids) > cfg.max_cluster else [group]
        for part in parts:
            rows += _cluster_rows(part, by_id, cfg)
    return rows
