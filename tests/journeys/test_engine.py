"""The pure journey engine, without a database or a workflow: what comes after a step, and when."""

from datetime import UTC, datetime, timedelta

import pytest

from domain.journeys.definition import Balancer, Delay, Experiment, Gate, parse_step
from domain.journeys.engine import balancer_window, choose_variant, next_step, resume_at
from domain.journeys.payloads import JourneyRunInput, RunAdvance
from domain.journeys.walk import taken_at_admission
from lifecycle.journeys import first_task_delay

LISBON, NEW_YORK = "Europe/Lisbon", "America/New_York"


def step(raw: dict) -> object:
    return parse_step("s", raw)


def test_a_gate_goes_yes_or_no_and_other_steps_go_next():
    gate = step({"type": "gate", "rule": {"property": "user.data.plan", "op": "exists"}, "yes": "a", "no": "b"})
    assert isinstance(gate, Gate)
    assert (next_step(gate, passed=True), next_step(gate, passed=False)) == ("a", "b")
    assert next_step(step({"type": "delay", "duration": "1 hour", "next": "c"})) == "c"
    assert next_step(step({"type": "exit"})) is None


def test_experiment_variants_are_chosen_by_weight():
    experiment = step({"type": "experiment", "variants": [{"ratio": 1, "next": "a"}, {"ratio": 3, "next": "b"}]})
    assert isinstance(experiment, Experiment)
    rolls = [i / 1000 for i in range(1000)]
    chosen = [choose_variant(experiment, roll) for roll in rolls]
    assert (chosen.count("a"), chosen.count("b")) == (250, 750)
    assert next_step(experiment, chosen="b") == "b"


def test_a_zero_weight_variant_is_never_chosen():
    experiment = step({"type": "experiment", "variants": [{"ratio": 0, "next": "never"}, {"ratio": 1, "next": "b"}]})
    assert isinstance(experiment, Experiment)
    assert {choose_variant(experiment, i / 100) for i in range(100)} == {"b"}


def test_a_duration_counts_from_now():
    delay = step({"type": "delay", "duration": "2 days 3 hours", "next": None})
    assert isinstance(delay, Delay)
    now = datetime(2026, 3, 1, 12, tzinfo=UTC)
    assert resume_at(delay, "2 days 3 hours", now, NEW_YORK) == now + timedelta(days=2, hours=3)


def test_a_wall_clock_time_is_local_on_both_sides_of_a_dst_change():
    delay = step({"type": "delay", "until_time": "09:00", "next": None})
    assert isinstance(delay, Delay)
    # New York springs forward on 8 March 2026: 09:00 is 14:00 UTC the day before, 13:00 UTC after.
    before = resume_at(delay, "09:00", datetime(2026, 3, 7, 15, tzinfo=UTC), NEW_YORK)
    after = resume_at(delay, "09:00", datetime(2026, 3, 8, 15, tzinfo=UTC), NEW_YORK)
    assert (before, after) == (datetime(2026, 3, 8, 13, tzinfo=UTC), datetime(2026, 3, 9, 13, tzinfo=UTC))


def test_a_time_inside_the_spring_forward_gap_lands_just_after_it():
    delay = step({"type": "delay", "until_time": "01:30", "next": None})
    assert isinstance(delay, Delay)
    # Lisbon goes from 01:00 to 02:00 on 29 March 2026: 01:30 does not exist that night.
    woke = resume_at(delay, "01:30", datetime(2026, 3, 28, 23, tzinfo=UTC), LISBON)
    assert woke == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)  # 02:30 local, summer time


def test_a_date_waits_for_local_midnight_and_never_goes_back():
    delay = step({"type": "delay", "until_date": "2026-07-01", "next": None})
    assert isinstance(delay, Delay)
    now = datetime(2026, 6, 1, tzinfo=UTC)
    assert resume_at(delay, "2026-07-01", now, LISBON) == datetime(2026, 6, 30, 23, tzinfo=UTC)
    later = datetime(2026, 8, 1, tzinfo=UTC)
    assert resume_at(delay, "2026-07-01", later, LISBON) == later


def test_excluded_days_move_the_wake_up_to_the_next_allowed_day_at_the_same_local_time():
    delay = step({"type": "delay", "duration": "1 day", "exclusion_days": [0, 6], "next": None})
    assert isinstance(delay, Delay)
    friday_noon = datetime(2026, 12, 4, 12, tzinfo=UTC)  # Lisbon is on UTC in winter
    assert resume_at(delay, "1 day", friday_noon, LISBON) == datetime(2026, 12, 7, 12, tzinfo=UTC)  # Monday


def test_an_unknown_timezone_is_taken_as_utc():
    delay = step({"type": "delay", "until_time": "09:00", "next": None})
    assert isinstance(delay, Delay)
    assert resume_at(delay, "09:00", datetime(2026, 5, 1, 8, tzinfo=UTC), "Mars/Olympus") == datetime(
        2026, 5, 1, 9, tzinfo=UTC
    )


def jan(day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, 1, day, hour, minute, second, tzinfo=UTC)


@pytest.mark.parametrize(
    ("period", "now", "start", "next_window"),
    [
        ("minute", jan(1, 10, 5, 42), jan(1, 10, 5), jan(1, 10, 6)),
        ("hour", jan(1, 10, 59, 59), jan(1, 10), jan(1, 11)),
        ("day", jan(1), jan(1), jan(2)),
    ],
)
def test_a_balancer_window_is_the_period_the_moment_falls_in(period, now, start, next_window):
    balancer = step({"type": "balancer", "paths": ["a", "b"], "limit": 10, "period": period})
    assert isinstance(balancer, Balancer)
    assert balancer_window(balancer, now) == (start, next_window)


def test_a_first_walk_takes_only_the_steps_that_cannot_fail_on_content_or_reach_outside():
    literal = step({"type": "delay", "duration": "1 day", "next": None})
    templated = step({"type": "delay", "duration": "{{ user.data.wait }}", "next": None})
    send = step({"type": "send", "campaign_id": "00000000-0000-0000-0000-000000000000", "next": None})
    assert taken_at_admission(literal) and not taken_at_admission(templated)
    assert not taken_at_admission(send)


def run_waiting(resume_at: str, finished_at: str, exit_on: list | None = None) -> JourneyRunInput:
    admitted = RunAdvance(at="wait", visits=1, then="next", resume_at=resume_at, finished_at=finished_at)
    return JourneyRunInput("p", "j", 1, "r", "u", "entry", {}, exit_on=exit_on or [], admitted=admitted)


def test_a_run_admitted_into_a_delay_starts_when_the_delay_is_over():
    run = run_waiting("2026-01-01T12:00:00+00:00", "2026-01-01T10:00:00+00:00")
    assert first_task_delay(run, timedelta(seconds=30)) == timedelta(hours=2) - timedelta(seconds=30)


def test_a_run_that_exits_on_events_times_its_delay_in_the_workflow():
    run = run_waiting("2026-01-01T12:00:00+00:00", "2026-01-01T10:00:00+00:00", exit_on=[{"event": "refunded"}])
    assert first_task_delay(run, timedelta(0)) is None
