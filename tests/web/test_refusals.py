"""Every refusal a form can meet has words: each problem slug of the domain and application, each `Reason`."""

from __future__ import annotations

from application import errors as application_errors
from domain import errors as domain_errors
from domain.errors import DomainError, InvalidValue, Reason, RuleViolation
from web.refusals import REASONS, SLUGS, refusal


def slugs() -> set[str]:
    kinds = [*vars(domain_errors).values(), *vars(application_errors).values()]
    return {kind.slug for kind in kinds if isinstance(kind, type) and issubclass(kind, DomainError)} - {"domain-error"}


def test_every_problem_slug_has_words() -> None:
    assert slugs() <= set(SLUGS), sorted(slugs() - set(SLUGS))


def test_every_reason_has_words() -> None:
    assert set(Reason) == set(REASONS)


def test_a_refused_value_names_the_forms_field_with_its_reason() -> None:
    refused = refusal(InvalidValue("scheduled_for", reason=Reason.OUTSIDE_CALENDAR), {"scheduled_for": "when"})
    assert (refused.status, refused.slug) == (422, "validation-error")
    assert refused.about("when") == REASONS[Reason.OUTSIDE_CALENDAR]


def test_a_rule_answers_409_with_its_own_words() -> None:
    refused = refusal(domain_errors.AgendaTooLate())
    assert (refused.status, refused.message, refused.fields) == (409, SLUGS["agenda-too-late"], {})
    assert refusal(RuleViolation()).status == 409
