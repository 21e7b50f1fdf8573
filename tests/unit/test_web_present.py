"""How the web pages show values (paddles_mongo/ui/present.py)."""
from datetime import datetime

import pytest

from paddles_mongo.ui import present

NOW = datetime(2026, 12, 4, 12, 0, 0)


@pytest.mark.parametrize("seconds, text", [
    (0, "0 s"), (35, "35 s"), (60, "1 min"), (125, "2 min 5 s"), (3600, "1 h"),
    (3 * 3600 + 20 * 60 + 5, "3 h 20 min"), (86400 * 2 + 3600 * 5, "2 d 5 h"), (86400, "1 d"),
])
def test_span_shows_the_two_largest_units(seconds, text):
    assert present.span(seconds) == text


def test_age_is_relative_to_now_either_way():
    assert present.age("2026-12-04 09:00:00", NOW) == "3 h ago"
    assert present.age("2026-12-04 11:59:59.500000", NOW) == "0 s ago"
    assert present.age("2026-12-04 12:05:00", NOW) == "in 5 min"
    assert present.age(None, NOW) == "" and present.age("yesterday", NOW) == ""


def test_duration_of_nothing_is_blank():
    assert present.duration(None) == "" and present.duration(-1) == ""
    assert present.duration(5400) == "1 h 30 min"


@pytest.mark.parametrize("status, colour", [
    ("pass", "pass"), ("finished pass", "pass"), ("finished dead", "dead"), ("running", "running"),
    ("empty", "empty"), (None, "unknown"), ("weird", "unknown")])
def test_status_class_colours_runs_as_their_outcome(status, colour):
    assert present.status_class(status) == colour


def test_result_bar_shares_add_up_and_skip_empty_statuses():
    parts = present.result_bar({"pass": 6, "fail": 3, "dead": 0, "queued": 1, "total": 10})
    assert [(part.status, part.count, part.percent) for part in parts] == [
        ("pass", 6, 60.0), ("fail", 3, 30.0), ("queued", 1, 10.0)]
    assert present.result_bar({"total": 0}) == []


def test_page_url_keeps_the_filters_and_applies_changes():
    arguments = {"branch": "main", "suite": "rados", "page": "2"}
    assert present.page_url("/ui/", arguments, page=3) == "/ui/?branch=main&suite=rados&page=3"
    assert present.page_url("/ui/", arguments, page=None, suite="") == "/ui/?branch=main"
    assert present.page_url("/ui/", {}) == "/ui/"


def test_readable_writes_yaml_in_the_given_order():
    assert present.readable({"b": 1, "a": [1, "x"]}) == "b: 1\na:\n- 1\n- x"


def day(date, jobs, pass_rate):
    return {"date": date, "runs": 1, "jobs": jobs, "pass_rate": pass_rate}


def test_trend_chart_scales_bars_to_the_busiest_day_and_the_rate_to_the_plot():
    days = [day("2026-12-01", 10, 1.0), day("2026-12-02", 0, None), day("2026-12-03", 5, 0.0)]
    chart = present.trend_chart(days)
    plot = present.CHART_HEIGHT - 2 * present.CHART_MARGIN
    assert [bar[3] for bar in chart.bars] == [plot, 0, plot / 2]
    assert [bar[1] + bar[3] for bar in chart.bars] == [present.CHART_MARGIN + plot] * 3
    assert [(dot[1], dot[2]["date"]) for dot in chart.dots] == [
        (present.CHART_MARGIN, "2026-12-01"), (present.CHART_MARGIN + plot, "2026-12-03")]
    assert chart.line.count(",") == 2 and chart.most_jobs == 10
    assert [label for _x, label in chart.labels] == ["12-03"]
    weeks = present.trend_chart([day(f"2026-11-{number:02d}", 1, 1.0) for number in range(1, 16)])
    assert [label for _x, label in weeks.labels] == ["11-01", "11-08", "11-15"]


def test_a_chart_of_days_without_jobs_draws_no_bars():
    chart = present.trend_chart([day("2026-12-01", 0, None)] * 3)
    assert {bar[3] for bar in chart.bars} == {0} and chart.line == "" and chart.dots == []


def test_sparkline_bars_scale_to_the_busiest_day():
    bars = present.sparkline([0, 2, 4])
    assert [bar[3] for bar in bars] == [0, present.SPARK_HEIGHT / 2, present.SPARK_HEIGHT]
    assert [bar[4] for bar in bars] == [0, 2, 4]
    assert [bar[3] for bar in present.sparkline([0, 0])] == [0, 0]
