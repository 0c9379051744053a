"""Sync under the sandbox's fault switches and page drift: the cache still equals the server."""

from __future__ import annotations

from pathlib import Path

import pytest

from gomoq.api.errors import ApiError
from gomoq.api.testing import in_process
from gomoq.cache.contacts_pager import SyncDriftError
from gomoq.cache.store import NoCache, Snapshot
from gomoq.config import Profile
from gomoq.progress import ProgressEvent
from gomoq.sandbox.app import SandboxApp
from gomoq.services.sync import SyncResult, sync
from tests.cache.server_truth import assert_cache_equals_server

FAST = {"backoff_base": 0.01, "backoff_cap": 0.05}


@pytest.fixture
def profile(sandbox_app: SandboxApp, sandbox_key: str, monkeypatch: pytest.MonkeyPatch) -> Profile:
    sandbox_app.sandbox.settings.export_delay_ms = 0
    monkeypatch.setattr("gomoq.api.retry.READ_BASE_DELAY", 0.01)
    return Profile(
        name="org", base_url="http://sandbox.test/api", api_key=sandbox_key, rate_limit=1000.0
    )


def run(app: SandboxApp, profile: Profile, **kwargs: object) -> SyncResult:
    kwargs.setdefault("empty_base_ok", True)  # tests of one table alone, on a fresh profile
    with in_process(app):
        return sync(profile, client_options=dict(FAST), **kwargs)  # type: ignore[arg-type]


@pytest.mark.slow
def test_429_storm_is_ridden_out(
    sandbox_app: SandboxApp, sandbox_db: Path, profile: Profile
) -> None:
    state = sandbox_app.sandbox
    state.settings.rate_limit = 20
    state.limiter.reset()

    storms = {"left": 8}

    def another_consumer(event: ProgressEvent) -> None:
        # someone else spends the same key's budget: the client's pacing cannot foresee it
        if storms["left"] and event.task == "contacts":
            storms["left"] -= 1
            for _ in range(20):
                state.limiter.take(state.api_key, 20)

    result = run(sandbox_app, profile, progress=another_consumer)
    assert result.rate_limited > 0 and result.retries >= result.rate_limited
    assert_cache_equals_server("org", sandbox_db)


@pytest.mark.parametrize(
    "faults",
    [
        {"error_rate": 0.25, "seed": 3},
        {"drop_rate": 0.2, "seed": 4},
        {"error_rate": 0.15, "drop_rate": 0.1, "phase": "after", "seed": 5},
    ],
    ids=["5xx", "dropped", "after-phase"],
)
def test_server_errors_and_dropped_connections(
    sandbox_app: SandboxApp, sandbox_db: Path, profile: Profile, faults: dict[str, object]
) -> None:
    for name, value in faults.items():
        setattr(sandbox_app.sandbox.settings.faults, name, value)
    sandbox_app.sandbox.reseed(sandbox_app.sandbox.settings.faults.seed)
    result = run(sandbox_app, profile)
    assert result.retries > 0
    for name in faults:
        setattr(sandbox_app.sandbox.settings.faults, name, 0 if name != "phase" else "before")
    assert_cache_equals_server("org", sandbox_db)


def test_malformed_bodies_are_read_again(
    sandbox_app: SandboxApp, sandbox_db: Path, profile: Profile
) -> None:
    sandbox_app.sandbox.settings.faults.malformed_rate = 0.15
    sandbox_app.sandbox.reseed(11)
    run(sandbox_app, profile)
    sandbox_app.sandbox.settings.faults.malformed_rate = 0
    assert_cache_equals_server("org", sandbox_db)


def test_an_outage_then_resume_gives_the_same_cache(
    sandbox_app: SandboxApp, sandbox_db: Path, profile: Profile
) -> None:
    faults = sandbox_app.sandbox.settings.faults
    calls = {"n": 0}

    def outage(event: object) -> None:
        calls["n"] += 1
        if calls["n"] == 3:  # the network goes away in the middle of the contacts
            faults.drop_rate = 1.0

    with in_process(sandbox_app), pytest.raises(ApiError):
        sync(profile, progress=outage, client_options={**FAST, "max_retries": 1})  # type: ignore[arg-type]
    with pytest.raises(NoCache):
        Snapshot.open("org")
    faults.drop_rate = 0.0
    result = run(sandbox_app, profile)
    assert result.resumed
    assert_cache_equals_server("org", sandbox_db)


@pytest.mark.parametrize("position", ["random", "start", "end"])
def test_page_drift_is_repaired(
    sandbox_app: SandboxApp, sandbox_db: Path, profile: Profile, position: str
) -> None:
    """Creates and deletes during the first pass; the cache equals the server's final state."""
    state = sandbox_app.sandbox
    faults = state.settings.faults
    faults.drift_position = position  # type: ignore[assignment]
    faults.creates_per_request, faults.deletes_per_request = 2, 1
    faults.seed = 9
    state.reseed(9)
    start = state.request_count

    def calm_down(event: object) -> None:
        if state.request_count - start >= 4:
            faults.creates_per_request = faults.deletes_per_request = 0

    result = run(sandbox_app, profile, progress=calm_down, only={"contacts", "audiences"})
    creates = [e for e in state.editor_log if e["kind"] == "create"]
    assert creates, "the drift switch made no change"
    assert result.drift_repairs >= 1
    assert_cache_equals_server("org", sandbox_db, ["contacts", "attributes", "audience_members"])


def test_a_server_that_never_settles_is_a_clear_error(
    sandbox_app: SandboxApp, profile: Profile
) -> None:
    faults = sandbox_app.sandbox.settings.faults
    faults.creates_per_request = faults.deletes_per_request = 1
    drift = pytest.raises(SyncDriftError, match="kept changing during all 2 passes")
    with drift, in_process(sandbox_app):
        sync(
            profile,
            only={"contacts"},
            max_passes=2,
            client_options=dict(FAST),
            empty_base_ok=True,
        )
    with pytest.raises(NoCache):
        Snapshot.open("org")


def test_edits_alone_do_not_keep_the_sync_repairing(
    sandbox_app: SandboxApp, sandbox_db: Path, profile: Profile
) -> None:
    faults = sandbox_app.sandbox.settings.faults
    faults.editor_every_requests = 1  # another user edits a contact at every request
    first = run(sandbox_app, profile, only={"contacts"})
    assert first.drift_repairs <= 1  # no snapshot yet: a fresh write may be a create
    second = run(sandbox_app, profile, only={"contacts"})
    assert second.drift_repairs == 0  # the edited contacts are known: edits, not creates
    faults.editor_every_requests = 0
    assert sandbox_app.sandbox.editor_log
    got = Snapshot.open("org").read("contacts")
    assert got.height == 300 and got["id"].n_unique() == 300
