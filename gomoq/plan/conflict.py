"""`UnitConflict`: a unit of a run must not go on (its own module so that the step builders
the engine imports can raise it without importing the engine)."""

from __future__ import annotations


class UnitConflict(Exception):
    """The unit must not go on: the server's data is not what was reviewed."""
