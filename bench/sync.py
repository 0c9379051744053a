"""How fast does `gomoq sync` read an organisation at the API's rate limit?

Starts a real `gomoq sandbox` process (100,000 contacts by default, rate limit 10 requests/s,
150 ms added latency), syncs it into a fresh cache from this process, then syncs again with
nothing changed:

    uv run python bench/sync.py [--contacts 100000] [--rate 10] [--latency-ms 150] [--runs 1]

Prints, beside their targets: contacts/s while reading contacts (bound: 100 rows x rate per
second; target >= 95 % of it), the 429s received (target 0), the peak RSS of the syncing
process (target <= 500 MB), and the time of the re-sync. The generated database is kept under
bench/out/ and reused.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import threading
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

OUT = Path(__file__).resolve().parent / "out"


class PeakRss:
    """Samples this process's RSS every 50 ms in a thread, also per phase (`phase`)."""

    def __init__(self) -> None:
        self.peak = 0
        self.phase = "start"
        self.by_phase: dict[str, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        me = psutil.Process()
        while not self._stop.is_set():
            rss = me.memory_info().rss
            self.peak = max(self.peak, rss)
            self.by_phase[self.phase] = max(self.by_phase.get(self.phase, 0), rss)
            time.sleep(0.05)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--rate", type=float, default=10.0)
    parser.add_argument("--latency-ms", type=int, default=150)
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()

    OUT.mkdir(exist_ok=True)
    home = OUT / "sync-home"
    os.environ["GOMOQ_HOME"] = str(home)
    for var in ("GOMOQ_CACHE_DIR", "GOMOQ_CONFIG_DIR", "GOMOQ_DATA_DIR", "GOMOQ_PROFILE"):
        os.environ.pop(var, None)

    from gomoq import paths
    from gomoq.config import Profile
    from gomoq.progress import ProgressEvent
    from gomoq.sandbox.runner import start_background
    from gomoq.sandbox.settings import SandboxSettings
    from gomoq.services.sync import sync

    db = OUT / f"sync-{args.contacts}.sqlite3"
    if not db.exists():
        from gomoq.sandbox.generator import generate_organisation

        print(f"generating {args.contacts:,} contacts into {db} ...", flush=True)
        partial = db.with_name(db.name + ".partial")
        partial.unlink(missing_ok=True)
        generate_organisation(partial, contacts=args.contacts, seed=42)
        partial.rename(db)
        truth = partial.with_suffix(".truth.json")
        if truth.exists():
            truth.rename(db.with_suffix(".truth.json"))

    settings = SandboxSettings(rate_limit=args.rate, latency_ms=args.latency_ms)
    bound = 100 * args.rate
    rates, resyncs, peaks, limited = [], [], [], []
    with start_background(db, settings=settings) as running:
        profile = Profile(
            name="bench", base_url=running.base_url, api_key=running.api_key, rate_limit=args.rate
        )
        for run in range(args.runs):
            shutil.rmtree(paths.profile_cache_dir("bench"), ignore_errors=True)
            marks: dict[str, float] = {}
            rss = PeakRss()

            def progress(
                event: ProgressEvent, marks: dict[str, float] = marks, rss: PeakRss = rss
            ) -> None:
                rss.phase = event.task
                if event.task == "contacts":
                    marks.setdefault("start", time.monotonic())
                    if event.finished:
                        marks["end"] = time.monotonic()

            with rss:
                result = sync(profile, progress=progress)
            contacts_s = result.counts["contacts"] / (marks["end"] - marks["start"])
            print(
                f"run {run + 1}: {result.summary()} contacts phase {contacts_s:,.0f}/s, "
                f"{result.rate_limited} x 429, {result.requests:,} requests; peak RSS by phase "
                + ", ".join(f"{k} {v / 2**20:,.0f} MB" for k, v in rss.by_phase.items()),
                flush=True,
            )
            started = time.monotonic()
            again = sync(profile)
            resync = time.monotonic() - started
            rates.append(contacts_s)
            resyncs.append(resync)
            peaks.append(rss.peak / 2**20)
            limited.append(result.rate_limited + again.rate_limited)
            print(
                f"run {run + 1} re-sync: {again.summary()} {again.rate_limited} x 429", flush=True
            )

    rate = statistics.median(rates)
    share = rate / bound
    print(f"contacts          {args.contacts:,} at {args.rate:g} req/s, {args.latency_ms} ms added")
    print(
        f"contacts/s        {rate:,.0f} (bound {bound:,.0f}/s; {share:.1%}, target >= 95 %) "
        f"{'OK' if share >= 0.95 else 'MISSED'}"
    )
    print(f"429 received      {max(limited)} (target 0) {'OK' if max(limited) == 0 else 'MISSED'}")
    peak = max(peaks)
    print(
        f"peak RSS          {peak:,.0f} MB (target <= 500 MB) {'OK' if peak <= 500 else 'MISSED'}"
    )
    print(f"re-sync unchanged {statistics.median(resyncs):,.1f} s (no target; a full re-read)")


if __name__ == "__main__":
    main()
