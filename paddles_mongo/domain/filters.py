"""The run filter grammar of `/runs/{dim}/{value}/{dim}/{value}/.../[{dim}/]` (spec §3.2).

A path is a chain of (dimension, value) pairs, in any order and to any depth, optionally ending
in a bare dimension (list that dimension's distinct values among the runs matched so far).
`date` takes a day (`YYYY-MM-DD`, `today`, `yesterday`) or `from/{a}/to/{b}`, after which
nothing may follow. A repeated or unknown dimension names nothing: NotFound.
"""
from dataclasses import dataclass, field
from datetime import datetime, time

from ..exceptions import NotFound
from ..run_dimensions import DAY, RUN_DIMENSIONS
from ..timeformat import day_start, parse_date

# Every URL segment naming a dimension (run_dimensions.py), aliases included.
BY_SEGMENT = {segment: dimension for dimension in RUN_DIMENSIONS
              for segment in (dimension.segment, *dimension.aliases)}
END_OF_DAY = time(23, 59, 59)  # the original's inclusive end of a day (a run at :59.5 is out)


@dataclass
class RunFilter:
    values: dict = field(default_factory=dict)    # RunDimension (not DAY) -> value
    day: object = None                            # the DAY RunDimension, when used
    scheduled_from: datetime = None
    scheduled_to: datetime = None
    date_range: bool = False                      # from/to: unpaginated
    listing: object = None                        # the RunDimension whose values to list
    empty: bool = False                           # `date/from/{a}/` matches nothing

    @property
    def dimensions(self):
        """The RunDimensions filtered on."""
        return [*self.values, *([self.day] if self.day else [])]

    @property
    def key(self):
        """What tells this filter from any other (hashable): a cache key."""
        return (tuple(sorted((dimension.segment, value)
                             for dimension, value in self.values.items())),
                self.day and self.day.segment, self.scheduled_from, self.scheduled_to,
                self.date_range, self.listing and self.listing.segment, self.empty)


def parse_filter_path(segments, tz_name, today=None):
    run_filter = RunFilter()
    position = 0
    while position < len(segments):
        dimension = BY_SEGMENT.get(segments[position])
        if dimension is None or dimension in run_filter.dimensions:
            raise NotFound(f"no run filter {'/'.join(segments)}")
        if position + 1 == len(segments):
            run_filter.listing = dimension
            return run_filter
        value = segments[position + 1]
        position += 2
        if dimension.match != DAY:
            run_filter.values[dimension] = value
            continue
        run_filter.day = dimension
        if value != "from":
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
