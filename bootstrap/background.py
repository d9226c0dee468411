"""What runs beside the requests (`mentorat serve`) or alone (`mentorat projector`): followers and audit duties."""

from __future__ import annotations

from bootstrap.audit import AuditDuties
from bootstrap.read_side import ReadSide
from bootstrap.settings import Settings


class Background:
    """The read models' followers and the audit duties (sealing a foreign tail, periodic checkpoints) of one store."""

    def __init__(self, read_side: ReadSide, settings: Settings) -> None:
        self.read_side = read_side
        self.audit = AuditDuties(read_side.store.recorder, settings)

    def start(self) -> None:
        """Start following the store and ticking the audit duties, in daemon threads."""
        self.read_side.start()
        self.audit.start()

    def run_until_stopped(self) -> int:
        """Block until a follower fails (exit status 1) or the process is interrupted (0)."""
        return self.read_side.run_until_stopped()

    def stop(self) -> None:
        """Stop the audit duties and the followers, and wait for them."""
        self.audit.stop()
        self.read_side.stop()
