"""A participant's sign-in codes: at most 5 an hour, none once deactivated, one use each; the index's key function."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

import pytest

from application.access_index import address_row
from application.address_keys import AddressKeys, normalised
from domain.credential import INVITATION, SIGN_IN, Credential
from domain.errors import ParticipantInactive
from domain.participant import Participant, SignInLimitReached
from tests.support import T0
from tests.unit.builders import COORDINATOR, MENTOR_ID, PROGRAMME_ID


def fresh() -> Participant:
    """An active mentor with an address in mixed case."""
    return Participant.register(
        MENTOR_ID, PROGRAMME_ID, "mentor", "Mentor", "Mentor@Example.org", "fr", COORDINATOR, T0
    )


def test_five_codes_an_hour_then_none_until_the_oldest_is_an_hour_old() -> None:
    person = fresh()
    for minute in range(5):
        at = T0 + timedelta(minutes=minute)
        person.issue_sign_in_code(UUID(int=minute + 1), at + timedelta(minutes=15), COORDINATOR, at)
    assert not person.may_receive_sign_in_code(T0 + timedelta(minutes=59))
    with pytest.raises(SignInLimitReached):
        person.issue_sign_in_code(UUID(int=9), T0, COORDINATOR, T0 + timedelta(minutes=59))
    assert person.may_receive_sign_in_code(T0 + timedelta(hours=1))
    assert len(person.sign_in_codes) == 5  # the state keeps the last five times only


def test_a_deactivated_participant_gets_no_code() -> None:
    person = fresh()
    person.deactivate(COORDINATOR, T0)
    assert not person.may_receive_sign_in_code(T0)
    with pytest.raises(ParticipantInactive):
        person.issue_sign_in_code(UUID(int=1), T0 + timedelta(minutes=15), COORDINATOR, T0)


def test_a_sign_in_code_is_one_time_like_an_invitation() -> None:
    for kind in (SIGN_IN, INVITATION):
        code = Credential.issue(UUID(int=7), "b", MENTOR_ID, kind, T0 + timedelta(minutes=15), COORDINATOR, T0)
        assert code.is_valid(kind, T0)
        code.use(COORDINATOR, T0)
        assert not code.is_valid(kind, T0)


def test_the_index_key_is_keyed_and_merges_case_and_surrounding_space_only() -> None:
    keys, other = AddressKeys(b"k" * 32), AddressKeys(b"o" * 32)
    assert normalised("  Mentor@Example.ORG ") == "mentor@example.org"
    assert keys.key_of(" MENTOR@example.org") == keys.key_of("mentor@example.org")
    assert keys.key_of("mentor@example.org") != other.key_of("mentor@example.org")
    assert keys.key_of("mentor@example.org") != keys.key_of("mentor2@example.org")
    assert "mentor" not in keys.key_of("mentor@example.org")


def test_an_erased_persons_row_has_no_key_and_a_store_without_keys_keys_no_address() -> None:
    keys = AddressKeys(b"k" * 32)
    person = fresh()
    row = address_row(person, keys)
    assert row is not None and row.address_key == keys.key_of("mentor@example.org")
    assert address_row(person, None) is None  # without keys the address is not keyed: the row is left alone
    person.erase(COORDINATOR, T0)
    erased = address_row(person, keys)
    assert erased is not None and erased.address_key is None and erased.version == person.version
    assert address_row(person, None) == erased
