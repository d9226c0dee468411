"""A first walk through the application on both stores."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from application.service import MentoratService
from domain.mentorship import Mentorship


def test_programme_creation_gives_a_working_coordinator_token(service: MentoratService) -> None:
    created = service.participants.create_programme("Programme", "Coordinator", "c@example.org")
    caller = service.participants.authenticate(created["coordinator_token"])
    assert caller.role == "coordinator"
    assert caller.programme_id == UUID(created["programme_id"])
    mentor = service.participants.register(caller, caller.programme_id, "mentor", "Mentor", None, "fr")
    mentee = service.participants.register(caller, caller.programme_id, "mentee", "Mentee", None, "en")
    drafted = service.mentorships.draft(
        caller, caller.programme_id, mentor.aggregate_id, mentee.aggregate_id, date(2026, 1, 1), None
    )
    assert drafted.version == 1
    assert drafted.position > mentee.position
    assert service.store.load(Mentorship, drafted.aggregate_id).months == 10
