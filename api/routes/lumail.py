"""Lumail's Track Event API; errors use Lumail's `{success: false, error}` shape."""

import uuid
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError

from api.deps import ClientProjectDep, EventDrainDep, WorkDep
from api.errors import describe_validation, validation_detail
from core.errors import Invalid
from domain.events.lumail import LumailEvent, accept_tracked, find_subscriber

router = APIRouter(tags=["lumail"])


def _failure(message: str) -> JSONResponse:
    return JSONResponse({"success": False, "error": message}, status_code=400)


class LumailFailure(BaseModel):
    success: bool = False
    error: str


@router.post("/api/v1/events", response_model=None, responses={400: {"model": LumailFailure}})
async def track_event(
    request: Request, project_id: ClientProjectDep, work: WorkDep, drain: EventDrainDep
) -> dict[str, Any] | JSONResponse:
    """Lumail-style event tracking: the event enters the same pipeline as the client API's."""
    try:
        body = LumailEvent.model_validate(await request.json())
    except ValueError as exc:  # ValidationError and malformed JSON alike
        if isinstance(exc, ValidationError):
            return _failure(validation_detail(describe_validation(exc.errors())))
        return _failure("request body must be a JSON object")
    try:
        user_id = await find_subscriber(work.session, project_id, body.subscriber)
    except Invalid as exc:
        return _failure(exc.detail)

    event_id, created_at = uuid.uuid4(), datetime.now(UTC)
    await accept_tracked(work.session, project_id, user_id, event_id, body, created_at)
    await work.commit()
    drain.wake()
    return {
        "success": True,
        "event": {
            "id": str(event_id),
            "eventType": body.eventType,
            "subscriberId": str(user_id),
            "organizationId": str(project_id),
            "data": body.data,
            "createdAt": created_at.isoformat().replace("+00:00", "Z"),
        },
    }
