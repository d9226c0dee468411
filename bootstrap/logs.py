"""The process's logging, from settings: one format for `serve` (each worker too) and `projector`.

`MENTORAT_LOG_FORMAT=json` writes one JSON object per line (`time`, `level`, `logger`, `message`, and `exc_info`
when a record carries a traceback) through python-json-logger's formatter, rather than one of our own: it
escapes every value, so a message with a newline stays on its line. Every logger reaches the root handler,
uvicorn's too (`api/server.py` passes `log_config=None`; its access log is off, ours is `mentorat.access`).
"""

from __future__ import annotations

import logging

from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter

from bootstrap.settings import Settings

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"
JSON_FIELDS = "{levelname}{name}{message}"
RENAMED = {"levelname": "level", "name": "logger"}
# Uvicorn adds `color_message` (the message again, with terminal colours) to its records: left out.
SKIPPED = (*RESERVED_ATTRS, "color_message")


def json_formatter() -> logging.Formatter:
    """One JSON object per record: `time` (ISO 8601, UTC), `level`, `logger`, `message`."""
    return JsonFormatter(JSON_FIELDS, style="{", rename_fields=RENAMED, timestamp="time", reserved_attrs=SKIPPED)


def configure_logging(settings: Settings) -> None:
    """Log at `MENTORAT_LOG_LEVEL` to stderr: text (time, level, logger's name, message) or JSON lines."""
    handler = logging.StreamHandler()
    handler.setFormatter(json_formatter() if settings.log_format == "json" else logging.Formatter(TEXT_FORMAT))
    logging.basicConfig(level=settings.log_level.upper(), handlers=[handler])


def as_logged(settings: Settings, line: str, logger: str = "mentorat.startup") -> str:
    """A line the CLI prints on stderr whatever the log level (the start-up line), in the log's format.

    With JSON logs it is one JSON object like every other stderr line; in text it stays the plain line.
    """
    if settings.log_format != "json":
        return line
    record = logging.LogRecord(logger, logging.INFO, __file__, 0, line, None, None)
    return json_formatter().format(record)
