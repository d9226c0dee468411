"""Real `mentorat` processes for the fault tests: the installed script, its settings in its environment, a log file.

Each process gets `PGAPPNAME` (libpq names its sessions, so a test can tell who holds a lock or waits) and only
the `MENTORAT_*` variables a test gives it. A process still running when its block ends is killed.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from uuid import UUID

import httpx
import pytest

from application.service import MentoratService
from bootstrap.settings import Settings
from tests.throwaway_cluster import free_port

MENTORAT = str(Path(sys.executable).parent / "mentorat")
STARTUP = 60.0  # seconds for a process to answer /healthz: generous, the machine is shared
Process = subprocess.Popen[bytes]


def process_env(settings: Settings, name: str, **extra: str) -> dict[str, str]:
    """The environment of a process over the test's store: its URL, schema, data directory and master key."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("MENTORAT_")}
    if settings.database_url:
        env.update(MENTORAT_DATABASE_URL=settings.database_url, MENTORAT_DATABASE_SCHEMA=settings.database_schema or "")
    env.update(
        MENTORAT_DATA_DIR=str(settings.data_dir),
        MENTORAT_POOL_SIZE=str(settings.pool_size),
        MENTORAT_MAX_OVERFLOW=str(settings.max_overflow),
        MENTORAT_LOG_LEVEL="WARNING",
        PGAPPNAME=name,
    )
    if settings.master_key is not None:
        env["MENTORAT_MASTER_KEY"] = settings.master_key.get_secret_value()
    env.update(extra)
    return env


@contextmanager
def running(args: list[str], env: dict[str, str], log: Path) -> Iterator[Process]:
    """`mentorat <args>` in a process of its own, its output appended to `log`; killed on the way out."""
    with log.open("ab") as out:
        process = subprocess.Popen([MENTORAT, *args], env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        yield process
    finally:
        end(process)


def end(process: Process) -> None:
    """SIGTERM (`serve --workers` then stops its workers), SIGKILL if it lingers, and any child it left behind."""
    children = descendants(process.pid)
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=30)
    for child in children:
        with contextlib.suppress(ProcessLookupError):
            os.kill(child, signal.SIGKILL)


def descendants(pid: int) -> list[int]:
    """The process's children (uvicorn's workers, multiprocessing's helpers); none once it has exited."""
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def alive(pid: int) -> bool:
    """Whether a process (not necessarily our child) still runs: neither gone nor a zombie."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@contextmanager
def api_process(settings: Settings, name: str, log: Path, *flags: str, **extra: str) -> Iterator[tuple[Process, str]]:
    """`mentorat serve` on a free port, once it answers: the process and its base URL."""
    port = free_port()
    with running(["serve", "--port", str(port), *flags], process_env(settings, name, **extra), log) as process:
        base = f"http://127.0.0.1:{port}"
        wait_until(lambda: healthy(base), [process], log, STARTUP)
        yield process, base


def healthy(base: str) -> bool:
    """Whether the server answers /healthz."""
    try:
        return httpx.get(f"{base}/healthz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def wait_until(condition: Callable[[], bool], processes: list[Process], log: Path, timeout: float) -> float:
    """Poll until the condition holds: the seconds it took; fail at once if a process died, or after `timeout`."""
    started = time.monotonic()
    while not condition():
        for process in processes:
            if process.poll() is not None:
                pytest.fail(f"{process.args!r} exited {process.returncode}:\n{log.read_text()[-3000:]}")
        if time.monotonic() - started > timeout:
            pytest.fail(f"not within {timeout} s:\n{log.read_text()[-3000:]}")
        time.sleep(0.005)
    return time.monotonic() - started


def kill(process: Process) -> None:
    """SIGKILL: no shutdown, no goodbye to the database."""
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)


def stop_gracefully(process: Process, log: Path) -> None:
    """Interrupt the process as an operator would; it exits 0."""
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=30) == 0, log.read_text()[-3000:]


# -- a programme to load, built by the operator and over HTTP ---------------------------------------


def token_of(service: MentoratService, programme_id: str, role: str, name: str) -> tuple[str, dict[str, str]]:
    """The operator registers and invites a participant, who redeems the code: their id and auth headers."""
    people = service.participants
    registered = people.register_as_operator(UUID(programme_id), role, name, f"{name}@example.org", "en")
    participant_id = registered.aggregate_id
    code = people.invite_as_operator(participant_id).data["code"]
    token = people.redeem(code).data["token"]
    return str(participant_id), {"Authorization": f"Bearer {token}"}


def signed_mentorships(service: MentoratService, base: str, count: int) -> list[tuple[str, dict[str, str]]]:
    """`count` signed mentorships of a new programme, signed over HTTP: each id and its mentor's auth headers."""
    created = service.participants.create_programme("Programme", "Coordinator", None)
    pid, coordinator = created["programme_id"], {"Authorization": f"Bearer {created['coordinator_token']}"}
    pairs = []
    with httpx.Client(base_url=base, timeout=60) as client:
        for n in range(count):
            mentor_id, mentor = token_of(service, pid, "mentor", f"mentor{n}")
            mentee_id, mentee = token_of(service, pid, "mentee", f"mentee{n}")
            body = {"mentor_id": mentor_id, "mentee_id": mentee_id, "starts_on": date.today().isoformat()}
            drafted = client.post(f"/v1/programmes/{pid}/mentorships", json=body, headers=coordinator)
            assert drafted.status_code == 201, drafted.text
            mid = drafted.json()["id"]
            for step, who in (("objectives", mentor), ("signatures", mentor), ("signatures", mentee)):
                json = {"text": "Objective"} if step == "objectives" else None
                answer = client.post(f"/v1/mentorships/{mid}/{step}", json=json, headers=who)
                assert answer.status_code == 201, answer.text
            pairs.append((mid, mentor))
    return pairs
