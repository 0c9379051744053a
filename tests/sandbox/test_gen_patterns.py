"""The typist's slip of the person-level patterns."""

from __future__ import annotations

import random

from gomoq.sandbox.gen_patterns import typo


def _distance(a: str, b: str) -> int:
    """Optimal string alignment distance (an adjacent transposition counts one)."""
    d = [[i + j if i * j == 0 else 0 for j in range(len(b) + 1)] for i in range(len(a) + 1)]
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            d[i][j] = min(
                d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] != b[j - 1])
            )
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[-1][-1]


def test_a_slip_is_one_edit_that_keeps_the_first_letter() -> None:
    rng = random.Random(3)
    for word in ("Lachlan", "Butt", "Shepherdson", "Fatima", "Miller"):
        for _ in range(50):
            out = typo(word, rng)
            assert out != word and out[0] == word[0]
            assert _distance(word, out) == 1, (word, out)


def test_short_words_are_left_alone() -> None:
    assert typo("Al", random.Random(1)) == "Al"
