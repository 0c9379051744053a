"""Running the sandbox as a real HTTP server: in the foreground (`serve`, used by
`gomoq sandbox`) or in a background process (`start_background`, used by `gomoq demo`,
benchmarks and kill -9 tests).

The background server is a separate `python -m gomoq sandbox` process, not a thread: it has its
own GIL (so a benchmark's client does not slow the server down) and survives or dies on its own.
It prints one `READY <base_url>` line on stdout once its socket listens; the settings travel in
the `GOMOQ_SANDBOX_SETTINGS` environment variable (JSON), never on the command line.
"""

from __future__ import annotations

import dataclasses
import json
import os
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import uvicorn

from gomoq.errors import GomoqError
from gomoq.progress import ProgressFn
from gomoq.sandbox import db as sdb
from gomoq.sandbox.app import create_app
from gomoq.sandbox.generator import generate_organisation
from gomoq.sandbox.paging import warm
from gomoq.sandbox.settings import Faults, SandboxSettings

SETTINGS_ENV = "GOMOQ_SANDBOX_SETTINGS"
READY_PREFIX = "READY "


class SandboxStartError(GomoqError):
    """The sandbox server could not be started."""


def settings_to_json(settings: SandboxSettings) -> str:
    """All settings (API key included) as JSON for the child process."""
    return json.dumps(dataclasses.asdict(settings))


def settings_from_json(text: str) -> SandboxSettings:
    """The inverse of `settings_to_json`."""
    data: dict[str, Any] = json.loads(text)
    faults = Faults(**data.pop("faults", {}))
    return SandboxSettings(**data, faults=faults)


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket on host:port (port 0 = a free one); one sentence on failure."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Accepted sockets inherit this on Linux: without it, Nagle + delayed ACK add ~40 ms to
    # answers written in two parts (headers, then body).
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise SandboxStartError(
            f"Cannot listen on {host}:{port} ({exc.strerror or exc}); "
            "pass another --port, or --port 0 for a free one."
        ) from None
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def base_url_of(sock: socket.socket) -> str:
    """`http://host:port/api` for a bound socket."""
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/api"


def serve(db_path: Path, settings: SandboxSettings, sock: socket.socket) -> None:
    """Serve the sandbox over `db_path` on `sock` until interrupted (blocking)."""
    app = create_app(db_path, settings)
    threading.Thread(target=warm, args=(app.sandbox,), name="page-maps", daemon=True).start()
    config = uvicorn.Config(
        app, log_level="warning", lifespan="off", access_log=False, timeout_keep_alive=30
    )
    server = uvicorn.Server(config)
    try:
        server.run(sockets=[sock])
    finally:
        app.close()


def has_contacts(db_path: Path) -> bool:
    """True when the database exists and holds at least one contact."""
    if not Path(db_path).exists():
        return False
    conn = sdb.connect(db_path, create=False)
    try:
        return conn.execute("SELECT 1 FROM contacts LIMIT 1").fetchone() is not None
    finally:
        conn.close()


def ensure_organisation(
    db_path: Path,
    *,
    contacts: int,
    seed: int = 42,
    api_key: str | None = None,
    progress: ProgressFn | None = None,
) -> bool:
    """Generate the organisation into `db_path` unless it already holds one; True if generated.

    Generated beside the target and renamed at the end (after folding the WAL into the file), so
    an interrupted generation is never mistaken for an organisation.
    """
    db_path = Path(db_path)
    if has_contacts(db_path):
        return False
    partial = db_path.with_name(db_path.name + ".partial")
    for leftover in (partial, Path(f"{partial}-wal"), Path(f"{partial}-shm")):
        leftover.unlink(missing_ok=True)
    db_path.parent.mkdir(parents=True, exist_ok=True)
    generate_organisation(partial, contacts=contacts, seed=seed, api_key=api_key, progress=progress)
    conn = sqlite3.connect(partial)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute("PRAGMA journal_mode = DELETE")
    finally:
        conn.close()
    for suffix in ("-wal", "-shm"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    partial.replace(db_path)
    truth = partial.with_suffix(".truth.json")
    if truth.exists():
        truth.replace(db_path.with_suffix(".truth.json"))
    return True


@dataclass
class RunningSandbox:
    """A sandbox server process started by `start_background`."""

    base_url: str
    api_key: str
    db_path: Path
    process: subprocess.Popen[str]
    log_path: Path
    _threads: list[threading.Thread] = field(default_factory=list)

    @property
    def admin_url(self) -> str:
        """Root of the admin endpoints (`.../_admin`)."""
        return self.base_url.removesuffix("/api") + "/_admin"

    def admin(self, method: str, name: str, body: dict[str, Any] | None = None) -> Any:
        """Call `/_admin/<name>` (e.g. `admin("PUT", "faults", {"error_rate": 0.1})`)."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            f"{self.admin_url}/{name}",
            data=data,
            method=method,
            headers={"X-API-Key": self.api_key, "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as answer:
            return json.loads(answer.read())

    def alive(self) -> bool:
        """True while the server process runs."""
        return self.process.poll() is None

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the server (SIGTERM, then SIGKILL after `timeout`)."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout)

    def __enter__(self) -> RunningSandbox:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()


def _drain(stream: IO[str]) -> None:
    for _line in stream:
        pass


def start_background(
    db_path: Path,
    *,
    port: int = 0,
    host: str = "127.0.0.1",
    settings: SandboxSettings | None = None,
    contacts: int | None = None,
    seed: int = 42,
    progress: ProgressFn | None = None,
    timeout: float = 120.0,
) -> RunningSandbox:
    """Start `python -m gomoq sandbox` over `db_path` and wait until it answers.

    `contacts` generates the organisation first, in this process and before the `timeout`
    starts, when the database has none (`progress` gets the generator's events). Raises
    `SandboxStartError` if the server does not come up within `timeout` seconds.
    """
    settings = settings or SandboxSettings()
    db_path = Path(db_path)
    log_path = db_path.with_name(db_path.name + ".server.log")
    log_path.parent.mkdir(parents=True, exist_ok=True)
    args = [
        sys.executable,
        "-m",
        "gomoq",
        "sandbox",
        "--db",
        str(db_path),
        "--host",
        host,
        "--port",
        str(port),
        "--ready-line",
    ]
    if contacts is not None:
        ensure_organisation(
            db_path, contacts=contacts, seed=seed, api_key=settings.api_key, progress=progress
        )
    env = {**os.environ, SETTINGS_ENV: settings_to_json(settings)}
    with log_path.open("w", encoding="utf-8") as log:
        process = subprocess.Popen(
            args,
            stdout=subprocess.PIPE,
            stderr=log,
            stdin=subprocess.DEVNULL,
            env=env,
            text=True,
            bufsize=1,
        )
    assert process.stdout is not None
    base_url = _wait_ready(process, process.stdout, timeout, log_path)
    drain = threading.Thread(target=_drain, args=(process.stdout,), daemon=True)
    drain.start()
    api_key = settings.api_key or stored_key(db_path)
    running = RunningSandbox(base_url, api_key, db_path, process, log_path, [drain])
    deadline = time.monotonic() + timeout
    while True:
        try:
            running.admin("GET", "health")
            return running
        except (urllib.error.URLError, OSError) as exc:
            if time.monotonic() > deadline or not running.alive():
                running.stop()
                raise SandboxStartError(
                    f"The sandbox at {base_url} did not answer ({exc}); see {log_path}."
                ) from None
            time.sleep(0.05)


def _wait_ready(
    process: subprocess.Popen[str], stdout: IO[str], timeout: float, log_path: Path
) -> str:
    result: list[str] = []

    def read() -> None:
        for line in stdout:
            if line.startswith(READY_PREFIX):
                result.append(line[len(READY_PREFIX) :].strip())
                return

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(timeout)
    if not result:
        process.kill()
        process.wait()
        tail = log_path.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-3:]
        detail = f" Last log lines: {' | '.join(tail)}" if tail else ""
        raise SandboxStartError(f"The sandbox did not start within {timeout:g} s.{detail}")
    return result[0]


def stored_key(db_path: Path) -> str:
    conn = sdb.connect(db_path, create=False)
    try:
        key = sdb.get_meta(conn, "api_key")
    finally:
        conn.close()
    if not key:
        raise SandboxStartError(f"The sandbox database {db_path} holds no API key.")
    return key
