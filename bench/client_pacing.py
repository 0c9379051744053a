"""Does the client reach the API's rate limit when each request is slow, without drawing 429s?

Starts a real sandbox server (uvicorn on 127.0.0.1, a small organisation) with a rate limit and
added latency, then issues many concurrent `GET /contact` pages through one `GomobileClient` at
the same rate, and reports the achieved rate in steady state against the limit:

    uv run python bench/client_pacing.py [--rate 10] [--latency-ms 300] [--requests 120] [--runs 3]

Targets: achieved >= 95 % of the limit (completions per second in steady state), no 429
received, and no one-second window in which more than limit + 1 requests reach the server.
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import uvicorn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gomoq.api import GomobileClient
from gomoq.sandbox.app import create_app
from gomoq.sandbox.settings import SandboxSettings


def _build_org(path: Path) -> None:
    try:
        from gomoq.sandbox.generator import generate_organisation
    except ImportError:
        from tests.sandbox_fixtures import build_small_org

        build_small_org(path, contacts=300, seed=3)
    else:
        generate_organisation(path, contacts=300, seed=3)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Arrivals:
    """ASGI wrapper recording when each `/api` request reaches the server (what a limiter sees)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.times: list[float] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"].startswith("/api/"):
            self.times.append(time.monotonic())
        await self.app(scope, receive, send)


class Server:
    """uvicorn in a background thread."""

    def __init__(self, app: object, port: int) -> None:
        config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")  # type: ignore[arg-type]
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> Server:
        self.thread.start()
        while not self.server.started:
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)


async def _one_run(
    base: str, key: str, rate: float, n: int, arrivals: Arrivals
) -> tuple[float, int, int]:
    stamps: list[float] = []
    arrivals.times.clear()

    async with GomobileClient(base, key, rate_limit=rate) as client:

        async def fetch(i: int) -> None:
            await client.list_contacts(i % 3 + 1, 100)
            stamps.append(time.monotonic())

        await asyncio.gather(*(fetch(i) for i in range(n)))
        limited = client.stats["rate_limited"]
    stamps.sort()
    arrived = sorted(arrivals.times)
    # Steady state: skip the first second (latency fills the pipe) and measure completions.
    start = stamps[0] + 1.0
    steady = [t for t in stamps if t >= start]
    achieved = (len(steady) - 1) / (steady[-1] - steady[0]) if len(steady) > 1 else 0.0
    peak = max(sum(1 for t in arrived[i:] if t - s < 1.0) for i, s in enumerate(arrived))
    return achieved, limited, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=10.0)
    parser.add_argument("--latency-ms", type=int, default=300)
    parser.add_argument("--requests", type=int, default=120)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "org.sqlite3"
        _build_org(db)
        app = create_app(db, SandboxSettings(rate_limit=args.rate, latency_ms=args.latency_ms))
        key = app.sandbox.api_key
        port = _free_port()
        results = []
        arrivals = Arrivals(app)
        with Server(arrivals, port):
            base = f"http://127.0.0.1:{port}/api"
            for _ in range(args.runs):
                results.append(asyncio.run(_one_run(base, key, args.rate, args.requests, arrivals)))
                time.sleep(1.1)  # let the server's bucket refill between runs
        app.close()

    achieved = statistics.median(r[0] for r in results)
    limited = max(r[1] for r in results)
    peak = max(r[2] for r in results)
    sequential = 1000 / args.latency_ms
    bound = args.rate
    print(
        f"latency {args.latency_ms} ms, limit {bound:g} req/s, {args.requests} requests x "
        f"{args.runs} runs"
    )
    print(f"sequential paging would reach {min(sequential, bound):.1f} req/s")
    ok = achieved >= 0.95 * bound
    print(
        f"median achieved rate {achieved:.2f} req/s (target >= {0.95 * bound:.2f}) "
        f"{'OK' if ok else 'MISSED'}"
    )
    print(f"429 received {limited} (target 0) {'OK' if limited == 0 else 'MISSED'}")
    print(
        f"peak requests reaching the server in any 1 s window {peak} (target <= {bound + 1:g}) "
        f"{'OK' if peak <= bound + 1 else 'MISSED'}"
    )


if __name__ == "__main__":
    main()
