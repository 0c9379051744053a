"""`gomoq profile` flows, against the in-process sandbox for the key check."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
from typing import Any

import pytest
from click.testing import CliRunner

from gomoq import paths
from gomoq.api.testing import in_process
from gomoq.cli import cli
from gomoq.config import load_profile
from gomoq.errors import GomoqError

URL = "https://sandbox.invalid/api"


def run(*args: str, input: str | None = None, env: dict[str, str] | None = None) -> Any:
    return CliRunner().invoke(cli, list(args), input=input, env=env)


def exit_status(result: Any) -> int:
    """The status `gomoq.cli.main` would exit with (it turns a GomoqError into its exit_code;
    CliRunner invokes the group directly, so the error surfaces as `result.exception`)."""
    if isinstance(result.exception, GomoqError):
        return result.exception.exit_code
    return int(result.exit_code)


def test_add_checks_the_key_and_names_the_org(sandbox_app: Any, sandbox_key: str) -> None:
    with in_process(sandbox_app):
        result = run(
            "profile", "add", "demo", "--base-url", URL, "--api-key-stdin", input=sandbox_key + "\n"
        )
    assert result.exit_code == 0, result.output
    org = sandbox_app.sandbox.org["org_name"]
    assert f"reaches organisation {org}" in result.output
    assert sandbox_key not in result.output
    assert load_profile().api_key == sandbox_key
    assert stat.S_IMODE(paths.config_file().stat().st_mode) == 0o600


def test_add_with_a_wrong_key_saves_nothing(sandbox_app: Any) -> None:
    with in_process(sandbox_app):
        result = run(
            "profile",
            "add",
            "demo",
            "--base-url",
            URL,
            "--api-key-stdin",
            input="not_the_key_0000\n",
        )
    assert exit_status(result) == 2
    assert "The API key was rejected (401 UNAUTHORIZED)" in str(result.exception or result.output)
    assert "not_the_key_0000" not in result.output
    assert not paths.config_file().exists()


def test_add_from_env_var_stores_only_the_name(
    sandbox_app: Any, sandbox_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GM_SANDBOX_KEY", sandbox_key)
    with in_process(sandbox_app):
        result = run("profile", "add", "demo", "--base-url", URL, "--api-key-env", "GM_SANDBOX_KEY")
    assert result.exit_code == 0, result.output
    text = paths.config_file().read_text()
    assert sandbox_key not in text and 'api_key_env = "GM_SANDBOX_KEY"' in text


def test_add_refuses_plain_http_to_a_remote_host() -> None:
    result = run(
        "profile",
        "add",
        "x",
        "--base-url",
        "http://api.gomobile.ma/api",
        "--api-key-stdin",
        "--no-check",
        input="k_123456789\n",
    )
    assert exit_status(result) == 2
    assert "plain HTTP" in str(result.exception)


def test_list_use_remove(monkeypatch: pytest.MonkeyPatch) -> None:
    key = "gm_profile_key_abcdef"
    for name in ("alpha", "beta"):
        result = run(
            "profile",
            "add",
            name,
            "--base-url",
            URL,
            "--api-key-stdin",
            "--no-check",
            input=key + "\n",
        )
        assert result.exit_code == 0, result.output
    listing = run("profile", "list")
    assert listing.exit_code == 0
    assert key not in listing.output
    assert "* alpha" in listing.output and "key=***cdef (file)" in listing.output
    assert run("profile", "use", "beta").exit_code == 0
    rows = json.loads(run("profile", "list", "--format", "json").output)
    assert [r["name"] for r in rows if r["active"]] == ["beta"]
    assert all(key not in json.dumps(r) for r in rows)
    assert run("profile", "remove", "beta").exit_code == 0
    assert load_profile().name == "alpha"
    again = run(
        "profile",
        "add",
        "alpha",
        "--base-url",
        URL,
        "--api-key-stdin",
        "--no-check",
        input=key + "\n",
    )
    assert exit_status(again) == 2 and "--replace" in str(again.exception)


def test_use_unknown_profile_is_exit_2() -> None:
    result = run("profile", "use", "ghost")
    assert exit_status(result) == 2


def _gomoq(*args: str, input: str | None = None, env_home: str) -> subprocess.CompletedProcess[str]:
    import os

    env = {**os.environ, "GOMOQ_HOME": env_home}
    return subprocess.run(
        [sys.executable, "-m", "gomoq", *args],
        input=input,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


def test_errors_are_one_line_without_traceback_or_key(isolated_home: Any) -> None:
    home = str(isolated_home)
    key = "gm_secret_key_for_cli_test"
    out = _gomoq("profile", "check", env_home=home)
    assert out.returncode == 2
    assert out.stderr.strip() == (
        "Error: No profile yet: run `gomoq profile add NAME --base-url URL` or `gomoq demo`."
    )
    # A closed local port: unreachable host, one sentence, exit 1, no key.
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    out = _gomoq(
        "profile",
        "add",
        "local",
        "--base-url",
        f"http://127.0.0.1:{port}/api",
        "--api-key-stdin",
        input=key + "\n",
        env_home=home,
    )
    assert out.returncode == 1
    assert out.stderr.strip().splitlines()[-1] == (
        f"Error: Cannot reach http://127.0.0.1:{port}/api: connection refused."
    )
    assert "Traceback" not in out.stderr and key not in out.stderr + out.stdout


def test_profile_option_helper(monkeypatch: pytest.MonkeyPatch) -> None:
    import click

    from gomoq.cli.options import pass_profile
    from gomoq.config import Profile

    @click.command()
    @pass_profile
    def show(profile: Profile) -> None:
        click.echo(profile.name)

    assert CliRunner().invoke(show, []).exit_code == 2
    run(
        "profile",
        "add",
        "p1",
        "--base-url",
        URL,
        "--api-key-stdin",
        "--no-check",
        input="k_123456789\n",
    )
    run(
        "profile",
        "add",
        "p2",
        "--base-url",
        URL,
        "--api-key-stdin",
        "--no-check",
        input="k_123456789\n",
    )
    assert CliRunner().invoke(show, []).output.strip() == "p1"
    assert CliRunner().invoke(show, ["--profile", "p2"]).output.strip() == "p2"
    monkeypatch.setenv("GOMOQ_PROFILE", "p2")
    assert CliRunner().invoke(show, []).output.strip() == "p2"
    missing = CliRunner().invoke(show, ["--profile", "nope"])
    assert missing.exit_code == 2
    assert "No profile named 'nope'" in missing.output


@pytest.mark.parametrize("where", ["env", "file"])
def test_a_key_ending_in_a_carriage_return_works_and_never_shows(
    sandbox_app: Any, sandbox_key: str, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    """Issue 13 item 10: `GM_KEY=$(cat key.txt)` of a file saved with CRLF keeps the CR, and a
    config file edited on Windows may too: the key is read without the whitespace around it."""
    from gomoq.config import Profile, save_profile

    if where == "env":
        monkeypatch.setenv("GM_KEY", sandbox_key + "\r")
        save_profile(Profile("crlf", URL, "", api_key_env="GM_KEY"), activate=True)
    else:
        save_profile(Profile("crlf", URL, sandbox_key + "\r\n"), activate=True)
    # in-process the header is not checked as a socket's HTTP/1.1 writer checks it (there the
    # CR is "Illegal header value b'KEY\\r'"): what the client is given must not hold it
    assert load_profile().api_key == sandbox_key
    with in_process(sandbox_app):
        result = run("profile", "check")
    assert result.exit_code == 0, (result.output, result.exception)
    assert "reaches organisation" in result.output
    assert sandbox_key not in result.output and "\r" not in result.output


def test_every_rendering_of_a_key_is_masked() -> None:
    from gomoq.secrets import redact, register_secret

    key = "SECRETKEY0123456789\r"
    register_secret(key)
    for shown in (
        f"Illegal header value {key.encode()!r}",
        f"bad key {key!r}",
        f"bad key {key.encode('unicode_escape').decode()}",
        f"plain {key}",
    ):
        assert "SECRETKEY0123456789" not in redact(shown), shown


def test_unknown_settings_and_an_open_key_file_are_named(
    sandbox_app: Any, sandbox_key: str
) -> None:
    """Issue 13 item 11: a typo (`ratelimit`) or an unknown setting (`colour`) is named with a
    suggestion, and a config file holding a key with a mode other than 0600 is warned about,
    with the command that fixes it."""
    import os

    from gomoq.config import Profile, save_profile

    save_profile(Profile("t", URL, sandbox_key), activate=True)
    path = paths.config_file()
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("[profiles.t]\n", '[profiles.t]\nratelimit = 1\ncolour = "red"\n'))
    os.chmod(path, 0o644)
    with in_process(sandbox_app):
        result = run("profile", "check")
    assert result.exit_code == 0, result.output
    assert (
        "unknown setting 'ratelimit' in profile 't' — did you mean 'rate_limit'?" in result.stderr
    )
    assert "unknown setting 'colour' in profile 't'" in result.stderr
    assert "its mode is 0644" in result.stderr and f"chmod 600 {path}" in result.stderr
    assert sandbox_key not in result.output
