"""One dispute lifecycle (`domain/disputes.py`): the status each event leaves a dispute in."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from domain import disputes
from domain.disputes import CLOSED_BY_END, OPEN, RECONCILED, SETTLED
from domain.mentorship import Mentorship
from tests.support import T0
from tests.unit.builders import COORDINATOR, MENTEE, MENTOR, at, on_local_date, signed
from tests.unit.builders import PLANNED_END as END_DAY

FIRST, SECOND = UUID(int=1), UUID(int=2)


def mentorship_with_two_disputes() -> Mentorship:
    """Given an active mentorship with two open disputes (its events collected)."""
    mentorship, _ = signed()
    mentorship.raise_dispute(FIRST, "A late start", MENTEE, T0)
    mentorship.raise_dispute(SECOND, "Missed meetings", MENTOR, T0)
    mentorship.collect_events()
    return mentorship


def statuses_after(*commands: Any) -> dict[UUID, str]:
    """The disputes' statuses folded from scratch over every event, after these commands."""
    mentorship = mentorship_with_two_disputes()
    for command in commands:
        command(mentorship)
    events = list(mentorship.collect_events())
    folded = {FIRST: OPEN, SECOND: OPEN}
    for event in events:
        disputes.fold(folded, event)
    assert folded == mentorship.disputes  # the aggregate folds them the same way
    return folded


def test_raising_opens_a_dispute() -> None:
    mentorship, _ = signed()
    mentorship.raise_dispute(FIRST, "A late start", MENTEE, T0)
    folded: dict[UUID, str] = {}
    for event in mentorship.collect_events():
        disputes.fold(folded, event)
    assert folded == {FIRST: OPEN}


def test_one_partys_word_settles_it() -> None:
    assert statuses_after(lambda m: m.settle_dispute(FIRST, MENTOR, T0)) == {FIRST: SETTLED, SECOND: OPEN}


def test_a_dispute_consultation_that_reconciles_the_pair_reconciles_that_dispute_only() -> None:
    consult = lambda m: m.consult_coordinator("dispute", SECOND, "reconciled", None, COORDINATOR, T0)  # noqa: E731
    assert statuses_after(consult) == {FIRST: OPEN, SECOND: RECONCILED}


def test_a_consultation_that_does_not_reconcile_leaves_it_open() -> None:
    consult = lambda m: m.consult_coordinator("dispute", FIRST, "not_reconciled", None, COORDINATOR, T0)  # noqa: E731
    assert statuses_after(consult) == {FIRST: OPEN, SECOND: OPEN}


def test_an_early_end_consultation_changes_no_dispute_whatever_its_outcome() -> None:
    consult = lambda m: m.consult_coordinator("early_end", None, "reconciled", None, COORDINATOR, T0)  # noqa: E731
    assert statuses_after(consult) == {FIRST: OPEN, SECOND: OPEN}


def test_the_end_closes_only_the_disputes_still_open() -> None:
    assert statuses_after(
        lambda m: m.settle_dispute(FIRST, MENTEE, at(days=1)),
        lambda m: m.end("completed", None, MENTOR, on_local_date(END_DAY)),
    ) == {FIRST: SETTLED, SECOND: CLOSED_BY_END}


def test_a_closed_dispute_never_reopens_or_changes_by_a_later_event() -> None:
    settled = statuses_after(lambda m: m.settle_dispute(FIRST, MENTOR, T0))
    assert disputes.next_status(settled[FIRST], object()) == SETTLED
    assert disputes.next_status(None, object()) is None
