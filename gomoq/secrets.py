"""Keeping the API key out of every output (style habit 10).

Whoever learns a secret (the config loader, the client) registers it here; `redact` replaces
every registered secret in a text, and `RedactingFilter` does it to every log record. The CLI's
last-chance error printer and the log handler both go through `redact`.
"""

from __future__ import annotations

import logging
import threading

_lock = threading.Lock()
_secrets: set[str] = set()
MASK = "***"


def clean_key(value: str | None) -> str:
    """A key as read from a file, a variable or a prompt, without the whitespace around it (a
    key file saved with CRLF ends in a carriage return, which no HTTP header may hold)."""
    return (value or "").strip()


def renderings(value: str) -> set[str]:
    """`value` and the forms an error may show it in: stripped, escaped as in a `repr` of the
    text or of its bytes (`b'KEY\\r'`), so that no rendering escapes `redact`."""
    forms = {value, value.strip()}
    forms.add(value.encode("unicode_escape").decode("ascii"))
    forms.add(repr(value.encode("utf-8", "backslashreplace"))[2:-1])
    forms.add(repr(value)[1:-1])
    return {f for f in forms if len(f) >= 6}


def register_secret(value: str | None) -> None:
    """Remember `value` so that `redact` masks it everywhere (ignores empty and tiny values)."""
    if value and len(value) >= 6:
        with _lock:
            _secrets.update(renderings(value))


def redact(text: str) -> str:
    """`text` with every registered secret replaced by `***`."""
    with _lock:
        secrets = sorted(_secrets, key=len, reverse=True)
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, MASK)
    return text


def mask(value: str | None) -> str:
    """How a key is shown to a human: its last 4 characters at most, e.g. `***a1b2`."""
    if not value:
        return "(none)"
    return MASK + value[-4:] if len(value) >= 12 else MASK


class RedactingFilter(logging.Filter):
    """A logging filter that masks registered secrets in the rendered message."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True
