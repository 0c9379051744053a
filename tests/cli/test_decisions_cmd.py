"""`gomoq decisions list|undo`: the decisions in force, headless, taken back by id."""

from __future__ import annotations

import json

from click.testing import CliRunner

from gomoq.cli import cli
from gomoq.plan.journal import connect
from gomoq.state import decisions
from tests.services.checks_fakes import make_profile


def test_list_and_undo_walk_back_a_decision() -> None:
    make_profile()
    conn = connect()
    decisions.record(conn, "p", "aaaa11112222", "skip", data_fingerprint="a", contact_ids=["x"])
    decisions.record(
        conn, "p", "aaaa11112222", "merge", data_fingerprint="a", payload={"survivor": "x"}
    )
    decisions.record(
        conn,
        "p",
        "bbbb33334444",
        "set_attribute",
        data_fingerprint="a",
        payload={"attribute": "is_vip", "value": True},
        check="attributes",
        contact_ids=["y"],
    )
    runner = CliRunner()
    listed = runner.invoke(cli, ["decisions", "list", "--format", "json"])
    assert listed.exit_code == 0, listed.output
    rows = {r["finding_id"]: r for r in json.loads(listed.stdout)}
    assert rows["aaaa11112222"]["decision"] == "merge"
    assert rows["bbbb33334444"]["detail"] == "is_vip = true"

    table = runner.invoke(cli, ["decisions", "list"])
    assert "attributes: set_attribute (is_vip = true), 1 contact" in table.stdout

    undone = runner.invoke(cli, ["decisions", "undo", "aaaa1111"])
    assert undone.exit_code == 0, undone.output
    assert "aaaa11112222: back to skipped" in undone.stderr
    now = dict(decisions.load(conn, "p").select("finding_id", "decision").iter_rows())
    assert now == {"aaaa11112222": "skip", "bbbb33334444": "set_attribute"}


def test_undo_of_an_unknown_id_changes_nothing_and_exits_2() -> None:
    make_profile()
    conn = connect()
    decisions.record(conn, "p", "cccc55556666", "dismissed", data_fingerprint="a")
    result = CliRunner().invoke(cli, ["decisions", "undo", "cccc55556666", "zzzzzzzz"])
    assert result.exit_code == 2
    assert "zzzzzzzz has no decision" in result.stderr
    assert "Traceback" not in result.output
    assert decisions.load(conn, "p")["decision"].to_list() == ["dismissed"]


def test_progress_label_does_not_repeat_the_task() -> None:
    import io

    from gomoq.cli.progress_bar import PlainReporter
    from gomoq.progress import ProgressEvent

    out = io.StringIO()
    report = PlainReporter(out, "apply")
    report(ProgressEvent("apply", 66, 66, "changes", finished=True))
    report(ProgressEvent("undo", 2, 2, "changes", finished=True))
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("apply: 66/66 changes") and lines[1].startswith("apply: undo: ")
