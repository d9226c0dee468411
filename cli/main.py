"""The operator's command line: `mentorat programme|participant|serve|projector|projections|audit|demo`."""

from __future__ import annotations

import json
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated
from uuid import UUID

import typer

from application.errors import NotFound
from application.service import MentoratService
from bootstrap.describe import checkpoints_off, projector_duties, serve_duties, startup_line
from bootstrap.logs import as_logged, configure_logging
from bootstrap.service import build_service
from bootstrap.settings import Settings
from bootstrap.store_env import ConfigurationError, DatabaseUnreachable, StoreUnavailable, check_store
from cli.audit import audit
from cli.ids import with_id
from cli.programmes import programme
from cli.progress import progress
from domain.errors import DomainError

app = typer.Typer(help="Mentorat: mentoring programmes, event-sourced.", no_args_is_help=True)
participant = typer.Typer(help="Participants.", no_args_is_help=True)
app.add_typer(programme, name="programme")
projections = typer.Typer(help="Read models: list and rebuild.", no_args_is_help=True)
outbox = typer.Typer(help="Messages waiting to be sent.", no_args_is_help=True)
app.add_typer(outbox, name="outbox")
app.add_typer(participant, name="participant")
app.add_typer(projections, name="projections")
app.add_typer(audit, name="audit")


def fail(error: DomainError, looked_for: str | None = None) -> None:
    """Report a refused command on stderr, and exit 1: an unknown id by its kind (`no participant with id …`),
    anything else by its slug."""
    if isinstance(error, NotFound) and looked_for is not None:
        typer.echo(f"error: no {looked_for}", err=True)
    else:
        typer.echo(f"error: {error.slug}", err=True)
    raise typer.Exit(1)


@contextmanager
def operator_service(looked_for: str | None = None) -> Iterator[MentoratService]:
    """The write side with keys, for one operator command; a refused command is one line on stderr, exit 1.

    `looked_for` names the id the command takes (`with_id("participant", …)`), for a not-found line.
    """
    service = build_service(Settings())
    try:
        yield service
    except DomainError as error:
        fail(error, looked_for)
    finally:
        service.close()


@participant.command("register")
def register(
    programme_id: Annotated[str, typer.Option("--programme", help="The programme's id.")],
    role: Annotated[str, typer.Option(help="mentor, mentee, coordinator or auditor.")],
    name: Annotated[str, typer.Option(help="The person's name.")],
    email: Annotated[str, typer.Option(help="Their e-mail address (invitations are sent there).")],
    language: Annotated[str, typer.Option(help="fr or en: the language of their messages.")] = "fr",
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Register anyone in a programme (the only way to register an auditor); invite them next."""
    with operator_service(with_id("programme", programme_id)) as service:
        result = service.participants.register_as_operator(_uuid(programme_id), role, name, email, language)
    participant_id = result.data["participant_id"]
    typer.echo(json.dumps({"participant_id": participant_id}) if as_json else participant_id)


@participant.command("invite")
def invite(
    participant_id: Annotated[str, typer.Argument(help="The participant's id.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Issue a new one-time invitation code for a participant who lost access."""
    with operator_service(with_id("participant", participant_id)) as service:
        result = service.participants.invite_as_operator(_uuid(participant_id))
    typer.echo(json.dumps({"code": result.data["code"]}) if as_json else result.data["code"])


@participant.command("erase")
def erase(
    participant_id: Annotated[str, typer.Argument(help="The participant's id.")],
    yes: Annotated[bool, typer.Option("--yes", help="Erase without asking (required without a terminal).")] = False,
) -> None:
    """Erase a person: record the erasure, then destroy their data key (their name and texts become unreadable).

    Irreversible: on a terminal it asks first, naming the id; without one it needs --yes (else exit 2).
    """
    if not yes and not sys.stdin.isatty():
        typer.echo("error: erasure cannot be undone: confirm with --yes (no terminal to ask on)", err=True)
        raise typer.Exit(2)
    with operator_service(with_id("participant", participant_id)) as service:
        person = _uuid(participant_id)
        service.participants.get(person)  # an unknown id is said before anything is asked
        if not yes and not typer.confirm(f"Erase participant {person}? This cannot be undone."):
            typer.echo("not erased", err=True)
            raise typer.Exit(2)
        result = service.participants.erase(person)
    typer.echo("already erased; data key destroyed" if result.data.get("already_erased") else "erased")


@outbox.command("list")
def list_outbox(as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False) -> None:
    """Pending messages: id, recipient's participant id, attempts, last error class (never an address or a code)."""
    from bootstrap.mail import outbox_of
    from infrastructure.times import from_micros

    service = build_service(Settings(), with_keys=False)
    try:
        pending = outbox_of(service.store).pending_messages()
    finally:
        service.close()
    items = [
        {
            "id": p.message_id,
            "participant_id": p.participant_id,
            "attempts": p.attempts,
            "last_error": p.last_error,
            "created_at": from_micros(p.created_at).isoformat(),
            "next_attempt_at": from_micros(p.next_attempt_at).isoformat(),
        }
        for p in pending
    ]
    if as_json:
        typer.echo(json.dumps({"messages": items}))
        return
    typer.echo(f"{len(items)} pending")
    for item in items:
        error = item["last_error"] or "-"
        typer.echo(f"{item['id']} to {item['participant_id']} attempts {item['attempts']} last error {error}")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    no_projections: Annotated[bool, typer.Option("--no-projections", help="Do not run projections here.")] = False,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            max=64,
            help="API processes on the one socket (PostgreSQL only). Each worker stands by for every read model's "
            "projector, the outbox and the audit duties; one process runs each at a time (advisory locks).",
        ),
    ] = 1,
) -> None:
    """Serve the HTTP API (and keep the read models up to date, unless --no-projections).

    With --workers N (PostgreSQL), N processes share the socket; settings reach them through the environment.
    """
    import os

    import uvicorn

    from api.app import create_app
    from api.server import serve_workers, uvicorn_config

    settings = Settings()
    if no_projections:
        settings = settings.model_copy(update={"projections": False})
        os.environ["MENTORAT_PROJECTIONS"] = "false"  # what the worker processes read
    if workers > 1 and not settings.uses_postgres:
        raise ConfigurationError(WORKERS_NEED_POSTGRES)
    check_store(settings)  # an unreachable database is one line and exit 2, before the server starts
    announce(settings, startup_line(settings, "serve", serve_duties(settings, workers)), audits=settings.projections)
    configure_logging(settings)
    if workers > 1:
        raise typer.Exit(serve_workers(workers, host, port, settings.log_level))
    uvicorn.Server(uvicorn_config(create_app(settings), host, port, settings.log_level)).run()


# The embedded store has one writer process: its projectors and outbox worker have no election across processes.
WORKERS_NEED_POSTGRES = "--workers above 1 needs PostgreSQL (MENTORAT_DATABASE_URL): the embedded store has one process"


@app.command()
def projector() -> None:
    """Keep every read model up to date, alone (run the API with `serve --no-projections`)."""
    from bootstrap.background import Background
    from bootstrap.read_side import ReadSide

    settings = Settings()
    configure_logging(settings)
    service = build_service(settings, with_keys=False)  # projections never need keys
    read_side = ReadSide(service.store, settings)
    background = Background(read_side, settings)
    with mail_delivery(settings) as delivers:
        try:
            background.start()
            announce(settings, startup_line(settings, "projector", projector_duties(settings, delivers)), audits=True)
            status = background.run_until_stopped()
        finally:
            background.stop()
            read_side.close()
            service.close()
    raise typer.Exit(status)


def announce(settings: Settings, line: str, *, audits: bool) -> None:
    """Print the start-up line on stderr and, in a process running the audit duties, whether checkpoints are off."""
    typer.echo(as_logged(settings, line), err=True)
    if audits and (off := checkpoints_off(settings)):
        typer.echo(as_logged(settings, off), err=True)


@contextmanager
def mail_delivery(settings: Settings) -> Iterator[bool]:
    """The outbox's delivery worker beside the projectors, over a store with keys (it opens each message).

    Yields whether this process delivers.
    """
    import logging

    from bootstrap.mail import build_delivery

    try:
        keyed = build_service(settings)
    except ConfigurationError as error:  # no master key here: the API's own worker delivers
        logging.getLogger("mentorat.outbox").warning("no mail delivery in this process: %s", error)
        yield False
        return
    delivery = build_delivery(keyed.store, settings)
    delivery.start()
    try:
        yield True
    finally:
        delivery.stop()
        keyed.close()


@projections.command("list")
def list_projections() -> None:
    """Name the read models."""
    from bootstrap.read_side import NAMES

    for name in NAMES:
        typer.echo(name)


@projections.command("rebuild")
def rebuild(name: Annotated[str | None, typer.Argument(help="One read model (default: all).")] = None) -> None:
    """Drop read models and replay the whole history into them."""
    from bootstrap.read_side import NAMES, ReadSide
    from projections.read_model import ProjectionError

    if name is not None and name not in NAMES:
        typer.echo(f"error: unknown read model; one of: {', '.join(NAMES)}", err=True)
        raise typer.Exit(2)
    settings = Settings()
    service = build_service(settings, with_keys=False)  # projections never need keys
    read_side = ReadSide(service.store, settings)
    try:
        with progress("rebuild", "position") as report:
            rebuilt = read_side.rebuild([name] if name else NAMES, report)
        for model, position in rebuilt.items():
            typer.echo(f"{model}: rebuilt through position {position}")
    except ProjectionError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1) from None
    finally:
        read_side.close()
        service.close()


@app.command()
def demo(
    keep: Annotated[
        Path | None,
        typer.Option(
            "--keep",
            "--directory",
            help="Keep the demo's store in this fresh directory, and print a coordinator token to explore it "
            "through the API (default: a temporary store, removed at the end).",
        ),
    ] = None,
) -> None:
    """Run a realistic programme on a fresh embedded store and print what happened."""
    import io
    import shutil

    from demo.run import run_demo

    target = keep or Path(tempfile.mkdtemp(prefix="mentorat-demo-"))
    typer.echo(f"demo store: {target}" + ("" if keep else " (removed at the end)"), err=True)
    said = io.StringIO()  # printed once the progress bar is gone
    try:
        with progress("demo", "simulated day") as report:
            status = run_demo(target, said, progress=report, explorable=keep is not None)
    finally:
        if keep is None:
            shutil.rmtree(target, ignore_errors=True)
    typer.echo(said.getvalue(), nl=False)
    raise typer.Exit(status)


def _uuid(value: str) -> UUID:
    try:
        return UUID(value)
    except ValueError:
        raise NotFound from None


def main() -> None:
    """Console script entry point; settings that describe no usable store, or a database that cannot be opened,
    are one line on stderr and exit 2."""
    try:
        app()
    except (ConfigurationError, DatabaseUnreachable) as error:
        typer.echo(f"error: {error}", err=True)
        raise SystemExit(2) from None
    except StoreUnavailable:
        typer.echo("error: the database did not give a connection within the pool timeout", err=True)
        raise SystemExit(2) from None
