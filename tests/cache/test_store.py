"""The snapshot store: pointers, atomic swaps, patches, garbage collection, versions."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import polars as pl
import pytest

from gomoq import paths
from gomoq.cache import store
from gomoq.cache.schema import SCHEMA_VERSION, TABLES
from gomoq.cache.store import NoCache, Snapshot, patch_current, write_snapshot
from gomoq.errors import UsageError


def contacts(*ids: str) -> pl.DataFrame:
    stamp = datetime(2025, 1, 1, tzinfo=UTC)
    return pl.DataFrame(
        {
            "id": list(ids),
            "primary_phone": [f"+2126000000{i}" for i in range(len(ids))],
            "channels": [["phone"]] * len(ids),
            "custom_attributes": ["{}"] * len(ids),
            "created_at": [stamp] * len(ids),
        }
    )


def test_no_cache_is_one_sentence() -> None:
    with pytest.raises(NoCache) as info:
        Snapshot.open("acme")
    assert str(info.value) == "No cache for profile acme yet: run `gomoq sync`."
    assert isinstance(info.value, UsageError) and info.value.exit_code == 2


def test_write_and_read_with_exact_schema() -> None:
    write_snapshot("acme", {"contacts": contacts("a", "b")}, {"base_url": "http://x/api"})
    snap = Snapshot.open("acme")
    assert snap.manifest["counts"]["contacts"] == 2
    assert snap.manifest["schema_version"] == SCHEMA_VERSION
    for table, schema in TABLES.items():
        assert snap.read(table).schema == pl.Schema(schema)
        assert snap.scan(table).collect_schema() == pl.Schema(schema)
    assert snap.read("contacts")["id"].to_list() == ["a", "b"]
    assert snap.read("calls").height == 0
    assert (snap.path / "contacts.v1.parquet").exists()


def test_calls_are_written_sorted_by_contact_then_time() -> None:
    stamp = datetime(2025, 1, 1, tzinfo=UTC)
    calls = pl.DataFrame(
        {
            "id": ["k1", "k2", "k3", "k4", "k5"],
            "contact_id": ["b", "a", None, "b", "a"],
            "created_at": [stamp.replace(day=d) for d in (3, 2, 1, 1, 1)],
        }
    )
    write_snapshot("acme", {"contacts": contacts("a", "b"), "calls": calls}, {})
    stored = Snapshot.open("acme").read("calls")
    assert stored["id"].to_list() == ["k5", "k2", "k4", "k1", "k3"]


def test_swap_keeps_previous_and_readers_keep_their_folder() -> None:
    write_snapshot("acme", {"contacts": contacts("a")}, {})
    old = Snapshot.open("acme")
    with pytest.raises(NoCache, match="no previous snapshot"):
        Snapshot.open("acme", "previous")
    write_snapshot("acme", {"contacts": contacts("a", "b")}, {})
    assert Snapshot.open("acme", "previous").path == old.path
    assert old.read("contacts").height == 1
    assert Snapshot.open("acme").read("contacts").height == 2


def test_folders_leave_only_after_the_grace_period() -> None:
    for ids in (["a"], ["a", "b"], ["a", "b", "c"]):
        write_snapshot("acme", {"contacts": contacts(*ids)}, {})
    root = paths.profile_cache_dir("acme")
    snaps = sorted(p.name for p in root.glob("snap-*"))
    assert len(snaps) == 3  # the oldest is retired, not yet removed
    store.collect_garbage("acme", grace=0)
    assert len(list(root.glob("snap-*"))) == 2


def test_other_schema_versions_are_absent() -> None:
    write_snapshot("acme", {}, {})
    snap = Snapshot.open("acme")
    manifest = json.loads((snap.path / "manifest.json").read_text())
    manifest["schema_version"] = SCHEMA_VERSION - 1
    (snap.path / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(NoCache, match="written by an older gomoq: run `gomoq sync`"):
        Snapshot.open("acme")
    manifest["schema_version"] = SCHEMA_VERSION
    manifest["complete"] = False
    (snap.path / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(NoCache, match="No cache for profile acme yet"):
        Snapshot.open("acme")


def test_damaged_pointer_or_manifest_is_no_cache() -> None:
    write_snapshot("acme", {}, {})
    root = paths.profile_cache_dir("acme")
    (root / "CURRENT").write_text("../../etc\n")
    with pytest.raises(NoCache):
        Snapshot.open("acme")
    (root / "CURRENT").write_text("snap-missing\n")
    with pytest.raises(NoCache):
        Snapshot.open("acme")


def test_patch_current_with_a_frame_and_with_a_transform() -> None:
    write_snapshot("acme", {"contacts": contacts("a", "b")}, {"synced_at": "then"})
    write_snapshot("acme", {"contacts": contacts("a", "b", "c")}, {"synced_at": "now"})
    before = Snapshot.open("acme")
    previous = Snapshot.open("acme", "previous").path
    patched = patch_current("acme", "contacts", contacts("x"))
    assert patched.read("contacts")["id"].to_list() == ["x"]
    assert patched.manifest["counts"]["contacts"] == 1
    assert patched.manifest["synced_at"] == "now" and "patched_at" in patched.manifest
    again = patch_current("acme", "contacts", lambda f: f.filter(pl.col("id") != "x"))
    assert again.read("contacts").height == 0
    assert Snapshot.open("acme").path == again.path
    assert Snapshot.open("acme", "previous").path == previous  # a patch does not rotate
    assert before.read("contacts").height == 3  # the pre-patch reader is unaffected
    # the untouched tables are shared, not rewritten
    assert (again.path / "calls.v1.parquet").stat().st_ino == (
        before.path / "calls.v1.parquet"
    ).stat().st_ino


def test_patch_without_cache_or_with_a_bad_table() -> None:
    with pytest.raises(NoCache):
        patch_current("acme", "contacts", contacts("a"))
    write_snapshot("acme", {}, {})
    with pytest.raises(KeyError):
        patch_current("acme", "phones", contacts("a"))


def test_patch_conforms_columns() -> None:
    write_snapshot("acme", {}, {})
    snap = patch_current("acme", "contacts", pl.DataFrame({"id": ["a"], "extra": [1]}))
    frame = snap.read("contacts")
    assert frame.schema == pl.Schema(TABLES["contacts"]) and frame["id"].to_list() == ["a"]
