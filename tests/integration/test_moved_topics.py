"""A class that moved keeps loading from histories stored under its old topic (`application/moved_topics.py`)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from uuid import uuid4

from application.moved_topics import MOVED
from bootstrap.read_side import ReadSide
from bootstrap.service import build_service
from bootstrap.settings import Settings
from bootstrap.store_env import SQLITE_FILE
from domain.access_record import AccessAction, AccessRecord
from domain.values import Actor, Role
from projections import access_log
from tests.support import T0

OLD_MODULE = "domain.access"  # where AccessRecord lived until the packages moved


def test_every_moved_topic_names_a_module_that_no_longer_exists() -> None:
    for topic in MOVED:
        module = topic.partition(":")[0]
        assert not (Path(__file__).resolve().parents[2] / (module.replace(".", "/") + ".py")).exists(), topic


def test_an_access_record_stored_under_its_old_topic_loads_and_projects(tmp_path: Path) -> None:
    # Given an access record written as the earlier release stored it (its topics name domain.access)
    settings = Settings(data_dir=tmp_path / "var", database_url=None)
    service = build_service(settings)
    programme_id, subject_id, coordinator = uuid4(), uuid4(), Actor(uuid4(), Role.COORDINATOR.value)
    record = AccessRecord.record(uuid4(), programme_id, AccessAction.JOURNAL_READ, subject_id, coordinator, T0)
    service.store.save(record)
    service.close()
    with sqlite3.connect(settings.data_dir / SQLITE_FILE) as db:
        db.execute("UPDATE stored_events SET topic = replace(topic, 'domain.access_record:', ?)", (OLD_MODULE + ":",))
        db.execute("UPDATE stored_events SET state = CAST(replace(CAST(state AS TEXT), ?, ?) AS BLOB)",
                   ("domain.access_record:", OLD_MODULE + ":"))  # fmt: skip
        stored_topic = db.execute("SELECT topic FROM stored_events").fetchone()[0]
        assert stored_topic == "domain.access:AccessRecord.AccessRecorded"
    # When a new process loads it and rebuilds the access log
    service = build_service(settings)
    read_side = ReadSide(service.store, settings)
    try:
        loaded = service.store.load(AccessRecord, record.id)
        read_side.rebuild(["access"])
        # Then it is the same record, and the access log lists it
        assert (loaded.action, loaded.subject_id, loaded.programme_id) == ("journal_read", subject_id, programme_id)
        rows = access_log.of_programme(read_side.view("access"), str(programme_id), 0, 10)
        assert [(row["action"], row["subject_id"]) for row in rows] == [("journal_read", str(subject_id))]
    finally:
        read_side.close()
        service.close()
