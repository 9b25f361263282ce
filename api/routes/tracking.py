"""Tracking links in sent emails: a click is recorded and redirected to its original URL; the open
pixel records an open. Both are signed per message, so they neither redirect anywhere else nor
record for anyone else."""

import base64

from fastapi import APIRouter, Response
from fastapi.responses import RedirectResponse

from api.deps import SettingsDep, WorkDep
from domain.messaging.feedback import record_click, record_open
from domain.messaging.links import verify_click, verify_open

router = APIRouter(prefix="/api/track", tags=["recipients"])

PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
NOT_CACHED = {"Cache-Control": "no-store, max-age=0"}


@router.get("/{key}/click/{signature}", response_class=RedirectResponse, status_code=302)
async def click(key: str, signature: str, url: str, work: WorkDep, settings: SettingsDep) -> RedirectResponse:
    """A tracked link in an email: records `email.clicked` and `link.clicked`, then redirects."""
    verify_click(settings.link_secret, key, url, signature)
    await record_click(work, key, url)
    await work.commit()
    return RedirectResponse(url, status_code=302, headers=NOT_CACHED)


@router.get("/{key}/open/{signature}.gif")
async def open_pixel(key: str, signature: str, work: WorkDep, settings: SettingsDep) -> Response:
    """The open pixel of an email: records `email.opened`."""
    verify_open(settings.link_secret, key, signature)
    await record_open(work, key)
    await work.commit()
    return Response(PIXEL, media_type="image/gif", headers=NOT_CACHED)
