"""`mentorat demo`: the seeded programme runs, covers every event type and worklist situation, and prints no content."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from bootstrap.service import build_service
from bootstrap.settings import Settings
from demo.run import EVENT_TYPES, run_demo

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


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> DemoRun:
    """The demo, run once for this module in a fresh directory."""
    directory = tmp_path_factory.mktemp("demo")
    out = io.StringIO()
    code = run_demo(directory, out)
    return DemoRun(directory, code, out.getvalue())


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
        match = re.search(rf"^\s+{slug}\s+(\d+)$", demo_run.output, re.MULTILINE)
        assert match is not None, slug
        assert int(match.group(1)) > 0, slug


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


def test_the_demo_is_reproducible(demo_run: DemoRun, tmp_path: Path) -> None:
    out = io.StringIO()
    assert run_demo(tmp_path / "again", out) == 0
    assert out.getvalue() == demo_run.output
