"""The web app's fixtures: the API's (the app over both stores, the world built through the API), and signing in."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.api.conftest import app_client, invitation_code, world

__all__ = ["app_client", "csrf_of", "sign_in", "world"]
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(html: str) -> str:
    """The CSRF token of a page's first form."""
    found = CSRF.search(html)
    assert found, "the page has no form with a CSRF token"
    return found[1]


def sign_in(client: TestClient, coordinator: dict[str, str], participant_id: str) -> str:
    """The coordinator invites the participant; they sign in with the e-mailed code: the session's token."""
    code = invitation_code(client, coordinator, participant_id)
    page = client.get("/sign-in")
    answer = client.post("/sign-in", data={"csrf": csrf_of(page.text), "code": code}, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    token = client.cookies.get("mentorat_session")
    assert isinstance(token, str) and token
    return token
