"""Completion of the filter language in an `Input`: field, attribute, audience and band names.

Textual shows a suggestion in grey after the cursor and takes it with → (cursor at the end); the
completion itself is `gomoq.filters.complete`, outside Textual.
"""

from __future__ import annotations

from collections.abc import Callable

from textual.suggester import Suggester

from gomoq.filters import Vocabulary, complete


class FilterSuggester(Suggester):
    """Suggests the completion of the word being typed; `vocabulary()` gives the names (None
    while the contacts are loading: nothing is suggested then)."""

    def __init__(self, vocabulary: Callable[[], Vocabulary | None]) -> None:
        # No cache (the names change after a sync); case kept (audience names have capitals).
        super().__init__(use_cache=False, case_sensitive=True)
        self._vocabulary = vocabulary

    async def get_suggestion(self, value: str) -> str | None:
        """The completed text, when it only extends what was typed."""
        vocab = self._vocabulary()
        if vocab is None or not value:
            return None
        done = complete(value, vocab)
        return done if done is not None and done.startswith(value) else None
