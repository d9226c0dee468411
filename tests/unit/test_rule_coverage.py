"""Every rule of the agreement that the write side enforces (R1-R10) is named by at least one test."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
RULES = [f"r{n}" for n in range(1, 11)]


def collected_test_names(root: Path = TESTS) -> set[str]:
    """The name of every test function (module level or in a class) of every test module under `root`."""
    found: set[str] = set()
    for path in sorted(root.rglob("test_*.py")):
        if path.resolve() == Path(__file__).resolve():
            continue  # this module's own names prove nothing
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        found.update(
            node.name
            for node in ast.walk(tree)
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith("test_")
        )
    return found


def missing_rules(names: Iterable[str]) -> list[str]:
    """The rules no name mentions as a whole word (`r1` is not mentioned by `r10`)."""
    names = list(names)
    return [rule for rule in RULES if not any(re.search(rf"(?:^|_){rule}(?:_|$)", name) for name in names)]


def test_every_enforced_rule_has_a_named_test() -> None:
    names = collected_test_names()
    assert len(names) > 50
    assert missing_rules(names) == []


def test_the_coverage_check_fails_when_a_rule_has_no_test() -> None:
    # A suite naming only rule ten does not cover rule one, nor any other
    assert missing_rules(["test_r10_nothing_rates_a_person"]) == RULES[:9]
    assert missing_rules([]) == RULES
    assert missing_rules([f"test_{rule}_x" for rule in RULES]) == []
    assert missing_rules(["test_r100_x", "test_xr1_y", "test_r1x"]) == RULES
