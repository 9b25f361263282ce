import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Response
from pydantic import Field

from api.access import CallerDep, Editor, Viewer
from api.charts import Days, chart
from api.deps import DispatchDep, SessionDep, SettingsDep, TemporalDep, WorkDep
from api.pagination import Cursor, Limit, Page, after_id
from domain.journeys.payloads import EXIT_SIGNAL, SKIP_WAIT_SIGNAL, ExitRequest, SkipWaitRequest
from domain.journeys.schemas import JourneyIn, JourneyOut, JourneyStats, RunOut, TrialIn, TrialOut, VersionOut
from domain.journeys.service import (
    create_journey,
    delete_journey,
    enter_by_hand,
    get_journey,
    journey_out,
    journey_runs,
    journey_stats,
    journey_versions,
    pause_journey,
    project_journeys,
    publish_journey,
    runs_waiting_at,
    update_journey,
)
from domain.journeys.trial import try_journey
from domain.trends.schemas import SeriesOut
from domain.trends.series import ENGAGEMENT
from domain.wire import ManagementModel, OutModel
from lifecycle.journeys import sync_entrance_schedules
from lifecycle.schedules import start_schedule_replan

router = APIRouter(prefix="/api/admin/projects/{project_id}/journeys", tags=["admin: journeys"])


@router.post("", status_code=201)
async def create(body: JourneyIn, project_id: Editor, work: WorkDep) -> JourneyOut:
    """Create a journey as a draft; a bad graph is a 400 naming the step. Publish it to let users in."""
    journey = await create_journey(work.session, project_id, body)
    await work.commit()
    return journey_out(journey)


@router.get("")
async def index(project_id: Viewer, session: SessionDep) -> list[JourneyOut]:
    """The project's journeys with their status and published version."""
    return [journey_out(j) for j in await project_journeys(session, project_id)]


@router.get("/{journey_id}")
async def show(project_id: Viewer, journey_id: uuid.UUID, session: SessionDep) -> JourneyOut:
    """One journey: its draft steps, `exit_on`, status and published version."""
    return journey_out(await get_journey(session, project_id, journey_id))


@router.put("/{journey_id}")
async def edit(project_id: Editor, journey_id: uuid.UUID, body: JourneyIn, work: WorkDep) -> JourneyOut:
    """Replace the draft; publishing it creates a new version for new entrants (runs keep theirs)."""
    journey = await update_journey(work.session, project_id, journey_id, body)
    await work.commit()
    return journey_out(journey)


@router.post("/{journey_id}/publish")
async def publish(
    project_id: Editor,
    journey_id: uuid.UUID,
    work: WorkDep,
    temporal: TemporalDep,
    settings: SettingsDep,
) -> JourneyOut:
    """Freeze the draft as a new version; recurring list entrances get their Temporal Schedules, and a
    `scheduled.<name>` entrance with an offset adds that offset to the schedule's definition."""
    journey, schedules = await publish_journey(work.session, project_id, journey_id)
    await work.commit()
    await sync_entrance_schedules(temporal, settings.temporal_task_queue, str(project_id), str(journey.id), schedules)
    for definition_id in schedules.replan:
        await start_schedule_replan(temporal, settings.temporal_task_queue, project_id, definition_id)
    return journey_out(journey)


@router.post("/{journey_id}/pause")
async def pause(
    project_id: Editor,
    journey_id: uuid.UUID,
    work: WorkDep,
    temporal: TemporalDep,
    settings: SettingsDep,
) -> JourneyOut:
    """Stop new entrances; runs already inside go on to their end."""
    journey, schedules = await pause_journey(work.session, project_id, journey_id)
    await work.commit()
    await sync_entrance_schedules(temporal, settings.temporal_task_queue, str(project_id), str(journey.id), schedules)
    return journey_out(journey)


@router.delete("/{journey_id}", status_code=204)
async def remove(
    project_id: Editor,
    journey_id: uuid.UUID,
    work: WorkDep,
    temporal: TemporalDep,
    settings: SettingsDep,
) -> Response:
    """Delete the journey, its runs and stats; runs still inside are stopped."""
    schedules = await delete_journey(work, project_id, journey_id)
    await work.commit()
    await sync_entrance_schedules(temporal, settings.temporal_task_queue, str(project_id), str(journey_id), schedules)
    return Response(status_code=204)


class EnterIn(ManagementModel):
    user_id: uuid.UUID
    entrance: str | None = Field(default=None, min_length=1, max_length=100, description="an entrance step id")


class Entered(OutModel):
    workflow_id: str
    run_id: str


@router.post("/{journey_id}/runs", status_code=201)
async def enter(project_id: Editor, journey_id: uuid.UUID, body: EnterIn, work: WorkDep) -> Entered:
    """Put a chosen user into the live journey now, at `entrance` (else its link-only entrance, else its
    first); the entrance's re-entry rules apply (`409` when they keep the user out)."""
    start = await enter_by_hand(work, project_id, journey_id, body.user_id, body.entrance)
    await work.commit()
    return Entered(workflow_id=start.workflow_id, run_id=start.run.run_id)


@router.post("/{journey_id}/trial")
async def trial(project_id: Viewer, journey_id: uuid.UUID, body: TrialIn, session: SessionDep) -> TrialOut:
    """Try the draft (or unsaved `steps`) on a user without running it: the path they would take now, each
    gate's conditions with the values they saw, what each step would do. Nothing is sent or changed."""
    tried = await try_journey(
        session, project_id, journey_id, body.user_id,
        steps=body.steps, exit_on=body.exit_on, entrance_id=body.entrance, data=body.data,
    )  # fmt: skip
    return TrialOut.model_validate(tried, from_attributes=True)


@router.get("/{journey_id}/engagement")
async def engagement(project_id: Viewer, journey_id: uuid.UUID, session: SessionDep, days: Days = 30) -> SeriesOut:
    """The messages the journey's runs sent, and what became of them, over time (counted each minute)."""
    journey = await get_journey(session, project_id, journey_id)
    return await chart(session, journey.id, ENGAGEMENT, days)


@router.get("/{journey_id}/versions")
async def versions(project_id: Viewer, journey_id: uuid.UUID, session: SessionDep) -> list[VersionOut]:
    """The published versions, newest first, with the runs that entered with each and how many are still
    inside (a run keeps the version it entered with)."""
    return [
        VersionOut.model_validate(v, from_attributes=True)
        for v in await journey_versions(session, project_id, journey_id)
    ]


class BulkOut(OutModel):
    signalled: int  # runs told to go on (or to exit); a run that ended meanwhile is not counted
    more: bool  # more runs wait there than one request reaches: ask again


@router.post("/{journey_id}/steps/{step_id}/skip")
async def skip_waiting(
    project_id: Editor, journey_id: uuid.UUID, step_id: Annotated[str, Path(max_length=100)], work: WorkDep,
    dispatch: DispatchDep,
) -> BulkOut:  # fmt: skip
    """End the wait of every run waiting at the step now (a delay, a balancer's window): each is signalled
    through Temporal and walks on as if its timer had fired."""
    runs, more = await runs_waiting_at(work.session, project_id, journey_id, step_id)
    signalled = await dispatch.runs.signal_running(runs, SKIP_WAIT_SIGNAL, SkipWaitRequest(step_id))
    await work.commit()  # the audit log's record of the request
    return BulkOut(signalled=signalled, more=more)


@router.post("/{journey_id}/steps/{step_id}/exit")
async def exit_waiting(
    project_id: Editor, journey_id: uuid.UUID, step_id: Annotated[str, Path(max_length=100)], work: WorkDep,
    dispatch: DispatchDep, who: CallerDep,
) -> BulkOut:  # fmt: skip
    """Exit every run waiting at the step now: each is signalled through Temporal and ends as `exited`,
    with the reason naming who did it."""
    runs, more = await runs_waiting_at(work.session, project_id, journey_id, step_id)
    request = ExitRequest(f"console/{uuid.uuid4()}", "console", reason=f"exited at {step_id} by {who.actor.label}")
    signalled = await dispatch.runs.signal_running(runs, EXIT_SIGNAL, request)
    await work.commit()
    return BulkOut(signalled=signalled, more=more)


@router.get("/{journey_id}/runs")
async def runs(
    project_id: Viewer,
    journey_id: uuid.UUID,
    session: SessionDep,
    user_id: uuid.UUID | None = None,
    status: Annotated[Literal["active", "completed", "exited"] | None, Query()] = None,
    step: Annotated[str | None, Query(max_length=100, description="only open runs standing at this step")] = None,
    limit: Limit = 100,
    cursor: Cursor = None,
) -> Page[RunOut]:
    """Runs, oldest first; filtered to one user, each run carries its step history."""
    journey = await get_journey(session, project_id, journey_id)
    items = await journey_runs(
        session, journey, user_id=user_id, status=status, limit=limit, after=after_id(cursor), at_step=step
    )
    return Page(results=items, next_cursor=str(items[-1].id) if len(items) == limit else None)


@router.get("/{journey_id}/stats")
async def stats(project_id: Viewer, journey_id: uuid.UUID, session: SessionDep) -> JourneyStats:
    """Runs entered, active, completed and exited, and visits per step."""
    return await journey_stats(session, await get_journey(session, project_id, journey_id))
