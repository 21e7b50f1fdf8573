"""The run filter path grammar (domain/filters.py), without a database."""
from datetime import date, datetime

import pytest

from paddles_mongo.domain.filters import BY_SEGMENT, parse_filter_path
from paddles_mongo.exceptions import InvalidInput, NotFound
from paddles_mongo.run_dimensions import RUN_DIMENSIONS

TODAY = date(2026, 3, 1)
BRANCH, SHA1, DATE, FLAVOR = (BY_SEGMENT[name] for name in ("branch", "sha1", "date", "flavor"))


def parse(path):
    return parse_filter_path(path.strip("/").split("/"), "UTC", today=TODAY)


def test_every_dimension_and_alias_of_the_table_is_a_segment():
    for dimension in RUN_DIMENSIONS:
        for segment in (dimension.segment, *dimension.aliases):
            assert BY_SEGMENT[segment] is dimension


def test_a_chain_of_values():
    run_filter = parse("branch/main/sha1/abc/flavors/crimson")
    assert run_filter.values == {BRANCH: "main", SHA1: "abc", FLAVOR: "crimson"}
    assert run_filter.listing is None and run_filter.day is None
    assert run_filter.dimensions == [BRANCH, SHA1, FLAVOR]


def test_a_chain_ending_in_a_dimension_lists_its_values():
    run_filter = parse("branch/main/suite")
    assert run_filter.values == {BRANCH: "main"}
    assert run_filter.listing is BY_SEGMENT["suite"]


def test_a_day_runs_from_its_start_to_the_last_second():
    run_filter = parse("date/2026-02-03")
    assert run_filter.day is DATE
    assert run_filter.scheduled_from == datetime(2026, 2, 3, 0, 0, 0)
    assert run_filter.scheduled_to == datetime(2026, 2, 3, 23, 59, 59)
    assert not run_filter.date_range


@pytest.mark.parametrize("word, day", [("today", 1), ("yesterday", 28)])
def test_today_and_yesterday_are_days_of_the_server_zone(word, day):
    assert parse(f"date/{word}").scheduled_from.day == day


def test_a_range_of_days_is_unpaginated_and_ends_the_chain():
    run_filter = parse("user/bob/date/from/2026-01-30/to/2026-02-02")
    assert run_filter.date_range
    assert run_filter.scheduled_from == datetime(2026, 1, 30)
    assert run_filter.scheduled_to == datetime(2026, 2, 2, 23, 59, 59)
    assert run_filter.values == {BY_SEGMENT["user"]: "bob"}


def test_from_without_to_matches_nothing():
    assert parse("date/from/2026-01-30").empty


@pytest.mark.parametrize("path", ["bogus/x", "branch/a/branch/b", "flavor/a/flavors/b",
                                  "date/from/2026-01-01/to/2026-01-02/branch/main",
                                  "date/from/2026-01-01/until/2026-01-02"])
def test_unknown_repeated_or_misplaced_dimensions_name_nothing(path):
    with pytest.raises(NotFound):
        parse(path)


def test_a_bad_day_is_invalid_input():
    with pytest.raises(InvalidInput):
        parse("date/2026-13-01")
