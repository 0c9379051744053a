"""Decision memory: written at once, loaded back, applied to findings, back on a data change."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from gomoq import paths
from gomoq.checks.findings import conform
from gomoq.errors import UsageError
from gomoq.state import db, decisions


def findings(*rows: tuple[str, str, str]) -> pl.DataFrame:
    """Findings from (finding_id, contact_id, value)."""
    return conform(
        pl.DataFrame(
            {
                "check": ["attributes"] * len(rows),
                "finding_id": [r[0] for r in rows],
                "contact_id": [r[1] for r in rows],
                "kind": ["invalid_value"] * len(rows),
                "field": ["age"] * len(rows),
                "value": [r[2] for r in rows],
                "evidence": ["bad"] * len(rows),
            }
        )
    )


def fp(frame: pl.DataFrame, finding_id: str) -> str:
    table = decisions.fingerprints(frame.filter(pl.col("finding_id") == finding_id))
    return str(table["data_fingerprint"][0])


def test_connect_uses_state_path_wal_and_foreign_keys() -> None:
    conn = db.connect()
    assert Path(conn.execute("PRAGMA database_list").fetchone()[2]) == paths.state_db_file()
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == db.BUSY_TIMEOUT_MS


def test_record_load_replace_and_forget() -> None:
    conn = db.connect()
    decisions.record(conn, "p", "f1", "dismissed", data_fingerprint="x", note="fine")
    decisions.record(
        conn,
        "p",
        "f2",
        "merge",
        data_fingerprint="y",
        payload={"survivor": "c1"},
        check="duplicates",
        contact_ids=["c1", "c2"],
    )
    decisions.record(conn, "other", "f1", "flag", data_fingerprint="z")
    loaded = decisions.load(conn, "p")
    assert loaded.select("finding_id", "decision", "data_fingerprint", "note").rows() == [
        ("f1", "dismissed", "x", "fine"),
        ("f2", "merge", "y", None),
    ]
    assert loaded["payload"][1] == '{"survivor": "c1"}'
    assert loaded["contact_ids"][1].to_list() == ["c1", "c2"]
    decisions.record(conn, "p", "f1", "flag", data_fingerprint="x2")
    assert decisions.load(conn, "p")["decision"].to_list() == ["flag", "merge"]
    assert decisions.forget(conn, "p", "f1") is True
    assert decisions.forget(conn, "p", "f1") is False
    assert decisions.load(conn, "p")["finding_id"].to_list() == ["f2"]
    assert [h["decision"] for h in decisions.history(conn, "p", "f1")] == [
        "dismissed",
        "flag",
        None,
    ]
    assert decisions.load(conn, "other")["decision"].to_list() == ["flag"]


def test_unknown_decision_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="Unknown decision 'maybe'"):
        decisions.record(db.connect(), "p", "f1", "maybe", data_fingerprint="x")


def test_a_decision_survives_a_kill_right_after_it_is_recorded(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite3"
    script = (
        "import os, sys\n"
        "from pathlib import Path\n"
        "from gomoq.state import db, decisions\n"
        "conn = db.connect(Path(sys.argv[1]))\n"
        "decisions.record(conn, 'p', 'f1', 'dismissed', data_fingerprint='x')\n"
        "os._exit(9)  # no close, no commit call: like kill -9\n"
    )
    proc = subprocess.run([sys.executable, "-c", script, str(path)], check=False)
    assert proc.returncode == 9
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT decision FROM decisions_current").fetchall() == [("dismissed",)]


def test_apply_decisions_hides_dismissed_until_the_data_changes() -> None:
    conn = db.connect()
    week1 = findings(("f1", "c1", "12"), ("f2", "c2", "x"), ("f3", "c3", "y"))
    decisions.record(conn, "p", "f1", "dismissed", data_fingerprint=fp(week1, "f1"))
    decisions.record(conn, "p", "f2", "flag", data_fingerprint=fp(week1, "f2"))
    loaded = decisions.load(conn, "p")

    shown = decisions.apply_decisions(week1, loaded)
    assert shown.select("finding_id", "decision").rows() == [("f2", "flag"), ("f3", None)]
    everything = decisions.apply_decisions(week1, loaded, include_dismissed=True)
    assert everything["decision"].to_list() == ["dismissed", "flag", None]

    # Next sync: same problems, same data -> same decisions.
    week2 = findings(("f3", "c3", "y"), ("f2", "c2", "x"), ("f1", "c1", "12"))
    assert decisions.apply_decisions(week2, loaded)["finding_id"].to_list() == ["f3", "f2"]

    # The dismissed value changed: the finding comes back, undecided.
    week3 = findings(("f1", "c1", "13"), ("f2", "c2", "x"))
    back = decisions.apply_decisions(week3, loaded)
    assert back.select("finding_id", "decision").rows() == [("f1", None), ("f2", "flag")]


def test_alternative_fingerprints_and_cluster_rows() -> None:
    cluster = findings(("d1", "c1", "+212600000001"), ("d1", "c2", "+212600000001"))
    loaded = pl.DataFrame(
        {"finding_id": ["d1"], "decision": ["dismissed"], "data_fingerprint": ["fpA+fpB"]}
    )
    assert decisions.apply_decisions(cluster, loaded)["contact_id"].to_list() == ["c1", "c2"]
    alt = pl.DataFrame({"finding_id": ["d1"], "data_fingerprint": ["fpA+fpB"]})
    assert decisions.apply_decisions(cluster, loaded, also_current=alt).height == 0
    # The cluster fingerprint covers every member row, in contact order.
    swapped = findings(("d1", "c2", "+212600000001"), ("d1", "c1", "+212600000001"))
    assert fp(cluster, "d1") == fp(swapped, "d1")
    grown = findings(
        ("d1", "c1", "+212600000001"), ("d1", "c2", "+212600000001"), ("d1", "c3", "+212600000001")
    )
    assert fp(grown, "d1") != fp(cluster, "d1")


def test_supplied_fingerprint_column_wins() -> None:
    frame = findings(("f1", "c1", "v")).with_columns(pl.lit("mine").alias("data_fingerprint"))
    assert fp(frame, "f1") == "mine"


def test_two_connections_adding_the_new_log_columns_do_not_clash(tmp_path: Path) -> None:
    """A connection that read the old schema adds a column another connection has just added
    (the app's workers racing; seen as 'duplicate column name: check_name')."""
    path = tmp_path / "state.db"
    first = sqlite3.connect(path)
    first.executescript(decisions.SCHEMA)  # the first release's tables, without the new columns
    stale = list(first.execute("PRAGMA table_info(decisions_log)"))

    class StaleView:
        """The second connection, as it was when it read the schema: before the first's ALTER."""

        def __init__(self, conn: sqlite3.Connection) -> None:
            self.conn = conn

        def executescript(self, script: str) -> object:
            return self.conn.executescript(script)

        def execute(self, sql: str, *args: object) -> object:
            if sql.startswith("PRAGMA table_info"):
                return iter(stale)
            return self.conn.execute(sql, *args)

    decisions.ensure_schema(first)
    decisions.ensure_schema(StaleView(sqlite3.connect(path)))  # type: ignore[arg-type]
    have = {row[1] for row in first.execute("PRAGMA table_info(decisions_log)")}
    assert {"check_name", "contact_ids", "undoes"} <= have
