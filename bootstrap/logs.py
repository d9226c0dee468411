"""The process's logging, from settings: one format for `serve` (each worker too) and `projector`."""

from __future__ import annotations

import logging

from bootstrap.settings import Settings


def configure_logging(settings: Settings) -> None:
    """Log at `MENTORAT_LOG_LEVEL` to stderr, with the time, the level and the logger's name."""
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s")
