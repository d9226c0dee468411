"""A class that moved keeps its stored topic: new events are written, and old ones read, under the old name."""

from __future__ import annotations

from pathlib import Path
from uuid import uuid4

from eventsourcing.domain import Aggregate
from eventsourcing.utils import get_topic, resolve_topic

from bootstrap.read_side import ReadSide
from bootstrap.service import build_service
from bootstrap.settings import Settings
from domain.access_record import AccessAction, AccessRecord
from domain.values import Actor, Role
from projections import access_log
from tests.support import T0

ROOT = Path(__file__).resolve().parents[2]
# Every class that moved since histories were first stored, with the topic those histories name it by
MOVED: dict[str, type[Aggregate] | type[Aggregate.Event]] = {
    "domain.access:AccessRecord": AccessRecord,  # domain/access.py became domain/access_record.py
    "domain.access:AccessRecord.AccessRecorded": AccessRecord.AccessRecorded,
}


def test_a_moved_class_keeps_its_old_topic_and_the_old_topic_resolves_to_it() -> None:
    for topic, cls in MOVED.items():
        assert get_topic(cls) == topic
        assert resolve_topic(topic) is cls
        module = topic.partition(":")[0]
        assert not (ROOT / (module.replace(".", "/") + ".py")).exists(), f"{topic} is no move: its module exists"


def test_an_access_record_is_stored_under_its_old_topic_loads_and_projects(tmp_path: Path) -> None:
    # Given an access record saved by this release
    settings = Settings(data_dir=tmp_path / "var", database_url=None)
    service = build_service(settings)
    read_side = ReadSide(service.store, settings)
    try:
        programme_id, subject_id, coordinator = uuid4(), uuid4(), Actor(uuid4(), Role.COORDINATOR.value)
        record = AccessRecord.record(uuid4(), programme_id, AccessAction.JOURNAL_READ, subject_id, coordinator, T0)
        service.store.save(record)
        # Then the store holds it under the topic earlier releases wrote (and read)
        stored = service.store.recorder.select_notifications(0, 10)
        assert [n.topic for n in stored] == ["domain.access:AccessRecord.AccessRecorded"]
        assert b'"domain.access:AccessRecord"' in stored[0].state  # the aggregate's topic, inside the created event
        # And it loads, and the access log lists it after a rebuild
        loaded = service.store.load(AccessRecord, record.id)
        assert (loaded.action, loaded.subject_id, loaded.programme_id) == ("journal_read", subject_id, programme_id)
        read_side.rebuild(["access"])
        rows = access_log.of_programme(read_side.view("access"), str(programme_id), 0, 10)
        assert [(row["action"], row["subject_id"]) for row in rows] == [("journal_read", str(subject_id))]
    finally:
        read_side.close()
        service.close()
