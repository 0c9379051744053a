"""`gomoq sync` and the shared progress renderer (`gomoq.cli.progress_bar`)."""

from __future__ import annotations

import io

from gomoq.cli.progress_bar import PlainReporter, format_duration, progress_bar
from gomoq.progress import ProgressEvent


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
