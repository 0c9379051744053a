"""The registry: which checks exist, validating names, and calling both `run` forms."""

from __future__ import annotations

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
