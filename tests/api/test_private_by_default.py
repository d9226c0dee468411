"""Private by default: owner-only files, answers no cache keeps, no server banner ("Trust boundaries", item 12)."""

from __future__ import annotations

import re
import stat
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from bootstrap.audit import opened, signing_key
from bootstrap.settings import Settings
from infrastructure.audit.checkpoint_format import checkpoint_file
from infrastructure.audit.checkpoint_writer import write_checkpoint
from tests.api.conftest import World, build_world, serve, service_of
from tests.support import FakeClock, ports


def modes(directory: Path) -> dict[str, int]:
    """Every path under the directory (itself included) with its permission bits."""
    paths = [directory, *directory.rglob("*")]
    return {str(path.relative_to(directory.parent)): stat.S_IMODE(path.stat().st_mode) for path in paths}


def test_the_embedded_store_keeps_every_file_owner_only(tmp_path: Path, clock: FakeClock) -> None:
    # Given a data directory that already exists, readable by others (as `mkdir` under a usual umask leaves it)
    data_dir = tmp_path / "var"
    data_dir.mkdir(mode=0o755)
    data_dir.chmod(0o755)
    settings = Settings(data_dir=data_dir, database_url=None)
    # When the app runs a whole world of commands, and the operator writes a signed checkpoint
    with TestClient(create_app(settings, ports(clock))) as client:
        build_world(client, service_of(client))
        with opened(settings) as store:
            write_checkpoint(store, signing_key(settings), checkpoint_file(settings.checkpoints_path, clock()), clock())
    # Then the directory is the owner's alone, and so is every file in it: store, keys, signing key, checkpoints
    found = modes(data_dir)
    assert {"var/mentorat.sqlite3", "var/keys.sqlite3", "var/audit-signing-key.pem"} <= set(found)
    assert any(name.startswith("var/checkpoints/checkpoint-") for name in found)
    directories = {name for name in found if (tmp_path / name).is_dir()}
    assert {name: found[name] for name in directories} == dict.fromkeys(directories, 0o700)
    files = set(found) - directories
    assert {name: found[name] for name in files} == dict.fromkeys(files, 0o600)


def test_every_v1_answer_says_no_store_and_healthz_need_not(app_client: TestClient, world: World) -> None:
    answers = [
        app_client.get("/v1/me", headers=world.mentor),  # 200 with a name
        app_client.get(f"/v1/mentorships/{world.mentorship_id}/journal", headers=world.mentor),  # content
        app_client.get("/v1/me"),  # 401
        app_client.get(f"/v1/mentorships/{world.other_mentorship_id}/journal", headers=world.coordinator),  # 403
        app_client.post("/v1/invitations/redemption", json={"code": "no such code"}),  # 404
        app_client.post(f"/v1/mentorships/{world.mentorship_id}/satisfaction", json={"score": 9}, headers=world.mentor),
    ]
    keyed = {**world.mentor, "Idempotency-Key": "no-store-replay"}
    for _ in range(2):  # the first answer, then its replay from the idempotency record
        path = f"/v1/mentorships/{world.mentorship_id}/satisfaction"
        answers.append(app_client.post(path, json={"score": 4}, headers=keyed))
    assert answers[-1].headers["Idempotent-Replayed"] == "true"
    assert [a.headers.get("Cache-Control") for a in answers] == ["no-store"] * len(answers)
    assert "no-store" not in app_client.get("/healthz").headers.get("Cache-Control", "")


@pytest.mark.write_only
def test_the_real_server_names_no_software(settings: Settings, clock: FakeClock) -> None:
    with serve(create_app(settings.model_copy(update={"projections": False}), ports(clock))) as base:
        answer = httpx.get(f"{base}/healthz")
    assert answer.status_code == 200
    assert "server" not in answer.headers


def test_the_docs_page_loads_every_asset_from_the_app_itself(settings: Settings, clock: FakeClock) -> None:
    """Offline, a page whose scripts come from a CDN is blank: every asset of `/docs` is the app's own."""
    with TestClient(create_app(settings, ports(clock))) as client:
        page = client.get("/docs")
        assert page.status_code == 200
        assets = re.findall(r"""(?:src|href)=['"]([^'"]+)['"]""", page.text)
        assert assets and all(asset.startswith("/") for asset in assets), assets  # no other host
        for asset in assets:
            assert client.get(asset).status_code == 200, asset
        assert "SwaggerUIBundle" in client.get(next(a for a in assets if a.endswith(".js"))).text
        assert client.get("/openapi.json").json()["info"]["title"] == "Mentorat"


def test_the_operator_turns_the_docs_pages_off(settings: Settings, clock: FakeClock) -> None:
    off = settings.model_copy(update={"docs": False})
    with TestClient(create_app(off, ports(clock))) as client:
        assert [client.get(path).status_code for path in ("/docs", "/redoc")] == [404, 404]
        assert client.get("/openapi.json").status_code == 200  # integrators still generate their clients from it
