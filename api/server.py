"""How `mentorat serve` runs the app under uvicorn: our own access log replaces uvicorn's."""

from __future__ import annotations

import logging

import uvicorn
from fastapi import FastAPI


def uvicorn_config(app: FastAPI, host: str, port: int, log_level: str) -> uvicorn.Config:
    """Uvicorn's access log prints raw paths and query strings (request input): ours names route templates."""
    logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s")
    return uvicorn.Config(app, host=host, port=port, log_level=log_level.lower(), access_log=False, log_config=None)
