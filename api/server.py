"""How `mentorat serve` runs the app under uvicorn: our own access log replaces uvicorn's."""

from __future__ import annotations

import uvicorn
from fastapi import FastAPI


def uvicorn_config(app: FastAPI, host: str, port: int, log_level: str) -> uvicorn.Config:
    """Uvicorn's access log prints raw paths and query strings (request input); `mentorat.access` names templates.

    `log_config=None` leaves logging to the process (`mentorat serve` configures it).
    """
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level=log_level.lower(),
        access_log=False,
        log_config=None,
        lifespan="on",
        server_header=False,  # no `server: uvicorn`: nothing to fingerprint
    )
