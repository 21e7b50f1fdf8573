"""The run filter grammar of `/runs/{dim}/{value}/{dim}/{value}/.../[{dim}/]` (spec §3.2).

A path is a chain of (dimension, value) pairs, in any order and to any depth, optionally ending
in a bare dimension (list that dimension's distinct values among the runs matched so far).
`date` takes a day (`YYYY-MM-DD`, `today`, `yesterday`) or `from/{a}/to/{b}`, after which
nothing may follow. A repeated or unknown dimension names nothing: NotFound.
"""
from dataclasses import dataclass, field
from datetime import datetime, time

from ..exceptions import NotFound
from ..timeformat import day_start, parse_date

# dimension -> the run field it filters on. sha1 and flavor match *any job* of the run, through
# arrays of the values its jobs hold, which the run document keeps exact.
RUN_FIELDS = {
    "branch": "branch", "suite": "suite", "machine_type": "machine_type", "status": "status",
    "user": "user", "sha1": "sha1s", "flavor": "flavors", "date": "scheduled",
}
# The original calls flavor `flavors` at the top level and `flavor` in chains; both work here.
ALIASES = {"flavors": "flavor"}
END_OF_DAY = time(23, 59, 59)  # the original's inclusive end of a day (a run at :59.5 is out)


@dataclass
class RunFilter:
    equals: dict = field(default_factory=dict)    # dimension -> value
    sha1_prefix: str = None
    scheduled_from: datetime = None
    scheduled_to: datetime = None
    date_range: bool = False                      # from/to: unpaginated
    listing: str = None                           # the dimension whose values to list
    empty: bool = False                           # `date/from/{a}/` matches nothing

    @property
    def dimensions(self):
        used = set(self.equals)
        if self.sha1_prefix is not None:
            used.add("sha1")
        if self.scheduled_from is not None:
            used.add("date")
        return used


def parse_filter_path(segments, tz_name, today=None):
    run_filter = RunFilter()
    position = 0
    while position < len(segments):
        name = ALIASES.get(segments[position], segments[position])
        if name not in RUN_FIELDS or name in run_filter.dimensions:
            raise NotFound(f"no run filter {'/'.join(segments)}")
        if position + 1 == len(segments):
            run_filter.listing = name
            return run_filter
        value = segments[position + 1]
        position += 2
        if name == "sha1":
            run_filter.sha1_prefix = value
        elif name != "date":
            run_filter.equals[name] = value
        elif value != "from":
            day = parse_date(value, tz_name, today)
            run_filter.scheduled_from = datetime.combine(day, time.min)
            run_filter.scheduled_to = datetime.combine(day, END_OF_DAY)
        else:
            rest = segments[position:]
            if len(rest) == 1:  # date/from/{a}/
                run_filter.scheduled_from = day_start(rest[0], tz_name, today)
                run_filter.empty = True
                return run_filter
            if len(rest) != 3 or rest[1] != "to":
                raise NotFound(f"no run filter {'/'.join(segments)}")
            run_filter.scheduled_from = day_start(rest[0], tz_name, today)
            run_filter.scheduled_to = datetime.combine(parse_date(rest[2], tz_name, today),
                                                       END_OF_DAY)
            run_filter.date_range = True
            return run_filter
    return run_filter
