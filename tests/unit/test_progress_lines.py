"""Progress without a terminal: a line at each milestone passed, counts only."""

from __future__ import annotations

import pytest

from cli.progress import PlainLines, progress


def test_a_line_when_a_milestone_is_passed_and_only_the_highest_one(capsys: pytest.CaptureFixture[str]) -> None:
    report = PlainLines("rebuild", "position")
    for done in (0, 100, 260, 270, 990, 1000, 1000):
        report(done, 1000)
    assert capsys.readouterr().err.splitlines() == [
        "rebuild: 26% (position 260 of 1000)",
        "rebuild: 99% (position 990 of 1000)",
        "rebuild: 100% (position 1000 of 1000)",
    ]


def test_nothing_to_do_is_one_line_at_100(capsys: pytest.CaptureFixture[str]) -> None:
    with progress("verify", "position") as report:  # stderr is captured: not a terminal
        report(0, 0)
    captured = capsys.readouterr()
    assert (captured.out, captured.err) == ("", "verify: 100% (position 0 of 0)\n")
