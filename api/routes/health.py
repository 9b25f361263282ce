from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text

from api.deps import SessionDep, TemporalDep

router = APIRouter(tags=["operations"])


@router.get("/healthz")
async def healthz(session: SessionDep, temporal: TemporalDep) -> JSONResponse:
    """200 when PostgreSQL and Temporal both answer; 503 naming what is down otherwise."""
    status = {"status": "ok", "database": "ok", "temporal": "ok"}
    try:
        await session.execute(text("SELECT 1"))
    except Exception as exc:  # any failure means "down"; the message says why
        status["database"] = f"down: {type(exc).__name__}"
    try:
        await temporal.service_client.check_health()
    except Exception as exc:
        status["temporal"] = f"down: {type(exc).__name__}"
    healthy = status["database"] == "ok" and status["temporal"] == "ok"
    if not healthy:
        status["status"] = "unavailable"
    return JSONResponse(status, status_code=200 if healthy else 503)
