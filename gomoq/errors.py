"""The root of gomoq's error tree.

Every error a user can cause or meet (bad config, wrong key, unreachable host, malformed file)
is a `GomoqError` carrying one readable sentence. The CLI prints that sentence on stderr and
exits with `exit_code`; the TUI shows it in a notification. Nothing here may ever contain the
API key.
"""

from __future__ import annotations


class GomoqError(Exception):
    """An error with a message fit for the operator's eyes."""

    exit_code: int = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message} {self.hint}"


class UsageError(GomoqError):
    """Wrong arguments, missing profile, missing cache: the operator must change something."""

    exit_code = 2


class ConfigError(UsageError):
    """The config file or a profile in it is missing or invalid."""


class Cancelled(GomoqError):
    """A long job was cancelled by the operator (Ctrl-C, or the app's cancel key)."""

    exit_code = 130
