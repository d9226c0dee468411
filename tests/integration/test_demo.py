"""`mentorat demo`: the seeded programme runs, covers every event type and worklist situation, and prints no content."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from bootstrap.service import build_service
from bootstrap.settings import Settings
from demo.labels import REASONS
from demo.run import EVENT_TYPES, run_demo
from projections.programme_report import REPORT_ORDER

# MISSION section 4, written out here rather than taken from the code under test
WORKLIST_SLUGS = (
    "no_meeting_45_days",
    "no_next_meeting",
    "two_cancellations_in_a_row",
    "open_dispute",
    "low_satisfaction",
    "ends_within_30_days",
    "awaiting_signatures_14_days",
    "meeting_outcome_missing",
    "past_planned_end",
)


@dataclass(frozen=True)
class DemoRun:
    """One run of the demo: its directory, exit code and output."""

    directory: Path
    code: int
    output: str
    progress: list[tuple[int, int]]


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> DemoRun:
    """The demo, run once for this module in a fresh directory, kept (`--keep`: it ends with a token)."""
    directory = tmp_path_factory.mktemp("demo")
    out, reported = io.StringIO(), list[tuple[int, int]]()
    code = run_demo(directory, out, explorable=True, progress=lambda done, total: reported.append((done, total)))
    return DemoRun(directory, code, out.getvalue(), reported)


def test_the_demo_reports_its_progress_in_simulated_days(demo_run: DemoRun) -> None:
    days = [done for done, _ in demo_run.progress]
    assert days == sorted(days) and len(days) > 100 and {total for _, total in demo_run.progress} == {days[-1]}


EXPLORE = "\nExplore it through the API"


def stored_position(directory: Path) -> int:
    """The position of the latest event stored in the demo's directory."""
    service = build_service(Settings(data_dir=directory, database_url=None))
    try:
        return service.store.position()
    finally:
        service.close()


def test_the_demo_succeeds_and_shows_every_event_type_and_situation(demo_run: DemoRun) -> None:
    assert demo_run.code == 0, demo_run.output
    for name in EVENT_TYPES:
        match = re.search(rf"^\s+{name}\s+(\d+)$", demo_run.output, re.MULTILINE)
        assert match is not None, name
        assert int(match.group(1)) > 0, name
    for slug in WORKLIST_SLUGS:
        match = re.search(rf"^\s+{re.escape(REASONS[slug])}\s+(\d+)$", demo_run.output, re.MULTILINE)
        assert match is not None, slug
        assert int(match.group(1)) > 0, slug


def test_the_demo_speaks_in_plain_words_and_says_that_reasons_overlap(demo_run: DemoRun) -> None:
    report = demo_run.output.split("Programme report", 1)[1]
    for name in REPORT_ORDER:  # no API name is shown: labels, with the rates' definitions
        assert not re.search(rf"\b{name}\b", report), name
    assert "Early end rate (ended early / ended)" in report
    assert "Cancellation rate (cancelled / (held + cancelled))" in report
    for slug in WORKLIST_SLUGS:
        assert slug not in report
    listed = re.search(r"(\d+) mentorships need the coordinator", report)
    total = re.search(r"the counts by reason add up to (\d+), not (\d+)", report)
    assert listed is not None and total is not None and total.group(2) == listed.group(1)
    counts = re.findall(r"^\s+.+?\s+(\d+)$", report.split("add up to", 1)[1].split("Self-check", 1)[0], re.MULTILINE)
    assert sum(int(count) for count in counts) == int(total.group(1)) > int(listed.group(1))


def test_a_kept_demo_ends_with_a_coordinator_token_that_the_api_accepts(demo_run: DemoRun) -> None:
    explore = demo_run.output.split(EXPLORE, 1)[1]
    programme = re.search(r"programme ([0-9a-f-]{36})", explore)
    token = re.search(r"coordinator token \(this demo store only\): (\S+)", explore)
    assert programme is not None and token is not None
    assert f"MENTORAT_DATA_DIR={demo_run.directory.resolve()} mentorat serve" in explore
    service = build_service(Settings(data_dir=demo_run.directory, database_url=None))
    try:
        caller = service.participants.authenticate(token.group(1))  # valid on today's clock
    finally:
        service.close()
    assert caller.role == "coordinator" and str(caller.programme_id) == programme.group(1)


def test_the_demo_prints_no_content_nor_personal_data(demo_run: DemoRun) -> None:
    assert "DEMO-CONFIDENTIAL" not in demo_run.output
    assert "@" not in demo_run.output
    assert "demo.invalid" not in demo_run.output


def test_a_second_run_in_the_same_directory_refuses_and_adds_nothing(demo_run: DemoRun) -> None:
    before = stored_position(demo_run.directory)
    assert before > 0
    out = io.StringIO()
    assert run_demo(demo_run.directory, out) == 2
    assert "already holds a store" in out.getvalue()
    assert stored_position(demo_run.directory) == before


def test_the_demo_is_reproducible_and_prints_a_token_only_when_kept(demo_run: DemoRun, tmp_path: Path) -> None:
    out = io.StringIO()
    assert run_demo(tmp_path / "again", out) == 0
    facts, explore = out.getvalue().split(EXPLORE, 1)
    assert facts == demo_run.output.split(EXPLORE, 1)[0]
    assert "token" in explore and "--keep DIR" in explore and "Bearer" not in explore
