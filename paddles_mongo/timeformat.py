"""Dates on the wire: `YYYY-MM-DD HH:MM:SS[.ffffff]`, naive UTC, as the original paddles wrote them.

MongoDB stores naive UTC datetimes with millisecond precision; pymongo hands them back naive.
"""
import re
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from .exceptions import InvalidInput

TEUTHOLOGY_TIMESTAMP_FORMAT = "%Y-%m-%d_%H:%M:%S"
UPDATED_FORMAT = "%Y-%m-%d %H:%M:%S"
DATE_FORMAT = "%Y-%m-%d"
DATE_FORMAT_ERROR = "date format must match %Y-%m-%d (or be 'today' or 'yesterday')"


class TimeFormatError(InvalidInput, ValueError):
    """A malformed date or time: answered 400 with its message."""


def utcnow():
    """Now, as naive UTC truncated to milliseconds: what MongoDB stores, so what we return
    right after a write is what a later read returns."""
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def format_datetime(value):
    """`str(datetime)`: a space separator, microseconds only when non-zero, no zone."""
    return None if value is None else str(value)


def local_to_utc(value, tz_name):
    """A naive datetime in the server's configured zone, as naive UTC."""
    aware = value.replace(tzinfo=ZoneInfo(tz_name))
    return aware.astimezone(timezone.utc).replace(tzinfo=None)


def parse_teuthology_timestamp(text):
    """`YYYY-MM-DD_HH:MM:SS` (job `timestamp`, run names). Stored as given: no zone shift."""
    if not isinstance(text, str):
        raise TimeFormatError("timestamp must be a string formatted YYYY-MM-DD_HH:MM:SS")
    try:
        return datetime.strptime(text, TEUTHOLOGY_TIMESTAMP_FORMAT)
    except ValueError:
        raise TimeFormatError(
            f"timestamp must be formatted YYYY-MM-DD_HH:MM:SS, got {text!r}") from None


_DATE = re.compile(r"^\d{1,4}-\d{1,2}-\d{1,2}$")


def parse_date(text, tz_name, today=None):
    """A date parameter: `YYYY-MM-DD` (zero padding optional), `today` or `yesterday`
    (in the server's zone). Returns a `datetime.date`."""
    if today is None:
        today = datetime.now(ZoneInfo(tz_name)).date()
    if text == "today":
        return today
    if text == "yesterday":
        return today - timedelta(days=1)
    if isinstance(text, str) and _DATE.match(text):
        try:
            return datetime.strptime(text, DATE_FORMAT).date()
        except ValueError:
            pass
    raise TimeFormatError(DATE_FORMAT_ERROR)


def day_start(text, tz_name, today=None):
    """00:00:00 of the day a date parameter names (see parse_date)."""
    return datetime.combine(parse_date(text, tz_name, today), time.min)
