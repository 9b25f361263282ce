import asyncio
from collections.abc import Awaitable
from datetime import timedelta

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text

from api.deps import SessionDep, TemporalDep

router = APIRouter(tags=["operations"])

# Each dependency gets this long, side by side, so the answer comes within 2 s whatever hangs.
CHECK_SECONDS = 1.5


async def _check(call: Awaitable[object]) -> str:
    try:
        await asyncio.wait_for(call, CHECK_SECONDS)
    except TimeoutError:
        return f"slow: no answer within {CHECK_SECONDS} s"
    except Exception as exc:  # any failure means "down"; the message says why
        return f"down: {type(exc).__name__}"
    return "ok"


@router.get("/healthz")
async def healthz(session: SessionDep, temporal: TemporalDep) -> JSONResponse:
    """200 when PostgreSQL and Temporal both answer within 1.5 s; 503 naming what is down or slow."""
    database, temporal_state = await asyncio.gather(
        _check(session.execute(text("SELECT 1"))),
        _check(temporal.service_client.check_health(timeout=timedelta(seconds=CHECK_SECONDS))),
    )
    healthy = database == temporal_state == "ok"
    status = {"status": "ok" if healthy else "unavailable", "database": database, "temporal": temporal_state}
    return JSONResponse(status, status_code=200 if healthy else 503)
