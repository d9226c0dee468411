"""Commands load mentorships from a cache, fast-forwarded through what other processes stored since.

The cache may keep only what an erasure need not reach: a cached mentorship holds no content.
"""

from __future__ import annotations

import pickle
from collections.abc import Iterator
from typing import Any

import pytest

from application.errors import PreconditionFailed
from application.service import MentoratService
from bootstrap.service import build_service
from bootstrap.settings import Settings
from domain.mentorship import Mentorship
from tests.integration.confidential import Cast, Marks, before_erasure
from tests.support import FakeClock, ports


@pytest.fixture
def other(settings: Settings, clock: FakeClock) -> Iterator[MentoratService]:
    """A second process's write side over the same store (its own cache)."""
    svc = build_service(settings, ports(clock))
    try:
        yield svc
    finally:
        svc.close()


def decodes(service: MentoratService, monkeypatch: Any) -> list[int]:
    """Count the events the service's store decodes from now on."""
    seen: list[int] = []
    mapper, decode = service.store.mapper, service.store.mapper.to_domain_event

    def counted(stored: Any) -> Any:
        seen.append(stored.originator_version)
        return decode(stored)

    monkeypatch.setattr(mapper, "to_domain_event", counted)
    return seen


def test_a_command_decodes_only_what_was_stored_since(
    service: MentoratService, other: MentoratService, clock: FakeClock, monkeypatch: Any
) -> None:
    cast = before_erasure(service, clock, Marks())
    service.store.load(Mentorship, cast.mentorship_id)  # cached here
    version = other.mentorships.report_satisfaction(cast.mentor, cast.mentorship_id, 3, None).version
    seen = decodes(service, monkeypatch)
    loaded = service.store.load(Mentorship, cast.mentorship_id)
    assert loaded.version == version and seen == [version]  # the other process's event, and only it


def test_a_refused_command_leaves_the_cached_mentorship_as_it_was(service: MentoratService, clock: FakeClock) -> None:
    cast = before_erasure(service, clock, Marks())
    before = service.store.load(Mentorship, cast.mentorship_id)
    with pytest.raises(PreconditionFailed):  # decided on a copy, then refused by If-Match
        service.mentorships.report_satisfaction(cast.mentor, cast.mentorship_id, 1, None, expected_version=1)
    after = service.store.load(Mentorship, cast.mentorship_id)
    assert pickle.dumps(vars(after)) == pickle.dumps(vars(before))


def test_a_cached_mentorship_holds_no_content(service: MentoratService, clock: FakeClock) -> None:
    marks = Marks()
    cast: Cast = before_erasure(service, clock, marks)
    service.store.load(Mentorship, cast.mentorship_id)
    cache: Any = service.store.mentorships.cache
    assert cache is not None
    cached = cache.get(cast.mentorship_id)
    assert marks.run.encode() not in pickle.dumps(cached)  # every text, name and e-mail starts with the marker


def test_the_cache_size_zero_replays_every_time(settings: Settings, clock: FakeClock, monkeypatch: Any) -> None:
    svc = build_service(settings.model_copy(update={"aggregate_cache_size": 0}), ports(clock))
    try:
        cast = before_erasure(svc, clock, Marks())
        svc.store.load(Mentorship, cast.mentorship_id)
        seen = decodes(svc, monkeypatch)
        svc.store.load(Mentorship, cast.mentorship_id)
        assert len(seen) == svc.store.load(Mentorship, cast.mentorship_id).version
    finally:
        svc.close()
