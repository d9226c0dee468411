"""An older layout of a read model is rebuilt by itself at start; reads see one snapshot; rebuilds ANALYZE."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from eventsourcing.persistence import StoredEvent

from application.service import MentoratService
from bootstrap.read_side import NAMES, ReadSide
from bootstrap.settings import Settings
from projections.report_facts import COUNTS, SPANS
from tests.integration import reference_report, test_projections
from tests.integration.test_projections import copy_events, dump

demo_history = test_projections.demo_history  # the demo's events, a session fixture


@pytest.fixture
def history(service: MentoratService, demo_history: list[StoredEvent]) -> Iterator[int]:
    """The first 700 events of the demo in the store under test; answers the store's position."""
    yield copy_events(service.store, demo_history[:700])


def older_layout(read_side: ReadSide, position: int) -> None:
    """Make the report's tables what the release before the counters left: dated facts, caught up to `position`."""
    view = read_side.views["report"]
    with view._transaction(commit=True) as cursor:
        for table in (COUNTS, SPANS, *reference_report.ReportModel.tables):
            view._execute(cursor, f"DROP TABLE IF EXISTS {table.name}", ())
        for table in reference_report.ReportModel.tables:
            for statement in table.create_statements():
                view._execute(cursor, statement, ())
        view._execute(cursor, f"UPDATE {view.tracking_table} SET notification_id = ?", (position,))


def test_a_report_in_the_older_layout_is_rebuilt_at_start(
    settings: Settings, service: MentoratService, history: int
) -> None:
    # Given read models caught up, then the report's tables as an earlier release left them, at the same position
    read_side = ReadSide(service.store, settings)
    try:
        assert read_side.catch_up() == dict.fromkeys(NAMES, history)
        expected = dump(read_side, ["report"])
        older_layout(read_side, history)
        assert read_side.positions()["report"] == history
    finally:
        read_side.close()
    # When the read side starts again
    read_side = ReadSide(service.store, settings)
    try:
        # Then the report starts over from the first event, its old tables gone, and catches up to the same rows
        assert read_side.positions() == {**dict.fromkeys(NAMES, history), "report": 0}
        view = read_side.views["report"]
        with view._transaction(commit=False) as cursor:
            assert not view._has_table(cursor, "report_fact")
        assert read_side.catch_up()["report"] == history
        assert dump(read_side, ["report"]) == expected
    finally:
        read_side.close()


def test_a_snapshot_reads_one_position(settings: Settings, service: MentoratService, history: int) -> None:
    read_side = ReadSide(service.store, settings)
    try:
        read_side.catch_up()
        view = read_side.views["report"]
        with view.snapshot() as reads:
            before = reads.query(f"SELECT COUNT(*) AS n FROM {COUNTS.name}")
            # When a batch commits while the snapshot is open (another connection: the view's own writes)
            view.project([], history + 1)
            # Then the snapshot still sees the state it began with: its position and its rows
            assert reads.position() == history
            assert reads.query(f"SELECT COUNT(*) AS n FROM {COUNTS.name}") == before
        assert view.position() == history + 1
    finally:
        read_side.close()


def test_a_rebuild_analyzes_the_read_models_on_postgresql(
    settings: Settings, service: MentoratService, history: int
) -> None:
    if settings.database_url is None:
        pytest.skip("ANALYZE is PostgreSQL's; SQLite plans without statistics")
    read_side = ReadSide(service.store, settings)
    try:
        read_side.rebuild(["report"])
        found = read_side.views["report"].query(
            "SELECT COUNT(*) AS n FROM pg_stat_user_tables WHERE schemaname = ? AND relname = ?"
            " AND last_analyze IS NOT NULL",
            settings.database_schema,
            COUNTS.name,
        )
        assert found[0]["n"] == 1
    finally:
        read_side.close()
