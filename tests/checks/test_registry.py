"""The registry: which checks exist, validating names, and calling both `run` forms."""

from __future__ import annotations

import time

import polars as pl
import pytest

from gomoq.checks import registry
from gomoq.checks.base import CheckInput
from gomoq.checks.findings import FINDINGS_SCHEMA
from gomoq.checks.settings import CheckSettings
from gomoq.errors import UsageError
from tests.checks.conftest import calls, contacts


def test_available_and_resolve() -> None:
    have = registry.available()
    assert {"call_failures", "attributes", "inactivity"} <= set(have)
    settings = CheckSettings.from_mapping({"enabled": ["inactivity", "attributes"]})
    assert registry.resolve(None, settings) == ["attributes", "inactivity"]
    assert registry.resolve(["inactivity", "inactivity"], settings) == ["inactivity"]
    with pytest.raises(UsageError, match="Unknown check"):
        registry.resolve(["inactive"], settings)


def test_plain_frame_signatures_get_frames_by_parameter_name() -> None:
    phones = pl.DataFrame({"raw": ["+212612340000"], "valid": [True]})
    tables = CheckInput.from_frames(
        contacts=contacts("a"), calls=calls(("a", "busy", 1)), phones=phones
    )
    seen: dict[str, object] = {}

    def plain(
        contacts: pl.DataFrame, phones: pl.DataFrame, settings: CheckSettings, calls: pl.DataFrame
    ) -> pl.DataFrame:
        seen.update(contacts=contacts, phones=phones, settings=settings, calls=calls)
        return pl.DataFrame({"contact_id": ["a"], "severity": ["warn"], "kind": ["x"]})

    settings = CheckSettings()
    kwargs = registry._arguments(plain, tables, settings)
    out = plain(**kwargs)
    assert seen["settings"] is settings
    assert isinstance(seen["contacts"], pl.DataFrame) and seen["contacts"]["id"].to_list() == ["a"]
    assert seen["phones"] is phones
    assert isinstance(seen["calls"], pl.DataFrame) and seen["calls"].height == 1
    assert out.height == 1

    def odd(tables: CheckInput, colour: str) -> pl.DataFrame:
        raise AssertionError("never called")

    with pytest.raises(TypeError, match="colour"):
        registry._arguments(odd, tables, settings)


def test_run_check_conforms_and_adds_a_fingerprint_column() -> None:
    tables = CheckInput.from_frames(contacts=contacts("a"))
    out = registry.run_check("inactivity", tables, CheckSettings())
    assert list(out.schema) == [*FINDINGS_SCHEMA, "data_fingerprint"]
    assert out["check"].to_list() == ["inactivity"]
    assert out["data_fingerprint"][0] is not None
    attrs = registry.run_check("attributes", tables, CheckSettings())
    assert attrs.height == 0 and "data_fingerprint" in attrs.columns


def _fake_checks(
    monkeypatch: pytest.MonkeyPatch,
    runs: dict[str, object],
    ran: list[str] | None = None,
    ended: list[str] | None = None,
) -> None:
    """Replace `registry.get` with checks named in `runs`: a delay (seconds) or an exception;
    each check's name is appended to `ran` when it starts and to `ended` when it returns."""

    def get(name: str) -> registry.RunFn:
        def run(tables: CheckInput) -> pl.DataFrame:
            if ran is not None:
                ran.append(name)
            what = runs[name]
            if isinstance(what, BaseException):
                raise what
            assert isinstance(what, float)
            time.sleep(what)
            if ended is not None:
                ended.append(name)
            return pl.DataFrame({"contact_id": [name], "severity": ["info"], "kind": ["x"]})

        return run

    monkeypatch.setattr(registry, "get", get)


def test_run_all_runs_two_at_a_time_and_keeps_the_order_asked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The dearest check (duplicates) starts first and ends last: results still come in order.
    ran: list[str] = []
    ended: list[str] = []
    _fake_checks(monkeypatch, {"phones": 0.0, "duplicates": 0.3, "attributes": 0.0}, ran, ended)
    results = registry.run_all(
        ["phones", "duplicates", "attributes"], CheckInput.from_frames(), CheckSettings()
    )
    assert [r.name for r in results] == ["phones", "duplicates", "attributes"]
    assert [r.findings["contact_id"].to_list() for r in results] == [
        ["phones"],
        ["duplicates"],
        ["attributes"],
    ]
    # phones and attributes ran beside duplicates, not after it: one at a time (dearest first),
    # duplicates would have ended first.
    assert set(ran) == {"phones", "duplicates", "attributes"}
    assert ended[-1] == "duplicates"


def test_run_all_raises_a_checks_error_after_the_running_ones_end(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _fake_checks(
        monkeypatch, {"duplicates": 0.2, "phones": ValueError("broken check"), "attributes": 0.0}
    )
    with pytest.raises(ValueError, match="broken check"):
        registry.run_all(
            ["phones", "duplicates", "attributes"], CheckInput.from_frames(), CheckSettings()
        )


def test_ctrl_c_starts_no_other_check(monkeypatch: pytest.MonkeyPatch) -> None:
    ran: list[str] = []
    _fake_checks(monkeypatch, {"duplicates": 0.2, "phones": 0.2, "attributes": 0.0}, ran)

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(registry, "wait", interrupted)
    with pytest.raises(KeyboardInterrupt):
        registry.run_all(
            ["phones", "duplicates", "attributes"], CheckInput.from_frames(), CheckSettings()
        )
    time.sleep(0.3)
    assert "attributes" not in ran  # queued behind the two running ones, never started
