"""The duplicates check's match model: Fellegi–Sunter weights learnt from the organisation.

Each candidate pair of contacts is compared field by field; each comparison falls in one
*level*, and each level has two probabilities: `m`, how often a true duplicate pair shows it,
and `u`, how often two different people do. The pair's match weight is the sum of
`log2(m / u)` over its comparisons plus the prior `log2(λ / (1 - λ))` (λ: the chance that two
contacts drawn at random are one person); its probability is `2^w / (1 + 2^w)`. A level seen
as often among different people as among duplicates weighs 0: a *missing* value (one side
empty) is neutral by construction, never counted as a difference.

Comparisons and their levels (`LEVELS`):

- `phone`: `same` number (E.164), `one_edit` (a digit substituted, two swapped, one missing or
  extra, the country code or a trunk 0 slip) or `other` (pairs found from names or email);
- `first_name`, `last_name`: `exact` (after normalisation: case, accents, particles, Arabic
  letters, transliteration spellings — `gomoq.checks.dup_names`), `variant` (one consonant
  skeleton, "Mohammed"/"Mouhamed"; or Jaro–Winkler >= 0.95), `one_typo` (one edit, names of 3+
  letters starting alike), `two_typos` (two edits in 6+ letters, one edit to the first letter
  of 5+, or Jaro–Winkler >= 0.9 starting alike in 5+ letters), `partial` (one is a part of
  the other: "Amine" / "Mohamed Amine"), `alike` (starting alike, two edits or Jaro–Winkler
  >= 0.8: "Jhon" / "Jphn"; never enough for a merge), `different`, `missing` (weight 0). When
  the crossed comparison (first with last) is clearly better, the names were typed swapped:
  the levels are the crossed ones, and `order` says `swapped` (said, not weighed);
- `email`: `same` / `different` / `missing`; `city`: `same` (or Jaro–Winkler >= 0.9) /
  `different` / `missing`.

Estimation, on the organisation's own data (as Splink does):

- `u` from random pairs of contacts (`U_SAMPLE` of them), and for the phone exactly: the share
  of all pairs on one number, or one edit apart;
- `m` and λ by expectation–maximisation over the candidate pairs (grouped by their levels, so
  an iteration costs a few hundred rows whatever the size), `u` held fixed;
- both start from, and are pulled towards, prior values (`_M_PRIOR`, `_U_PRIOR`) weighted like
  `PRIOR_PAIRS` observed pairs: a tiny organisation keeps the priors, a big one learns. So an
  organisation with few households learns that "same number, different first name" is still
  often one person, and one with many learns the opposite.

Term frequencies: an `exact`/`variant` name weighs `log2(m / u) + log2(Σtf² / tf(name))`, so
two "Mohamed" on different numbers are weak evidence and two "Lachlan" strong (clipped to
+-`TF_CLIP` bits).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import polars as pl
from rapidfuzz import process
from rapidfuzz.distance import DamerauLevenshtein, JaroWinkler

from gomoq.checks.dup_names import skeleton, spelled, tokens

LEVELS: dict[str, tuple[str, ...]] = {
    "phone": ("same", "one_edit", "other"),
    "first_name": ("exact", "variant", "one_typo", "two_typos", "partial", "alike", "different"),
    "last_name": ("exact", "variant", "one_typo", "two_typos", "partial", "alike", "different"),
    "order": ("straight", "swapped"),
    "email": ("same", "different"),
    "city": ("same", "different"),
}
MISSING = "missing"
U_SAMPLE = 20_000
PRIOR_PAIRS = 100.0
TF_CLIP = 6.0
MAX_BITS = 10.0
"""No one comparison says more than this (1:1000): two people never shared an email in the
sample, which does not make a shared email infinite evidence (a family's address)."""
EM_ROUNDS = 25
_NAME_M = {
    "exact": 0.75,
    "variant": 0.08,
    "one_typo": 0.08,
    "two_typos": 0.04,
    "partial": 0.005,
    "alike": 0.02,
    "different": 0.025,
}
_NAME_U = {
    "exact": 0.02,
    "variant": 0.002,
    "one_typo": 0.003,
    "two_typos": 0.005,
    "partial": 0.01,
    "alike": 0.02,
    "different": 0.94,
}
_M_PRIOR: dict[str, dict[str, float]] = {
    "first_name": _NAME_M,
    "last_name": _NAME_M,
    "order": {"straight": 0.95, "swapped": 0.05},
    "email": {"same": 0.7, "different": 0.3},
    "city": {"same": 0.85, "different": 0.15},
}
_U_PRIOR: dict[str, dict[str, float]] = {
    "first_name": _NAME_U,
    "last_name": _NAME_U,
    "order": {"straight": 0.999, "swapped": 0.001},
    "email": {"same": 1e-4, "different": 1.0 - 1e-4},
    "city": {"same": 0.15, "different": 0.85},
}
DIALLED_WEIGHT = 3.0
"""Fixed weight of "calls of one were dialled to the other's number" (not learnt: rare)."""

_NAME_LEVEL_ORDER = (
    "exact",
    "variant",
    "one_typo",
    "two_typos",
    "partial",
    "alike",
    "different",
)


@dataclass
class Model:
    """Learnt `m` per comparison level, `u` and λ per phone stratum, term frequencies."""

    m: dict[str, dict[str, float]]
    u: dict[str, dict[str, dict[str, float]]]  # stratum -> comparison -> level -> u
    stratum_lambda: dict[str, float]  # stratum -> share of its pairs that are one person
    sizes: dict[str, float]  # stratum -> candidate pairs
    tf: dict[str, pl.DataFrame] = field(default_factory=dict)  # column -> (norm, tf)
    tf_mean: dict[str, float] = field(default_factory=dict)  # column -> Σtf²

    def weight(self, stratum: str, comparison: str, level: str) -> float:
        """`log2(m / u)` of one level in one stratum (0 for `missing`), within +-`MAX_BITS`."""
        if level == MISSING:
            return 0.0
        bits = math.log2(self.m[comparison][level] / self.u[stratum][comparison][level])
        return max(-MAX_BITS, min(MAX_BITS, bits))

    def prior_weight(self, stratum: str) -> float:
        """`log2(λ / (1 - λ))` of a stratum: the phone's own evidence."""
        lam = self.stratum_lambda[stratum]
        return math.log2(lam / (1.0 - lam))


# --- normalised names ----------------------------------------------------------------------------


def _normal_name(value: str) -> tuple[str, str]:
    toks = tokens(value)
    return " ".join(spelled(t) for t in toks), " ".join(skeleton(t) for t in toks)


def normalise_names(values: pl.Series) -> pl.DataFrame:
    """`value`, `norm` (normalised tokens), `skel` (their consonant skeletons) per distinct
    non-empty value of `values` (one Python call per distinct name: names repeat a lot)."""
    distinct = values.drop_nulls().unique()
    pairs = [_normal_name(v) for v in distinct.to_list()]
    return pl.DataFrame(
        {
            "value": distinct,
            "norm": [p[0] for p in pairs],
            "skel": [p[1] for p in pairs],
        },
        schema={"value": pl.String, "norm": pl.String, "skel": pl.String},
    ).with_columns(pl.col("norm").replace("", None), pl.col("skel").replace("", None))


def _name_levels(a: pl.Series, b: pl.Series, sa: pl.Series, sb: pl.Series) -> pl.Series:
    """The name level of each pair of normalised names (`a`, `b`) and skeletons."""
    frame = pl.DataFrame({"a": a, "b": b, "sa": sa, "sb": sb})
    # Each distinct pair of names once: a million candidate pairs hold far fewer.
    both = frame.filter(pl.col("a").is_not_null() & pl.col("b").is_not_null()).unique(["a", "b"])
    aa, bb = both["a"].to_list(), both["b"].to_list()
    jw = process.cpdist(
        aa, bb, scorer=JaroWinkler.normalized_similarity, score_cutoff=0.8, workers=1
    )
    # Damerau-Levenshtein (a swap of two letters is one edit), cut at 3: beyond, "different".
    osa = process.cpdist(aa, bb, scorer=DamerauLevenshtein.distance, score_cutoff=3, workers=1)
    both = both.with_columns(
        pl.Series("jw", jw, dtype=pl.Float64), pl.Series("osa", osa, dtype=pl.Int64)
    )
    shortest = pl.min_horizontal(pl.col("a").str.len_chars(), pl.col("b").str.len_chars())
    glued = pl.col("a").str.replace_all(" ", "", literal=True) == pl.col("b").str.replace_all(
        " ", "", literal=True
    )
    part = (pl.lit(" ") + pl.col("b") + pl.lit(" ")).str.contains(
        pl.lit(" ") + pl.col("a") + pl.lit(" "), literal=True
    ) | (pl.lit(" ") + pl.col("a") + pl.lit(" ")).str.contains(
        pl.lit(" ") + pl.col("b") + pl.lit(" "), literal=True
    )
    # A shared skeleton is a transliteration only when the names also start alike or the
    # skeleton is distinctive (3+ consonants): "amine"/"imane" share "mn" and are two people.
    trusted = (pl.col("a").str.slice(0, 1) == pl.col("b").str.slice(0, 1)) | (
        pl.min_horizontal(pl.col("sa").str.len_chars(), pl.col("sb").str.len_chars()) >= 3
    )
    # Typists rarely miss a name's first letter: "Tara" / "Sara" are two people more often
    # than one typo.
    same_start = pl.col("a").str.slice(0, 1) == pl.col("b").str.slice(0, 1)
    edits = pl.col("osa")
    level = (
        pl.when((pl.col("a") == pl.col("b")) | glued)
        .then(pl.lit("exact"))
        .when(((pl.col("sa") == pl.col("sb")) & trusted) | (pl.col("jw") >= 0.95))
        .then(pl.lit("variant"))
        .when((edits == 1) & (shortest >= 3) & same_start)
        .then(pl.lit("one_typo"))
        .when(
            ((edits == 2) & (shortest >= 6))
            | ((edits == 1) & (shortest >= 5))
            # not for short names: "Sara" / "Samira" are sisters as often as one person
            | ((pl.col("jw") >= 0.9) & same_start & (shortest >= 5))
        )
        .then(pl.lit("two_typos"))
        .when(part)
        .then(pl.lit("partial"))
        # Heavily mistyped ("Jhon" / "Jphn"): weak evidence, but not two different names.
        .when(same_start & ((edits <= 2) | (pl.col("jw") >= 0.8)))
        .then(pl.lit("alike"))
        .otherwise(pl.lit("different"))
    )
    both = both.with_columns(level.alias("level")).select("a", "b", "level")
    out = frame.join(both, on=["a", "b"], how="left", maintain_order="left")
    return out["level"].fill_null(MISSING)


def _rank(level: str) -> pl.Expr:
    """How good a name level is (0 best; missing and different worst)."""
    table = {name: i for i, name in enumerate(_NAME_LEVEL_ORDER)}
    return pl.col(level).replace_strict(table, default=len(_NAME_LEVEL_ORDER), return_dtype=pl.Int8)


def name_comparisons(pairs: pl.DataFrame) -> pl.DataFrame:
    """`pairs` with `first_name`/`last_name`/`order` levels, from the normalised name columns
    `fn`, `ln`, `fs`, `ls` (norm and skeleton of first and last) and their `_b` twins.

    Only distinct pairs of names are compared (a million pairs hold far fewer)."""
    d = pairs
    straight_f = _name_levels(d["fn"], d["fn_b"], d["fs"], d["fs_b"])
    straight_l = _name_levels(d["ln"], d["ln_b"], d["ls"], d["ls_b"])
    cross_f = _name_levels(d["fn"], d["ln_b"], d["fs"], d["ls_b"])
    cross_l = _name_levels(d["ln"], d["fn_b"], d["ls"], d["fs_b"])
    d = d.with_columns(
        straight_f.alias("_sf"), straight_l.alias("_sl"), cross_f.alias("_cf"), cross_l.alias("_cl")
    )
    bad = len(_NAME_LEVEL_ORDER) - 1  # "different"
    # Swapped when both crossed comparisons hold a name and together beat the straight ones.
    swapped = (
        (_rank("_cf") < bad)
        & (_rank("_cl") < bad)
        & ((_rank("_cf") + _rank("_cl")) < (_rank("_sf") + _rank("_sl")))
    )
    d = d.with_columns(
        pl.when(swapped).then("_cf").otherwise("_sf").alias("first_name_lv"),
        pl.when(swapped).then("_cl").otherwise("_sl").alias("last_name_lv"),
        pl.when(swapped).then(pl.lit("swapped")).otherwise(pl.lit("straight")).alias("order_lv"),
    ).drop("_sf", "_sl", "_cf", "_cl")
    return d


def other_comparisons(pairs: pl.DataFrame) -> pl.DataFrame:
    """`pairs` with `email_lv` and `city_lv` from `em`/`em_b` (normalised emails) and
    `ct`/`ct_b` (normalised cities)."""
    distinct = pairs.select("ct", "ct_b").drop_nulls().unique()
    jw = process.cpdist(
        distinct["ct"].to_list(),
        distinct["ct_b"].to_list(),
        scorer=JaroWinkler.normalized_similarity,
        workers=1,
    )
    distinct = distinct.with_columns(pl.Series("_cjw", jw, dtype=pl.Float64))
    pairs = pairs.join(distinct, on=["ct", "ct_b"], how="left", maintain_order="left")

    def level(a: str, b: str, same: pl.Expr) -> pl.Expr:
        return (
            pl.when(pl.col(a).is_null() | pl.col(b).is_null())
            .then(pl.lit(MISSING))
            .when(same)
            .then(pl.lit("same"))
            .otherwise(pl.lit("different"))
        )

    return pairs.with_columns(
        level("em", "em_b", pl.col("em") == pl.col("em_b")).alias("email_lv"),
        level("ct", "ct_b", pl.col("_cjw") >= 0.9).alias("city_lv"),
    ).drop("_cjw")


# --- estimation ----------------------------------------------------------------------------------

# `order` (names typed swapped) is said in the evidence but not weighed: the crossed name
# comparisons already carry the evidence, and random pairs almost never cross-agree, so a
# weight of its own would count the same agreement twice.
COMPARED = ("phone", "first_name", "last_name", "email", "city")
FIELDS = COMPARED[1:]  # compared within a phone stratum


def _level_counts(frame: pl.DataFrame) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for comparison in FIELDS:
        counts = frame[f"{comparison}_lv"].value_counts()
        out[comparison] = {str(k): float(n) for k, n in counts.iter_rows() if k != MISSING}
    return out


def _blend(counts: dict[str, float], prior: dict[str, float], weight: float) -> dict[str, float]:
    """Probabilities from `counts` pulled towards `prior` by `weight` pseudo-observations."""
    total = sum(counts.get(level, 0.0) for level in prior) + weight
    return {level: (counts.get(level, 0.0) + weight * p) / total for level, p in prior.items()}


_STRATUM_LAMBDA = {"same": 0.7, "one_edit": 0.1, "other": 0.05}


def fit(candidates: pl.DataFrame, random_pairs: pl.DataFrame) -> Model:
    """The model of one organisation.

    `candidates`: the candidate pairs with their `*_lv` columns (all `COMPARED`);
    `random_pairs`: random pairs with the name, order, email and city levels.

    The phone level is a stratum: each has its own λ (the share of its pairs that are one
    person), by EM; `m` (how a person's second entry differs from the first) is shared, by
    EM; `u` is the random pairs' levels (held fixed), but for the names of pairs found from
    names (stratum `other`), alike by construction: there, the stratum's own levels."""
    random_counts = _level_counts(random_pairs)
    u_random = {c: _blend(random_counts[c], _U_PRIOR[c], PRIOR_PAIRS) for c in FIELDS}
    cols = [f"{c}_lv" for c in COMPARED]
    patterns = candidates.group_by(cols).agg(pl.len().alias("n")).sort(cols)
    strata = LEVELS["phone"]
    # Levels as indexes (-1: missing), so that an EM round is a few array operations over
    # the distinct patterns (hundreds), whatever the number of pairs.
    stratum = np.array([strata.index(x) for x in patterns["phone_lv"]], dtype=np.int64)
    counts = patterns["n"].to_numpy().astype(np.float64)
    index = {
        c: np.array(
            [LEVELS[c].index(x) if x != MISSING else -1 for x in patterns[f"{c}_lv"]],
            dtype=np.int64,
        )
        for c in FIELDS
    }
    sizes = {s: float(counts[stratum == k].sum()) for k, s in enumerate(strata)}
    u = {s: {c: dict(u_random[c]) for c in FIELDS} for s in strata}
    # Pairs under two numbers were found because their names are alike: among them, alike
    # names are no sign of one person. Their name levels' `u` is their own distribution
    # (nearly all of them are different people); email and city keep the random pairs' `u`.
    others = _level_counts(candidates.filter(pl.col("phone_lv") == "other"))
    for comparison in ("first_name", "last_name"):
        own = _blend(others[comparison], u_random[comparison], PRIOR_PAIRS / 10)
        u["other"][comparison] = own
    m = {c: dict(_M_PRIOR[c]) for c in FIELDS}
    lam = dict(_STRATUM_LAMBDA)
    log_u = np.zeros(len(counts))
    for c in FIELDS:
        table = np.array([[math.log(u[s][c][lv]) for lv in LEVELS[c]] for s in strata])
        given = index[c] >= 0
        log_u[given] += table[stratum[given], index[c][given]]
    for _ in range(EM_ROUNDS):
        log_ratio = -log_u.copy()
        for c in FIELDS:
            given = index[c] >= 0
            log_m = np.log(np.array([m[c][lv] for lv in LEVELS[c]]))
            log_ratio[given] += log_m[index[c][given]]
        prior = np.array([math.log(lam[s] / (1.0 - lam[s])) for s in strata])[stratum]
        p = 1.0 / (1.0 + np.exp(-np.clip(prior + log_ratio, -50.0, 50.0)))
        weighted = p * counts
        for c in FIELDS:
            given = index[c] >= 0
            sums = np.bincount(index[c][given], weights=weighted[given], minlength=len(LEVELS[c]))
            observed = {lv: float(sums[k]) for k, lv in enumerate(LEVELS[c])}
            m[c] = _blend(observed, _M_PRIOR[c], PRIOR_PAIRS)
        matches = np.bincount(stratum, weights=weighted, minlength=len(strata))
        lam = {
            s: (float(matches[k]) + PRIOR_PAIRS * _STRATUM_LAMBDA[s]) / (sizes[s] + PRIOR_PAIRS)
            for k, s in enumerate(strata)
        }
    return Model(m=m, u=u, stratum_lambda=lam, sizes=sizes)


def term_frequencies(model: Model, column: str, norms: pl.Series) -> None:
    """Record the term frequencies of one name column (`norms`: its normalised values)."""
    present = norms.drop_nulls()
    if present.len() == 0:
        return
    counts = present.value_counts(name="n")
    tf = counts.select(
        pl.col(present.name).alias("norm"), (pl.col("n") / present.len()).alias("tf")
    )
    model.tf[column] = tf
    model.tf_mean[column] = float((tf["tf"] ** 2).sum())


# --- scoring -------------------------------------------------------------------------------------


def weights(pairs: pl.DataFrame, model: Model) -> pl.DataFrame:
    """`pairs` (with the `*_lv` columns) with `w_<comparison>` weights (`w_phone`: the
    stratum's prior odds), the term-frequency adjustments `tf_first_name` / `tf_last_name`,
    `w_dialled`, `weight` (their sum) and `probability`."""
    stratum = pl.col("phone_lv")
    prior = {s: model.prior_weight(s) for s in LEVELS["phone"]}
    exprs = [stratum.replace_strict(prior, default=0.0, return_dtype=pl.Float64).alias("w_phone")]
    for comparison in FIELDS:
        table = {
            f"{s}|{lv}": model.weight(s, comparison, lv)
            for s in LEVELS["phone"]
            for lv in (*LEVELS[comparison], MISSING)
        }
        key = stratum + pl.lit("|") + pl.col(f"{comparison}_lv")
        exprs.append(
            key.replace_strict(table, default=0.0, return_dtype=pl.Float64).alias(f"w_{comparison}")
        )
    out = pairs.with_columns(exprs)
    for column, side_a, side_b in (("first_name", "fn", "fn_b"), ("last_name", "ln", "ln_b")):
        adj = pl.lit(0.0)
        if column in model.tf:
            tf = model.tf[column]
            a = out.select(pl.col(side_a).alias("norm")).join(
                tf, on="norm", how="left", maintain_order="left"
            )["tf"]
            b = out.select(pl.col(side_b).alias("norm")).join(
                tf, on="norm", how="left", maintain_order="left"
            )["tf"]
            out = out.with_columns(a.alias("_tf_a"), b.alias("_tf_b"))
            worst = pl.max_horizontal("_tf_a", "_tf_b")
            adj = (
                pl.when(pl.col(f"{column}_lv").is_in(["exact", "variant"]) & worst.is_not_null())
                .then((pl.lit(model.tf_mean[column]) / worst).log(2).clip(-TF_CLIP, TF_CLIP))
                .otherwise(0.0)
            )
        out = out.with_columns(adj.alias(f"tf_{column}")).drop("_tf_a", "_tf_b", strict=False)
    dialled = pl.col("dialled").fill_null(False) if "dialled" in out.columns else pl.lit(False)
    out = out.with_columns((dialled.cast(pl.Float64) * DIALLED_WEIGHT).alias("w_dialled"))
    total = (
        pl.sum_horizontal([pl.col(f"w_{c}") for c in COMPARED])
        + pl.col("tf_first_name")
        + pl.col("tf_last_name")
        + pl.col("w_dialled")
    )
    out = out.with_columns(total.alias("weight"))
    odds = pl.lit(2.0).pow(pl.col("weight").clip(-60.0, 60.0))
    return out.with_columns((odds / (1.0 + odds)).alias("probability"))
