"""The generator: determinism, refusal to overwrite, meta, field rules of ordinary rows."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from gomoq.errors import UsageError
from gomoq.sandbox.generator import (
    NotEmpty,
    PlantRates,
    generate_organisation,
    truth_path,
)

NOW = datetime(2026, 6, 1, tzinfo=UTC)
TABLES = ("contacts", "calls", "custom_attributes", "audiences", "audience_members")


def dump(path: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every row of the generated tables, in a fixed order."""
    conn = sqlite3.connect(path)
    try:
        out = {t: conn.execute(f"SELECT * FROM {t} ORDER BY 1, 2").fetchall() for t in TABLES}
        out["meta"] = conn.execute(
            "SELECT key, value FROM meta WHERE key != 'generated_at' ORDER BY key"
        ).fetchall()
        return out
    finally:
        conn.close()


def test_same_seed_gives_identical_content(tmp_path: Path) -> None:
    a = generate_organisation(tmp_path / "a.sqlite3", contacts=400, seed=11, now=NOW)
    b = generate_organisation(tmp_path / "b.sqlite3", contacts=400, seed=11, now=NOW)
    assert dump(a.db_path) == dump(b.db_path)
    assert a.truth_path.read_bytes() == b.truth_path.read_bytes()
    assert a.api_key == b.api_key and a.api_key.startswith("gmq_sandbox_")


def test_different_seed_gives_different_content(tmp_path: Path) -> None:
    a = generate_organisation(tmp_path / "a.sqlite3", contacts=200, seed=1, now=NOW)
    b = generate_organisation(tmp_path / "b.sqlite3", contacts=200, seed=2, now=NOW)
    da, db_ = dump(a.db_path), dump(b.db_path)
    assert da["contacts"] != db_["contacts"]
    assert {r[3] for r in da["contacts"]} != {r[3] for r in db_["contacts"]}


def test_refuses_a_database_with_contacts(tmp_path: Path) -> None:
    path = tmp_path / "org.sqlite3"
    generate_organisation(path, contacts=20, seed=3, now=NOW)
    with pytest.raises(NotEmpty, match="already holds contacts"):
        generate_organisation(path, contacts=20, seed=3, now=NOW)


def test_bad_rates_and_counts_are_usage_errors(tmp_path: Path) -> None:
    with pytest.raises(UsageError):
        PlantRates(typo=1.5)
    with pytest.raises(UsageError):
        PlantRates(format_variant=0.4, typo=0.2)
    with pytest.raises(UsageError):
        generate_organisation(tmp_path / "x.sqlite3", contacts=-1)


def test_meta_counts_and_truth_file(tmp_path: Path) -> None:
    path = tmp_path / "org.sqlite3"
    summary = generate_organisation(path, contacts=300, seed=7, api_key="k-123", now=NOW)
    conn = sqlite3.connect(path)
    meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
    for key in ("org_id", "org_name", "org_slug", "user_id", "user_email", "generated_at"):
        assert meta[key]
    assert meta["api_key"] == "k-123" and meta["seed"] == "7" and meta["contacts"] == "300"
    assert conn.execute("SELECT count(*) FROM contacts").fetchone()[0] == 300
    calls = conn.execute("SELECT count(*) FROM calls").fetchone()[0]
    assert calls == summary.calls and 300 <= calls <= 3000
    kinds = {r[0] for r in conn.execute("SELECT type FROM custom_attributes")}
    assert kinds == {"text", "number", "boolean", "date", "phone_number", "email", "url"}
    types = {r[0] for r in conn.execute("SELECT type FROM audiences")}
    assert types == {"static", "live"}
    conn.close()
    truth = json.loads(truth_path(path).read_text())
    assert truth["seed"] == 7 and truth["contacts"] == 300
    assert summary.truth_path == path.with_suffix(".truth.json")


def test_progress_reports_reach_the_total(tmp_path: Path) -> None:
    events = []
    generate_organisation(tmp_path / "o.sqlite3", contacts=50, seed=5, progress=events.append)
    assert events[-1].finished and events[-1].done == 50 and events[-1].total == 50


def test_every_prefix_and_style_parses_back_to_the_number() -> None:
    import random

    import phonenumbers

    from gomoq.sandbox import gen_phones as ph

    rng = random.Random(0)
    for prefix in ph.MOBILE_PREFIXES + ph.FIXED_PREFIXES:
        nsn = (prefix + "123456789")[:9]
        number = phonenumbers.parse("+212" + nsn)
        assert phonenumbers.is_valid_number(number), nsn
        expected = "FIXED_LINE" if prefix.startswith("5") else "MOBILE"
        assert phonenumbers.number_type(number) == getattr(phonenumbers.PhoneNumberType, expected)
    for style in ph.STYLES:
        for _ in range(30):
            nsn = ph.new_mobile(rng)
            raw = ph.write(nsn, style, rng)
            assert 3 <= len(raw) <= 20, raw
            assert ph.e164_of(raw) == "+212" + nsn, (style, raw)
    for _ in range(50):
        e164 = ph.new_foreign(rng)
        assert ph.e164_of(ph.write_foreign(e164, rng)) == e164
        raw, _reason = ph.new_invalid(rng, set())
        assert 3 <= len(raw) <= 20 and not ph.is_valid(raw)


def test_clock_formats_like_datetime() -> None:
    import random

    from gomoq.sandbox.gen_calls import Clock

    clock = Clock()
    rng = random.Random(4)
    for ms in [0, 86_399_999, 1_700_000_000_000] + [rng.randrange(2 * 10**12) for _ in range(500)]:
        expected = datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")
        assert clock.iso(ms) == expected[:-3] + "Z"


def test_worker_process_gives_the_same_organisation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gomoq.sandbox import generator

    monkeypatch.setattr(generator, "CHUNK", 100)
    inline = generate_organisation(tmp_path / "inline.sqlite3", contacts=450, seed=9, now=NOW)
    monkeypatch.setattr(generator, "PARALLEL_FROM", 1)
    worker = generate_organisation(tmp_path / "worker.sqlite3", contacts=450, seed=9, now=NOW)
    assert dump(inline.db_path) == dump(worker.db_path)
    assert inline.truth_path.read_bytes() == worker.truth_path.read_bytes()
    assert worker.calls == inline.calls > 450
    assert not list(tmp_path.glob("*contacts-part*"))
    indexes = []
    for path in (inline.db_path, worker.db_path):
        conn = sqlite3.connect(path)
        indexes.append(conn.execute("SELECT name, sql FROM sqlite_master ORDER BY name").fetchall())
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        conn.close()
    assert indexes[0] == indexes[1] and ("calls_contact",) in [(n,) for n, _ in indexes[0]]


def test_refusal_leaves_the_existing_organisation_alone(tmp_path: Path) -> None:
    path = tmp_path / "org.sqlite3"
    generate_organisation(path, contacts=30, seed=3, now=NOW)
    before = dump(path)
    with pytest.raises(NotEmpty):
        generate_organisation(path, contacts=30, seed=4, now=NOW)
    assert dump(path) == before


@pytest.mark.parametrize("parallel", [False, True])
def test_a_failure_leaves_an_empty_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, parallel: bool
) -> None:
    from gomoq.sandbox import generator

    if parallel:
        monkeypatch.setattr(generator, "PARALLEL_FROM", 1)
        monkeypatch.setattr(generator, "CHUNK", 20)
    path = tmp_path / "org.sqlite3"

    def explode(event: object) -> None:
        if getattr(event, "done", 0) >= 40:
            raise RuntimeError("stop")

    with pytest.raises(RuntimeError):
        generate_organisation(path, contacts=60, seed=3, now=NOW, progress=explode)
    assert all(rows == [] for name, rows in dump(path).items() if name != "meta")
    generate_organisation(path, contacts=60, seed=3, now=NOW)  # and it can be filled again


def test_call_indexes_match_the_schema() -> None:
    from importlib import resources

    from gomoq.sandbox.gen_callsink import CALL_INDEXES

    schema = " ".join(
        resources.files("gomoq.sandbox").joinpath("schema.sql").read_text("utf-8").split()
    )
    for statement in CALL_INDEXES:
        assert statement in schema


@pytest.mark.timeout(60)
def test_a_dead_calls_worker_is_reported_not_waited_for(tmp_path: Path) -> None:
    from gomoq.sandbox.gen_callsink import GenerationFailed, ProcessCalls

    sink = ProcessCalls(tmp_path / "x.sqlite3", 1, 10, "org", 0, 1000)
    sink.process.terminate()
    sink.process.join()
    with pytest.raises(GenerationFailed, match="stopped"):
        for chunk in range(10):  # more than the queue holds
            sink.submit(chunk, [])
        sink.finish()


@pytest.mark.timeout(60)
def test_a_failing_calls_worker_says_why(tmp_path: Path) -> None:
    from gomoq.sandbox.gen_callsink import GenerationFailed, ProcessCalls

    sink = ProcessCalls(tmp_path / "missing" / "x.sqlite3", 1, 10, "org", 0, 1000)
    with pytest.raises(GenerationFailed, match="unable to open"):
        sink.finish()
