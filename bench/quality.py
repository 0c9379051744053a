"""Precision and recall of the checks against the generator's ground truth.

    uv run python bench/quality.py [--contacts 100000] [--seeds 1,2,3]

For each seed, generates an organisation with `gomoq.sandbox.generator.generate_organisation`
(cached under bench/out/quality/), builds the check frames straight from the sandbox SQLite
database (no sync), runs the phones and duplicates checks (and call_failures / attributes when
present) and prints, beside the targets of issue 4:

- duplicate clusters suggested for merge: recall per planted kind (format variants and
  single-edit typos >= 99 %), precision over merge-suggested pairs (>= 97 %), and shared-number
  households suggested for merge (must be 0);
- invalid phone numbers, always-failing numbers, invalid attribute values: recall 100 %,
  precision >= 99 %.

A planted duplicate cluster is recalled when every pair of its members sits in one cluster
suggested for merge. Precision counts merge-suggested member pairs that are true duplicates
(both in one planted cluster). For invalid phones, a finding on a planted missing- or
extra-digit duplicate is a true positive too: such a number *is* invalid (it is also reported
by the duplicates check).
"""

from __future__ import annotations

import argparse
import itertools
import json
import sqlite3
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import polars as pl

from gomoq.checks import duplicates, phones
from gomoq.checks.base import CheckInput
from gomoq.checks.settings import CheckSettings

OUT = Path(__file__).parent / "out" / "quality"


def organisation(contacts: int, seed: int) -> Path:
    """The generated org's database path (generated on first use)."""
    from gomoq.sandbox.generator import generate_organisation

    path = OUT / f"org-{contacts}-{seed}.db"
    if not path.with_suffix(".truth.json").exists():
        OUT.mkdir(parents=True, exist_ok=True)
        path.unlink(missing_ok=True)
        generate_organisation(path, contacts=contacts, seed=seed)
    return path


def _ts(col: str) -> pl.Expr:
    return pl.col(col).str.to_datetime(time_zone="UTC", strict=False).dt.cast_time_unit("ms")


def frames(db: Path) -> dict[str, pl.DataFrame]:
    """The cache tables (as far as the checks read them) from a sandbox database."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)

    def query(sql: str) -> pl.DataFrame:
        cur = conn.execute(sql)
        names = [d[0] for d in cur.description]
        return pl.DataFrame(cur.fetchall(), schema=names, orient="row", infer_schema_length=None)

    contacts = query(
        "SELECT id, organization_id, primary_phone, first_name, last_name, full_name,"
        " primary_email, address, city, state, zip, occupation, preferred_channel, gender,"
        " custom_attributes, created_at, updated_at FROM contacts WHERE deleted_at IS NULL"
    ).with_columns(_ts("created_at"), _ts("updated_at"))
    calls = query(
        "SELECT id, contact_id, phone_number, status, direction, created_at, answered_at,"
        " ended_at, duration_ms FROM calls"
    ).with_columns(_ts("created_at"), _ts("answered_at"), _ts("ended_at"))
    defs = query(
        "SELECT id, name, display_name, description, type, created_at, updated_at"
        " FROM custom_attributes WHERE deleted_at IS NULL"
    ).with_columns(_ts("created_at"), _ts("updated_at"))
    rows = []
    for cid, text in contacts.select("id", "custom_attributes").iter_rows():
        for name, value in json.loads(text or "{}").items():
            kind = {str: "string", bool: "boolean", int: "number", float: "number"}.get(
                type(value), "null" if value is None else type(value).__name__
            )
            kind = {"list": "array", "dict": "object"}.get(kind, kind)
            rows.append((cid, name, value if isinstance(value, str) else json.dumps(value), kind))
    attributes = pl.DataFrame(
        rows, schema=["contact_id", "name", "value", "json_type"], orient="row"
    )
    conn.close()
    return {"contacts": contacts, "calls": calls, "attribute_defs": defs, "attributes": attributes}


def _pct(x: float) -> str:
    return f"{100 * x:.2f} %"


def _line(label: str, value: float, target: float, *, higher: bool = True) -> tuple[str, bool]:
    ok = value >= target if higher else value <= target
    sign = ">=" if higher else "<="
    return f"  {label}: {_pct(value)} (target {sign} {_pct(target)}) {'OK' if ok else 'MISS'}", ok


def _pr(found: set[str], truth: set[str]) -> tuple[float, float]:
    recall = len(found & truth) / len(truth) if truth else 1.0
    precision = len(found & truth) / len(found) if found else 1.0
    return recall, precision


def evaluate(db: Path) -> bool:
    """Print the figures for one organisation; True when every target is met."""
    truth: dict[str, Any] = json.loads(db.with_suffix(".truth.json").read_text())
    tables = frames(db)
    settings = CheckSettings.from_mapping(None, now=None)
    inp = CheckInput.from_frames(**tables)
    ok_all = True
    lines: list[str] = []

    start = time.perf_counter()
    dup = duplicates.run(inp, settings)
    dup_s = time.perf_counter() - start
    merged = dup.filter(pl.col("suggested_action") == "merge")
    cluster_of: dict[str, set[str]] = defaultdict(set)
    for cid, members in merged.group_by("cluster_id").agg("contact_id").iter_rows():
        cluster_of[cid] = set(members)
    in_cluster = {c: k for k, ms in cluster_of.items() for c in ms}
    true_pairs: set[frozenset[str]] = set()
    recall_by_kind: dict[str, list[bool]] = defaultdict(list)
    for cl in truth["duplicate_clusters"]:
        ids = cl["contact_ids"]
        true_pairs |= {frozenset(p) for p in itertools.combinations(ids, 2)}
        clusters = {in_cluster.get(i) for i in ids}
        recall_by_kind[cl["kind"]].append(len(clusters) == 1 and None not in clusters)
    merged_pairs = {
        frozenset(p) for ms in cluster_of.values() for p in itertools.combinations(sorted(ms), 2)
    }
    precision = len(merged_pairs & true_pairs) / len(merged_pairs) if merged_pairs else 1.0
    households = truth["shared_numbers"]
    bad_households = sum(
        1
        for h in households
        if any(frozenset(p) in merged_pairs for p in itertools.combinations(h["contact_ids"], 2))
        and not any(frozenset(p) in true_pairs for p in itertools.combinations(h["contact_ids"], 2))
    )
    lines.append(f"duplicates ({dup_s:.2f} s, {dup['cluster_id'].n_unique()} clusters):")
    for kind, hits in sorted(recall_by_kind.items()):
        target = 0.99 if kind in ("format_variant", "typo", "swap") else 0.0
        text, ok = _line(f"recall {kind} ({len(hits)})", sum(hits) / len(hits), target)
        if target == 0.0:
            text = text.rsplit(" (target", 1)[0] + " (no target)"
        lines.append(text)
        ok_all &= ok
    text, ok = _line(f"precision of merge pairs ({len(merged_pairs)})", precision, 0.97)
    lines.append(text)
    ok_all &= ok
    lines.append(
        f"  shared-number households suggested for merge: {bad_households} of {len(households)}"
        f" (target 0) {'OK' if bad_households == 0 else 'MISS'}"
    )
    ok_all &= bad_households == 0

    ph = phones.run(inp, settings)
    bad = set(
        ph.filter(pl.col("kind").is_in(["invalid_number", "impossible_length"]))["contact_id"]
    )
    planted = {x["contact_id"] for x in truth["invalid_phones"]}
    edited = {
        cl["contact_ids"][-1]
        for cl in truth["duplicate_clusters"]
        if cl["kind"] in ("missing_digit", "extra_digit", "country_code")
    }
    recall, _ = _pr(bad, planted)
    precision = len(bad & (planted | edited)) / len(bad) if bad else 1.0
    lines.append(f"invalid phone numbers ({len(planted)} planted, {len(bad)} found):")
    for text, ok in (_line("recall", recall, 1.0), _line("precision", precision, 0.99)):
        lines.append(text)
        ok_all &= ok

    for name, truth_key, kinds in (
        ("call_failures", "always_failing", ("always_failing",)),
        ("attributes", "invalid_attribute_values", None),
    ):
        try:
            module = __import__(f"gomoq.checks.{name}", fromlist=["run"])
        except ImportError:
            lines.append(f"{name}: check not present")
            continue
        out = module.run(inp, settings)
        if kinds is not None:
            found = set(out.filter(pl.col("kind").is_in(kinds))["contact_id"])
            want = set(truth[truth_key])
        else:
            cust = out.filter(~pl.col("kind").is_in(["undefined_attribute"]))
            defs = set(tables["attribute_defs"]["name"])
            cust = cust.filter(pl.col("field").is_in(list(defs)))
            found = {f"{c}/{f}" for c, f in cust.select("contact_id", "field").iter_rows()}
            want = {f"{x['contact_id']}/{x['name']}" for x in truth[truth_key]}
        recall, precision = _pr(found, want)
        lines.append(f"{name} ({len(want)} planted, {len(found)} found):")
        for text, ok in (_line("recall", recall, 1.0), _line("precision", precision, 0.99)):
            lines.append(text)
            ok_all &= ok
    print("\n".join(lines))
    return ok_all


def million(db: Path) -> None:
    """Time and peak memory of the duplicates check on a big generated org (contacts only)."""
    import resource

    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    cur = conn.execute(
        "SELECT id, primary_phone, first_name, last_name, full_name, primary_email, city"
        " FROM contacts WHERE deleted_at IS NULL"
    )
    names = [d[0] for d in cur.description]
    contacts = pl.DataFrame(cur.fetchall(), schema=names, orient="row")
    conn.close()
    inp = CheckInput.from_frames(contacts=contacts)
    settings = CheckSettings()
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    start = time.perf_counter()
    inp.normalised_phones("MA")
    norm_s = time.perf_counter() - start
    times = []
    for _ in range(3):
        start = time.perf_counter()
        out = duplicates.run(inp, settings)
        times.append(time.perf_counter() - start)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    merged = out.filter(pl.col("suggested_action") == "merge")["cluster_id"].n_unique()
    print(f"== duplicates on {contacts.height:,} contacts ({db})")
    print(f"  normalise phones (once): {norm_s:.2f} s")
    print(
        f"  duplicates check: median {sorted(times)[1]:.2f} s "
        f"of {', '.join(f'{t:.2f}' for t in times)}"
    )
    print(f"  peak RSS {rss:.0f} MB (after loading the contacts: {rss0:.0f} MB)")
    print(f"  {out['cluster_id'].n_unique():,} clusters, {merged:,} suggested for merge")
    truth_file = db.with_suffix(".truth.json")
    if truth_file.exists():
        truth = json.loads(truth_file.read_text())
        planted = len(truth["duplicate_clusters"])
        print(f"  planted duplicate clusters: {planted:,}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--seeds", default="1,2,3")
    parser.add_argument(
        "--million", type=Path, help="also time duplicates on this big sandbox DB (read-only)"
    )
    args = parser.parse_args()
    if args.million:
        million(args.million)
        return 0
    ok = True
    for seed in (int(s) for s in args.seeds.split(",")):
        db = organisation(args.contacts, seed)
        print(f"== seed {seed}: {args.contacts:,} contacts ({db})")
        ok &= evaluate(db)
    print("ALL TARGETS MET" if ok else "SOME TARGETS MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
