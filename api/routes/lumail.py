"""Lumail's Track Event API; errors use Lumail's `{success: false, error}` shape."""

import uuid
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from api.deps import ClientProjectDep, SessionDep, StarterDep
from api.errors import describe_validation, validation_detail
from core.errors import Invalid
from domain.events.lumail import LumailEvent, find_subscriber
from domain.events.pipeline import ProcessEventInput

router = APIRouter(tags=["lumail"])


def _failure(message: str) -> JSONResponse:
    return JSONResponse({"success": False, "error": message}, status_code=400)


@router.post("/api/v1/events", response_model=None)
async def track_event(
    request: Request, project_id: ClientProjectDep, session: SessionDep, starter: StarterDep
) -> dict[str, Any] | JSONResponse:
    try:
        body = LumailEvent.model_validate(await request.json())
    except ValueError as exc:  # ValidationError and malformed JSON alike
        if isinstance(exc, ValidationError):
            return _failure(validation_detail(describe_validation(exc.errors())))
        return _failure("request body must be a JSON object")
    try:
        user_id = await find_subscriber(session, project_id, body.subscriber)
    except Invalid as exc:
        return _failure(exc.detail)

    event_id, created_at = uuid.uuid4(), datetime.now(UTC)
    await starter.start(
        [
            ProcessEventInput(
                project_id=str(project_id),
                event_id=str(event_id),
                entity="user",
                name=body.eventType,
                data=body.data,
                occurred_at=created_at.isoformat(),
                user_id=str(user_id),
            )
        ]
    )
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
