"""Calendar arithmetic of recurring schedules (pure)."""

from datetime import UTC, datetime

import pytest

from domain.schedules.recurrence import first_index_at_or_after, occurrence, parse_interval, parse_signed_offset


def fires(anchor: datetime, interval: str, count: int, timezone: str | None = None) -> list[str]:
    every = parse_interval(interval)
    return [occurrence(anchor, every, k, timezone).isoformat() for k in range(count)]


def test_months_count_from_the_anchor_and_clamp_to_the_month_end():
    assert fires(datetime(2027, 1, 31, 9, tzinfo=UTC), "1 month", 4) == [
        "2027-01-31T09:00:00+00:00", "2027-02-28T09:00:00+00:00",
        "2027-03-31T09:00:00+00:00", "2027-04-30T09:00:00+00:00",
    ]  # fmt: skip
    assert fires(datetime(2028, 1, 31, 9, tzinfo=UTC), "1 month", 2)[1] == "2028-02-29T09:00:00+00:00"


def test_a_leap_day_yearly_schedule_fires_on_28_february_in_common_years():
    assert fires(datetime(2028, 2, 29, 12, tzinfo=UTC), "1 year", 5) == [
        "2028-02-29T12:00:00+00:00", "2029-02-28T12:00:00+00:00", "2030-02-28T12:00:00+00:00",
        "2031-02-28T12:00:00+00:00", "2032-02-29T12:00:00+00:00",
    ]  # fmt: skip


def test_days_keep_the_local_hour_across_a_dst_change():
    # 09:00 in Paris is 08:00 UTC in winter and 07:00 UTC after the change on 28 March 2027.
    assert fires(datetime(2027, 3, 27, 8, tzinfo=UTC), "1 day", 2, "Europe/Paris") == [
        "2027-03-27T08:00:00+00:00", "2027-03-28T07:00:00+00:00",
    ]  # fmt: skip


def test_the_first_index_at_or_after_a_time_jumps_without_iterating_from_zero():
    anchor = datetime(2020, 1, 31, tzinfo=UTC)
    k = first_index_at_or_after(anchor, parse_interval("1 month"), datetime(2027, 3, 1, tzinfo=UTC))
    assert occurrence(anchor, parse_interval("1 month"), k).date().isoformat() == "2027-03-31"


@pytest.mark.parametrize(
    ("text", "expected"),
    [("-7 days", "7 days before"), ("2 hours", "2 hours after"), ("30 minutes before", "30 minutes before"),
     ("0 minutes", "0 minutes after"), ("1 week after", "1 week after")],
)  # fmt: skip
def test_offsets_read_signed_or_in_words(text: str, expected: str):
    assert str(parse_signed_offset(text)) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("24h", "24 hours"), ("P1D", "1 day"), ("1 day 12 hours", "1 day 12 hours"), ("12:00:00", "12 hours"),
     ("1h30m", "1 hour 30 minutes"), ("7d", "7 days"), ("1 hour 30 minutes", "1 hour 30 minutes"),
     ("PT1H30M", "1 hour 30 minutes"), ("2 mons", "2 months"), ("1 year 2 months", "1 year 2 months"),
     ("P1Y2M3DT4H5M6S", "1 year 2 months 3 days 4 hours 5 minutes 6 seconds"),
     ("3 days 04:05", "3 days 4 hours 5 minutes"),
     ("1.5 days", "36 hours"), ("2 weeks", "14 days"), ("1 MONTH", "1 month")],
)  # fmt: skip
def test_intervals_read_as_postgresql_reads_them(text: str, expected: str):
    assert str(parse_interval(text)) == expected
    assert parse_interval(expected) == parse_interval(text)  # the stored form reads back the same


@pytest.mark.parametrize("text", ["every tuesday", "0 days", "1 fortnight", "-1 month", "1 day ago", "P", "1.5 months",
                                  "30 seconds", "", "7 days 7"])  # fmt: skip
def test_bad_intervals_are_refused(text: str):
    with pytest.raises(ValueError, match="not an interval|shorter than a minute"):
        parse_interval(text)


def test_a_day_is_wall_clock_time_and_24_hours_are_elapsed_time_across_a_clock_change():
    anchor = datetime(2026, 3, 7, 14, tzinfo=UTC)  # 09:00 in New York, the day before spring forward
    day, hours = parse_interval("1 day"), parse_interval("24h")
    assert occurrence(anchor, day, 1, "America/New_York") == datetime(2026, 3, 8, 13, tzinfo=UTC)  # 09:00 local
    assert occurrence(anchor, hours, 1, "America/New_York") == datetime(2026, 3, 8, 14, tzinfo=UTC)  # 10:00 local
    mixed = parse_interval("1 month 1 day 1 hour")
    assert occurrence(datetime(2027, 1, 31, tzinfo=UTC), mixed, 1) == datetime(2027, 3, 1, 1, tzinfo=UTC)
