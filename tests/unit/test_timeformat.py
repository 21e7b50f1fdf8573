"""Dates and times on the wire (spec §2.5, §5.5)."""
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from paddles_mongo.timeformat import (TimeFormatError, format_datetime, local_to_utc,
                                      parse_date, parse_teuthology_timestamp, utcnow)

# --- format_datetime --------------------------------------------------------------------------


def test_format_without_microseconds_has_no_fraction():
    assert format_datetime(datetime(2013, 1, 1, 0, 0, 0)) == "2013-01-01 00:00:00"


def test_format_with_microseconds_has_six_digits():
    assert format_datetime(datetime(2026, 11, 28, 1, 36, 58, 686120)) == \
        "2026-11-28 01:36:58.686120"


def test_format_with_milliseconds_is_zero_padded_to_six_digits():
    assert format_datetime(datetime(2026, 11, 28, 1, 36, 58, 599000)) == \
        "2026-11-28 01:36:58.599000"


def test_format_with_one_microsecond():
    assert format_datetime(datetime(2024, 3, 5, 12, 34, 56, 1)) == "2024-03-05 12:34:56.000001"


def test_format_uses_space_separator_and_no_zone():
    text = format_datetime(datetime(2024, 3, 5, 12, 34, 56))
    assert text[10] == " "
    assert "T" not in text and "+" not in text and "Z" not in text


def test_format_none_is_none():
    assert format_datetime(None) is None


# --- parse_date ---------------------------------------------------------------------------------

@pytest.mark.parametrize("text,expected", [
    ("2013-01-01", date(2013, 1, 1)),
    ("2024-03-05", date(2024, 3, 5)),
    ("2013-1-1", date(2013, 1, 1)),
    ("2013-1-02", date(2013, 1, 2)),
    ("2013-12-3", date(2013, 12, 3)),
    ("2024-02-29", date(2024, 2, 29)),
])
def test_parse_date_accepts_year_month_day(text, expected):
    assert parse_date(text, "UTC") == expected


def test_parse_date_today_uses_given_today():
    assert parse_date("today", "UTC", today=date(2024, 3, 5)) == date(2024, 3, 5)


def test_parse_date_today_defaults_to_server_local_date():
    zone = "Pacific/Kiritimati"  # UTC+14: usually a different date than UTC
    before = datetime.now(ZoneInfo(zone)).date()
    result = parse_date("today", zone)
    after = datetime.now(ZoneInfo(zone)).date()
    assert result in (before, after)


@pytest.mark.parametrize("today,expected", [
    (date(2024, 3, 5), date(2024, 3, 4)),
    (date(2024, 5, 1), date(2024, 4, 30)),      # 1st of a month
    (date(2024, 3, 1), date(2024, 2, 29)),      # 1 March of a leap year
    (date(2023, 3, 1), date(2023, 2, 28)),      # 1 March of a common year
    (date(2024, 1, 1), date(2023, 12, 31)),     # 1st of a year
    (date(2024, 8, 1), date(2024, 7, 31)),
])
def test_parse_date_yesterday(today, expected):
    assert parse_date("yesterday", "UTC", today=today) == expected


@pytest.mark.parametrize("text", [
    "2097-13-32", "2013-13-01", "2013-02-30", "2023-02-29", "2013-00-10", "2013-01-00",
    "tomorrow", "Today", "YESTERDAY", "", " ", "2013/01/01", "01-01-2013x", "2013-01-01x",
    " 2013-01-01", "2013-01-01 ", "20130101", "2013-01", "2013-01-01_00:00:00",
    "2013-01-01T00:00:00", "a-b-c", "12345-01-01", "2013-001-01",
])
def test_parse_date_rejects_bad_dates(text):
    with pytest.raises(TimeFormatError) as error:
        parse_date(text, "UTC")
    assert str(error.value).startswith("date format must match")


@pytest.mark.parametrize("value", [None, 20130101, ["2013-01-01"]])
def test_parse_date_rejects_non_strings(value):
    with pytest.raises(TimeFormatError) as error:
        parse_date(value, "UTC")
    assert str(error.value).startswith("date format must match")


def test_time_format_error_is_a_value_error():
    assert issubclass(TimeFormatError, ValueError)


# --- local_to_utc -------------------------------------------------------------------------------

def test_local_to_utc_is_identity_in_utc():
    value = datetime(2014, 3, 31, 21, 25, 43)
    assert local_to_utc(value, "UTC") == value


@pytest.mark.parametrize("local,zone,utc", [
    # New York in daylight saving time (UTC-4)
    (datetime(2014, 3, 31, 21, 25, 43), "America/New_York", datetime(2014, 4, 1, 1, 25, 43)),
    # New York in standard time (UTC-5)
    (datetime(2013, 1, 1, 0, 0, 0), "America/New_York", datetime(2013, 1, 1, 5, 0, 0)),
    # Los Angeles in standard time (UTC-8), crossing a year boundary
    (datetime(2013, 12, 31, 20, 0, 0), "America/Los_Angeles", datetime(2014, 1, 1, 4, 0, 0)),
    # India (UTC+5:30), crossing back a day
    (datetime(2013, 10, 23, 1, 35, 2), "Asia/Kolkata", datetime(2013, 10, 22, 20, 5, 2)),
    # Berlin summer time (UTC+2)
    (datetime(2024, 7, 1, 12, 0, 0, 123456), "Europe/Berlin",
     datetime(2024, 7, 1, 10, 0, 0, 123456)),
])
def test_local_to_utc_with_non_utc_zone(local, zone, utc):
    assert local_to_utc(local, zone) == utc


def test_local_to_utc_returns_naive_datetime():
    assert local_to_utc(datetime(2014, 3, 31, 21, 25, 43), "America/New_York").tzinfo is None


# --- parse_teuthology_timestamp (job `timestamp`, spec §4.2, §5.2 step 2) -------------------

def test_teuthology_timestamp_is_parsed_without_zone_shift():
    assert parse_teuthology_timestamp("2026-01-02_03:04:05") == datetime(2026, 1, 2, 3, 4, 5)


@pytest.mark.parametrize("text", ["2026-01-02 03:04:05", "2026-01-02T03:04:05",
                                  "2026-13-02_03:04:05", "2026-01-02", "garbage", ""])
def test_teuthology_timestamp_rejects_other_formats(text):
    with pytest.raises(TimeFormatError):
        parse_teuthology_timestamp(text)


@pytest.mark.parametrize("value", [None, 1704164645, {"t": 1}])
def test_teuthology_timestamp_rejects_non_strings(value):
    with pytest.raises(TimeFormatError):
        parse_teuthology_timestamp(value)


# --- utcnow -------------------------------------------------------------------------------------

def test_utcnow_is_naive_utc_with_millisecond_precision():
    from datetime import timezone
    before = datetime.now(timezone.utc).replace(tzinfo=None)
    now = utcnow()
    after = datetime.now(timezone.utc).replace(tzinfo=None)
    assert now.tzinfo is None
    assert now.microsecond % 1000 == 0
    assert before.replace(microsecond=before.microsecond // 1000 * 1000) <= now <= after


def test_parse_date_yesterday_defaults_to_server_local_date():
    from datetime import timedelta
    zone = "Pacific/Kiritimati"
    before = datetime.now(ZoneInfo(zone)).date() - timedelta(days=1)
    result = parse_date("yesterday", zone)
    after = datetime.now(ZoneInfo(zone)).date() - timedelta(days=1)
    assert result in (before, after)
