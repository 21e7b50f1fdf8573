"""How the web pages show values: ages, durations, status words and colours, result bars, charts
(inline SVG drawn here, so the pages need no script or charting library) and readable YAML."""
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode

import yaml

from ..domain.runs import RESULT_STATUSES

# The order result bars and counts list the statuses in: outcomes first, then the unfinished.
BAR_STATUSES = ("pass", "fail", "dead", "running", "waiting", "queued", "unknown")
assert set(BAR_STATUSES) == set(RESULT_STATUSES)
AGE_UNITS = (("d", 86400), ("h", 3600), ("min", 60), ("s", 1))


def status_class(status):
    """The colour class of a job or run status: a run's `finished pass` is coloured as a pass,
    anything unknown as `unknown`. The status word is always printed beside the colour."""
    word = (status or "unknown").split()[-1]
    return word if word in BAR_STATUSES or word == "empty" else "unknown"


def parse_time(text):
    """A JSON time (`YYYY-MM-DD HH:MM:SS[.ffffff]`, UTC) as a datetime, or None."""
    try:
        return datetime.fromisoformat(text)
    except (TypeError, ValueError):
        return None


def span(seconds):
    """`2 d 3 h`, `4 h 05 min`, `35 s`: the two largest units of a duration."""
    seconds = int(seconds)
    parts = []
    for unit, size in AGE_UNITS:
        if seconds >= size or (unit == "s" and not parts):
            parts.append(f"{seconds // size} {unit}")
            seconds %= size
        if len(parts) == 2 or (parts and unit == "s"):
            break
    return " ".join(parts)


def age(text, now):
    """How long before `now` the JSON time `text` was: `3 h 20 min ago` (or `in ...`)."""
    moment = parse_time(text)
    if moment is None:
        return ""
    seconds = (now - moment).total_seconds()
    return f"{span(seconds)} ago" if seconds >= 0 else f"in {span(-seconds)}"


def duration(seconds):
    return span(seconds) if isinstance(seconds, (int, float)) and seconds >= 0 else ""


def held_for(event):
    """How long the lock an unlock event ends was held (`locked_since` to its `time`)."""
    since, until = parse_time(event.get("locked_since")), parse_time(event.get("time"))
    if since is None or until is None:
        return ""
    return span(max((until - since).total_seconds(), 0))


@dataclass
class BarPart:
    status: str
    count: int
    percent: float


def result_bar(results):
    """The parts of a run's result bar: each status with jobs, its share of the total."""
    total = sum(results.get(status) or 0 for status in BAR_STATUSES)
    return [BarPart(status, results[status], round(100 * results[status] / total, 2))
            for status in BAR_STATUSES if total and results.get(status)]


def readable(value):
    """A JSON value (overrides, targets) as YAML, the way teuthology's configs are written."""
    return yaml.safe_dump(value, default_flow_style=False, sort_keys=False, width=100).rstrip()


def page_url(path, arguments, **changes):
    """`path` with the query string of `arguments` (the request's), `changes` applied (None
    removes a key): permalinks keep every filter."""
    query = {key: value for key, value in {**arguments, **changes}.items()
             if value not in (None, "")}
    return f"{path}?{urlencode(query)}" if query else path


@dataclass
class Chart:
    """A day chart's SVG geometry: job-count bars, a pass-rate line and axis labels."""
    width: int
    height: int
    bars: list      # (x, y, width, height, day)
    line: str       # polyline points of the pass rate
    dots: list      # (x, y, day)
    labels: list    # (x, text) under the axis
    most_jobs: int


CHART_WIDTH, CHART_HEIGHT, CHART_MARGIN = 720, 220, 30


def trend_chart(days):
    """`days` as /trends/ answers them: bars of jobs per day, the pass rate as a line on
    0–100 %, a date label every week back from the last day."""
    plot_height = CHART_HEIGHT - 2 * CHART_MARGIN
    step = (CHART_WIDTH - 2 * CHART_MARGIN) / max(len(days), 1)
    most_jobs = max((day["jobs"] for day in days), default=0)
    bars, dots, labels = [], [], []
    for index, day in enumerate(days):
        left = CHART_MARGIN + index * step
        height = plot_height * day["jobs"] / most_jobs if most_jobs else 0
        bars.append((round(left + step * 0.1, 1), round(CHART_MARGIN + plot_height - height, 1),
                     round(step * 0.8, 1), round(height, 1), day))
        if day["pass_rate"] is not None:
            dots.append((round(left + step / 2, 1),
                         round(CHART_MARGIN + plot_height * (1 - day["pass_rate"]), 1), day))
        if (len(days) - 1 - index) % 7 == 0:
            labels.append((round(left + step / 2, 1), day["date"][5:]))
    line = " ".join(f"{x},{y}" for x, y, _day in dots)
    return Chart(CHART_WIDTH, CHART_HEIGHT, bars, line, dots, labels, most_jobs)


SPARK_WIDTH, SPARK_HEIGHT = 120, 24


def sparkline(counts):
    """Bars (x, y, width, height, count) of a small per-day chart of `counts`."""
    most = max(counts, default=0)
    step = SPARK_WIDTH / max(len(counts), 1)
    return [(round(index * step, 1), round(SPARK_HEIGHT - SPARK_HEIGHT * count / most, 1)
             if most else SPARK_HEIGHT, round(max(step - 1, 1), 1),
             round(SPARK_HEIGHT * count / most, 1) if most else 0, count)
            for index, count in enumerate(counts)]
