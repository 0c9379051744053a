"""Tracebacks of unexpected errors, secrets masked, in the log folder (`gomoq locate`).

The operator sees one sentence and where the details are; the details go here. Used by the CLI's
last-resort handler (one file per crash) and by the app (appended to `tui.log`).
"""

from __future__ import annotations

import traceback
from datetime import UTC, datetime

from gomoq import paths
from gomoq.secrets import redact


def write(error: BaseException, *, file_name: str | None = None) -> str | None:
    """Write `error`'s traceback to the log folder and return the file's path (None when the
    folder cannot be written). `file_name` None: a new `crash-<UTC time>.log`; otherwise the
    traceback is appended to that file under a timestamp line."""
    details = redact("".join(traceback.format_exception(error)))
    try:
        folder = paths.log_dir()
        folder.mkdir(parents=True, exist_ok=True)
        now = datetime.now(UTC)
        if file_name is None:
            path = folder / f"crash-{now:%Y%m%dT%H%M%S}.log"
            path.write_text(details, encoding="utf-8")
        else:
            path = folder / file_name
            with path.open("a", encoding="utf-8") as log:
                log.write(f"--- {now.isoformat()}\n{details}\n")
        return str(path)
    except OSError:
        return None
