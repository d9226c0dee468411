"""The app's routes as the tests list them: every (method, path), checked against the app's own OpenAPI document.

The web app's pages (`web/`, tested in tests/web/) are not the API's: they answer HTML, not problems.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fastapi import FastAPI

DOCUMENTATION = {("GET", "/openapi.json"), ("GET", "/docs"), ("GET", "/docs/oauth2-redirect"), ("GET", "/redoc")}


def app_routes(app: FastAPI) -> set[tuple[str, str]]:
    """Every (method, path) of the app, its included routers walked, checked against its OpenAPI document."""
    found: set[tuple[str, str]] = set()

    def walk(routes: Iterable[Any], prefix: str) -> None:
        for route in routes:
            original = getattr(route, "original_router", None)
            if original is not None:  # FastAPI's included router; its routes carry the router's prefix
                context = getattr(route, "include_context", None)
                walk(original.routes, prefix + str(getattr(context, "prefix", "") or ""))
            elif str(getattr(getattr(route, "endpoint", None), "__module__", "")).startswith("web."):
                continue
            elif getattr(route, "methods", None) is not None:
                methods = set(route.methods) - ({"HEAD"} if "GET" in route.methods else set())
                found.update((method, prefix + route.path) for method in methods)
            elif getattr(route, "routes", None) is not None:  # a mount
                walk(route.routes, prefix + str(getattr(route, "path", "")))

    walk(app.routes, "")
    documented = {(method.upper(), path) for path, ops in app.openapi()["paths"].items() for method in ops}
    assert documented <= found, f"routes missed by the walk: {sorted(documented - found)}"
    return found - DOCUMENTATION
