"""One parser and one formatter for times: round trip over the whole range, strict user input."""

from __future__ import annotations

import os
import time
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings, strategies as st

from warroom.base.clock import (MAX_YEAR, MIN_YEAR, check_stored_time, format_time, parse_time,
                                parse_user_time)
from warroom.base.errors import ValidationError

UTC = timezone.utc
offsets = st.integers(min_value=-23 * 60 - 59, max_value=23 * 60 + 59).map(
    lambda m: timezone(timedelta(minutes=m)))


@settings(max_examples=400, deadline=None)
@given(st.datetimes(timezones=st.just(UTC)))
def test_stored_form_round_trips_over_the_whole_range(at):
    text = format_time(at)
    assert len(text) == 27 and text.endswith("Z")
    assert parse_time(text) == at
    assert format_time(parse_time(text)) == text


@settings(max_examples=300, deadline=None)
@given(st.datetimes(), offsets)
def test_any_aware_time_formats_or_says_valueerror(naive, tz):
    at = naive.replace(tzinfo=tz)
    try:
        text = format_time(at)
    except ValueError:
        return  # year 1 east of UTC, year 9999 west of it: no OverflowError
    assert parse_time(text) == at


@settings(max_examples=300, deadline=None)
@given(st.datetimes(min_value=datetime(MIN_YEAR, 1, 2), max_value=datetime(MAX_YEAR, 12, 30)),
       offsets)
def test_user_times_in_the_window_round_trip(naive, tz):
    at = naive.replace(tzinfo=tz)
    parsed = parse_user_time(at.isoformat())
    assert parsed == at and parsed.tzinfo == UTC
    assert parse_time(format_time(parsed)) == parsed


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_user_time_never_raises_anything_but_validation_error(text):
    try:
        parse_user_time(text)
    except ValidationError as exc:
        assert "\n" not in str(exc)


@pytest.mark.parametrize("typed", ["0999-01-01T00:00Z", "0001-01-01T00:00+05:00",
                                   "9999-12-31T23:59-05:00", "1969-12-31T23:59Z",
                                   "2201-01-01T00:00Z", "0001-01-01", "9999-12-31T23:59:59"])
def test_years_outside_the_window_are_refused(typed):
    with pytest.raises(ValidationError, match=f"the year must be between {MIN_YEAR} and {MAX_YEAR}"):
        parse_user_time(typed)


def test_stored_form_is_unchanged_for_sane_times():
    at = datetime(2026, 11, 22, 14, 5, 0, 123, tzinfo=UTC)
    assert format_time(at) == "2026-11-22T14:05:00.000123Z"
    assert format_time(datetime(999, 1, 1, tzinfo=UTC)) == "0999-01-01T00:00:00.000000Z"


def test_an_old_unpadded_stored_year_still_reads():
    assert parse_time("999-01-01T00:00:00.000000Z") == datetime(999, 1, 1, tzinfo=UTC)


def test_import_times_must_be_exactly_the_stored_form():
    assert check_stored_time("2026-11-22T14:05:00.000000Z")
    for bad in ("999-01-01T00:00:00.000000Z", "0999-01-01T00:00:00.000000Z", "2026-11-22T14:05Z",
                "2026-11-22 14:05:00.000000Z", 12, None, "x" * 27):
        with pytest.raises(ValidationError):
            check_stored_time(bad)


@pytest.fixture
def london():
    old = os.environ.get("TZ")
    os.environ["TZ"] = "Europe/London"
    time.tzset()
    yield
    if old is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = old
    time.tzset()


def test_a_local_time_in_a_dst_gap_is_refused(london):
    with pytest.raises(ValidationError, match="does not exist in local time.*exactly once"):
        parse_user_time("2026-03-29T01:30")
    assert parse_user_time("2026-03-29T01:30+00:00") == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)


def test_an_ambiguous_local_time_is_refused(london):
    with pytest.raises(ValidationError, match="happened twice in local time.*exactly once"):
        parse_user_time("2026-10-25T01:30")
    assert parse_user_time("2026-10-25T01:30+01:00") == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    assert parse_user_time("2026-06-01T12:00") == datetime(2026, 6, 1, 11, 0, tzinfo=UTC)
