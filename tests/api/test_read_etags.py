"""ETags on reads (issue 13, item 3): a mentorship's summary carries its version as a strong `ETag`, honours
`If-None-Match` (304), and its tag is the one `If-Match` takes; scope and authentication come first."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.app import create_app
from bootstrap.settings import Settings
from tests.api.conftest import World, build_world, serve, service_of
from tests.support import FakeClock, ports


@dataclass
class Served:
    """The app over a real socket and its world."""

    client: httpx.Client
    world: World

    def summary(self, who: str, after: int | None = None, **headers: str) -> httpx.Response:
        """`GET /v1/mentorships/{id}` of the world's mentorship, as `who`, with these headers."""
        params = {} if after is None else {"after": after}
        path = f"/v1/mentorships/{self.world.mentorship_id}"
        return self.client.get(path, params=params, headers={**self.world.headers(who), **headers})

    def satisfaction(self, score: int, **headers: str) -> httpx.Response:
        """The mentee reports satisfaction (a command on the mentorship), with these headers."""
        path = f"/v1/mentorships/{self.world.mentorship_id}/satisfaction"
        return self.client.post(path, json={"score": score}, headers={**self.world.mentee, **headers})


@pytest.fixture
def served(settings: Settings) -> Iterator[Served]:
    """The app over the store under test, served on a real socket, with its world."""
    app = create_app(settings, ports(FakeClock()))
    with serve(app) as base, httpx.Client(base_url=base, timeout=30) as client:
        yield Served(client, build_world(client, service_of(app), app))


def if_none_match(tag: str) -> dict[str, Any]:
    """The `If-None-Match` header of a tag (or a list of them)."""
    return {"If-None-Match": tag}


def test_if_none_match_answers_304_while_the_tag_is_current(served: Served) -> None:
    etag = served.summary("mentor", after=0).headers["ETag"]
    version = int(etag.strip('"'))
    for tag in (etag, "*", f'"{version - 1}", {etag}', f"W/{etag}", f'"0" ,{etag}'):
        answer = served.summary("mentor", **if_none_match(tag))
        assert answer.status_code == 304, (tag, answer.status_code)
        assert answer.content == b""
        assert answer.headers["ETag"] == etag
        assert answer.headers["Cache-Control"] == "no-store"
    for tag in (f'"{version - 1}"', f'"{version + 1}"', "garbage", '""', f"{version}"):
        answer = served.summary("mentor", **if_none_match(tag))
        assert answer.status_code == 200, (tag, answer.status_code)
        assert answer.headers["ETag"] == etag and answer.json()["version"] == version


def test_a_304_is_never_an_answer_outside_the_scope(served: Served) -> None:
    w = served.world
    etag = served.summary("mentor", after=0).headers["ETag"]
    nobody = "00000000-0000-4000-8000-00000000dead"
    nothing = served.client.get(f"/v1/mentorships/{nobody}", headers=w.other_mentor)
    assert nothing.status_code == 404
    for who in ("other_mentor", "other_coordinator"):
        for tag in (etag, "*"):
            answer = served.summary(who, **if_none_match(tag))
            assert answer.status_code == 404, (who, tag)
            assert answer.json() == nothing.json() and "ETag" not in answer.headers
    unauthenticated = served.client.get(f"/v1/mentorships/{w.mentorship_id}", headers=if_none_match("*"))
    assert unauthenticated.status_code == 401 and "ETag" not in unauthenticated.headers


def test_read_then_if_match_then_a_stale_412_then_read_again(served: Served) -> None:
    """The loop the README shows: read the tag, send it as `If-Match`, a stale tag is 412, read again."""
    # Given a command's answer and its ETag
    command = served.satisfaction(4)
    assert command.status_code == 201, command.text
    # When the summary is read once the read model includes it
    read = served.summary("mentee", after=command.json()["position"])
    # Then its ETag is the version, quoted as the command's, for every reader in scope
    assert read.status_code == 200
    first = read.headers["ETag"]
    assert first == f'"{read.json()["version"]}"' == command.headers["ETag"]
    assert served.summary("coordinator").headers["ETag"] == served.summary("auditor").headers["ETag"] == first
    # And it is what If-Match takes: a change with it succeeds, and it is then stale
    changed = served.satisfaction(4, **{"If-Match": first})
    assert changed.status_code == 201, changed.text
    stale = served.satisfaction(5, **{"If-Match": first})
    assert stale.status_code == 412 and stale.json()["type"].endswith("/precondition-failed")
    assert served.summary("mentee", **if_none_match(first)).status_code in (200, 304)  # the model may lag
    again = served.summary("mentee", after=changed.json()["position"], **if_none_match(first))
    assert again.status_code == 200 and again.headers["ETag"] == changed.headers["ETag"] != first
    assert served.satisfaction(5, **{"If-Match": again.headers["ETag"]}).status_code == 201


def test_the_openapi_document_declares_the_etag_and_if_none_match(tmp_path: Path) -> None:
    document = create_app(Settings(data_dir=tmp_path)).openapi()
    operation = document["paths"]["/v1/mentorships/{mentorship_id}"]["get"]
    for status in ("200", "304"):
        header = operation["responses"][status]["headers"]["ETag"]
        assert header["description"] and header["schema"]["pattern"] == '^"[0-9]+"$'
    assert "content" not in operation["responses"]["304"]
    [parameter] = [p for p in operation["parameters"] if p["name"] == "If-None-Match"]
    assert parameter["in"] == "header" and parameter["description"]
