"""Sessions of the web app on both stores: the redeemed token in an HttpOnly cookie, CSRF, sign-out, deactivation."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from bootstrap.settings import Settings
from tests.api.conftest import World, bearer, invitation_code, service_of
from tests.support import FakeClock, ports
from tests.web.conftest import csrf_of, sign_in

SESSION = "mentorat_session"


def signed_in_page(client: TestClient, path: str) -> Any:
    """A page without following redirects."""
    return client.get(path, follow_redirects=False)


def test_signing_in_redeems_the_code_into_an_http_only_lax_cookie(app_client: TestClient, world: World) -> None:
    token = sign_in(app_client, world.coordinator, world.mentor_id)
    # The cookie is the bearer token the redemption issued: the API authenticates it too
    assert app_client.get("/v1/me/mentorships", headers=bearer(token)).status_code == 200
    page = signed_in_page(app_client, "/mentorships")
    assert page.status_code == 200
    assert "Mes mentorats" in page.text and page.headers["Cache-Control"] == "no-store"
    assert signed_in_page(app_client, "/").headers["location"] == "/mentorships"


def test_every_cookie_is_http_only_and_secure_behind_https(settings: Settings, clock: FakeClock) -> None:
    app = create_app(settings.model_copy(update={"public_url": "https://mentorat.example.org"}), ports(clock))
    with TestClient(app, base_url="https://testserver") as client:  # a Secure cookie goes back over https only
        launched = service_of(client).participants.create_programme("Programme", "Coordinator", "c@example.org")
        coordinator = bearer(launched["coordinator_token"])
        page = client.get("/sign-in")
        code = invitation_code(client, coordinator, launched["coordinator_id"])
        answer = client.post("/sign-in", data={"csrf": csrf_of(page.text), "code": code}, follow_redirects=False)
        assert answer.status_code == 303
        cookies = [*page.headers.get_list("set-cookie"), *answer.headers.get_list("set-cookie")]
    assert any(c.startswith(f"{SESSION}=") for c in cookies)
    for cookie in cookies:
        flags = {flag.strip().lower() for flag in cookie.split(";")[1:]}
        assert {"httponly", "secure"} <= flags, cookie
    session = next(c for c in cookies if c.startswith(f"{SESSION}="))
    assert "samesite=lax" in session.lower()


def test_a_form_without_its_csrf_token_is_refused_and_changes_nothing(app_client: TestClient, world: World) -> None:
    # Sign-in without the form's token: refused, the code still unused
    code = invitation_code(app_client, world.coordinator, world.mentor_id)
    app_client.get("/sign-in")
    refused = app_client.post("/sign-in", data={"code": code, "csrf": "forged"}, follow_redirects=False)
    assert refused.status_code == 403 and SESSION not in app_client.cookies
    page = app_client.get("/sign-in")
    accepted = app_client.post("/sign-in", data={"code": code, "csrf": csrf_of(page.text)}, follow_redirects=False)
    assert accepted.status_code == 303
    # Sign-out without the session's token: refused, the session still works
    assert app_client.post("/sign-out", data={}, follow_redirects=False).status_code == 403
    assert signed_in_page(app_client, "/mentorships").status_code == 200


def test_signing_out_revokes_the_token_here_and_in_the_api(app_client: TestClient, world: World) -> None:
    token = sign_in(app_client, world.coordinator, world.mentor_id)
    csrf = csrf_of(signed_in_page(app_client, "/mentorships").text)
    out = app_client.post("/sign-out", data={"csrf": csrf}, follow_redirects=False)
    assert out.status_code == 303 and out.headers["location"] == "/sign-in"
    assert any(c.startswith(f'{SESSION}=""') for c in out.headers.get_list("set-cookie"))
    app_client.cookies.set(SESSION, token)  # the old cookie, kept by someone
    assert signed_in_page(app_client, "/mentorships").headers["location"] == "/sign-in"
    assert app_client.get("/v1/me/mentorships", headers=bearer(token)).status_code == 401
    # The participant's other tokens still work: only this session ended
    assert app_client.get("/v1/me/mentorships", headers=world.mentor).status_code == 200


def test_deactivation_ends_the_session(app_client: TestClient, world: World) -> None:
    sign_in(app_client, world.coordinator, world.mentor_id)
    assert signed_in_page(app_client, "/mentorships").status_code == 200
    deactivated = app_client.post(f"/v1/participants/{world.mentor_id}/deactivation", headers=world.coordinator)
    assert deactivated.status_code == 201
    assert signed_in_page(app_client, "/mentorships").headers["location"] == "/sign-in"


def test_erasure_ends_the_session(app_client: TestClient, world: World) -> None:
    sign_in(app_client, world.coordinator, world.mentor_id)
    service_of(app_client).participants.erase(UUID(world.mentor_id))  # the operator's `participant erase`
    assert signed_in_page(app_client, "/mentorships").headers["location"] == "/sign-in"


def test_an_api_token_or_a_made_up_one_is_no_session(app_client: TestClient, world: World) -> None:
    for token in (world.mentor["Authorization"].removeprefix("Bearer "), "made-up"):
        app_client.cookies.set(SESSION, token)
        assert signed_in_page(app_client, "/mentorships").headers["location"] == "/sign-in"


def test_the_language_is_the_recorded_one_then_the_chosen_one(app_client: TestClient, world: World) -> None:
    sign_in(app_client, world.coordinator, world.mentor_id)  # recorded in French
    assert "Mes mentorats" in app_client.get("/mentorships").text
    english = app_client.get("/mentorships", params={"lang": "en"}).text
    assert "My mentorships" in english and '<html lang="en">' in english
    assert "My mentorships" in app_client.get("/mentorships").text  # remembered in the session


def test_a_wrong_code_is_refused_in_words_in_the_language_chosen(app_client: TestClient) -> None:
    page = app_client.get("/sign-in", params={"lang": "en"})
    assert '<html lang="en">' in page.text and 'name="lang" value="en"' in page.text
    answer = app_client.post("/sign-in", data={"csrf": csrf_of(page.text), "code": "made-up", "lang": "en"})
    assert answer.status_code == 400 and SESSION not in app_client.cookies
    assert 'role="alert"' in answer.text and "This code is used, expired or unknown" in answer.text
    assert 'aria-invalid="true"' in answer.text


def test_a_role_sees_only_its_pages(app_client: TestClient, world: World) -> None:
    sign_in(app_client, world.coordinator, world.mentor_id)
    assert signed_in_page(app_client, "/worklist").status_code == 403
    assert signed_in_page(app_client, "/mentorships").status_code == 200


def test_pages_replay_no_aggregate(app_client: TestClient, world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    sign_in(app_client, world.coordinator, world.coordinator_id)
    store = service_of(app_client).store
    loaded: list[Any] = []
    replay = store.repository.get

    def counting(*args: Any, **kwargs: Any) -> Any:
        loaded.append(args)
        return replay(*args, **kwargs)

    monkeypatch.setattr(store.repository, "get", counting)
    for path in ("/worklist", "/audit", "/worklist?lang=en"):
        assert signed_in_page(app_client, path).status_code == 200
    assert loaded == []
