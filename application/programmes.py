"""Use cases about a programme's settings: a coordinator changes them; the operator lists the programmes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from uuid import UUID

from eventsourcing.utils import get_topic

from application.authorization import Caller, programme_actor
from application.mentorat import CommandResult, Mentorat, check_version
from application.ports import Ports
from domain.permissions import Action
from domain.programme import Programme

LIST_BATCH = 500


def settings_body(programme: Programme) -> dict[str, Any]:
    """A programme's id and settings, as the API and the CLI show them (its name is the CLI's alone)."""
    return {"id": str(programme.id), **programme.settings.as_dict()}


class ProgrammeCommands:
    """Change a programme's settings (a coordinator), list the programmes (the operator)."""

    def __init__(self, store: Mentorat, ports: Ports) -> None:
        self.store = store
        self.ports = ports

    def change_settings(
        self, caller: Caller, programme_id: UUID, changes: Mapping[str, Any], expected_version: int | None = None
    ) -> CommandResult:
        """A coordinator of the programme changes some settings; a change to nothing records nothing.

        The checks come in the contract's order: scope and role, the values (422), then `If-Match` (412).
        """
        actor = programme_actor(caller, programme_id, Action.CHANGE_PROGRAMME_SETTINGS)
        programme = self.store.load(Programme, programme_id)
        programme.settings.merged(changes).checked()
        check_version(programme.version, expected_version)
        if not programme.change_settings(changes, actor, self.ports.clock()):
            return CommandResult(programme.id, programme.version, self.store.position(), settings_body(programme))
        return self.store.execute(programme, **settings_body(programme))

    def list_programmes(self) -> list[Programme]:
        """Every programme, in launch order (an operator command: it loads each, a handful at most)."""
        topic = get_topic(Programme.ProgrammeLaunched)
        found: list[Programme] = []
        start = 1
        while True:
            batch = self.store.recorder.select_notifications(start, LIST_BATCH, topics=[topic])
            if not batch:
                return found
            found += [self.store.load(Programme, UUID(str(n.originator_id))) for n in batch]
            start = batch[-1].id + 1
