"""A programme's settings: read them (coordinator, auditor), change them (coordinator, with `If-Match`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response

from api.body import body_schema, json_body
from api.deps import ExpectedVersion, InProgramme, ProgrammeScope, Service, committed, etag
from api.programme_schemas import ProgrammeChanged, ProgrammeOut, SettingsPatch
from api.query_params import Freshness, fresh
from api.routes.reads import projected
from domain.permissions import Action
from projections import summary
from projections.tables import Row

router = APIRouter(prefix="/v1")
SettingsReads = Annotated[Freshness, Depends(fresh(("summary",)))]


def settings_of(row: Row) -> dict[str, Any]:
    """The read model's row of a programme as the API shows it."""
    return {
        "id": row["id"],
        "time_zone": row["time_zone"],
        "default_months": row["default_months"],
        "meeting_minutes": {"min": row["meeting_min"], "max": row["meeting_max"]},
        "thresholds": row["thresholds"],
        "version": row["version"],
    }


@router.get("/programmes/{programme_id}", response_model=ProgrammeOut, operation_id="getProgramme", tags=["programmes"])
async def get_programme(
    scope: Annotated[InProgramme, Depends(ProgrammeScope(Action.READ_PROGRAMME))],
    freshness: SettingsReads,
    response: Response,
) -> dict[str, Any]:
    """The programme's settings in force and its version (also the `ETag`): its coordinators and auditors.

    Read from the summary read model (no replay); after a change, `?after=<position>` reads it for sure.
    """
    reads = await freshness.wait()
    programme_id = str(scope[1])
    row = await projected(freshness, "summary", lambda: summary.programme(reads.view("summary"), programme_id))
    response.headers["ETag"] = etag(row["version"])
    return settings_of(row)


@router.patch(
    "/programmes/{programme_id}",
    response_model=ProgrammeChanged,
    openapi_extra=body_schema(SettingsPatch),
    operation_id="updateProgramme",
    tags=["programmes"],
)
def update_programme(
    scope: Annotated[InProgramme, Depends(ProgrammeScope(Action.CHANGE_PROGRAMME_SETTINGS))],
    body: Annotated[SettingsPatch, Depends(json_body(SettingsPatch))],
    expected: ExpectedVersion,
    service: Service,
    response: Response,
) -> dict[str, object]:
    """A coordinator changes settings (a JSON merge patch), recorded as one event of the changed fields.

    A new time zone or meeting target applies to facts recorded after the change (earlier ones keep their dates
    and classification); new thresholds apply when the worklist is read. A patch that changes nothing records
    nothing. `If-Match: "<version>"` is optional, as for every command; a stale one is 412.
    """
    caller, programme_id = scope
    return committed(response, service.programmes.change_settings(caller, programme_id, body.changes(), expected))
