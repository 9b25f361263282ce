"""The console: a single-page app built from `console/` into `api/console_dist/`, served at `/console`
with its assets (nothing is loaded from elsewhere), and the little it needs to know of this deployment."""

from pathlib import Path

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse

from api.deps import SettingsDep
from domain.wire import OutModel

BUILT = Path(__file__).parent.parent / "console_dist"

router = APIRouter(tags=["console"])


class ConsoleConfig(OutModel):
    temporal_ui_url: str | None
    temporal_namespace: str


@router.get("/api/console/config")
async def config(settings: SettingsDep) -> ConsoleConfig:
    """Where the console links runs to: the Temporal UI and namespace (no credentials needed)."""
    return ConsoleConfig(temporal_ui_url=settings.temporal_ui_url, temporal_namespace=settings.temporal_namespace)


@router.get("/console", include_in_schema=False)
@router.get("/console/", include_in_schema=False)
async def app() -> FileResponse:
    return FileResponse(BUILT / "index.html", headers={"Cache-Control": "no-cache"})


@router.get("/console/assets/{name}", include_in_schema=False)
async def asset(name: str) -> FileResponse:
    """A built asset; its name carries its content hash, so it may be kept for a year."""
    path = (BUILT / "assets" / name).resolve()
    if path.parent != (BUILT / "assets").resolve() or not path.is_file():
        raise HTTPException(404, "no such asset")
    return FileResponse(path, headers={"Cache-Control": "public, max-age=31536000, immutable"})
