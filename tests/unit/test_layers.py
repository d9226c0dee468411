"""The dependency rule, executable: import-linter's contracts, and the domain's narrower rule."""

from __future__ import annotations

import ast
import importlib
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def imported_modules(package: str) -> set[str]:
    """Every absolute module imported by the package's files."""
    found: set[str] = set()
    for path in (ROOT / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add(node.module)
    return found


def test_domain_imports_only_the_standard_library_and_eventsourcing_domain() -> None:
    allowed_roots = set(sys.stdlib_module_names) | {"domain"}
    strays = {
        module
        for module in imported_modules("domain")
        if module.split(".")[0] not in allowed_roots and module != "eventsourcing.domain"
    }
    assert strays == set()


def test_application_never_imports_the_edges_or_the_read_side() -> None:
    forbidden = (
        "api",
        "projections",
        "infrastructure",
        "bootstrap",
        "cli",
        "demo",
        "cryptography",
        "fastapi",
        "psycopg",
        "starlette",
        "eventsourcing.postgres",
        "eventsourcing.sqlite",
    )
    strays = {m for m in imported_modules("application") if m.startswith(forbidden)}
    assert strays == set()


def test_import_linter_contracts_hold() -> None:
    lint_imports = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert lint_imports is not None
    result = subprocess.run([lint_imports], cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout[-2000:]


def test_a_plain_install_ships_every_package_and_the_command() -> None:
    # `pip install .` (not only `make`) must give every package and a `mentorat` command that starts the CLI
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    included = {pattern.rstrip("*") for pattern in project["tool"]["setuptools"]["packages"]["find"]["include"]}
    packages = {path.parent.name for path in ROOT.glob("*/__init__.py")} - {"tests", "bench"}
    assert included == packages
    module, _, function = project["project"]["scripts"]["mentorat"].partition(":")
    assert callable(getattr(importlib.import_module(module), function))
