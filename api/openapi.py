"""The app's OpenAPI document: what every operation may answer, so clients and fuzzers can rely on it."""

from __future__ import annotations

from fastapi import FastAPI


def document(app: FastAPI) -> None:
    """Complete the generated OpenAPI document of the app (called once by `create_app`)."""
