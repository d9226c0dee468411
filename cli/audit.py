"""`mentorat audit verify|checkpoint|seal|public-key|export`: parse, call `api.audit`, print.

Exit status: 0 the history verified; 1 it did not (or the mentorship is unknown, or a checkpoint was refused:
the chain does not continue the last checkpoint, or does not verify); 2 a usage or key problem; 3 a checkpoint
file is malformed or its signature does not verify with the public key.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated
from uuid import UUID

import typer

from bootstrap.audit import opened, signing_key
from bootstrap.settings import Settings
from infrastructure.audit.chain_sql import head
from infrastructure.audit.checkpoint_format import BadCheckpoint, CheckpointRefused, checkpoint_file
from infrastructure.audit.checkpoint_reader import read_checkpoints
from infrastructure.audit.checkpoint_writer import write_checkpoint
from infrastructure.audit.export import history_lines
from infrastructure.audit.findings import Finding, Report
from infrastructure.audit.signing_key import MissingKey, load_public_key, public_pem
from infrastructure.audit.store import audit_store
from infrastructure.audit.verify import verify

audit = typer.Typer(help="Tamper evidence: verify the history, checkpoint, seal, export.", no_args_is_help=True)
JSON = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]


def say(finding: Finding) -> str:
    """One finding in words."""
    return (
        f"{finding.kind}: aggregate {finding.as_dict()['aggregate_id'] or '(unknown)'} "
        f"version {finding.version if finding.version is not None else '(unknown)'} "
        f"position {finding.position} ({finding.detail})"
    )


def show(report: Report) -> None:
    """The report for a human."""
    if report.failure is not None:
        typer.echo(f"NOT INTACT: {say(report.failure)}")
        typer.echo(f"verified before it: {report.events} events")
    else:
        head_text = "empty" if report.head is None else f"head {report.head.position} {report.head.hash.hex()}"
        typer.echo(f"intact: {report.events} events ({head_text})")
    for finding in report.unsealed:
        typer.echo(f"reported, not failed: {say(finding)}")
    if report.checkpoints is not None:
        typer.echo(f"checkpoints: {report.checkpoints.blocks} blocks, key {report.checkpoints.key}")


@audit.command("verify")
def verify_command(
    as_json: JSON = False,
    checkpoints: Annotated[
        list[Path] | None, typer.Option("--checkpoints", help="Checkpoint file (repeatable).", dir_okay=False)
    ] = None,
    public_key: Annotated[Path | None, typer.Option("--public-key", help="The signer's public key (PEM).")] = None,
) -> None:
    """Check the stored history; with checkpoints, also against what they signed."""
    if bool(checkpoints) != (public_key is not None):
        typer.echo("error: --checkpoints and --public-key go together", err=True)
        raise typer.Exit(2)
    try:
        index = read_checkpoints(checkpoints, load_public_key(public_key)) if checkpoints and public_key else None
    except (BadCheckpoint, OSError, ValueError) as error:
        message = str(error) if isinstance(error, BadCheckpoint) else f"cannot read: {type(error).__name__}"
        typer.echo(json.dumps({"intact": False, "checkpoint_error": message}) if as_json else f"error: {message}")
        raise typer.Exit(3) from None
    with opened(Settings()) as store:
        if not store.has_chain():
            typer.echo("error: this store has no chain yet: run `mentorat audit seal`", err=True)
            raise typer.Exit(1)
        report = verify(store, index, datetime.now(UTC))
    if as_json:
        typer.echo(json.dumps(report.as_dict()))
    else:
        show(report)
    raise typer.Exit(0 if report.intact else 1)


@audit.command("checkpoint")
def checkpoint_command(
    out: Annotated[Path | None, typer.Option(help="A new file (default: one in the checkpoint directory).")] = None,
    full: Annotated[
        bool,
        typer.Option(
            "--full",
            help="Cover the whole chain, not only since the last; also signs a chain that no longer continues it.",
        ),
    ] = False,
    as_json: JSON = False,
) -> None:
    """Write a signed checkpoint of the chain since the last one."""
    settings, now = Settings(), datetime.now(UTC)
    try:
        key = signing_key(settings)
    except MissingKey as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from None
    with opened(settings, start=True) as store:
        try:
            target = out or checkpoint_file(settings.checkpoints_path, now)
            written = write_checkpoint(store, key, target, now, full=full)
        except FileExistsError:
            typer.echo("error: the output file exists (checkpoints are never overwritten)", err=True)
            raise typer.Exit(2) from None
        except CheckpointRefused as error:
            refused = {"refused": str(error), "position": error.position}
            typer.echo(json.dumps(refused) if as_json else f"error: {error}", err=not as_json)
            raise typer.Exit(1) from None
    summary = {"path": str(written.path), "after": written.after, "head": written.head, "events": written.events}
    typer.echo(json.dumps(summary) if as_json else f"checkpoint {written.path}: {written.events} events")


@audit.command("seal")
def seal_command(as_json: JSON = False) -> None:
    """Chain every stored event that has no chain entry yet (a store written before the chain existed)."""
    with opened(Settings(), start=True) as store, store.reading() as cursor:  # starting seals the unchained tail
        top = head(cursor, store.dialect)
    position = None if top is None else top.position
    typer.echo(json.dumps({"head": position}) if as_json else f"sealed through position {position}")


@audit.command("public-key")
def public_key_command(
    out: Annotated[Path | None, typer.Option(help="Write the PEM to this file instead of printing it.")] = None,
) -> None:
    """Print (or write) the checkpoints' public key: what an auditor verifies with."""
    try:
        pem = public_pem(signing_key(Settings()).public_key())
    except MissingKey as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from None
    if out is None:
        typer.echo(pem.decode(), nl=False)
    else:
        out.write_bytes(pem)


@audit.command("export")
def export_command(
    mentorship: Annotated[str, typer.Option("--mentorship", help="The mentorship's id.")],
) -> None:
    """A mentorship's history without content, as JSON Lines with the chain hashes."""
    from application.errors import NotFound
    from bootstrap.service import build_service
    from domain.mentorship import Mentorship

    settings = Settings()
    service = build_service(settings, with_keys=False)  # process facts only: no key is needed
    try:
        try:
            mentorship_id = UUID(mentorship)
            service.store.load(Mentorship, mentorship_id)
        except (ValueError, NotFound):
            typer.echo("error: not-found", err=True)
            raise typer.Exit(1) from None
        for line in history_lines(audit_store(service.store.recorder), service.store.mapper, mentorship_id):
            typer.echo(json.dumps(line))
    finally:
        service.close()
