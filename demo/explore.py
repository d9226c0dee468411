"""The demo's last words: how to explore its programme through the API, with a coordinator token when it is kept.

The token is issued on today's clock with real secrets (the simulation's are seeded, and its tokens expired long
ago in simulated time), as the operator would: a new invitation for the demo's coordinator, redeemed at once.
Only the demo prints a token, and only for its own throwaway store and simulated coordinator.
"""

from __future__ import annotations

from typing import TextIO
from uuid import UUID

from bootstrap.service import build_service
from bootstrap.settings import Settings


def coordinator_token(settings: Settings, coordinator_id: UUID) -> str:
    """A fresh bearer token for the demo's coordinator (valid `MENTORAT_TOKEN_TTL_DAYS` from now)."""
    service = build_service(settings)  # the real clock and secrets
    try:
        code = service.participants.invite_as_operator(coordinator_id).data["code"]
        token: str = service.participants.redeem(code).data["token"]
        return token
    finally:
        service.close()


def explore(settings: Settings, programme_id: UUID, coordinator_id: UUID, out: TextIO, *, token: bool) -> None:
    """Print how to serve the demo's store and call the API as its coordinator (the token only if `token`)."""
    print(f"\nExplore it through the API: programme {programme_id}", file=out)
    if not token:
        print("  run `mentorat demo --keep DIR` to keep the store and get a coordinator token", file=out)
        return
    bearer = coordinator_token(settings, coordinator_id)
    directory = settings.data_dir.resolve()
    print(f"  MENTORAT_DATA_DIR={directory} mentorat serve      # then open http://127.0.0.1:8000/docs", file=out)
    print(f"  coordinator token (this demo store only): {bearer}", file=out)
    print(
        f'  curl -H "Authorization: Bearer {bearer}" http://127.0.0.1:8000/v1/programmes/{programme_id}/worklist',
        file=out,
    )
    print("  (the API computes dates from today's clock, not the demo's simulated one: its worklist differs)", file=out)
