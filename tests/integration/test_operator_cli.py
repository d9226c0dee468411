"""What the operator sees, through real `mentorat` processes: confirmation before an erasure, start-up lines,
progress without a terminal, and where checkpoints go on each store."""

from __future__ import annotations

import os
import select
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit
from uuid import UUID

import pytest

from bootstrap.audit import tick
from bootstrap.service import build_service
from bootstrap.settings import NoCheckpointDirectory, Settings
from domain.participant import Participant
from infrastructure.audit.signing_key import generate
from infrastructure.audit.store import audit_store
from tests.conftest import postgres_url
from tests.processes import MENTORAT, api_process, process_env, running, stop_gracefully, wait_until

PASSWORD = "Pw-MARKER-7f3a"  # must never be printed


@pytest.fixture
def embedded(tmp_path: Path) -> Settings:
    """An embedded store of the test's own."""
    return Settings(data_dir=tmp_path / "var", database_url=None)


def run(settings: Settings, *args: str, cwd: Path | None = None, **extra: str) -> subprocess.CompletedProcess[str]:
    """`mentorat <args>` over the store, with no terminal (stdin is /dev/null, output captured)."""
    env = process_env(settings, "operator-cli", **extra)
    return subprocess.run(
        [MENTORAT, *args],
        env=env,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def coordinator_of_a_new_programme(settings: Settings, programmes: int = 1) -> str:
    """The operator creates programmes; the last one's coordinator id."""
    service = build_service(settings)
    try:
        created = [service.participants.create_programme(f"P{n}", "C", None) for n in range(programmes)]
        return str(created[-1]["coordinator_id"])
    finally:
        service.close()


def erased(settings: Settings, participant_id: str) -> bool:
    """Whether the participant's erasure is recorded."""
    service = build_service(settings)
    try:
        return bool(service.store.load(Participant, UUID(participant_id)).erased)
    finally:
        service.close()


def on_terminal(settings: Settings, args: list[str], answer: str | None = None) -> tuple[str, int]:
    """`mentorat <args>` on a pseudo-terminal, answering its y/N prompt if given: all it printed, and its status."""
    controller, terminal = os.openpty()
    env = process_env(settings, "operator-cli-tty")
    process = subprocess.Popen([MENTORAT, *args], env=env, stdin=terminal, stdout=terminal, stderr=terminal)
    os.close(terminal)
    seen, deadline = b"", time.monotonic() + 120
    try:
        while answer is not None and b"[y/N]" not in seen:
            assert time.monotonic() < deadline and process.poll() is None, seen.decode()
            if select.select([controller], [], [], 0.2)[0]:
                seen += os.read(controller, 4096)
        if answer is not None:
            os.write(controller, answer.encode() + b"\n")
        while True:
            try:
                chunk = os.read(controller, 4096)
            except OSError:  # EIO: the process closed the terminal
                break
            if not chunk:
                break
            seen += chunk
        return seen.decode(), process.wait(timeout=60)
    finally:
        os.close(controller)
        if process.poll() is None:
            process.kill()
            process.wait()


def test_erase_without_a_terminal_refuses_unless_yes(embedded: Settings) -> None:
    person = coordinator_of_a_new_programme(embedded)
    # Without a terminal and without --yes: one line, exit 2, nothing erased
    refused = run(embedded, "participant", "erase", person)
    assert (refused.returncode, refused.stdout) == (2, "")
    assert refused.stderr == "error: erasure cannot be undone: confirm with --yes (no terminal to ask on)\n"
    assert not erased(embedded, person)
    # With --yes: erased, without a question
    confirmed = run(embedded, "participant", "erase", person, "--yes")
    assert (confirmed.returncode, confirmed.stdout) == (0, "erased\n")
    assert erased(embedded, person)


def test_erase_on_a_terminal_asks_naming_the_id_and_no_erases_nothing(embedded: Settings) -> None:
    person = coordinator_of_a_new_programme(embedded)
    said, status = on_terminal(embedded, ["participant", "erase", person], "n")
    assert f"Erase participant {person}? This cannot be undone. [y/N]" in said
    assert status == 2 and "not erased" in said and not erased(embedded, person)
    said, status = on_terminal(embedded, ["participant", "erase", person], "y")
    assert status == 0 and said.rstrip().endswith("erased") and erased(embedded, person)


def with_password(url: str, password: str) -> str:
    """The URL with this password (the test server trusts local connections: any password is accepted)."""
    parts = urlsplit(url)
    user = parts.username or "postgres"
    return urlunsplit(parts._replace(netloc=f"{user}:{password}@{parts.hostname}:{parts.port or 5432}"))


def test_serve_names_its_store_without_the_password_and_says_checkpoints_are_off(
    pg_schema: str, tmp_path: Path
) -> None:
    url = with_password(postgres_url(), PASSWORD)
    settings = Settings(
        data_dir=tmp_path / "var", database_url=url, database_schema=pg_schema, pool_size=2, max_overflow=2
    )
    log = tmp_path / "serve.log"
    with api_process(settings, "startup-line", log):  # it serves without a checkpoint directory
        lines = log.read_text().splitlines()
    host, port, dbname = urlsplit(url).hostname, urlsplit(url).port or 5432, urlsplit(url).path.lstrip("/")
    assert lines[0] == (
        f"mentorat serve: store PostgreSQL {host}:{port}/{dbname} schema {pg_schema}; "
        f"data directory {settings.data_dir.resolve()}; "
        f"keys: master key from MENTORAT_MASTER_KEY, data keys in schema {pg_schema}_keys; "
        "runs the API (1 worker), projectors, outbox delivery, audit duties (no periodic checkpoints)"
    )
    assert lines[1] == "periodic checkpoints are off: set MENTORAT_CHECKPOINT_DIR to a directory of this store's own"
    assert PASSWORD not in log.read_text()


def test_the_projector_names_its_files_and_where_it_checkpoints(embedded: Settings, tmp_path: Path) -> None:
    env = process_env(embedded, "projector-line")
    env.pop("MENTORAT_MASTER_KEY", None)  # the embedded store's own key file
    log = tmp_path / "projector.log"
    with running(["projector"], env, log) as process:
        wait_until(lambda: log.exists() and "\n" in log.read_text(), [process], log, 60)
        stop_gracefully(process, log)
    data = embedded.data_dir.resolve()
    assert log.read_text().splitlines()[0] == (
        f"mentorat projector: store SQLite {data}/mentorat.sqlite3; data directory {data}; "
        f"keys: master key {data}/master.key, data keys in {data}/keys.sqlite3; "
        f"runs projectors, audit duties (checkpoints to {data}/checkpoints every 60 min), outbox delivery"
    )
    assert "periodic checkpoints are off" not in log.read_text()


def plain_lines(stderr: str, label: str) -> list[str]:
    """The progress lines of one operation; every stderr line must be one (no bar, no escape code)."""
    lines = stderr.splitlines()
    assert "\x1b" not in stderr and lines and all(line.startswith(f"{label}: ") for line in lines), stderr
    return lines


def test_without_a_terminal_progress_is_a_few_plain_lines(embedded: Settings) -> None:
    coordinator_of_a_new_programme(embedded, programmes=5)
    rebuilt = run(embedded, "projections", "rebuild")
    assert rebuilt.returncode == 0, rebuilt.stderr
    lines = plain_lines(rebuilt.stderr, "rebuild")
    assert 1 <= len(lines) <= 4 and lines[-1].startswith("rebuild: 100% (position ")
    assert all(line.endswith("rebuilt through position 35") for line in rebuilt.stdout.splitlines())
    verified = run(embedded, "audit", "verify")
    assert verified.returncode == 0 and verified.stdout.startswith("intact: 35 events")
    assert plain_lines(verified.stderr, "verify")[-1] == "verify: 100% (position 35 of 35)"


def test_on_a_terminal_progress_is_a_bar(embedded: Settings) -> None:
    coordinator_of_a_new_programme(embedded, programmes=2)
    drawn, status = on_terminal(embedded, ["projections", "rebuild"])
    assert status == 0 and "rebuilt through position 14" in drawn
    assert "\x1b[" in drawn and "\u2501" in drawn and "rebuild: 100%" not in drawn  # rich's bar, not the lines


def test_checkpoints_go_to_the_data_directory_on_the_embedded_store(embedded: Settings) -> None:
    coordinator_of_a_new_programme(embedded)
    written = run(embedded, "audit", "checkpoint")
    assert written.returncode == 0, written.stderr
    assert plain_lines(written.stderr, "checkpoint")[-1] == "checkpoint: 100% (position 7 of 7)"
    assert [path.parent for path in embedded.data_dir.glob("checkpoints/checkpoint-*")] == [
        embedded.data_dir / "checkpoints"
    ]


def test_on_postgresql_checkpoints_need_a_directory_of_the_stores_own(pg_schema: str, tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path / "var", database_url=postgres_url(), database_schema=pg_schema, pool_size=2, max_overflow=2
    )
    coordinator_of_a_new_programme(settings)
    generate(tmp_path / "signing-key.pem")
    key = {"MENTORAT_AUDIT_KEY_FILE": str(tmp_path / "signing-key.pem")}
    # Without MENTORAT_CHECKPOINT_DIR and without --out: refused clearly, nothing written (not in ./var either)
    refused = run(settings, "audit", "checkpoint", cwd=tmp_path, **key)
    assert (refused.returncode, refused.stdout) == (2, "")
    assert refused.stderr == (
        "error: no checkpoint directory: set MENTORAT_CHECKPOINT_DIR (PostgreSQL has no default), or give --out\n"
    )
    assert not list(tmp_path.rglob("checkpoint-*"))
    # With the setting, there; with --out, where it says
    directory = tmp_path / "pg-checkpoints"
    written = run(settings, "audit", "checkpoint", cwd=tmp_path, MENTORAT_CHECKPOINT_DIR=str(directory), **key)
    assert written.returncode == 0, written.stderr
    assert len(list(directory.glob("checkpoint-*"))) == 1
    out = run(settings, "audit", "checkpoint", "--full", "--out", str(tmp_path / "given.jsonl"), cwd=tmp_path, **key)
    assert out.returncode == 0 and (tmp_path / "given.jsonl").exists()
    # And the periodic duty writes none without the setting
    service = build_service(settings, with_keys=False)
    try:
        now = datetime.now(UTC)
        due = settings.model_copy(update={"checkpoint_minutes": 1.0})
        tick(audit_store(service.store.recorder), due, started=now - timedelta(hours=1), now=now)
    finally:
        service.close()
    assert len(list(tmp_path.rglob("*.jsonl"))) == 2  # the two above, nothing more


def test_the_checkpoint_directory_is_the_stores_own() -> None:
    assert Settings(data_dir=Path("d"), database_url=None).checkpoint_directory == Path("d/checkpoints")
    postgres = Settings(data_dir=Path("d"), database_url="postgresql://h/db")
    assert postgres.checkpoint_directory is None
    with pytest.raises(NoCheckpointDirectory):
        _ = postgres.checkpoints_path
    given = postgres.model_copy(update={"checkpoint_dir": Path("pg")})
    assert given.checkpoint_directory == given.checkpoints_path == Path("pg")
