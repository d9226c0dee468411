"""The coordinator's dashboard (`/programme`) on both stores: the API's report, number by number, and its CSV.

The figures are seeded through the API with the six conventions of `tests/api/test_report_figures.py` (four months
of history, figures computed there by hand); the page's tables are parsed and compared with the API's JSON for
the same period, the CSV link with the API's CSV. Other roles get 403; a bad period is refused in words.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any
from uuid import UUID

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from bootstrap.settings import Settings
from projections import programme_report
from tests.api.conftest import World, enrol, service_of
from tests.api.test_report_figures import WINDOW, Scenario, build
from tests.support import FakeClock, ports
from tests.web.conftest import csrf_of, sign_in

NO_DATA = "Aucune donnée"
PERIODS = (
    "",  # since the programme began, until now
    WINDOW,  # February and March
    "from=2026-03-01",  # from a day, until now
    "to=2026-03-01",  # since the start, until a day
    "from=2026-02-01T00:30:00-05:00&to=2026-04-01T23:00:00-04:00",  # times with offsets: their local dates
)


class Cells(HTMLParser):
    """The dashboard's table rows: `data-metric` -> the text of its value cell; and every `<svg>`'s attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: dict[str, list[str]] = {}
        self.svgs: list[dict[str, str | None]] = []
        self.ids: set[str] = set()
        self.metric: str | None = None
        self.in_cell = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if found.get("id"):
            self.ids.add(str(found["id"]))
        if tag == "tr" and found.get("data-metric"):
            self.metric = str(found["data-metric"])
            self.rows.setdefault(self.metric, [])
        elif tag == "td" and self.metric is not None:
            self.in_cell = True
            self.rows[self.metric].append("")
        elif tag == "svg":
            self.svgs.append(found)

    def handle_endtag(self, tag: str) -> None:
        if tag == "td":
            self.in_cell = False
        elif tag == "tr":
            self.metric = None

    def handle_data(self, data: str) -> None:
        if self.in_cell and self.metric is not None:
            self.rows[self.metric][-1] += data


def parsed(html: str) -> Cells:
    cells = Cells()
    cells.feed(html)
    return cells


def number(text: str) -> float | None:
    """A French number or percentage as the page shows it ("1 234,5", "38,5 %"), or None for "no data"."""
    text = text.strip()
    if text == NO_DATA:
        return None
    plain = re.sub(r"[\s\u00a0\u202f]", "", text).replace(",", ".")
    if plain.endswith("%"):
        return round(float(plain[:-1]) / 100, 6)
    return float(plain)


def flat(figures: dict[str, Any]) -> dict[str, Any]:
    """The report's figures with maps flattened as `name.key` (as its CSV has them)."""
    out: dict[str, Any] = {}
    for name, value in figures.items():
        if isinstance(value, dict):
            out.update({f"{name}.{key}": item for key, item in value.items()})
        else:
            out[name] = value
    return out


@pytest.fixture
def seeded(settings: Settings, clock: FakeClock) -> Iterator[tuple[TestClient, Scenario, dict[str, str]]]:
    """The six conventions' history on the store under test; a second coordinator, a mentor and an auditor enrolled.

    Tokens last a year: the history spans four months of the fake clock.
    """
    app = create_app(settings, ports(clock, token_days=365))
    with TestClient(app) as client:
        s = build(client, app, clock)
        people = {
            "coordinator": enrol(client, s.coordinator, s.programme_id, "coordinator", "Secondcoordinator")[0],
            "auditor": enrol(client, s.coordinator, s.programme_id, "auditor", "Auditor", app)[0],
            "mentor": s.a.mentor_id,
        }
        assert app.state.read_side.wait_for(service_of(client).store.position(), ("report", "summary"), 20)
        yield client, s, people


def sign_in_operator(client: TestClient, participant_id: str) -> None:
    """An auditor (the operator's to invite) signs in on the page with a code the operator issued."""
    code = service_of(client).participants.invite_as_operator(UUID(participant_id)).data["code"]
    form = client.get("/sign-in")
    answer = client.post("/sign-in", data={"csrf": csrf_of(form.text), "code": code}, follow_redirects=False)
    assert answer.status_code == 303, answer.text


def api_report(client: TestClient, s: Scenario, query: str, csv: bool = False) -> Any:
    """The API's report for a period, once the read models include everything stored."""
    after = service_of(client).store.position()
    path = f"/v1/programmes/{s.programme_id}/report{'.csv' if csv else ''}?{query}&after={after}"
    answer = client.get(path, headers=s.coordinator)
    assert answer.status_code == 200, answer.text
    return answer.text if csv else answer.json()


def test_the_dashboard_shows_the_apis_report_number_by_number_and_its_csv(
    seeded: tuple[TestClient, Scenario, dict[str, str]],
) -> None:
    client, s, people = seeded
    sign_in(client, s.coordinator, people["coordinator"])
    assert client.get("/", follow_redirects=False).headers["location"] == "/programme"  # the coordinator's home
    for query in PERIODS:
        expected = flat(api_report(client, s, query))
        page = client.get(f"/programme?{query}")
        assert page.status_code == 200, (query, page.text)
        cells = parsed(page.text)
        # Every figure of the report's JSON is on the page, once, with the API's value
        assert set(cells.rows) == set(expected), (query, set(cells.rows) ^ set(expected))
        for metric, value in expected.items():
            assert len(cells.rows[metric]) == 1, metric
            assert number(cells.rows[metric][0]) == (None if value is None else round(value, 6)), (query, metric)
        # The CSV link of the page serves the API's CSV for the same period
        link = re.search(r'href="(/programme/report\.csv[^"]*)"', page.text)
        assert link is not None
        csv = client.get(link[1].replace("&amp;", "&"))
        assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
        assert csv.text == api_report(client, s, query, csv=True)
        assert [line.partition(",")[0] for line in csv.text.splitlines()[1:]] == [
            name for name, _ in programme_report.csv_rows(api_report(client, s, query))
        ]
    # The hand-computed window of tests/api/test_report_figures.py, in French words and numbers
    window = client.get(f"/programme?{WINDOW}").text
    cells = parsed(window)
    assert cells.rows["cancellation_rate"] == ["42,9\u00a0%"] and cells.rows["minutes_mean"] == ["71,25"]
    assert cells.rows["mean_satisfaction_mentors"] == ["3,33"] and cells.rows["at_risk"] == ["3"]
    assert "Rencontres de 60 à 90 minutes" in window and "Difficultés relationnelles" in window
    assert "Du 1 février 2026 au 1 avril 2026 (exclu)." in window


def test_each_chart_is_an_image_with_its_numbers_in_words_and_no_inline_style(
    seeded: tuple[TestClient, Scenario, dict[str, str]],
) -> None:
    client, s, people = seeded
    sign_in(client, s.coordinator, people["coordinator"])
    html = client.get(f"/programme?{WINDOW}&lang=en").text
    cells = parsed(html)
    assert len(cells.svgs) == 6 and "style=" not in html and "<script" not in html
    for svg in cells.svgs:
        assert svg["role"] == "img"
        title, desc = str(svg["aria-labelledby"]).split()
        assert {title, desc} <= cells.ids
    # The text alternative names each charted figure with the table's value
    assert "Share of meetings cancelled: 42.9%" in html and "Meetings of 60 to 90 minutes: 75%" in html
    assert "Mean satisfaction of mentors: 3.33" in html and "Meetings per month of active mentorship: " in html
    assert "Mentorships needing you now (worklist): 3" in html
    for caption in ("Mentorships: the figures", "Meetings: the figures", "Disputes: the figures"):
        assert f">{caption}</caption>" in html
    assert html.count('<th scope="row">') == len(cells.rows) and '<th scope="col"' in html


def test_other_roles_get_403_and_the_auditor_gets_the_apis_csv(
    seeded: tuple[TestClient, Scenario, dict[str, str]],
) -> None:
    client, s, people = seeded
    sign_in(client, s.coordinator, people["mentor"])
    assert client.get("/programme").status_code == 403
    assert client.get("/programme/report.csv").status_code == 403
    client.cookies.clear()
    sign_in_operator(client, people["auditor"])
    refused = client.get(f"/programme?{WINDOW}")
    assert refused.status_code == 403 and "data-metric" not in refused.text
    # The CSV is the API's, which the auditor may read (`read_report`): the same answer as their API's
    assert client.get(f"/programme/report.csv?{WINDOW}").text == api_report(client, s, WINDOW, csv=True)


@pytest.mark.parametrize(
    ("query", "field", "words"),
    [
        ("from=2026-04-01&to=2026-02-01", "to", "La fin doit suivre le début."),
        ("from=2026-04-01&to=2026-04-01", "to", "La fin doit suivre le début."),
        ("from=yesterday", "from", "Cette valeur n\u2019est pas dans le format attendu."),
        ("to=2026-02-30", "to", "Cette valeur n\u2019est pas dans le format attendu."),
        ("from=2026-02-01T10:00:00", "from", "Veuillez indiquer une heure avec son fuseau horaire."),
        ("to=" + "9" * 41, "to", "Ce texte est trop long."),
    ],
)
def test_a_bad_period_is_refused_in_words_on_the_form(
    app_client: TestClient, world: World, query: str, field: str, words: str
) -> None:
    sign_in(app_client, world.coordinator, world.coordinator_id)
    page = app_client.get(f"/programme?{query}")
    assert page.status_code == 422
    assert 'role="alert"' in page.text and words in page.text
    assert re.search(rf'id="{field}"[^>]*aria-invalid="true"', page.text), page.text
    assert "data-metric" not in page.text and "report.csv" not in page.text
    csv = app_client.get(f"/programme/report.csv?{query}")
    assert csv.status_code == 422 and words in csv.text
    # The API refuses the same period (the same bounds, read by the same helper)
    if len(query) <= 60:
        answer = app_client.get(f"/v1/programmes/{world.programme_id}/report?{query}", headers=world.coordinator)
        assert answer.status_code == 422


def test_the_dashboard_of_a_programme_without_figures_shows_zeros_and_no_data(
    app_client: TestClient, world: World
) -> None:
    sign_in(app_client, world.coordinator, world.coordinator_id)
    page = app_client.get("/programme")
    assert page.status_code == 200
    cells = parsed(page.text)
    assert cells.rows["meetings_held"] == ["0"] and cells.rows["minutes_mean"] == [NO_DATA]
    assert "Depuis le début du programme, jusqu\u2019à maintenant." in page.text
    assert 'href="/programme/report.csv"' in page.text
