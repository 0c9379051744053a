"""`gomoq.services.sync.sync` against the in-process sandbox: equality with the server's
database, snapshot atomicity, cancellation and resume, `only`, and no key on disk."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from gomoq import paths
from gomoq.api.errors import ApiError, NotFound
from gomoq.api.testing import in_process
from gomoq.cache.store import Snapshot
from gomoq.config import Profile
from gomoq.errors import Cancelled, UsageError
from gomoq.progress import ProgressEvent
from gomoq.sandbox.app import SandboxApp
from gomoq.services.sync import parse_only, sync
from tests.cache.server_truth import assert_cache_equals_server, server_tables

FAST = {"backoff_base": 0.01, "backoff_cap": 0.05}


@pytest.fixture
def profile(sandbox_app: SandboxApp, sandbox_key: str, monkeypatch: pytest.MonkeyPatch) -> Profile:
    sandbox_app.sandbox.settings.export_delay_ms = 0
    monkeypatch.setattr("gomoq.api.retry.READ_BASE_DELAY", 0.01)
    return Profile(
        name="org", base_url="http://sandbox.test/api", api_key=sandbox_key, rate_limit=1000.0
    )


def run(app: SandboxApp, profile: Profile, **kwargs: object):  # type: ignore[no-untyped-def]
    options = {**FAST, **kwargs.pop("client_options", {})}  # type: ignore[dict-item]
    kwargs.setdefault("empty_base_ok", True)  # tests of one table alone, on a fresh profile
    with in_process(app):
        return sync(profile, client_options=options, **kwargs)  # type: ignore[arg-type]


def test_full_sync_equals_the_server(
    sandbox_app: SandboxApp, sandbox_db: Path, profile: Profile
) -> None:
    events: list[ProgressEvent] = []
    result = run(sandbox_app, profile, progress=events.append)
    assert_cache_equals_server("org", sandbox_db)
    truth = server_tables(sandbox_db)
    assert result.counts["contacts"] == truth["contacts"].height == 300
    assert result.counts["calls"] == truth["calls"].height > 0
    assert result.drift_repairs == 0 and not result.resumed
    manifest = Snapshot.open("org").manifest
    assert manifest["complete"] is True and manifest["profile"] == "org"
    assert manifest["base_url"] == profile.base_url
    assert manifest["counts"]["audience_members"] == truth["audience_members"].height
    assert {"pages", "retries", "drift_repairs"} <= set(manifest["stats"])
    finished = {e.task for e in events if e.finished}
    assert {"contacts", "calls", "audiences", "attribute_defs"} <= finished
    assert result.summary().startswith("Synced 300 contacts, ")
    # the work folder became the snapshot: nothing else is left behind
    leftovers = [p.name for p in paths.profile_cache_dir("org").iterdir()]
    assert not [n for n in leftovers if n.startswith("work-")]


def test_second_sync_keeps_the_previous_snapshot(
    sandbox_app: SandboxApp, sandbox_db: Path, profile: Profile
) -> None:
    run(sandbox_app, profile)
    first = Snapshot.open("org")
    victim = first.read("contacts")["id"][0]
    sandbox_app.sandbox.conn.execute(
        "UPDATE contacts SET deleted_at = '2026-01-01T00:00:00.000Z' WHERE id = ?", (victim,)
    )
    sandbox_app.sandbox.contacts_changed()
    run(sandbox_app, profile)
    current, previous = Snapshot.open("org"), Snapshot.open("org", "previous")
    assert previous.path == first.path
    assert victim in previous.read("contacts")["id"].to_list()
    assert victim not in current.read("contacts")["id"].to_list()
    assert_cache_equals_server("org", sandbox_db)


def test_a_reader_during_a_sync_sees_the_old_snapshot(
    sandbox_app: SandboxApp, profile: Profile
) -> None:
    run(sandbox_app, profile)
    before = Snapshot.open("org")
    seen: list[Path] = []

    def peek(event: ProgressEvent) -> None:
        if event.task == "contacts" and not event.finished:
            snap = Snapshot.open("org")
            seen.append(snap.path)
            assert snap.read("contacts").height == 300

    run(sandbox_app, profile, progress=peek)
    assert seen and set(seen) == {before.path}
    assert Snapshot.open("org").path != before.path
    assert before.read("contacts").height == 300  # still readable after the swap


def test_a_failed_sync_leaves_current_intact(sandbox_app: SandboxApp, profile: Profile) -> None:
    run(sandbox_app, profile)
    before = Snapshot.open("org")
    sandbox_app.sandbox.settings.faults.error_rate = 1.0
    with pytest.raises(ApiError):
        run(sandbox_app, profile, client_options={"max_retries": 1})
    after = Snapshot.open("org")
    assert after.path == before.path and after.manifest == before.manifest


def test_cancel_then_resume_fetches_only_what_is_missing(
    sandbox_app: SandboxApp, sandbox_db: Path, profile: Profile
) -> None:
    pages = {"n": 0}

    def progress(event: ProgressEvent) -> None:
        if event.task == "contacts":
            pages["n"] += 1

    with pytest.raises(Cancelled):
        run(
            sandbox_app,
            profile,
            progress=progress,
            should_cancel=lambda: pages["n"] >= 2,
        )
    with pytest.raises(UsageError, match="No cache for profile org"):
        Snapshot.open("org")
    result = run(sandbox_app, profile)
    assert result.resumed
    assert_cache_equals_server("org", sandbox_db)


def test_only_contacts_carries_the_other_tables_over(
    sandbox_app: SandboxApp, sandbox_db: Path, profile: Profile
) -> None:
    run(sandbox_app, profile)
    first = Snapshot.open("org")
    result = run(sandbox_app, profile, only={"contacts"})
    assert result.synced == ("contacts", "attributes")
    assert "calls" not in result.summary()
    snap = Snapshot.open("org")
    assert snap.read("calls").equals(first.read("calls"))
    assert snap.manifest["tables"]["calls"]["synced_at"] == first.manifest["synced_at"]
    assert_cache_equals_server("org", sandbox_db)


def test_only_on_a_fresh_profile_leaves_other_tables_empty(
    sandbox_app: SandboxApp, profile: Profile
) -> None:
    run(sandbox_app, profile, only={"attribute_defs"})
    snap = Snapshot.open("org")
    assert snap.read("attribute_defs").height > 0
    assert snap.read("contacts").height == 0
    assert snap.manifest["tables"]["contacts"]["synced_at"] is None


def test_parse_only() -> None:
    assert parse_only(["contacts", " Calls", "members"]) == {"contacts", "calls", "audiences"}
    with pytest.raises(UsageError, match="Unknown table 'phones' for --only"):
        parse_only(["phones"])


def test_calls_by_paging_when_there_is_no_export(
    sandbox_app: SandboxApp, sandbox_db: Path, profile: Profile, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gomoq.api import GomobileClient

    async def no_export(self: GomobileClient, filters: object = None) -> str:
        raise NotFound("No export here.", status=404)

    monkeypatch.setattr(GomobileClient, "start_calls_export", no_export)
    monkeypatch.setattr("gomoq.cache.fetch.CALL_CHUNK_PAGES", 3)
    run(sandbox_app, profile, only={"calls"})
    assert_cache_equals_server("org", sandbox_db, ["calls"])


def test_the_key_is_in_no_file(
    sandbox_app: SandboxApp, profile: Profile, isolated_home: Path
) -> None:
    run(sandbox_app, profile)
    key = profile.api_key.encode()
    for root, _dirs, files in os.walk(isolated_home):
        for name in files:
            if name == "config.toml":
                continue
            assert key not in (Path(root) / name).read_bytes(), name


class PageCounter:
    """ASGI wrapper counting the contact pages (`GET /api/contact?page=..&limit=100`) served."""

    def __init__(self, app: SandboxApp) -> None:
        self.app = app
        self.pages = 0

    async def __call__(self, scope: dict, receive: object, send: object) -> None:  # type: ignore[type-arg]
        query = scope.get("query_string", b"")
        if scope.get("path") == "/api/contact" and b"limit=100" in query:
            self.pages += 1
        await self.app(scope, receive, send)  # type: ignore[arg-type]


def test_resume_reads_only_the_missing_pages(
    sandbox_app: SandboxApp, sandbox_db: Path, profile: Profile, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("gomoq.cache.contacts_pager.CHUNK_PAGES", 1)
    monkeypatch.setattr("gomoq.cache.contacts_pager.WORKERS", 1)
    counter = PageCounter(sandbox_app)
    with in_process(counter), pytest.raises(Cancelled):
        sync(
            profile,
            should_cancel=lambda: counter.pages >= 2,
            client_options=dict(FAST),
        )
    first = counter.pages
    assert first == 2
    counter.pages = 0
    with in_process(counter):
        result = sync(profile, client_options=dict(FAST))
    assert result.resumed
    assert counter.pages == 3 - first  # 300 contacts = 3 pages; the 2 finished ones are kept
    assert_cache_equals_server("org", sandbox_db)


def test_resume_keeps_the_audiences_already_read(
    sandbox_app: SandboxApp, sandbox_db: Path, profile: Profile
) -> None:
    done: list[int] = []

    def progress(event: ProgressEvent) -> None:
        if event.task == "audiences" and not event.finished:
            done.append(event.done)

    with in_process(sandbox_app), pytest.raises(Cancelled):
        sync(
            profile,
            only={"audiences"},
            progress=progress,
            should_cancel=lambda: bool(done),
            client_options=dict(FAST),
            empty_base_ok=True,
        )
    members = {"n": 0}

    async def counting(scope: dict, receive: object, send: object) -> None:  # type: ignore[type-arg]
        if str(scope.get("path", "")).endswith("/contacts"):
            members["n"] += 1
        await sandbox_app(scope, receive, send)  # type: ignore[arg-type]

    with in_process(counting):
        result = sync(profile, only={"audiences"}, client_options=dict(FAST), empty_base_ok=True)
    resumed_pages, members["n"] = members["n"], 0
    fresh = Profile(name="fresh", base_url=profile.base_url, api_key=profile.api_key)
    with in_process(counting):
        sync(fresh, only={"audiences"}, client_options=dict(FAST), empty_base_ok=True)
    assert result.resumed and 0 < resumed_pages < members["n"]
    assert_cache_equals_server("org", sandbox_db, ["audiences", "audience_members"])


def test_pages_in_flight_follow_the_rate_limit() -> None:
    from gomoq.cache.contacts_pager import workers_for

    assert workers_for(10) == 8  # 10/s reached up to 0.8 s per request; under the burst of 10
    assert workers_for(2) == 2 and workers_for(1000) == 16


def test_calls_export_in_windows_and_resumed_by_window(
    sandbox_app: SandboxApp, sandbox_db: Path, profile: Profile, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("gomoq.cache.fetch.EXPORT_WINDOW_ROWS", 400)
    exports = {"n": 0}

    async def counting(scope: dict, receive: object, send: object) -> None:  # type: ignore[type-arg]
        if scope.get("path") == "/api/calls/export":
            exports["n"] += 1
        await sandbox_app(scope, receive, send)  # type: ignore[arg-type]

    with in_process(counting), pytest.raises(Cancelled):
        sync(
            profile,
            only={"calls"},
            should_cancel=lambda: exports["n"] >= 2,
            client_options=dict(FAST),
            empty_base_ok=True,
        )
    assert exports["n"] == 2
    with in_process(counting):
        result = sync(profile, only={"calls"}, client_options=dict(FAST), empty_base_ok=True)
    windows = -(-result.counts["calls"] // 400)
    assert windows >= 4 and exports["n"] == windows + 1  # the first window was kept
    assert_cache_equals_server("org", sandbox_db, ["calls"])


def test_cancel_does_not_wait_for_a_request_that_keeps_retrying(
    sandbox_app: SandboxApp, sandbox_db: Path, profile: Profile
) -> None:
    """The server starts failing mid-sync and the client backs off for seconds between tries:
    a cancel (quitting the app) must end the sync at once, not after the retries run out."""
    import time

    state: dict[str, float] = {"pages": 0, "cancel_at": 0.0}

    def progress(event: ProgressEvent) -> None:
        if event.task == "contacts":
            state["pages"] += 1
            if state["pages"] == 2:
                sandbox_app.sandbox.settings.faults.error_rate = 1.0
                state["cancel_at"] = time.monotonic() + 0.3

    def should_cancel() -> bool:
        return bool(state["cancel_at"]) and time.monotonic() >= state["cancel_at"]

    slow_retries = {"backoff_base": 4.0, "backoff_cap": 4.0, "max_retries": 5}
    with pytest.raises(Cancelled):
        run(
            sandbox_app,
            profile,
            progress=progress,
            should_cancel=should_cancel,
            client_options=slow_retries,
        )
    assert time.monotonic() - state["cancel_at"] < 1.5  # was up to 5 tries x 4 s
    sandbox_app.sandbox.settings.faults.error_rate = 0.0
    assert run(sandbox_app, profile).resumed
    assert_cache_equals_server("org", sandbox_db)
