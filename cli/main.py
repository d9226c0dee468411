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
from bootstrap.logs import configure_logging
from bootstrap.service import build_service
from bootstrap.settings import Settings
from bootstrap.store_env import ConfigurationError, DatabaseUnreachable, StoreUnavailable, check_store
from cli.audit import audit
from cli.programmes import programme
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


def fail(error: DomainError) -> None:
    """Report a refused command on stderr by its slug, and exit 1."""
    typer.echo(f"error: {error.slug}", err=True)
    raise typer.Exit(1)


@contextmanager
def operator_service() -> Iterator[MentoratService]:
    """The write side with keys, for one operator command; a refused command is its slug on stderr, exit 1."""
    service = build_service(Settings())
    try:
        yield service
    except DomainError as error:
        fail(error)
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
    with operator_service() as service:
        result = service.participants.register_as_operator(_uuid(programme_id), role, name, email, language)
    participant_id = result.data["participant_id"]
    typer.echo(json.dumps({"participant_id": participant_id}) if as_json else participant_id)


@participant.command("invite")
def invite(
    participant_id: Annotated[str, typer.Argument(help="The participant's id.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Issue a new one-time invitation code for a participant who lost access."""
    with operator_service() as service:
        result = service.participants.invite_as_operator(_uuid(participant_id))
    typer.echo(json.dumps({"code": result.data["code"]}) if as_json else result.data["code"])


@participant.command("erase")
def erase(participant_id: Annotated[str, typer.Argument(help="The participant's id.")]) -> None:
    """Erase a person: record the erasure, then destroy their data key (their name and texts become unreadable)."""
    with operator_service() as service:
        result = service.participants.erase(_uuid(participant_id))
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
    with mail_delivery(settings):
        try:
            background.start()
            status = background.run_until_stopped()
        finally:
            background.stop()
            read_side.close()
            service.close()
    raise typer.Exit(status)


@contextmanager
def mail_delivery(settings: Settings) -> Iterator[None]:
    """The outbox's delivery worker beside the projectors, over a store with keys (it opens each message)."""
    import logging

    from bootstrap.mail import build_delivery

    try:
        keyed = build_service(settings)
    except ConfigurationError as error:  # no master key here: the API's own worker delivers
        logging.getLogger("mentorat.outbox").warning("no mail delivery in this process: %s", error)
        yield
        return
    delivery = build_delivery(keyed.store, settings)
    delivery.start()
    try:
        yield
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
        for model, position in read_side.rebuild([name] if name else NAMES).items():
            typer.echo(f"{model}: rebuilt through position {position}")
    except ProjectionError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1) from None
    finally:
        read_side.close()
        service.close()


@app.command()
def demo(
    directory: Annotated[Path | None, typer.Option(help="A fresh directory (default: a new temporary one).")] = None,
) -> None:
    """Run a realistic programme on a fresh embedded store and print what happened."""
    from demo.run import run_demo

    target = directory or Path(tempfile.mkdtemp(prefix="mentorat-demo-"))
    typer.echo(f"demo store: {target}", err=True)
    raise typer.Exit(run_demo(target, sys.stdout))


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
