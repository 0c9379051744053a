"""Check settings from a profile's [checks] table: defaults, every section, clear errors."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from gomoq.checks.settings import CHECK_NAMES, CheckSettings
from gomoq.errors import ConfigError


def test_defaults() -> None:
    settings = CheckSettings.from_mapping({})
    assert settings.enabled == CHECK_NAMES
    assert settings.call_failures.consecutive == 3
    assert settings.call_failures.failures() == ("no_answer", "busy", "rejected", "failed")
    assert settings.inactivity.inactive_days == 90
    assert settings.region == "MA"
    assert settings.today().tzinfo is not None


def test_every_section_is_read() -> None:
    settings = CheckSettings.from_mapping(
        {
            "enabled": ["call_failures"],
            "call_failures": {
                "consecutive": 5,
                "voicemail_is_failure": True,
                "failure_statuses": ["busy"],
                "window_days": 14,
                "action": "delete",
            },
            "attributes": {"undefined": False},
            "inactivity": {"inactive_days": 120, "report_never_called": False},
        },
        region="FR",
        now=datetime(2026, 1, 1),
    )
    assert settings.enabled == ("call_failures",)
    assert settings.call_failures.failures() == ("busy", "voicemail")
    assert settings.call_failures.consecutive == 5
    assert settings.call_failures.action == "delete"
    assert settings.attributes.undefined is False and settings.attributes.standard_fields
    assert settings.inactivity.inactive_days == 120
    assert settings.region == "FR"
    assert settings.today() == datetime(2026, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"consecutiv": 3}, r"Unknown key\(s\) in the profile's \[checks\] table: consecutiv"),
        ({"call_failures": {"consecutiv": 3}}, r"Unknown key\(s\) in checks.call_failures"),
        ({"call_failures": {"consecutive": "3"}}, "checks.call_failures.consecutive must be"),
        ({"call_failures": {"consecutive": 0}}, "at least 1"),
        ({"call_failures": {"consecutive": True}}, "whole number"),
        ({"call_failures": {"failure_statuses": "busy"}}, "list of strings"),
        ({"call_failures": {"action": "merge"}}, "must be one of flag, delete"),
        ({"call_failures": 3}, "must be a table"),
        ({"attributes": {"undefined": "yes"}}, "true or false"),
        ({"inactivity": {"at_risk_days": 100}}, "active_days < at_risk_days < inactive_days"),
        ({"enabled": ["phones", "spelling"]}, "checks.enabled must be a list of check names"),
    ],
)
def test_bad_tables_are_one_sentence_config_errors(table: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        CheckSettings.from_mapping(table)


def test_phones_section_goes_to_the_phones_check_settings() -> None:
    phones = pytest.importorskip("gomoq.checks.phones")
    if not hasattr(phones, "PhoneSettings"):
        pytest.skip("the phones check has no settings class")
    settings = CheckSettings.from_mapping({"phones": {"domestic": False}})
    assert isinstance(settings.phones, phones.PhoneSettings)
    assert settings.phones.domestic is False
    with pytest.raises(ConfigError, match=r"Unknown key\(s\) in checks.phones"):
        CheckSettings.from_mapping({"phones": {"domestik": False}})
    assert CheckSettings.from_mapping({}).phones == phones.PhoneSettings()
