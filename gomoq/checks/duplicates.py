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

import phonenumbers
import polars as pl

from gomoq import phones as phone_lib
from gomoq.checks import dup_model, dup_score
from gomoq.checks.base import PHONE_CHECK_FIELDS, CheckInput
from gomoq.checks.dup_blocking import blocked_pairs
from gomoq.checks.dup_keys import near_number_pairs
from gomoq.checks.findings import conform, empty_findings
from gomoq.checks.ids import SEP, finding_id_expr
from gomoq.checks.settings import CheckSettings, DuplicateSettings

CHECK = "duplicates"
_COLUMNS = PHONE_CHECK_FIELDS


def duplicate_settings(settings: CheckSettings) -> DuplicateSettings:
    """The duplicates settings of a run (defaults when the profile has none)."""
    return settings.duplicates


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
    # Narrow before joining: `people` carries a dozen columns a million rows long.
    small = people.select("r", "id", "num").join(crowded, on="num", how="anti")
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


def _score(
    pairs: pl.DataFrame,
    people: pl.DataFrame,
    calls: pl.LazyFrame,
    cfg: DuplicateSettings,
) -> pl.DataFrame:
    """Pairs with the members' data, levels, weights, `probability` and `confidence`."""
    frame, model = dup_score.score(pairs, people)
    side = people.select((*_COLUMNS, "e164")).rechunk()  # gathers from one chunk are fast
    first = side[pairs["r_a"]].rename({"id": "id_a"})
    second = side[pairs["r_b"]].rename(lambda c: "id_b" if c == "id" else f"{c}_b")
    frame = pl.concat([frame, first, second], how="horizontal")
    frame = dup_model.weights(frame.with_columns(pl.lit(False).alias("dialled")), model)
    # Calls only count for numbers one edit apart, and only for pairs they could lift to
    # `min_confidence` (2^3 = 8 times the odds): on a million contacts that is a few thousand
    # of ~350,000 near pairs, and reading the calls of all of them costs seconds.
    lift = 2.0**dup_model.DIALLED_WEIGHT
    reach = cfg.min_confidence / (1.0 - cfg.min_confidence) / lift
    odds = pl.col("probability") / (1.0 - pl.col("probability")).clip(1e-12, None)
    could = ~pl.col("edit").is_in(["same", "other"]) & (
        pl.lit(cfg.report_uncorroborated) | (odds >= reach)
    )
    frame = frame.with_columns(could.alias("_ask"))
    asked = frame.filter("_ask")
    if asked.height:
        asked = dup_model.weights(_dialled(asked.drop("dialled"), calls, people), model)
    rest = frame.filter(~pl.col("_ask"))
    frame = pl.concat([asked.select(rest.columns), rest]).drop("_ask")
    return frame.with_columns(
        pl.col("probability").clip(0.0, 0.999).round(3).alias("confidence"),
    )


# --- clusters and findings -----------------------------------------------------------------------


class _Clusters:
    """Union-find with cannot-links: two groups are never joined when any of their members
    are known to be different people (two first names on one number: a household)."""

    def __init__(self, cannot: set[frozenset[str]]) -> None:
        self.parent: dict[str, str] = {}
        self.members: dict[str, list[str]] = {}
        self.cannot = cannot

    def root(self, x: str) -> str:
        """The representative of `x`'s group."""
        if x not in self.parent:
            self.parent[x] = x
            self.members[x] = [x]
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def apart(self, a: str, b: str) -> bool:
        """Whether the groups of `a` and `b` hold two people known to be different."""
        ra, rb = self.root(a), self.root(b)
        return bool(self.cannot) and any(
            frozenset((x, y)) in self.cannot for x in self.members[ra] for y in self.members[rb]
        )

    def join(self, a: str, b: str) -> bool:
        """Join the groups of `a` and `b` unless that would put different people together."""
        ra, rb = self.root(a), self.root(b)
        if ra == rb:
            return True
        if self.apart(a, b):
            return False
        keep, gone = min(ra, rb), max(ra, rb)
        self.parent[gone] = keep
        self.members[keep] += self.members.pop(gone)
        return True


def _other_pairs(
    people: pl.DataFrame, crowded: pl.DataFrame, cfg: DuplicateSettings
) -> pl.DataFrame:
    """Pairs under different numbers from the name and email keys (`dup_blocking`), as
    `r_a`, `r_b` in id order with `edit` = `other`."""
    cols = ("r", "num", "fn", "ln", "em")
    small = people.select(cols).join(crowded.select("num"), on="num", how="anti")
    blocked = blocked_pairs(small, cfg.max_name_block)
    ids = people["id"]
    swap = ids.gather(blocked["r_a"]) > ids.gather(blocked["r_b"])
    return blocked.with_columns(swap.alias("_s")).select(
        pl.when("_s").then("r_b").otherwise("r_a").alias("r_a"),
        pl.when("_s").then("r_a").otherwise("r_b").alias("r_b"),
        pl.lit("other").alias("edit"),
    )


def find(
    people: pl.DataFrame, region: str, cfg: DuplicateSettings, calls: pl.LazyFrame
) -> pl.DataFrame:
    """Findings from the contacts whose phone parses (`_people`) and the calls."""
    people = dup_score.prepare(people)
    crowded_numbers = _crowded(people, cfg)
    pairs = _contact_pairs(people, crowded_numbers, region, cfg)
    others = _other_pairs(people, crowded_numbers, cfg)
    pairs = pl.concat([pairs, others]).unique(["r_a", "r_b"], keep="first", maintain_order=True)
    crowded = _crowded_numbers(people, crowded_numbers, cfg)
    if pairs.height == 0 and not crowded:
        return empty_findings()
    scored = _score(pairs, people, calls, cfg)
    # Two people on one number (a household, a desk): both first names given and different,
    # or a low probability, and no shared email: reported as a shared number. The first
    # kind are known to be two people: never put in one cluster, even through others.
    two_firsts = pl.col("first_name_lv").is_in(["different", "alike"]) & (
        pl.col("email_lv") != "same"
    )
    different = (pl.col("edit") == "same") & (
        two_firsts
        | ((pl.col("probability") < cfg.different_person_below) & (pl.col("email_lv") != "same"))
    )
    scored = scored.with_columns(
        different.alias("_different"), (two_firsts & (pl.col("edit") == "same")).alias("_apart")
    )
    rows: list[dict[str, object]] = []
    rows += _shared_numbers(scored.filter("_different"), people)
    rows += crowded
    # Under two numbers only the names, email and city speak: proposed from a higher bar.
    bar = pl.when(pl.col("edit") == "other").then(cfg.two_numbers_confidence)
    kept = scored.filter(
        ~pl.col("_different")
        & (
            (pl.col("confidence") >= bar.otherwise(cfg.min_confidence))
            | pl.lit(cfg.report_uncorroborated)
        )
    )
    cannot = {frozenset(p) for p in scored.filter("_apart").select("id_a", "id_b").iter_rows()}
    rows += _clusters(kept, people, cfg, cannot)
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
    confidence = link["probability"]
    assert isinstance(confidence, float)
    return (confidence, str(link["id_a"]), str(link["id_b"]))


def _cluster_rows(
    part: list[dict[str, object]], by_id: dict[str, dict[str, object]], cfg: DuplicateSettings
) -> list[dict[str, object]]:
    """The member rows of one cluster made of the links `part`."""
    ids = {str(e[k]) for e in part for k in ("id_a", "id_b")}
    confidence = min(float(e["confidence"]) for e in part)  # type: ignore[arg-type]
    numbers = {by_id[i]["e164"] for i in ids}
    two_numbers = any(e["edit"] == "other" for e in part)
    if two_numbers:
        kind = "two_numbers"
    else:
        kind = "exact_duplicate" if len(numbers) == 1 else "near_duplicate"
    ordered = sorted(part, key=_link_order)
    evidence = " | ".join(str(e["_words"]) for e in ordered[:3])
    if len(part) > 3:
        evidence += f" | and {len(part) - 3} more links"
    action = "merge" if all(e["_sure"] for e in part) else "review"
    return _member_rows(
        sorted(ids), by_id, kind, "warn", f"{len(ids)} contacts: {evidence}", action, confidence
    )


# First-name levels a merge may rest on: "alike" ("Nadia" / "Naima", "Sara" / "Salma") is how
# sisters are named as often as a heavy slip, and a household is never to be merged.
_SURE_FIRST = ("exact", "variant", "one_typo", "two_typos", "partial", "missing")


def _clusters(
    kept: pl.DataFrame,
    people: pl.DataFrame,
    cfg: DuplicateSettings,
    cannot: set[frozenset[str]],
) -> list[dict[str, object]]:
    if kept.height == 0:
        return []
    # Two given first names that differ are never merged (a household, a relative), nor a
    # pair under two numbers: review at most, whatever the rest says.
    sure = (
        (pl.col("confidence") >= cfg.merge_confidence)
        & (pl.col("edit") != "other")
        & pl.col("first_name_lv").is_in(_SURE_FIRST)
        # "Fatima" / "Fatima Zahra": a relative as often as the same person, unless one email
        & ((pl.col("first_name_lv") != "partial") | (pl.col("email_lv") == "same"))
    )
    edges = (
        kept.with_columns(sure.alias("_sure"), dup_score.pair_words().alias("_words"))
        .select("id_a", "id_b", "edit", "probability", "confidence", "_sure", "_words")
        .sort("probability", "id_a", "id_b", descending=[True, False, False])
        .to_dicts()
    )
    # Clusters are built from the strong links (same number or one edit apart, probability at
    # merge_confidence or more), surest first, never joining two people known to differ; every
    # other link (weak, or under two numbers: review only) not already inside one strong
    # cluster is a review pair of its own, so that it never drags a sure pair down.
    groups_of = _Clusters(cannot)
    strong, weak = [], []
    for e in edges:
        a, b = str(e["id_a"]), str(e["id_b"])
        if e["_sure"] and groups_of.join(a, b):
            strong.append(e)
        else:
            weak.append(e)
    groups: dict[str, list[dict[str, object]]] = {}
    for e in strong:
        groups.setdefault(groups_of.root(str(e["id_a"])), []).append(e)
    for e in weak:
        a, b = str(e["id_a"]), str(e["id_b"])
        # Not already inside one strong cluster, and not between a person and someone known
        # to be another person (the sharer of a number one of the person's entries holds).
        # A link under one number or one edit apart is reviewed with both sides' whole
        # clusters: the other entries of each person are the same question ("is this contact
        # also Yasmine, whom we hold three times?"). A two-numbers link stays a pair: a wrong
        # one would otherwise put two people's every entry together.
        ra, rb = groups_of.root(a), groups_of.root(b)
        if ra != rb and not groups_of.apart(a, b):
            sides = groups.get(ra, []) + groups.get(rb, [])
            whole = e["edit"] != "other" and len(sides) < cfg.max_cluster
            groups[f"{a}+{b}"] = [e, *sides] if whole else [e]
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
