"""Every page anyone can reach, crawled, on both stores: no content marker where it must not be.

A history with a unique marker in every content field (`tests/integration/confidential.py`) and a second pair
beside it. Signed in as the coordinator, the auditor and the second pair's mentor and mentee, the crawler
follows every link of every page it reaches (each language, every query), and then tries the first pair's
own pages by their paths. No page a coordinator or an auditor opens holds a content marker (a coordinator
may read names and e-mails: those are personal data, theirs to see; an auditor sees none); no page of the
second pair holds any marker of the first.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit
from uuid import UUID

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from bootstrap.settings import Settings
from tests.integration.confidential import Cast, Marks, before_erasure, join
from tests.support import FakeClock, invited, ports

SESSION = "mentorat_session"
MAX_PAGES = 400  # a crawl that finds more is following a loop, not pages
PERSONAL = ("name", "mail@example.org")  # the suffixes of names and e-mails: personal data, not content


class Links(HTMLParser):
    """The `href`s of a page's links."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        href = dict(attrs).get("href")
        if tag == "a" and href:
            self.found.append(href)


def links(html: str, base: str) -> list[str]:
    """The page's same-site links, as paths with their query (fragments dropped)."""
    parser = Links()
    parser.feed(html)
    out = []
    for href in parser.found:
        target = urlsplit(urljoin(base, href))
        if (
            target.netloc in ("", "testserver")
            and target.path.startswith("/")
            and not target.path.startswith("/static")
        ):
            out.append(target.path + (f"?{target.query}" if target.query else ""))
    return out


@dataclass(frozen=True)
class History:
    """The marked history, the second pair, and a session for each visitor."""

    client: TestClient
    marks: Marks
    cast: Cast
    sessions: dict[str, str]


def session(client: TestClient, service: Any, coordinator: Any, participant_id: UUID) -> str:
    """A web session's token for a participant (an invitation's code redeemed into a session)."""
    token: str = service.sessions.open(invited(service, coordinator, participant_id)).token
    return token


@pytest.fixture
def history(settings: Settings, clock: FakeClock) -> Iterator[History]:
    """Both stores: the marked history, a second pair (unmarked in content), and the five visitors' sessions."""
    marks = Marks()
    with TestClient(create_app(settings, ports(clock))) as client:
        service = client.app.state.service  # type: ignore[attr-defined]
        cast = before_erasure(service, clock, marks)
        coordinator = cast.coordinator
        other = Marks()
        (mentor, _), (mentee, _) = (join(service, coordinator, who, other) for who in ("mentor", "mentee"))
        service.mentorships.draft(coordinator, coordinator.programme_id, mentor.id, mentee.id, date(2026, 1, 1), None)
        auditor = service.participants.register_as_operator(coordinator.programme_id, "auditor", "A", None, "fr")
        sessions = {
            "mentee": session(client, service, coordinator, cast.mentee.id),
            "coordinator": session(client, service, coordinator, coordinator.id),
            "auditor": service.sessions.open(
                service.participants.invite_as_operator(auditor.aggregate_id).data["code"]
            ).token,
            "other mentor": session(client, service, coordinator, mentor.id),
            "other mentee": session(client, service, coordinator, mentee.id),
        }
        assert client.app.state.read_side.wait_for(service.store.position(), client.app.state.read_side.views, 20)  # type: ignore[attr-defined]
        yield History(client, marks, cast, sessions)


def crawl(client: TestClient, token: str, extra: tuple[str, ...] = ()) -> Iterator[tuple[str, int, str]]:
    """Every page reachable from `/` (and the `extra` paths) signed in with `token`: (path, status, HTML)."""
    client.cookies.clear()
    client.cookies.set(SESSION, token)
    queue, seen = deque(["/", *extra]), {"/", *extra}
    while queue:
        path = queue.popleft()
        answer = client.get(path)
        yield path, answer.status_code, answer.text
        if answer.headers.get("content-type", "").startswith("text/html"):
            for target in links(answer.text, str(answer.url)):
                if target not in seen:
                    seen.add(target)
                    queue.append(target)
        assert len(seen) <= MAX_PAGES, "the crawl does not end"


def markers(html: str, marks: Marks) -> set[str]:
    """What of a run's markers a page holds: the place or field each names (`mentee-agenda`, `mentor-name`)."""
    return set(re.findall(re.escape(marks.run) + r"-(\w+-[\w@.]+)", html))


def pair_paths(mentorship_id: UUID) -> tuple[str, ...]:
    """The first pair's own pages, tried by their paths."""
    base = f"/mentorships/{mentorship_id}"
    return (base, f"{base}/meetings", f"{base}/disputes", f"{base}/journal")


def test_no_coordinator_page_holds_content(history: History) -> None:
    visited = 0
    for path, status, html in crawl(history.client, history.sessions["coordinator"]):
        visited += 1
        assert status < 500, path
        content = {found for found in markers(html, history.marks) if not found.endswith(PERSONAL)}
        assert not content, (path, content)
    assert visited >= 3


def test_no_auditor_page_holds_content_or_personal_data(history: History) -> None:
    visited = 0
    for path, status, html in crawl(history.client, history.sessions["auditor"]):
        visited += 1
        assert status < 500, path
        assert not markers(html, history.marks), (path, markers(html, history.marks))
    assert visited >= 2


@pytest.mark.parametrize("who", ["other mentor", "other mentee"])
def test_no_page_of_another_pair_holds_the_first_pairs_markers(history: History, who: str) -> None:
    extra = pair_paths(history.cast.mentorship_id)
    for path, status, html in crawl(history.client, history.sessions[who], extra):
        assert status < 500, path
        assert not markers(html, history.marks), (path, markers(html, history.marks))
        if path in extra:
            assert status == 404, (path, status)


def test_the_crawler_sees_a_marker_where_one_belongs(history: History) -> None:
    """The first pair's mentee reaches their own journal by links, and it holds the marked texts: the check above
    would see a marker if a page held one."""
    found: set[str] = set()
    for path, status, html in crawl(history.client, history.sessions["mentee"]):
        assert status < 500, path
        found |= markers(html, history.marks)
    assert {"mentee-agenda", "mentor-notes"} <= found, found
