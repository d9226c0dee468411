"""A `mentorat serve` to observe from outside: its base URL, its stderr (the log) apart, its `/metrics` parsed."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

from bootstrap.settings import Settings
from tests.processes import MENTORAT, STARTUP, end, healthy, process_env, wait_until
from tests.throwaway_cluster import free_port

Labels = frozenset[tuple[str, str]]


@dataclass(frozen=True)
class Server:
    """A running server: where it answers and where its log lines go."""

    process: subprocess.Popen[bytes]
    base: str
    log: Path


@contextmanager
def observed_server(settings: Settings, name: str, directory: Path, *flags: str, **env: str) -> Iterator[Server]:
    """`mentorat serve` on a free port with its stderr in `<directory>/<name>.log`, once it answers /healthz."""
    port = free_port()
    log, out = directory / f"{name}.log", directory / f"{name}.out"
    with log.open("ab") as err, out.open("ab") as stdout:
        process = subprocess.Popen(
            [MENTORAT, "serve", "--port", str(port), *flags],
            env=process_env(settings, name, **env),
            stdout=stdout,
            stderr=err,
        )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until(lambda: healthy(base), [process], log, STARTUP)
        yield Server(process, base, log)
    finally:
        end(process)


def scrape(base: str) -> dict[str, dict[Labels, float]]:
    """`GET /metrics`, parsed with prometheus-client's own parser: per sample name, the value of each label set."""
    answer = httpx.get(f"{base}/metrics", timeout=30)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain; version=0.0.4")
    samples: dict[str, dict[Labels, float]] = {}
    for family in text_string_to_metric_families(answer.text):
        for sample in family.samples:
            samples.setdefault(sample.name, {})[frozenset(sample.labels.items())] = sample.value
    return samples


def value(samples: dict[str, dict[Labels, float]], name: str, **labels: str) -> float:
    """One sample's value (0 when absent: a counter not incremented yet)."""
    return samples.get(name, {}).get(frozenset(labels.items()), 0.0)


def json_lines(log: Path) -> list[dict[str, Any]]:
    """Every line of a log, each parsed as one JSON object (fails on a line that is not)."""
    parsed = []
    for number, line in enumerate(log.read_text().splitlines(), 1):
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            raise AssertionError(f"line {number} of {log.name} is not JSON: {line[:200]!r}") from None
        assert isinstance(entry, dict), line
        parsed.append(entry)
    return parsed
