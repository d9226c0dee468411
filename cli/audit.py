"""`mentorat audit verify|checkpoint|seal|public-key|export`: parse, call `api.audit`, print.

Exit status: 0 the history verified (sealed ranges are reported, not failed); 1 it did not (an event without its
chain link included, whatever its age), or the mentorship is unknown, or a checkpoint was refused (the chain no
longer matches the newest signed checkpoint, or does not verify), or sealing found the history altered; 2 a usage
or key problem (a signing key others can read, `seal` without `--yes` and no terminal, `checkpoint` on PostgreSQL
without `MENTORAT_CHECKPOINT_DIR` or `--out`); 3 a checkpoint file is malformed or its signature does not verify
with the public key. Long passes show their progress on stderr (`cli/progress.py`).
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated
from uuid import UUID

import typer

from bootstrap.audit import NotIntact, opened, seal_store, signing_key, verify_and_record
from bootstrap.settings import NoCheckpointDirectory, Settings
from cli.ids import with_id
from cli.progress import phases, progress
from infrastructure.audit.checkpoint_format import BadCheckpoint, CheckpointRefused, checkpoint_file
from infrastructure.audit.checkpoint_reader import read_checkpoints
from infrastructure.audit.checkpoint_writer import write_checkpoint
from infrastructure.audit.export import history_lines
from infrastructure.audit.findings import Finding, Report
from infrastructure.audit.signing_key import MissingKey, load_public_key, public_pem
from infrastructure.audit.store import audit_store

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
    for sealed in report.sealed_ranges:
        typer.echo(
            f"sealed by the {sealed['actor_role'] or '(unknown)'} at {sealed['sealed_at'] or '(unknown)'}: "
            f"{sealed['count']} events without a chain link at positions {sealed['first_position']} to "
            f"{sealed['last_position']} (recorded at position {sealed['position']})"
        )
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
    """Check the stored history; with checkpoints, also against what they signed. The outcome is kept (no content)."""
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
            typer.echo("error: this store has no chain yet: run `mentorat audit seal --yes`", err=True)
            raise typer.Exit(1)
        with progress("verify", "position") as reached:
            report = verify_and_record(store, index, datetime.now(UTC), progress=reached)
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
            help="Start again from the first event (also when the chain no longer matches the last signed checkpoint).",
        ),
    ] = False,
    as_json: JSON = False,
) -> None:
    """Write a signed checkpoint continuing the newest signed one (in the checkpoint directory or --out's)."""
    settings, now = Settings(), datetime.now(UTC)
    directory = settings.checkpoint_directory
    if out is None and directory is None:
        typer.echo(f"error: {NoCheckpointDirectory()}", err=True)
        raise typer.Exit(2)
    try:
        key = signing_key(settings)
    except MissingKey as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from None
    target = out or checkpoint_file(settings.checkpoints_path, now)
    with opened(settings, start=True) as store:
        try:
            with progress("checkpoint", "position") as reached:
                written = write_checkpoint(
                    store,
                    key,
                    target,
                    now,
                    full=full,
                    directories=[] if directory is None else [directory],
                    progress=reached,
                )
        except FileExistsError:
            typer.echo("error: the output file exists (checkpoints are never overwritten)", err=True)
            raise typer.Exit(2) from None
        except CheckpointRefused as error:
            refused = {
                "refused": str(error),
                "aggregate_id": error.aggregate_id,
                "version": error.version,
                "position": error.position,
            }
            typer.echo(json.dumps(refused) if as_json else f"error: {error}", err=not as_json)
            raise typer.Exit(1) from None
    summary = {"path": str(written.path), "after": written.after, "head": written.head, "events": written.events}
    typer.echo(json.dumps(summary) if as_json else f"checkpoint {written.path}: {written.events} events")


@audit.command("seal")
def seal_command(
    yes: Annotated[bool, typer.Option("--yes", help="Seal without asking (required without a terminal).")] = False,
    as_json: JSON = False,
) -> None:
    """Chain the stored events that have no chain link (a store written before the chain existed), as the operator.

    Recorded as an event (who sealed which range); `verify` then reports the range as sealed.
    """
    if not yes:
        if not sys.stdin.isatty():
            typer.echo("error: sealing adopts events nobody vouched for: confirm with --yes", err=True)
            raise typer.Exit(2)
        if not typer.confirm("Chain every stored event that has no chain link, as the operator?"):
            raise typer.Exit(2)
    try:
        with phases("position") as phase:
            result = seal_store(Settings(), phase("seal: verifying"), phase("seal: chaining"))
    except NotIntact as error:
        typer.echo(f"error: nothing sealed, the history does not verify: {say(error.finding)}", err=True)
        raise typer.Exit(1) from None
    if result is None:
        typer.echo(json.dumps({"sealed": None}) if as_json else "nothing to seal: every event has its chain link")
        return
    summary = {**result.data, "position": result.position}
    typer.echo(
        json.dumps({"sealed": summary})
        if as_json
        else f"sealed {summary['count']} events at positions {summary['first_position']} to "
        f"{summary['last_position']} (recorded at position {result.position})"
    )


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
            typer.echo(f"error: no {with_id('mentorship', mentorship)}", err=True)
            raise typer.Exit(1) from None
        for line in history_lines(audit_store(service.store.recorder), service.store.mapper, mentorship_id):
            typer.echo(json.dumps(line))
    finally:
        service.close()
