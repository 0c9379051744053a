"""Profiles in the TOML config file: loading, saving, permissions, errors."""

from __future__ import annotations

import stat
import tomllib
from pathlib import Path

import pytest

from gomoq import paths
from gomoq.config import (
    NO_PROFILE_YET,
    Profile,
    active_profile_name,
    list_profiles,
    load_profile,
    remove_profile,
    save_profile,
    set_active,
    validate_base_url,
)
from gomoq.errors import ConfigError

KEY = "gm_live_9d8c7b6a5f4e"


def _write(text: str) -> Path:
    path = paths.config_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_no_profile_yet() -> None:
    with pytest.raises(ConfigError) as info:
        load_profile()
    assert str(info.value) == NO_PROFILE_YET
    assert info.value.exit_code == 2


def test_save_and_load_round_trip_with_0600() -> None:
    save_profile(
        Profile(
            name="prod",
            base_url="https://api.gomobile.ma/api/",
            api_key=KEY,
            region="ma",
            rate_limit=5,
            auth_scheme="bearer",
            update_method="put",
            checks={"duplicates": {"min_score": 0.8}},
        )
    )
    path = paths.config_file()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    data = tomllib.loads(path.read_text())
    assert data["active"] == "prod"
    assert data["profiles"]["prod"]["api_key"] == KEY
    prof = load_profile()
    assert prof.name == "prod"
    assert prof.base_url == "https://api.gomobile.ma/api"
    assert (prof.region, prof.rate_limit, prof.auth_scheme) == ("MA", 5.0, "bearer")
    assert prof.update_method == "put"
    assert prof.checks == {"duplicates": {"min_score": 0.8}}
    assert prof.key_source == "file"
    assert KEY not in repr(prof) and KEY not in str(prof)
    assert "***" in repr(prof)


def test_key_from_env_var_is_not_stored(monkeypatch: pytest.MonkeyPatch) -> None:
    save_profile(Profile(name="p", base_url="https://x.test/api", api_key_env="GM_KEY"))
    assert "api_key =" not in paths.config_file().read_text()
    with pytest.raises(ConfigError) as info:
        load_profile("p")
    assert str(info.value) == (
        "Profile 'p' reads its API key from the environment variable GM_KEY, which is not set."
    )
    monkeypatch.setenv("GM_KEY", KEY)
    prof = load_profile("p")
    assert prof.api_key == KEY and prof.key_source == "env:GM_KEY"


def test_gomoq_api_key_and_gomoq_profile_override(monkeypatch: pytest.MonkeyPatch) -> None:
    save_profile(Profile(name="a", base_url="https://a.test/api", api_key=KEY))
    save_profile(Profile(name="b", base_url="https://b.test/api", api_key=KEY + "b"))
    assert load_profile().name == "a"  # the first profile became active
    monkeypatch.setenv("GOMOQ_PROFILE", "b")
    assert load_profile().name == "b"
    assert active_profile_name() == "b"
    monkeypatch.setenv("GOMOQ_API_KEY", "override_key_123")
    prof = load_profile()
    assert prof.api_key == "override_key_123" and prof.key_source == "GOMOQ_API_KEY"
    assert load_profile("a").name == "a"  # an explicit name wins over GOMOQ_PROFILE


def test_missing_profile_lists_known_ones() -> None:
    save_profile(Profile(name="a", base_url="https://a.test/api", api_key=KEY))
    with pytest.raises(ConfigError) as info:
        load_profile("nope")
    assert str(info.value) == "No profile named 'nope' (known profiles: a)."


def test_named_profile_when_none_exist() -> None:
    with pytest.raises(ConfigError) as info:
        load_profile("prod")
    assert "there are no profiles yet" in str(info.value)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8765/api",
        "http://localhost:8000/api",
        "http://[::1]:8000/api",
        "https://api.gomobile.ma/api",
    ],
)
def test_base_urls_accepted(url: str) -> None:
    assert validate_base_url(url) == url


@pytest.mark.parametrize(
    ("url", "phrase"),
    [
        ("http://api.gomobile.ma/api", "uses plain HTTP to api.gomobile.ma"),
        ("http://10.0.0.5/api", "uses plain HTTP"),
        ("ftp://x.test/api", "must start with https://"),
        ("api.gomobile.ma", "must start with https://"),
        ("https://x.test/api?key=1", "must not carry a query"),
    ],
)
def test_base_urls_refused(url: str, phrase: str) -> None:
    with pytest.raises(ConfigError) as info:
        validate_base_url(url)
    assert phrase in str(info.value)
    assert "\n" not in str(info.value)


def test_bad_file_is_one_sentence() -> None:
    path = _write("active = \n[profiles.x")
    with pytest.raises(ConfigError) as info:
        load_profile()
    assert str(path) in str(info.value) and "not valid TOML" in str(info.value)


@pytest.mark.parametrize(
    ("table", "phrase"),
    [
        ('base_url = "https://x.test/api"\napi_key = "k1234567"\nrate_limit = 0', "rate_limit 0"),
        ('base_url = "https://x.test/api"\napi_key = "k1234567"\nregion = "Morocco"', "region"),
        ('base_url = "https://x.test/api"\napi_key = "k1234567"\nauth_scheme = "basic"', "basic"),
        ('base_url = "https://x.test/api"\napi_key = "k1234567"\nupdate_method = "post"', "post"),
        ('base_url = "http://x.test/api"\napi_key = "k1234567"', "plain HTTP"),
        ('api_key = "k1234567"', "has no base_url"),
        ('base_url = "https://x.test/api"', "has no API key"),
    ],
)
def test_invalid_profile_entries(table: str, phrase: str) -> None:
    _write(f'active = "x"\n[profiles.x]\n{table}\n')
    with pytest.raises(ConfigError) as info:
        load_profile()
    assert phrase in str(info.value)


def test_set_active_and_remove() -> None:
    save_profile(Profile(name="a", base_url="https://a.test/api", api_key=KEY))
    save_profile(Profile(name="b", base_url="https://b.test/api", api_key=KEY))
    set_active("b")
    assert active_profile_name() == "b"
    remove_profile("b")
    assert active_profile_name() == "a"
    assert [p.name for p in list_profiles()] == ["a"]
    with pytest.raises(ConfigError):
        set_active("b")
    with pytest.raises(ConfigError):
        remove_profile("b")
    remove_profile("a")
    assert active_profile_name() is None
    with pytest.raises(ConfigError) as info:
        load_profile()
    assert str(info.value) == NO_PROFILE_YET


def test_list_profiles_tolerates_missing_env_key() -> None:
    save_profile(Profile(name="e", base_url="https://e.test/api", api_key_env="UNSET_VAR_XYZ"))
    [prof] = list_profiles()
    assert prof.api_key == "" and prof.key_source == "env:UNSET_VAR_XYZ"


def test_invalid_name_refused() -> None:
    with pytest.raises(ConfigError):
        save_profile(Profile(name="../etc", base_url="https://a.test/api", api_key=KEY))


def test_atomic_write_leaves_no_temp_files() -> None:
    for i in range(3):
        save_profile(Profile(name=f"p{i}", base_url="https://a.test/api", api_key=KEY))
    assert [p.name for p in paths.config_dir().iterdir()] == ["config.toml"]


def test_segments_survive_saving_the_profile_again() -> None:
    from gomoq.config import Profile, load_profile, load_segments, save_profile, set_segments

    save_profile(Profile("seg", "http://127.0.0.1:9/api", "key-0123456789"))
    set_segments("seg", {"Rabat": "city:rabat"})
    save_profile(Profile("seg", "http://127.0.0.1:9/api", "key-0123456789"))  # as `demo` does
    assert load_profile("seg").segments == {"Rabat": "city:rabat"}
    set_segments("seg", {})
    assert load_segments("seg") == {} and load_segments("nobody") is None
