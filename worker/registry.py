"""What a Tempogram worker runs; shared by the worker process, the tests and the replay test."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
from temporalio.client import Client
from temporalio.worker import UnsandboxedWorkflowRunner, WorkflowRunner
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

import domain.tables  # noqa: F401 - every mapped table, so foreign keys resolve in this process
from activities.accounts import AccountActivities
from activities.broadcasts import BroadcastActivities
from activities.events import EventActivities
from activities.http import new_http_client
from activities.journeys import JourneyActivities
from activities.lists import ListActivities
from activities.messaging import MessagingActivities
from activities.schedules import ScheduleActivities
from activities.trends import TrendActivities
from core.db import SessionFactory
from domain.messaging.links import Links
from lifecycle.unit_of_work import Dispatch
from workflows.account_link import SendAccountLink
from workflows.broadcast import SendBroadcast
from workflows.fire_schedules import FireDueSchedules, ReplanSchedule
from workflows.journey_entrances import EnterListMembers
from workflows.journey_run import JourneyRun
from workflows.list_recompute import DispatchListEvents, ListRecompute, RefreshTimeBasedLists
from workflows.process_event import ProcessEvent
from workflows.provider_test import TestProvider
from workflows.sweep_stranded_events import SweepStrandedEvents
from workflows.system_clock import SystemClock

WORKFLOWS: Sequence[type] = (
    ProcessEvent,
    SweepStrandedEvents,
    ListRecompute,
    DispatchListEvents,
    RefreshTimeBasedLists,
    JourneyRun,
    EnterListMembers,
    FireDueSchedules,
    ReplanSchedule,
    SendBroadcast,
    TestProvider,
    SystemClock,
    SendAccountLink,
)


@dataclass
class WorkerDeps:
    client: Client
    sessions: SessionFactory
    task_queue: str
    # Links in messages (the public URL, the secret that signs them) and sealed provider credentials.
    links: Links
    # Providers, webhooks and journey actions share one client (see `activities.http`).
    http: httpx.AsyncClient = field(default_factory=new_http_client)


def workflow_runner(sandboxed: bool = True) -> WorkflowRunner:
    """The sandbox rejects non-deterministic calls in workflow code; our modules are trusted and imported
    once rather than on every run (measured: this cuts the worker's CPU per event). Tests and the replay
    test always run sandboxed, so CI catches what it would reject; the worker process may run without it
    (`TEMPOGRAM_WORKER_WORKFLOW_SANDBOX=false`, the default: measured, 12% less worker CPU per journey run)."""
    if not sandboxed:
        return UnsandboxedWorkflowRunner()
    return SandboxedWorkflowRunner(restrictions=SandboxRestrictions.default.with_passthrough_all_modules())


def build_activities(deps: WorkerDeps) -> list[Callable[..., Any]]:
    dispatch = Dispatch(deps.sessions, deps.client, deps.task_queue)
    events = EventActivities(dispatch)
    lists = ListActivities(dispatch)
    journeys = JourneyActivities(dispatch, deps.links, deps.http)
    messaging = MessagingActivities(dispatch, deps.links, deps.http)
    schedules = ScheduleActivities(dispatch)
    broadcasts = BroadcastActivities(dispatch, deps.links, deps.http)
    accounts = AccountActivities(deps.sessions, deps.links, deps.http)
    trends = TrendActivities(deps.sessions)
    return [
        events.record_event,
        events.deliver_match_page,
        events.dispatch_pending_events,
        lists.plan_list_recompute,
        lists.recompute_list_page,
        lists.record_list_recompute_progress,
        lists.recompute_organization_members,
        lists.start_due_list_refreshes,
        journeys.advance_run,
        journeys.finish_run,
        journeys.enter_organization_members,
        journeys.start_pending_runs,
        journeys.enter_list_members,
        messaging.run_action,
        messaging.test_provider,
        schedules.fire_due_schedules,
        schedules.fire_anniversaries,
        schedules.replan_schedule,
        broadcasts.take_broadcast_audience,
        broadcasts.send_broadcast_batch,
        broadcasts.finish_broadcast,
        accounts.send_account_link,
        trends.fold_trends,
    ]
