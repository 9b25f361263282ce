"""One settings object, read from `TEMPOGRAM_*` environment variables."""

from functools import lru_cache
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from core.credentials import CredentialCipher, development_key
from core.event_loop import EventLoop


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TEMPOGRAM_", extra="ignore")

    database_url: str = "postgresql+psycopg://postgres:postgres@localhost:5432/tempogram"
    database_pool_size: int = 20
    # Longest a single SQL statement may run: an API request answers a person or a client waiting on it;
    # a worker's statements page through lists and runs in bounded batches (0 turns a limit off).
    api_statement_timeout_seconds: float = 30
    worker_statement_timeout_seconds: float = 600

    temporal_address: str = "localhost:7233"
    temporal_namespace: str = "default"
    temporal_task_queue: str = "tempogram"
    temporal_tls: bool = False
    temporal_api_key: str | None = None
    # Where people open the Temporal UI (the console links each run there); none: no links.
    temporal_ui_url: str | None = None

    admin_key: str | None = None
    # Requests per second per API key (per API process); 0 turns the limit off.
    rate_limit_per_second: float = 0
    rate_limit_burst: int = 100
    # Event workflows one API process starts at a time: more only queue in Temporal, taking the server's
    # time from runs already waiting (docs/performance.md). Raise it with a Temporal cluster that has room.
    api_start_concurrency: int = 1
    # The API's and the worker's event loop: uvloop where it is installed (Linux, macOS), else asyncio's.
    event_loop: EventLoop = "uvloop"
    # Seconds an event may sit recorded but not dispatched before the sweeper starts its workflow.
    stranded_event_grace_seconds: int = 60
    # Longest time between re-evaluations of a list whose membership time alone can change.
    list_refresh_max_interval_seconds: int = 86_400
    # Schedules: how often due fires are claimed from PostgreSQL, how many per batch and side by side,
    # and how late a missed fire (an outage) may still be sent before it is skipped.
    schedule_tick_seconds: int = 5
    schedule_batch_size: int = 1000
    schedule_lanes: int = 4
    schedule_catch_up_seconds: int = 3600
    # Start a per-event workflow for every schedule fire, so each shows in the Temporal UI; off, only the
    # fires a list, journey or run listens for start one (the others cost a row on the timeline).
    schedule_every_fire_a_workflow: bool = False
    log_level: str = "INFO"
    # "text" (readable lines) or "json" (one object per line, for a log collector).
    log_format: Literal["text", "json"] = "text"
    # Worker sizing: runs stay cached through their delays; few tasks at once, so a flood waits in Temporal,
    # whose priorities put a run's next step before new intake (docs/performance.md).
    worker_max_cached_workflows: int = 5000
    # Workflow code is deterministic by construction and checked in the sandbox by every test; the worker
    # runs it without the sandbox's per-task overhead unless this is set.
    worker_workflow_sandbox: bool = False
    worker_max_concurrent_workflow_tasks: int = 10
    worker_max_concurrent_activities: int = 40
    worker_max_concurrent_local_activities: int = 10
    # On SIGTERM a worker stops polling and gives running activities (a send between claim and record)
    # this long to finish before it exits.
    worker_graceful_shutdown_seconds: float = 30
    # Where recipients reach this API (one-click unsubscribe links in messages).
    public_url: str = "http://localhost:8000"
    # Signs the links in messages (unsubscribe, preferences, click, open) and providers' feedback URLs.
    # Required outside development mode: with a known secret anyone could forge a link.
    signing_secret: str | None = None
    # Fernet keys that seal provider credentials at rest, comma-separated: the first seals, all open.
    credentials_keys: str | None = None
    # Team accounts' sessions end after this long unused, and at the latest this long after login.
    session_idle_hours: float = Field(default=12, gt=0)
    session_max_days: float = Field(default=14, gt=0)
    # Development mode: missing secrets fall back to fixed development values (never in production).
    development: bool = False

    @property
    def link_secret(self) -> str:
        return self.signing_secret or DEVELOPMENT_SECRET

    def credential_cipher(self) -> CredentialCipher:
        keys = [k for k in (self.credentials_keys or "").split(",") if k.strip()]
        return CredentialCipher(keys or [development_key(self.link_secret)])

    def check_secrets(self) -> None:
        """`tempogram api` and `tempogram worker` refuse to start without their secrets, unless in
        development mode."""
        if self.development:
            return
        missing = []
        if not self.signing_secret or self.signing_secret == DEVELOPMENT_SECRET:
            missing.append("TEMPOGRAM_SIGNING_SECRET (a long random value)")
        if not self.credentials_keys:
            missing.append("TEMPOGRAM_CREDENTIALS_KEYS (`tempogram credentials new-key` prints one)")
        if missing:
            raise InsecureSettings(
                "refusing to start without " + " and ".join(missing) + "; set TEMPOGRAM_DEVELOPMENT=true for a "
                "development stack"
            )


DEVELOPMENT_SECRET = "tempogram-development-secret"


class InsecureSettings(Exception):
    pass


@lru_cache
def get_settings() -> Settings:
    return Settings()
