"""Export from any list screen: the same dialog everywhere, run in a worker through
`gomoq.tui.bridge.export`, the outcome in one notification.

The key is `E` (shift+e) on every list screen — Attributes already uses `e` for "Set to…" and
Calls `x` for delete — and plain `e` too where it is free (Contacts, Audiences)."""

from __future__ import annotations

from typing import Any

from textual.binding import Binding

from gomoq.progress import CancelFn, ProgressFn
from gomoq.tui import bridge
from gomoq.tui.dialogs.export import ExportDialog
from gomoq.tui.messages import Exported
from gomoq.tui.screens.base import WorkbenchScreen

EXPORT_BINDING = Binding("E", "export", "Export")
"""The export key of every list screen."""


class ExportingScreen(WorkbenchScreen):
    """A workbench screen that can export what it shows (`open_export`)."""

    last_export: Any = None
    """The `ExportResult` of the screen's last export (tests read it)."""

    def open_export(self, where: str = "", kind: str = "contacts") -> None:
        """Ask what to export (the filter prefilled with `where`), then export in a worker."""
        profile, source = self.workbench.profile, self.workbench.source
        if profile is None or source is None:
            self.notify("Nothing to export yet: the cache is not open.", severity="warning")
            return
        findings = self.workbench.findings

        def answered(request: dict[str, Any] | None) -> None:
            if request is None:
                return

            def work(_p: ProgressFn, _c: CancelFn) -> Exported:
                return Exported(bridge.export(profile, source, findings, request))

            self.start("export", "Exporting", work, exclusive=False)

        self.app.push_screen(ExportDialog(where, kind), answered)

    def on_exported(self, message: Exported) -> None:
        self.finish("export")
        self.last_export = message.result
        self.notify(message.result.headline, title="Export", timeout=8)
