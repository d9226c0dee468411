"""The sign-in page's e-mail form, on both stores: a code by e-mail, the same page whatever the address.

As `POST /v1/sign-in`: each active participant holding the address is e-mailed a code (at most 5 per address per
hour), and the answer says nothing of whether anyone holds it. The form is CSRF-checked with the sign-in cookie's
nonce, and the code form stays the page's first (its script fills the first form's `code`).
"""

from __future__ import annotations

import re
from uuid import UUID

from fastapi.testclient import TestClient

from bootstrap.sign_in import SignInQueue
from tests.api.conftest import World, service_of
from tests.support import mail_directory, messages_to
from tests.web.conftest import csrf_of

WAIT = 20.0  # an upper bound for the worker, never a timing assertion
SESSION = "mentorat_session"


def address_of(client: TestClient, participant_id: str) -> str:
    email = service_of(client).participants.get(UUID(participant_id)).email
    assert isinstance(email, str)
    return email


def inbox(client: TestClient, address: str) -> int:
    """How many messages were delivered to the address, once the worker and the outbox are done."""
    app = client.app
    queue: SignInQueue = app.state.sign_ins  # type: ignore[attr-defined]
    assert queue.wait_idle(WAIT), "the sign-in worker did not finish"
    app.state.delivery.deliver_due()  # type: ignore[attr-defined]
    return len(messages_to(mail_directory(app.state.settings), address))  # type: ignore[attr-defined]


def ask(client: TestClient, email: str, csrf: str | None = None) -> tuple[int, str]:
    """Post the e-mail form (with the page's token unless given): the status and the page."""
    token = csrf if csrf is not None else csrf_of(client.get("/sign-in").text)
    answer = client.post("/sign-in/email", data={"csrf": token, "email": email}, follow_redirects=False)
    return answer.status_code, answer.text


def test_the_code_form_comes_first_and_the_email_form_second(app_client: TestClient) -> None:
    page = app_client.get("/sign-in").text
    actions = re.findall(r'<form method="post" action="([^"]+)"', page)
    assert actions[:2] == ["/sign-in", "/sign-in/email"]
    assert 'name="code"' in page.split("/sign-in/email")[0]
    assert 'type="email" id="email" name="email"' in page and 'for="email"' in page


def test_a_known_address_gets_a_code_and_an_unknown_one_the_same_page(app_client: TestClient, world: World) -> None:
    known = address_of(app_client, world.mentor_id)
    before = inbox(app_client, known)
    known_answer = ask(app_client, f"  {known.upper()} ")
    unknown_answer = ask(app_client, "nobody-at-all@example.org")
    # Then the same status and the same page, whatever the address
    assert known_answer == unknown_answer
    assert known_answer[0] == 200
    assert "Si cette adresse appartient à un participant actif, un lien a été envoyé" in known_answer[1]
    # And the known address got one code, the unknown none
    assert inbox(app_client, known) == before + 1
    assert inbox(app_client, "nobody-at-all@example.org") == 0
    assert SESSION not in app_client.cookies


def test_the_email_form_without_its_token_is_refused_and_sends_nothing(app_client: TestClient, world: World) -> None:
    known = address_of(app_client, world.mentee_id)
    before = inbox(app_client, known)
    app_client.get("/sign-in")
    status, _ = ask(app_client, known, csrf="forged")
    assert status == 403
    app_client.cookies.clear()  # no sign-in cookie at all: refused too
    refused = app_client.post("/sign-in/email", data={"csrf": "", "email": known}, follow_redirects=False)
    assert refused.status_code == 403
    assert inbox(app_client, known) == before


def test_the_rate_limit_applies_through_the_form(app_client: TestClient, world: World) -> None:
    known = address_of(app_client, world.other_mentor_id)
    before = inbox(app_client, known)
    answers = {ask(app_client, known) for _ in range(7)}
    assert len(answers) == 1  # the same page, limited or not
    assert inbox(app_client, known) == before + 5
