"""The one shape every check returns.

Columns:
- `check`: the check's name (`phones`, `duplicates`, `call_failures`, `attributes`, `inactivity`);
- `finding_id`: stable across syncs for the same problem (a hash of check, kind and the data that
  makes the problem, never of row positions), so decisions stick;
- `contact_id`; `cluster_id` (duplicates: every member row of a cluster shares it, else null);
- `severity`: `error` | `warn` | `info`;
- `kind`: the specific problem inside the check (`invalid_number`, `exact_duplicate`, ...);
- `field`, `value`: where the problem is and the offending value (null when not about a field);
- `evidence`: why, in words and numbers, for the operator;
- `suggested_action`: `merge`, `delete`, `flag`, `set_attribute`, `remove_from_audiences`,
  `review`, or null;
- `confidence`: 0..1 for duplicate clusters (null elsewhere).
"""

from __future__ import annotations

from typing import Final

import polars as pl

SEVERITIES: Final = ("error", "warn", "info")
ACTIONS: Final = ("merge", "delete", "flag", "set_attribute", "remove_from_audiences", "review")

FINDINGS_SCHEMA: Final[dict[str, pl.DataType]] = {
    "check": pl.String(),
    "finding_id": pl.String(),
    "contact_id": pl.String(),
    "cluster_id": pl.String(),
    "severity": pl.String(),
    "kind": pl.String(),
    "field": pl.String(),
    "value": pl.String(),
    "evidence": pl.String(),
    "suggested_action": pl.String(),
    "confidence": pl.Float64(),
}


def empty_findings() -> pl.DataFrame:
    """Zero findings, in the shared shape."""
    return pl.DataFrame(schema=FINDINGS_SCHEMA)


def conform(frame: pl.DataFrame) -> pl.DataFrame:
    """Cast and order `frame`'s columns to the shared shape, adding missing ones as nulls."""
    cols = []
    for name, dtype in FINDINGS_SCHEMA.items():
        if name in frame.columns:
            cols.append(pl.col(name).cast(dtype))
        else:
            cols.append(pl.lit(None, dtype=dtype).alias(name))
    return frame.select(cols)
