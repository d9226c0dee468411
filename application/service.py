"""The application's front door: the event store with its use cases and injected ports."""

from __future__ import annotations

from application.access_records import AccessLog
from application.history_state import HistoryStates
from application.journal import Journal
from application.mentorat import Mentorat
from application.mentorships import MentorshipCommands
from application.participants import ParticipantCommands
from application.ports import Ports
from application.programmes import ProgrammeCommands
from application.sign_in import SignInCommands
from application.web_sessions import WebSessions


class MentoratService:
    """Everything the edges (HTTP, CLI, demo) may ask of the write side."""

    def __init__(self, store: Mentorat, ports: Ports | None = None) -> None:
        self.store = store
        self.ports = ports or Ports()
        self.participants = ParticipantCommands(store, self.ports)
        self.mentorships = MentorshipCommands(store, self.ports)
        self.programmes = ProgrammeCommands(store, self.ports)
        self.sign_in = SignInCommands(store, self.ports, self.participants)
        self.journal = Journal(store)
        self.access_log = AccessLog(store, self.ports)
        self.sessions = WebSessions(self.participants, self.ports)
        self.history = HistoryStates(store.recorder)  # the last verification and checkpoint, for the auditor

    def close(self) -> None:
        """Release the store's connections."""
        self.store.close()
