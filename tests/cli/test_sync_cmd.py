"""`gomoq sync` and the shared progress renderer (`gomoq.cli.progress_bar`)."""

from __future__ import annotations

import io
import json
import re
from typing import Any

import pytest
from click.testing import CliRunner

from gomoq.api.testing import in_process
from gomoq.cli import cli
from gomoq.cli.progress_bar import PlainReporter, progress_bar
from gomoq.config import Profile, save_profile
from gomoq.progress import ProgressEvent, format_duration
from gomoq.sandbox.app import SandboxApp


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_plain_reporter_prints_periodically_and_at_the_end() -> None:
    out = io.StringIO()
    clock = FakeClock()
    report = PlainReporter(out, "Syncing", interval=5.0, clock=clock)
    report(ProgressEvent("contacts", 0, 1000))
    clock.now += 1
    report(ProgressEvent("contacts", 100, 1000))
    assert out.getvalue() == ""  # inside the interval: silent
    clock.now += 4
    report(ProgressEvent("contacts", 500, 1000))
    lines = out.getvalue().splitlines()
    assert lines == ["Syncing: contacts: 500/1,000 rows, 100 rows/s, ETA 5.0s"]
    clock.now += 5
    report(ProgressEvent("contacts", 1000, 1000, finished=True))
    assert out.getvalue().splitlines()[-1] == (
        "Syncing: contacts: 1,000/1,000 rows, 100 rows/s, done in 10s"
    )
    report(ProgressEvent("contacts", 1000, 1000, finished=True))
    assert len(out.getvalue().splitlines()) == 2  # a finished task says so once


def test_plain_reporter_keeps_tasks_apart_and_counts_without_total() -> None:
    out = io.StringIO()
    clock = FakeClock()
    report = PlainReporter(out, None, interval=1.0, clock=clock)
    report(ProgressEvent("calls", 0, None, unit="calls"))
    report(ProgressEvent("contacts", 0, 10))
    clock.now += 2
    report(ProgressEvent("calls", 40, None, unit="calls", message="export ready"))
    assert out.getvalue() == "calls: 40 calls, 20 calls/s, export ready\n"


def test_quiet_prints_nothing() -> None:
    out = io.StringIO()
    with progress_bar("x", quiet=True, stream=out) as progress:
        progress(ProgressEvent("contacts", 5, 10, finished=True))
    assert out.getvalue() == ""


def test_terminal_renders_a_bar_per_task_with_rate() -> None:
    out = io.StringIO()
    with progress_bar("Syncing", stream=out, force_terminal=True) as progress:
        progress(ProgressEvent("contacts", 50, 100))
        progress(ProgressEvent("calls", 7, None, unit="calls"))
        progress(ProgressEvent("contacts", 100, 100, finished=True))
        progress(ProgressEvent("calls", 9, None, unit="calls", finished=True))
    text = out.getvalue()
    assert "Syncing: contacts" in text and "Syncing: calls" in text
    assert "100/100" in text and "9/9" in text
    assert "rows/s" in text and "calls/s" in text


def test_terminal_shows_no_rate_for_a_handful_of_items() -> None:
    out = io.StringIO()
    with progress_bar("Checking", stream=out, force_terminal=True) as progress:
        progress(ProgressEvent("checks", 2, 5, unit="checks", message="phones"))
        progress(ProgressEvent("checks", 5, 5, unit="checks", finished=True))
    text = out.getvalue()
    assert "5/5" in text and "Checking: checks" in text
    assert "checks/s" not in text


def test_non_terminal_stream_gets_plain_lines() -> None:
    out = io.StringIO()  # StringIO.isatty() is False
    with progress_bar("Syncing", stream=out) as progress:
        progress(ProgressEvent("contacts", 3, 3, finished=True))
    assert out.getvalue().startswith("Syncing: contacts: 3/3 rows")
    assert "\x1b[" not in out.getvalue()


def test_format_duration() -> None:
    assert format_duration(3.25) == "3.2s"
    assert format_duration(42) == "42s"
    assert format_duration(102) == "1m42s"
    assert format_duration(7500) == "2h05m"


# -- gomoq sync ---------------------------------------------------------------------------


@pytest.fixture
def saved_profile(
    sandbox_app: SandboxApp, sandbox_key: str, monkeypatch: pytest.MonkeyPatch
) -> Profile:
    sandbox_app.sandbox.settings.export_delay_ms = 0
    monkeypatch.setattr("gomoq.api.retry.READ_BASE_DELAY", 0.01)
    profile = Profile(
        name="org", base_url="http://127.0.0.1:9/api", api_key=sandbox_key, rate_limit=1000.0
    )
    save_profile(profile, store_key=True, activate=True)
    return profile


def invoke(app: SandboxApp, *args: str) -> Any:
    with in_process(app):
        return CliRunner().invoke(cli, ["sync", *args])


def test_sync_text_summary(sandbox_app: SandboxApp, saved_profile: Profile) -> None:
    result = invoke(sandbox_app, "--quiet")
    assert result.exit_code == 0, result.output
    assert re.fullmatch(
        r"Synced 300 contacts, [\d,]+ calls, \d+ audiences, \d+ attribute definitions in "
        r"[\d.ms]+ \([\d,]+ contacts/s\); 0 retries\.\n",
        result.stdout,
    )


def test_sync_json_and_only(sandbox_app: SandboxApp, saved_profile: Profile) -> None:
    # `--only` completes a snapshot: on a fresh profile it is refused, nothing written
    fresh = invoke(sandbox_app, "--only", "calls", "-q")
    assert fresh.exit_code == 2
    assert "has none yet: run a full `gomoq sync` first." in fresh.stderr
    assert invoke(sandbox_app, "-q").exit_code == 0
    result = invoke(sandbox_app, "--only", "contacts,attribute_defs", "--format", "json", "-q")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["counts"]["contacts"] == 300 and data["counts"]["calls"] > 0  # carried over
    assert data["synced"] == ["contacts", "attributes", "attribute_defs"]
    assert saved_profile.api_key not in result.output


def test_sync_errors_are_one_sentence(
    sandbox_app: SandboxApp, saved_profile: Profile, monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = invoke(sandbox_app, "--only", "phones")
    assert bad.exit_code == 2
    assert bad.stderr.strip() == (
        "Error: Unknown table 'phones' for --only; choose among contacts, attribute_defs, "
        "audiences, calls."
    )
    missing = invoke(sandbox_app, "--profile", "nope")
    assert missing.exit_code == 2 and "Traceback" not in missing.output
    monkeypatch.setenv("GOMOQ_API_KEY", "gmq_wrong_key_123456789")
    wrong = invoke(sandbox_app, "-q")
    assert wrong.exit_code == 2  # a wrong key is for the operator to fix
    assert wrong.stderr.startswith("Error: ") and wrong.stderr.count("\n") == 1
    assert "gmq_wrong_key_123456789" not in wrong.output


def test_sync_progress_lines_when_not_a_terminal(
    sandbox_app: SandboxApp, saved_profile: Profile
) -> None:
    result = invoke(sandbox_app)
    assert result.exit_code == 0
    assert "Syncing: contacts: 300/300 contacts" in result.stderr
