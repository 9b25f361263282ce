"""Every retry policy and activity timeout of the workflows, in one place."""

from datetime import timedelta

from temporalio.common import RetryPolicy

# Errors a retry cannot fix: a bad statement, a bad value, or a journey's own invalid content.
_PERMANENT = ["ProgrammingError", "DataError", "Invalid"]

# Retries ride out lost connections and restarts; a permanent error fails at once instead.
DATABASE_RETRY = RetryPolicy(
    initial_interval=timedelta(milliseconds=200),
    maximum_interval=timedelta(seconds=30),
    non_retryable_error_types=_PERMANENT,
)
# A walk may deliver a message: it retries like a provider call, without a limit (a retry follows the
# visits already recorded and keeps each send's key).
WALK_RETRY = RetryPolicy(
    initial_interval=timedelta(milliseconds=200),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=5),
    non_retryable_error_types=_PERMANENT,
)
# A provider (an HTTP action's endpoint) gets ten tries over about half an hour.
PROVIDER_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=5),
    maximum_attempts=10,
    non_retryable_error_types=["Invalid"],
)
# The schedule dispatcher runs every few seconds: it must not back off for longer than a tick or two.
SCHEDULER_RETRY = RetryPolicy(maximum_interval=timedelta(seconds=10))
ENTRANCE_RETRY = RetryPolicy(maximum_interval=timedelta(minutes=1))
# A check someone is waiting for (a provider test): its answer, not a retry.
ONCE = RetryPolicy(maximum_attempts=1)

# Start-to-close timeouts, by the size of the work.
TRANSACTION = timedelta(seconds=30)  # one short transaction (record an event, finish a run)
STEP = timedelta(minutes=1)  # an HTTP action, a small planning query
WALK = timedelta(minutes=2)  # a run's walk with its sends; a batch of schedule fires
PAGE = timedelta(minutes=5)  # a page of list work, a sweep
LONG_PAGE = timedelta(minutes=10)  # a broadcast's batch, a page of a `match` fan-out
MEMBERS = timedelta(minutes=30)  # every member of an organization
ENTRANCE = timedelta(hours=1)  # every member of a list entering a journey
REPLAN = timedelta(hours=2)  # every assignment of a schedule definition
# A local activity failing for longer than this is retried as a scheduled task, so the workflow task
# that runs it does not time out.
LOCAL_RETRY_THRESHOLD = timedelta(seconds=30)
# Heartbeats of the long activities above.
HEARTBEAT = timedelta(minutes=2)
SHORT_HEARTBEAT = timedelta(minutes=1)
