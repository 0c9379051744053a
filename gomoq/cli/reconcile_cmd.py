"""`gomoq reconcile FILE`: bring Gomobile in step with a system of record (a CRM export).

Reads, maps and checks the file like `gomoq import`, then classifies every contact in scope:
new, changed, unchanged, gone from the source; `--deleted` says what becomes of the gone ones
and `--max-deletes` caps it. `-o plan.json` writes the plan; `--apply` sends it at once (for
cron), journaled and undoable like any plan.

Exit status: as `gomoq apply`'s — 0 done (or, without `--apply`, the plan was built), 1 an
API failure or a failed action (resume with `gomoq apply --resume RUN`), 2 a usage error
(a bad file or option, a type clash, the `--max-deletes` guard), 3 some actions skipped as
conflicts, 130 interrupted. `--format json` puts the summary on stdout; a log line is written
per run to `<log dir>/reconcile.log` (`gomoq locate` shows the folder).
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

import click

from gomoq.cli.import_cmd import fail, import_options, source_options, sync_first
from gomoq.cli.options import load_profile_or_exit
from gomoq.errors import GomoqError

EXIT_FAILED = 1
EXIT_CONFLICTS = 3
LOG_NAME = "reconcile.log"


def _log_line(source: Path, summary: dict[str, Any]) -> None:
    """One JSON line per run in `<log dir>/reconcile.log` (what cron leaves behind)."""
    from datetime import UTC, datetime

    from gomoq import paths

    run = summary.get("apply") or {}
    line = {
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "file": str(source),
        "counts": summary.get("reconcile", {}).get("counts"),
        "rejected": summary.get("preflight", {}).get("rejected"),
        "plan": summary.get("plan"),
        "run": run.get("run_id"),
        "state": run.get("state"),
    }
    try:
        folder = paths.log_dir()
        folder.mkdir(parents=True, exist_ok=True)
        with (folder / LOG_NAME).open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(line) + "\n")
    except OSError as exc:  # a log that cannot be written must not fail the run
        click.echo(f"Warning: could not write {LOG_NAME} ({exc.strerror}).", err=True)


@click.command()
@source_options
@click.option(
    "--key",
    default="phone",
    show_default=True,
    help="How rows find their contact: phone (normalised) or attr:SLUG (a source id).",
)
@click.option(
    "--deleted",
    default="ignore",
    show_default=True,
    help="Contacts gone from the source: ignore, soft-delete, remove-from-audiences or "
    "flag:SLUG=VALUE (e.g. flag:is_active=false).",
)
@click.option(
    "--scope",
    default="all",
    show_default=True,
    help="Which contacts come from this source: all, or attr:SLUG (those holding it).",
)
@click.option(
    "--max-deletes",
    metavar="N|N%",
    help="Refuse a plan whose gone-action touches more contacts (default 5% of the scope).",
)
@click.option("--only-empty", is_flag=True, help="Fill only fields that are empty in Gomobile.")
@click.option("--apply", "apply_now", is_flag=True, help="Apply the plan at once (cron).")
def reconcile(**params: Any) -> None:
    """Reconcile FILE with the organisation: create, update, and handle contacts gone from it."""
    from gomoq.cli.progress_bar import progress_bar
    from gomoq.services import plan as plans
    from gomoq.services.reconciling import ReconcileOptions, build_reconcile

    profile = load_profile_or_exit(params["profile_name"])
    try:
        options = import_options(params)
        rec = ReconcileOptions(
            key=params["key"],
            deleted=params["deleted"],
            scope=params["scope"],
            max_deletes=params["max_deletes"],
        )
        if params["sync_first"]:
            sync_first(profile, params["quiet"])
        with progress_bar("Reconcile", quiet=params["quiet"]) as progress:
            result = build_reconcile(profile, params["file"], options, rec, progress=progress)
    except GomoqError as exc:
        fail(exc)
        return
    except KeyboardInterrupt:
        click.echo("Interrupted; nothing was written or sent.", err=True)
        sys.exit(130)
    output: Path | None = params["output"]
    if output is not None:
        result.plan.save(output)
    summary: dict[str, Any] = {**result.summary(), "plan": str(output) if output else None}
    run = None
    if params["apply_now"] and result.plan.actions:
        try:
            with progress_bar("Applying", quiet=params["quiet"]) as progress:
                run = plans.apply(profile, result.plan, progress=progress, plan_path=output)
        except GomoqError as exc:
            fail(exc)
            return
        summary["apply"] = asdict(run)
    _log_line(params["file"], summary)
    if params["fmt"] == "json":
        click.echo(json.dumps(summary))
    else:
        for line in result.lines():
            click.echo(line)
        if run is not None:
            click.echo(run.headline())
        elif output is not None:
            click.echo(f"Plan written to {output}; send it with `gomoq apply {output}`.")
        elif not result.plan.actions:
            click.echo("Nothing to do: Gomobile is in step with the file.")
        else:
            click.echo("No plan written (add -o plan.json, or --apply); nothing was sent.")
    if run is not None:
        if run.state == "cancelled":
            sys.exit(130)
        if run.failed or run.pending:
            sys.exit(EXIT_FAILED)
        if run.conflicts:
            sys.exit(EXIT_CONFLICTS)
