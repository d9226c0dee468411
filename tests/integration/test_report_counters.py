"""The report from folded counters equals the report from dated facts (the layout before it), for any window.

Both folds run over the demo's whole history (every event type; scores re-reported, objectives re-assessed,
meetings rescheduled then held), in batches as the projectors fold them, into SQLite files of their own;
the reports are compared over random windows, most of them with bounds inside a month.
"""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bootstrap.service import build_service
from bootstrap.settings import Settings
from bootstrap.store_env import SQLITE_FILE
from demo.simulation import TODAY
from domain.mentorship import Mentorship
from infrastructure.field_mapper import keyless
from projections import programme_report
from projections.read_model import ReadModel
from projections.report_facts import MENTORSHIPS, ReportModel
from projections.tables import Key, Row, Rows, Table
from tests.integration import reference_report
from tests.integration.test_projections import demo_events

BATCH = 37  # batches of an odd size: counters of one day and one mentorship added across several batches


class FileView:
    """A read model folded into a SQLite file of its own, batch by batch, as a view would."""

    def __init__(self, model: ReadModel, path: Path) -> None:
        self.db = sqlite3.connect(path)
        self.db.row_factory = sqlite3.Row
        self.model = model
        for table in model.tables:
            for statement in table.create_statements():
                self.db.execute(statement)

    def fold(self, events: list[Any]) -> None:
        """Fold the events at positions 1, 2, ... in batches, each written back when folded."""
        for start in range(0, len(events), BATCH):
            rows = Rows(self._load)
            for position, event in enumerate(events[start : start + BATCH], start=start + 1):
                self.model.apply(event, position, rows)
            for table, upserts, deletes in rows.changes():
                self.db.executemany(table.delete_statement(), deletes)
                self.db.executemany(table.upsert_statement(), [table.values(row) for row in upserts])
            self.db.commit()

    def _load(self, table: Table, key: Key) -> Row | None:
        where = " AND ".join(f"{column} = ?" for column in table.key)
        found = self.db.execute(f"SELECT * FROM {table.name} WHERE {where}", key).fetchone()
        return table.decode(found) if found is not None else None

    def query(self, statement: str, *params: Any) -> list[Row]:
        """Rows of a statement."""
        return [dict(row) for row in self.db.execute(statement, params)]

    @contextmanager
    def snapshot(self) -> Iterator[FileView]:
        """The file as it is (nothing writes to it while the reports are read)."""
        yield self


@pytest.fixture(scope="module")
def views(tmp_path_factory: pytest.TempPathFactory) -> tuple[FileView, FileView, list[str]]:
    """The demo's history folded by the counters' model and by the reference's; the programmes' ids."""
    demo_events(tmp_path_factory)
    directory = tmp_path_factory.getbasetemp() / "mentorat-demo"
    assert (directory / SQLITE_FILE).exists()
    service = build_service(Settings(data_dir=directory, database_url=None))
    try:
        mapper = keyless(service.store.mapper)
        events = [mapper.to_domain_event(n) for n in service.store.recorder.select_notifications(0, 1_000_000)]
    finally:
        service.close()
    folder = tmp_path_factory.mktemp("report-counters")
    counters, reference = (
        FileView(ReportModel(), folder / "counters.sqlite3"),
        FileView(reference_report.ReportModel(), folder / "reference.sqlite3"),
    )
    counters.fold(events)
    reference.fold(events)
    kinds = {type(event) for event in events}
    assert {Mentorship.MeetingRescheduled, Mentorship.ObjectiveAssessed, Mentorship.SatisfactionReported} <= kinds
    programmes = [row["id"] for row in counters.query("SELECT id FROM report_programme")]
    return counters, reference, programmes


def windows(seed: int, count: int) -> Iterator[tuple[date | None, date | None]]:
    """Unbounded windows, then random ones over the demo's calendar (bounds mostly inside a month)."""
    yield from ((None, None), (date(2025, 6, 15), None), (None, date(2025, 6, 15)))
    yield date(2025, 3, 1), date(2025, 4, 1)
    rng = random.Random(seed)
    first = date(2024, 11, 1)
    for _ in range(count):
        low = first + timedelta(days=rng.randrange(0, 480))
        high = low + timedelta(days=rng.choice((1, 2, 7, 15, 30, 31, 45, 90, 200, 400)))
        yield rng.choice((low, None)) if rng.random() < 0.1 else low, high


@pytest.mark.parametrize("now", [TODAY, datetime(2025, 8, 20, 3, 0, tzinfo=TODAY.tzinfo)])
def test_the_counters_give_the_report_the_dated_facts_gave_for_any_window(
    views: tuple[FileView, FileView, list[str]], now: datetime
) -> None:
    counters, reference, programmes = views
    assert programmes
    for programme_id in programmes:
        for low, high in windows(seed=now.day, count=150):
            expected = reference_report.report(reference, programme_id, now, low, high)
            assert programme_report.report(counters, programme_id, now, low, high) == expected, (low, high)


def test_the_report_has_something_to_compare(views: tuple[FileView, FileView, list[str]]) -> None:
    # The demo exercises what could drift: a party scoring again, an objective assessed twice, held meetings
    counters, _, programmes = views
    figures = programme_report.report(counters, programmes[0], TODAY, None, None)
    assert figures["meetings_held"] > 0 and figures["disputes_to_coordinator"] > 0
    assert figures["mentorships_ended_early"] > 0 and figures["objective_attainment_rate"] is not None
    rows = [MENTORSHIPS.decode(row) for row in counters.query(f"SELECT * FROM {MENTORSHIPS.name}")]
    assert any(len(scores) > 1 for row in rows for scores in row["scores"].values())
    assert any(len(statuses) > 2 for row in rows for statuses in row["objectives"].values())
