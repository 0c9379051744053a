"""The checks by name, and running them.

Every check module `gomoq.checks.<name>` has a `run` function. The native form is
`run(tables: CheckInput, settings: CheckSettings)`; the phones and duplicates checks may take
plain frames instead (`run(contacts, phones, settings[, calls])`): `run_check` looks at the
parameter names and passes what is asked for (`tables`, `settings`, or any cache table by name,
and `phones`: the normalised phones frame).

The result of every check is conformed to the findings shape plus a `data_fingerprint` column
(null unless the check supplies one; see `gomoq.state.decisions.fingerprints`).
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any

import polars as pl

from gomoq.cache.schema import TABLES
from gomoq.checks import attributes, call_failures, duplicates, inactivity, phones
from gomoq.checks.base import CheckInput
from gomoq.checks.findings import FINDINGS_SCHEMA, conform
from gomoq.checks.settings import CHECK_NAMES, CheckSettings
from gomoq.errors import Cancelled, UsageError
from gomoq.progress import CancelFn, ProgressEvent, ProgressFn, check_cancel

RunFn = Callable[..., pl.DataFrame]

RESULT_SCHEMA: dict[str, pl.DataType] = {**FINDINGS_SCHEMA, "data_fingerprint": pl.String()}


# name -> the check's `run`, in the canonical order (`CHECK_NAMES`).
RUNS: dict[str, RunFn] = {
    "phones": phones.run,
    "duplicates": duplicates.run,
    "call_failures": call_failures.run,
    "attributes": attributes.run,
    "inactivity": inactivity.run,
}
assert tuple(RUNS) == CHECK_NAMES


def available() -> list[str]:
    """The checks this installation has, in the canonical order."""
    return list(RUNS)


def resolve(names: list[str] | None, settings: CheckSettings) -> list[str]:
    """The checks to run: `names` (validated) or the profile's enabled ones that exist."""
    have = available()
    if names is None:
        return [n for n in have if n in settings.enabled]
    unknown = [n for n in names if n not in CHECK_NAMES]
    if unknown:
        raise UsageError(
            f"Unknown check(s): {', '.join(unknown)}; choose among {', '.join(CHECK_NAMES)}."
        )
    return list(dict.fromkeys(names))


def get(name: str) -> RunFn:
    """The `run` function of check `name`."""
    return RUNS[name]


def _arguments(fn: RunFn, tables: CheckInput, settings: CheckSettings) -> dict[str, Any]:
    """Keyword arguments for `fn` by parameter name (see the module docstring)."""
    kwargs: dict[str, Any] = {}
    for name, param in inspect.signature(fn).parameters.items():
        if name == "tables":
            kwargs[name] = tables
        elif name == "settings":
            kwargs[name] = settings
        elif name == "phones":
            kwargs[name] = tables.normalised_phones(settings.region)
        elif name in TABLES:
            kwargs[name] = tables.table(name)
        elif param.default is inspect.Parameter.empty:
            raise TypeError(f"check parameter {name!r} is not something the runner can pass")
    return kwargs


def run_check(name: str, tables: CheckInput, settings: CheckSettings) -> pl.DataFrame:
    """Run one check; its findings in `RESULT_SCHEMA` (check column forced to `name`)."""
    fn = get(name)
    raw = fn(**_arguments(fn, tables, settings))
    if isinstance(raw, pl.LazyFrame):
        raw = raw.collect()
    out = conform(raw).with_columns(pl.lit(name).alias("check"))
    fingerprint = (
        raw["data_fingerprint"].cast(pl.String)
        if "data_fingerprint" in raw.columns
        else pl.Series("data_fingerprint", [None] * raw.height, dtype=pl.String)
    )
    return out.with_columns(fingerprint.alias("data_fingerprint"))


@dataclass(frozen=True)
class CheckResult:
    """One check's findings and how long it took."""

    name: str
    findings: pl.DataFrame
    seconds: float


# Rough relative cost of each check on a large organisation: the dearest start first, so that
# the two workers finish close together.
_COST = {"duplicates": 4, "call_failures": 3, "inactivity": 1, "phones": 1, "attributes": 1}

# Two checks side by side: polars parallelises each operation, but many steps (sorts of one
# key, string building, the Python parts) use one core; a second check fills the other.
# More workers would add memory (each check holds its own frames) for little more speed.
WORKERS = 2


def run_all(
    names: list[str],
    tables: CheckInput,
    settings: CheckSettings,
    *,
    progress: ProgressFn | None = None,
    should_cancel: CancelFn | None = None,
) -> list[CheckResult]:
    """Run `names`, two at a time, and return their results in the order of `names`.

    Progress is reported as checks finish; a cancel (polled while they run) starts no new check,
    lets the running ones end and raises `Cancelled`. The first error of a check is raised after
    the running ones end; results shared by checks are computed once (`CheckInput.memo`)."""
    check_cancel(should_cancel)
    settings = settings.pinned()  # the checks share results keyed by "today"
    order = sorted(names, key=lambda n: -_COST.get(n, 1))
    done: dict[str, CheckResult] = {}

    def one(name: str) -> CheckResult:
        start = time.perf_counter()
        findings = run_check(name, tables, settings)
        return CheckResult(name, findings, time.perf_counter() - start)

    def report(running: list[str]) -> None:
        if progress:
            message = ", ".join(running) or None
            progress(ProgressEvent("checks", len(done), len(names), unit="checks", message=message))

    with ThreadPoolExecutor(
        max_workers=min(WORKERS, max(1, len(names))), thread_name_prefix="check"
    ) as pool:
        futures = {pool.submit(one, name): name for name in order}
        pending = set(futures)
        failure: BaseException | None = None
        report(order[:WORKERS])
        while pending:
            try:
                finished, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
            except BaseException:  # Ctrl-C: start no other check, let the running ones end
                for future in pending:
                    future.cancel()
                raise
            for future in finished:
                if future.cancelled():
                    continue
                error = future.exception()
                if error is not None:
                    failure = failure or error
                else:
                    result = future.result()
                    done[result.name] = result
            if failure is None and should_cancel is not None and should_cancel():
                failure = Cancelled("Cancelled by the operator; nothing was left half-done.")
            if failure is not None:
                for future in pending:
                    future.cancel()
            elif finished:
                report([futures[f] for f in pending if f.running()])
        if failure is not None:
            raise failure
    if progress:
        progress(ProgressEvent("checks", len(names), len(names), unit="checks", finished=True))
    return [done[name] for name in names]
