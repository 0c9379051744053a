"""One apply or undo run per profile at a time, across terminals and processes.

Two runs of the same plan from two terminals both did every action (each re-read and re-sent
what the other had just done): correct in the end, but twice the requests, and two runs whose
steps interleave on the same contacts make the journal's before-images of one the after-images
of the other. So a run holds an flock on `<data dir>/run-<profile>.lock` (the kernel releases it
when the holder exits, even on `kill -9`) and writes its run id and pid into the file, which a
second run reads to name the first in its refusal.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path

from gomoq import paths
from gomoq.errors import UsageError


class RunLocked(UsageError):
    """Another run of the same profile is in progress."""

    exit_code = 5  # documented in the README's exit codes: "another run holds the profile"


def lock_path(profile: str) -> Path:
    """The lock file of `profile`'s runs."""
    return paths.data_dir() / f"run-{profile}.lock"


@contextlib.contextmanager
def run_lock(profile: str, what: str) -> Iterator[Callable[[str], None]]:
    """Hold `profile`'s run lock for the block; yields `announce(run_id)`, which records the
    run's id for a second run to name. Raises `RunLocked` naming the holder when taken."""
    path = lock_path(profile)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            raise RunLocked(_refusal(profile, handle.read())) from None

        def announce(run_id: str) -> None:
            handle.seek(0)
            handle.truncate()
            handle.write(json.dumps({"run": run_id, "pid": os.getpid(), "what": what}))
            handle.flush()

        announce("")
        try:
            yield announce
        finally:
            handle.seek(0)
            handle.truncate()
            handle.flush()
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _refusal(profile: str, text: str) -> str:
    try:
        holder = json.loads(text) if text.strip() else {}
    except ValueError:
        holder = {}
    run = holder.get("run") if isinstance(holder, dict) else None
    pid = holder.get("pid") if isinstance(holder, dict) else None
    what = holder.get("what", "an apply or undo") if isinstance(holder, dict) else "a run"
    who = f"run {run}" if run else f"{what}"
    where = f" (process {pid})" if pid else ""
    return (
        f"Profile {profile} is busy: {who}{where} is running from another terminal. One run per "
        "profile at a time: wait for it to finish (or, if it was interrupted, "
        f"`gomoq apply --resume {run or 'RUN'}` once it has stopped)."
    )
