"""The workbench's view models: pure polars over the cache and the findings, no Textual.

Every function here may be slow on a million contacts, so the app calls them only from thread
workers (style habit 5). They take a `TableSource` (the cache `Snapshot` satisfies it; tests and the
benchmark pass a `FrameSource` of hand-made frames) and return plain data the screens render.
"""

from gomoq.state.trend import sync_time
from gomoq.tui.data.contacts import (
    LIST_COLUMNS,
    LIST_LABELS,
    LIST_WIDTHS,
    ContactDetail,
    ContactIndex,
    call_timeline,
    contact_detail,
)
from gomoq.tui.data.lists import (
    FAILED_STATUSES,
    apply_decisions,
    attribute_definition,
    attribute_groups,
    call_failure_rows,
)
from gomoq.tui.data.overview import (
    CheckCard,
    call_outcomes,
    describe_age,
    overview_cards,
    record_trend,
    severity_counts,
    trend_totals,
)
from gomoq.tui.data.review import (
    CHOOSABLE_FIELDS,
    COMPARE_FIELDS,
    Cluster,
    ClusterView,
    choosable,
    cluster_view,
    duplicate_queue,
    merge_payload,
)
from gomoq.tui.data.source import FrameSource, TableSource, as_text
from gomoq.tui.data.values import EXAMPLES, Reading, read_value

__all__ = [
    "CHOOSABLE_FIELDS",
    "COMPARE_FIELDS",
    "EXAMPLES",
    "FAILED_STATUSES",
    "LIST_COLUMNS",
    "LIST_LABELS",
    "LIST_WIDTHS",
    "CheckCard",
    "Cluster",
    "ClusterView",
    "ContactDetail",
    "ContactIndex",
    "FrameSource",
    "Reading",
    "TableSource",
    "apply_decisions",
    "as_text",
    "attribute_definition",
    "attribute_groups",
    "call_failure_rows",
    "call_outcomes",
    "call_timeline",
    "choosable",
    "cluster_view",
    "contact_detail",
    "describe_age",
    "duplicate_queue",
    "merge_payload",
    "overview_cards",
    "read_value",
    "record_trend",
    "severity_counts",
    "sync_time",
    "trend_totals",
]
