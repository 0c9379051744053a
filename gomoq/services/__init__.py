"""Orchestration shared by the CLI and the TUI (sync, checks, plans): no printing, no Textual.

Each service takes `progress` / `should_cancel` callbacks and returns a result object; import
the sub-module you need (`gomoq.services.checks`, `gomoq.services.sync`, `gomoq.services.plan`).
"""
