"""Sync safety (issue 13, items 3-6): `--only` needs a sound base, a work folder belongs to one
organisation, a failed pass does not poison the next sync, a damaged Parquet file is named
and never carried or shared into a new snapshot."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from gomoq import paths
from gomoq.api.testing import in_process
from gomoq.cache.contacts_pager import SyncDriftError
from gomoq.cache.schema import table_file_name
from gomoq.cache.store import CorruptCache, NoCache, Snapshot
from gomoq.cli import cli
from gomoq.config import Profile, save_profile
from gomoq.errors import Cancelled, UsageError
from gomoq.progress import ProgressEvent
from gomoq.sandbox import db as sdb
from gomoq.sandbox.app import SandboxApp, create_app
from gomoq.sandbox.settings import Faults, SandboxSettings
from gomoq.services.sync import SyncResult, sync
from tests.cache.server_truth import assert_cache_equals_server
from tests.sandbox_fixtures import SMALL_ORG_KEY, build_small_org

FAST = {"backoff_base": 0.01, "backoff_cap": 0.05}


@pytest.fixture
def profile(sandbox_app: SandboxApp, sandbox_key: str, monkeypatch: pytest.MonkeyPatch) -> Profile:
    sandbox_app.sandbox.settings.export_delay_ms = 0
    monkeypatch.setattr("gomoq.api.retry.READ_BASE_DELAY", 0.01)
    return Profile(
        name="org", base_url="http://sandbox.test/api", api_key=sandbox_key, rate_limit=1000.0
    )


def run(app: SandboxApp, profile: Profile, **kwargs: object) -> SyncResult:
    with in_process(app):
        return sync(profile, client_options=dict(FAST), **kwargs)  # type: ignore[arg-type]


def _folders(profile: str) -> list[str]:
    root = paths.profile_cache_dir(profile)
    return sorted(p.name for p in root.iterdir()) if root.exists() else []


# -- item 3 -----------------------------------------------------------------------------------
def test_only_without_a_snapshot_is_refused_and_writes_nothing(
    sandbox_app: SandboxApp, profile: Profile
) -> None:
    with pytest.raises(UsageError, match="has none yet: run a full `gomoq sync`"):
        run(sandbox_app, profile, only={"calls"})
    with pytest.raises(NoCache):
        Snapshot.open("org")
    assert not [n for n in _folders("org") if n.startswith(("snap-", "work-"))]


# -- item 5 -----------------------------------------------------------------------------------
def test_a_failed_drift_sync_does_not_poison_the_next(
    sandbox_app: SandboxApp, sandbox_db: Path, profile: Profile
) -> None:
    sandbox_app.sandbox.settings.faults = Faults(creates_per_request=1, deletes_per_request=1)
    with pytest.raises(SyncDriftError):
        run(sandbox_app, profile, max_passes=2)
    sandbox_app.sandbox.settings.faults = Faults()
    result = run(sandbox_app, profile, max_passes=2)
    assert result.counts["contacts"] > 0
    assert_cache_equals_server("org", sandbox_db)


# -- item 4 -----------------------------------------------------------------------------------
def _other_org(tmp_path: Path, org_id: str, contacts: int, seed: int) -> SandboxApp:
    db = build_small_org(tmp_path / f"org-{seed}.sqlite3", contacts=contacts, seed=seed)
    conn = sdb.connect(db)
    sdb.set_meta(conn, "org_id", org_id)
    conn.close()
    app = create_app(db, SandboxSettings(rate_limit=0))
    app.sandbox.settings.export_delay_ms = 0
    return app


def test_a_sync_of_another_organisation_does_not_resume_the_first(tmp_path: Path) -> None:
    """Organisation A's sync is cut off; the same base URL and key now open organisation B: the
    next sync starts afresh (B's contacts *and* B's attribute definitions), it never mixes."""
    a = _other_org(tmp_path, "00000000-0000-4000-8000-00000000000a", 30, 1)
    b = _other_org(tmp_path, "00000000-0000-4000-8000-00000000000b", 20, 2)
    profile = Profile("org", "http://sandbox.test/api", SMALL_ORG_KEY, rate_limit=1000.0)
    finished: set[str] = set()

    def progress(event: ProgressEvent) -> None:
        if event.finished:
            finished.add(event.task)

    with pytest.raises(Cancelled):
        run(a, profile, progress=progress, should_cancel=lambda: "attribute_defs" in finished)
    result = run(b, profile)
    assert not result.resumed and result.counts["contacts"] == 20
    defs = Snapshot.open("org").read("attribute_defs")["id"].to_list()
    b_defs = [r[0] for r in b.sandbox.conn.execute("SELECT id FROM custom_attributes")]
    assert sorted(defs) == sorted(b_defs)
    assert Snapshot.open("org").manifest["organization_id"].endswith("b")
    # `--only` on top of A's snapshot, with a key that opens B: refused
    run(a, profile)
    with pytest.raises(UsageError, match="holds organisation"):
        run(b, profile, only={"calls"})
    a.close()
    b.close()


# -- item 6 -----------------------------------------------------------------------------------
@pytest.mark.parametrize("damage", ["truncate", "random"])
def test_a_damaged_parquet_file_is_named_and_rebuilt(
    sandbox_app: SandboxApp, sandbox_db: Path, profile: Profile, damage: str
) -> None:
    run(sandbox_app, profile)
    snap = Snapshot.open("org")
    path = snap.table_path("calls")
    data = path.read_bytes()
    fresh = path.with_name("fresh")  # break the file itself, not the inode shared by links
    fresh.write_bytes(data[: len(data) // 2] if damage == "truncate" else os.urandom(len(data)))
    os.replace(fresh, path)
    with pytest.raises(CorruptCache, match=r"calls\.v\d+\.parquet .* is damaged") as caught:
        Snapshot.open("org")
    assert "`gomoq sync --profile org` will rebuild it" in str(caught.value)
    assert caught.value.exit_code == 4
    save_profile(Profile("org", "http://127.0.0.1:9", "k" * 16), activate=True)
    checked = CliRunner().invoke(cli, ["check", "--format", "json"])
    assert checked.exit_code == 4, checked.stderr
    assert "is damaged" in checked.stderr and "unexpected problem" not in checked.stderr
    # `--only calls` must not carry or link the broken file: refused, nothing written
    before = _folders("org")
    with pytest.raises(UsageError, match="is damaged"):
        run(sandbox_app, profile, only={"contacts"})
    assert _folders("org") == before
    run(sandbox_app, profile)  # a full sync rebuilds it
    assert_cache_equals_server("org", sandbox_db)
    assert Snapshot.open("org").table_path("calls").name == table_file_name("calls")
