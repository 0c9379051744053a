"""Every shell example in README.md runs as printed (issue 14, item 7): each fenced `sh` block is
split the way a shell would (`shlex`, with its operators), and each gomoq command line in it is
parsed by the CLI's own click parser — options, arguments and subcommands — without running it.
`--auto` rules are read by `gomoq.plan.rules.parse_rule` too: an unquoted `>=` becomes a
redirection and leaves a rule the parser refuses."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import click
import pytest

from gomoq.cli import cli
from gomoq.plan.rules import parse_rule

README = Path(__file__).resolve().parents[1] / "README.md"
OPERATORS = {"&&", "||", "|", ";", "&", "(", ")"}
REDIRECTS = {">", ">>", "<", "2>", "2>&1", ">&"}


def sh_blocks(text: str) -> list[tuple[int, str]]:
    """(line number, body) of every fenced ```sh block."""
    out = []
    for match in re.finditer(r"^```sh\n(.*?)^```", text, flags=re.S | re.M):
        out.append((text[: match.start()].count("\n") + 2, match.group(1)))
    return out


def command_lines(body: str) -> list[str]:
    """The block's logical lines: continuations joined, comments left to shlex."""
    return [line for line in body.replace("\\\n", " ").splitlines() if line.strip()]


def gomoq_commands(line: str) -> list[list[str]]:
    """The argument lists of every `gomoq` command on a shell line (redirections removed)."""
    lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    lexer.commenters = "#"
    tokens = list(lexer)
    commands: list[list[str]] = []
    current: list[str] | None = None
    skip_next = False
    for token in tokens:
        if skip_next:
            skip_next = False
            continue
        if token in OPERATORS:
            current = None
            continue
        if token in REDIRECTS or (token and set(token) <= set("<>&")):
            skip_next = True  # the file name that follows
            continue
        if token == "gomoq" and current is None:
            current = []
            commands.append(current)
            continue
        if current is not None:
            current.append(token)
    return commands


def parse_with_click(args: list[str]) -> None:
    """Parse `gomoq ARGS` down to the last subcommand, as click would before running it."""
    ctx = cli.make_context("gomoq", list(args), resilient_parsing=False)
    command: click.Command = cli
    while isinstance(command, click.Group):
        rest = [*ctx._protected_args, *ctx.args]
        if not rest:
            break
        name, sub, rest = command.resolve_command(ctx, rest)
        assert sub is not None, f"unknown command {name!r}"
        ctx = sub.make_context(name or "", rest, parent=ctx, resilient_parsing=False)
        command = sub
    for rule in ctx.params.get("rules") or ():
        parse_rule(rule)


def examples() -> list[tuple[str, list[str]]]:
    found = []
    for start, body in sh_blocks(README.read_text(encoding="utf-8")):
        for line in command_lines(body):
            for args in gomoq_commands(line):
                found.append((f"README.md:{start} {shlex.join(['gomoq', *args])}", args))
    return found


ALL = examples()


def test_the_readme_has_gomoq_examples() -> None:
    assert len(ALL) > 30
    assert any(args[:1] == ["plan"] and "--auto" in args for _where, args in ALL)


@pytest.mark.parametrize(("where", "args"), ALL, ids=[w for w, _a in ALL])
def test_example_parses(where: str, args: list[str]) -> None:
    try:
        parse_with_click(args)
    except click.ClickException as exc:
        pytest.fail(f"{where}: {exc.format_message()}")


def test_an_unquoted_comparison_is_caught() -> None:
    (args,) = gomoq_commands("gomoq plan --auto merge-exact:confidence>=0.9 -o plan.json")
    with pytest.raises(Exception, match="cannot read"):
        parse_with_click(args)
    (quoted,) = gomoq_commands("gomoq plan --auto 'merge-exact:confidence>=0.9' -o p.json")
    parse_with_click(quoted)
