"""Signing in by e-mail (MISSION 5b): `POST /v1/sign-in` over a real socket, on both stores.

The answer is 202 and the same whatever the address; each active participant holding it gets a one-time code
valid 15 minutes in the invitation's form, redeemed at `POST /v1/invitations/redemption`; at most 5 per address
per hour; erasure removes the person from the blind index; a refused body stores nothing; neither the address
nor the code reaches a log line, a metric, a table in clear, an answer or a history.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any
from uuid import UUID

import httpx
import pytest
from fastapi import FastAPI

from api.app import create_app
from application.access_index import AddressIndex
from application.service import MentoratService
from bootstrap.read_side import NAMES
from bootstrap.settings import Settings
from bootstrap.sign_in import SignInQueue
from tests.api.conftest import PROBLEM_JSON, bearer, serve, service_of
from tests.api.test_confidential_markers import leaking_records, logs  # noqa: F401  (the fixture)
from tests.integration.confidential import Marks
from tests.store_tables import every_table_bytes, table_counts
from tests.support import FakeClock, code_in, mail_directory, messages_to, ports

WAIT = 20.0  # an upper bound for the background steps, never a timing assertion
Records = Callable[[], list[logging.LogRecord]]


@dataclass(frozen=True)
class Site:
    """The app under uvicorn, an HTTP client of it, and the people registered in its programme."""

    app: FastAPI
    client: httpx.Client
    settings: Settings
    clock: FakeClock
    marks: Marks
    programme_id: str
    ids: dict[str, str]
    coordinator: dict[str, str]
    auditor: dict[str, str]

    @property
    def service(self) -> MentoratService:
        """The write side the app built."""
        return service_of(self.app)

    @property
    def sign_ins(self) -> SignInQueue:
        """The app's sign-in worker."""
        queue: SignInQueue = self.app.state.sign_ins
        return queue

    def quiet(self) -> None:
        """Wait for the read models to reach the store, so that a table count moves only by what follows."""
        read_side = self.app.state.read_side
        assert read_side.wait_for(self.service.store.position(), NAMES, WAIT), "the read models lag"

    def ask(self, email: Any) -> httpx.Response:
        """`POST /v1/sign-in` with this address."""
        return self.client.post("/v1/sign-in", json={"email": email})

    def settle(self) -> None:
        """Let the sign-in worker finish, then deliver what the outbox holds."""
        assert self.sign_ins.wait_idle(WAIT), "the sign-in worker did not finish"
        self.app.state.delivery.deliver_due()

    def inbox(self, who: str) -> list[EmailMessage]:
        """The messages delivered to that person's address."""
        return messages_to(mail_directory(self.settings), self.marks.email(who))

    def redeem(self, code: str) -> httpx.Response:
        """`POST /v1/invitations/redemption` with this code."""
        return self.client.post("/v1/invitations/redemption", json={"code": code})


@pytest.fixture
def site(settings: Settings, clock: FakeClock) -> Iterator[Site]:
    """A programme with an active mentor (French), an active mentee (English), a deactivated mentor, an auditor."""
    app = create_app(settings.model_copy(update={"public_url": "https://mentorat.example.org"}), ports(clock))
    marks = Marks()
    with serve(app) as base, httpx.Client(base_url=base, timeout=30) as client:
        people = service_of(app).participants
        launched = people.create_programme("Programme", "Coordinator", None)
        pid = UUID(launched["programme_id"])
        ids = {}
        for who, role, language in (("mentor", "mentor", "fr"), ("mentee", "mentee", "en"), ("gone", "mentor", "fr")):
            registered = people.register_as_operator(pid, role, marks.name(who), marks.email(who), language)
            ids[who] = str(registered.aggregate_id)
        auditor_id = people.register_as_operator(pid, "auditor", "Auditor", "auditor@example.org", "fr").aggregate_id
        auditor_token = people.redeem(people.invite_as_operator(auditor_id).data["code"]).data["token"]
        coordinator = bearer(launched["coordinator_token"])
        deactivated = client.post(f"/v1/participants/{ids['gone']}/deactivation", headers=coordinator)
        assert deactivated.status_code == 201, deactivated.text
        yield Site(app, client, settings, clock, marks, str(pid), ids, coordinator, bearer(auditor_token))


def history_types(site: Site, who: str, headers: dict[str, str]) -> list[str]:
    """The participant's history as someone reads it (waiting for the read model to reach the store)."""
    position = site.service.store.position()
    answer = site.client.get(f"/v1/participants/{site.ids[who]}/history", params={"after": position}, headers=headers)
    assert answer.status_code == 200, answer.text
    return [entry["type"] for entry in answer.json()["items"]]


def test_known_unknown_and_inactive_addresses_get_the_same_answer_on_the_same_path(site: Site) -> None:
    # Given the sign-in worker paused, so that the store is seen as the answer leaves it
    site.sign_ins.stop()
    site.quiet()
    asked = {
        "known": site.marks.email("mentor"),
        "unknown": site.marks.email("nobody"),
        "inactive": site.marks.email("gone"),
    }
    answers = {}
    for kind, address in asked.items():
        before = table_counts(site.settings)
        answers[kind] = site.ask(address)
        # Then no answer waited for any work: nothing was stored before it, whatever the address
        assert table_counts(site.settings) == before, kind
    # And the answers are identical: status, body, headers (but the date)
    shapes = {
        kind: (a.status_code, a.content, sorted((k, v) for k, v in a.headers.items() if k != "date"))
        for kind, a in answers.items()
    }
    assert shapes["known"] == shapes["unknown"] == shapes["inactive"]
    assert answers["known"].status_code == 202 and answers["known"].json() == {"status": "accepted"}
    # And each request took the same path: one hand-over to the worker each
    assert site.sign_ins.waiting() == 3
    # When the worker runs, Then only the active participant holding the address gets a code
    site.sign_ins.start()
    site.settle()
    assert [len(site.inbox(who)) for who in ("mentor", "nobody", "gone")] == [1, 0, 0]


def test_the_code_arrives_in_the_invitations_form_signs_in_once_and_is_in_the_history(
    site: Site,
    logs: Records,  # noqa: F811  (the fixture imported above)
) -> None:
    # When the mentor asks, with their address in another case and with spaces around it
    typed = f"  {site.marks.email('mentor').upper()} "
    assert site.ask(typed).status_code == 202
    site.settle()
    # Then one message arrives, in French: the link to the public sign-in page with the code, and the code alone
    [message] = site.inbox("mentor")
    code = code_in(message)
    text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert f"https://mentorat.example.org/sign-in#code={code}" in text
    assert message["Subject"] == "Votre code de connexion à Mentorat" and message["Content-Language"] == "fr"
    # And the English mentee's is in English
    assert site.ask(site.marks.email("mentee")).status_code == 202
    site.settle()
    [english] = site.inbox("mentee")
    assert english["Subject"] == "Your sign-in code for Mentorat"
    # When the code is redeemed as an invitation's, Then it gives the mentor a working token
    redeemed = site.redeem(code)
    assert redeemed.status_code == 201, redeemed.text
    assert set(redeemed.json()) >= {"token", "participant_id", "expires_at"}
    assert redeemed.json()["participant_id"] == site.ids["mentor"]
    me = site.client.get("/v1/me", headers=bearer(redeemed.json()["token"]))
    assert me.status_code == 200 and me.json()["id"] == site.ids["mentor"]
    # And only once
    again = site.redeem(code)
    assert (again.status_code, again.headers["content-type"]) == (404, PROBLEM_JSON)
    # And the participant and the auditor see it in the participant's history (no code, no address)
    own = history_types(site, "mentor", bearer(redeemed.json()["token"]))
    assert own[-2:] == ["SignInCodeIssued", "SignInCodeRedeemed"]
    assert history_types(site, "mentor", site.auditor) == own
    log = site.client.get(
        f"/v1/programmes/{site.programme_id}/access-log", params={"limit": 100}, headers=site.auditor
    ).json()["items"]
    actions = [entry["action"] for entry in log if entry["subject_id"] == site.ids["mentor"]]
    assert actions[-2:] == ["sign_in_code_issued", "sign_in_code_redeemed"]
    # And neither the address nor the code is in a log line, a metric, an answer or any table
    metrics = site.client.get("/metrics").text
    stored = every_table_bytes(site.settings)
    for secret in (site.marks.email("mentor"), site.marks.email("mentor").upper(), code):
        assert leaking_records(logs(), secret) == []
        assert secret not in metrics
        assert secret.encode() not in stored
        assert secret not in redeemed.text + again.text


def test_a_code_expires_after_15_minutes(site: Site) -> None:
    assert site.ask(site.marks.email("mentor")).status_code == 202
    site.settle()
    first = code_in(site.inbox("mentor")[-1])
    site.clock.advance(minutes=14, seconds=59)
    assert site.ask(site.marks.email("mentor")).status_code == 202
    site.settle()
    second = code_in(site.inbox("mentor")[-1])
    assert site.redeem(first).status_code == 201  # still valid just before its 15 minutes
    site.clock.advance(minutes=15)
    assert site.redeem(second).status_code == 404  # 15 minutes after it was issued: expired


def test_at_most_five_codes_per_address_per_hour_and_the_sixth_answer_says_nothing(site: Site) -> None:
    answers = []
    for _ in range(6):
        answers.append(site.ask(site.marks.email("mentor")))
        site.settle()
        site.clock.advance(minutes=1)
    # Then five messages, and six identical answers
    assert len(site.inbox("mentor")) == 5
    assert {(a.status_code, a.content) for a in answers} == {(202, b'{"status":"accepted"}')}
    # And once the oldest code is an hour old, one more may be sent
    site.clock.advance(minutes=54)
    assert site.ask(site.marks.email("mentor")).status_code == 202
    site.settle()
    assert len(site.inbox("mentor")) == 6
    # And the limit is the address's, not the spelling's
    assert site.ask(site.marks.email("mentor").upper()).status_code == 202
    site.settle()
    assert len(site.inbox("mentor")) == 6


def test_erasure_removes_the_person_from_the_blind_index(site: Site) -> None:
    index, keys = site.service.store.recorder, site.service.store.address_keys
    assert isinstance(index, AddressIndex) and keys is not None
    key = keys.key_of(site.marks.email("mentor"))
    mentor = UUID(site.ids["mentor"])
    assert index.holders_of(key) == [mentor]
    # When the operator erases the mentor
    site.service.participants.erase(mentor)
    # Then no row of the index holds their address's key, and a request for it sends nothing
    row = index.address_row(mentor)
    assert row is not None and row.address_key is None
    assert index.holders_of(key) == []
    assert key.encode() not in every_table_bytes(site.settings)
    assert site.ask(site.marks.email("mentor")).status_code == 202
    site.settle()
    assert site.inbox("mentor") == []


REFUSED = [
    (b"{not json", None, "malformed_json"),
    (b'{"email": "a@example.org", "name": "x"}', None, "unknown_field"),
    (b'{"email": "MARK-not-an-address"}', "email", "malformed"),
    (b'{"email": "MARK @example.org"}', "email", "malformed"),
    (b'{"email": 12}', "email", "wrong_type"),
    (b"{}", "email", "missing"),
]


def test_a_refused_body_is_a_422_naming_the_field_and_stores_nothing(site: Site) -> None:
    site.quiet()
    for template, field, reason in REFUSED:
        body = template.replace(b"MARK", site.marks.of("typed").encode())
        before = table_counts(site.settings)
        refused = site.client.post("/v1/sign-in", content=body, headers={"Content-Type": "application/json"})
        assert (refused.status_code, refused.headers["content-type"]) == (422, PROBLEM_JSON), body
        [item] = refused.json()["errors"]
        assert (item["field"], item["location"], item["reason"]) == (field, "body", reason), body
        assert site.marks.of("typed") not in refused.text  # never the value
        assert site.sign_ins.waiting() == 0 and table_counts(site.settings) == before, body
