"""The engine as the step modules see it (`bulk`, `import_steps`, `audience_steps`, `undo`).

The engine (`gomoq.plan.engine`) imports those modules to run their units; they take the engine
as an argument. Typing that argument with this Protocol, not the class, keeps the imports
pointing one way (a step module never imports `engine`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from gomoq.api import ApiError, GomobileClient
from gomoq.plan.cachepatch import Lookup
from gomoq.plan.journal import ActionRow, Journal, StepRow
from gomoq.plan.own_writes import OwnWrites


class Engine(Protocol):
    """What the step modules use of the run's engine; `gomoq.plan.engine.Engine` is one."""

    @property
    def client(self) -> GomobileClient: ...
    @property
    def journal(self) -> Journal: ...
    @property
    def run_id(self) -> str: ...
    @property
    def fingerprints(self) -> Mapping[str, str]: ...
    @property
    def attributes_update(self) -> str: ...
    @property
    def cache_lookup(self) -> Lookup | None: ...
    @property
    def shared_phones(self) -> Mapping[str, Sequence[str]] | None: ...
    @property
    def own(self) -> OwnWrites: ...
    @property
    def stopped(self) -> str | None:
        """Why the run stopped early (the server kept failing), or None."""

    async def do_step(self, step: StepRow) -> None:
        """Send one step (checking a `pending` one on the server first) and journal it."""

    async def run_units(self, units: list[ActionRow]) -> None:
        """Run units one at a time, by id."""

    async def read_contacts(self, ids: Sequence[str]) -> dict[str, dict[str, Any] | None]:
        """Live contacts by id (None for a missing one)."""

    async def memberships(self) -> dict[str, list[str]]:
        """contact id -> static audiences it is an active member of (read once per run)."""

    def transport_failed(self, error: ApiError) -> None:
        """A request the client gave up on (transport or server error)."""

    def finish_units(self, seqs: Sequence[int], state: str, message: str | None = None) -> None:
        """Record a final state for many units."""

    def run_images(self, run_id: str) -> dict[str, tuple[dict[str, Any], dict[str, Any] | None]]:
        """The before/after images of another run, read once per engine."""
