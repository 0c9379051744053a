"""A one-line progress strip for the screen's running job, hidden when idle."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Label, ProgressBar


class JobBar(Horizontal):
    """Shows `label: done/total` with a bar and the cancel hint while a job runs."""

    DEFAULT_CSS = """
    JobBar { height: 1; display: none; background: $boost; padding: 0 1; }
    JobBar.-running { display: block; }
    JobBar > Label { width: 1fr; }
    JobBar > ProgressBar { width: 40; }
    """

    def compose(self) -> ComposeResult:
        yield Label(id="job-label")
        yield ProgressBar(total=None, show_eta=False, id="job-progress")

    def begin(self, text: str) -> None:
        """Show the strip for a job that just started."""
        self.add_class("-running")
        self.query_one("#job-label", Label).update(f"{text}  (Esc cancels)")
        self.query_one(ProgressBar).update(total=None, progress=0)

    def step(self, text: str, done: int, total: int | None) -> None:
        """Reflect one progress event."""
        self.add_class("-running")
        count = f"{done:,}/{total:,}" if total else f"{done:,}"
        self.query_one("#job-label", Label).update(f"{text} {count}  (Esc cancels)")
        self.query_one(ProgressBar).update(total=total, progress=done)

    def end(self) -> None:
        """Hide the strip."""
        self.remove_class("-running")
