"""The run filter dimensions of `/runs/{dimension}/{value}/...`: the one table the filter routes
(api/runs.py), the path grammar (domain/filters.py), the run indexes (db.INDEXES) and the
choice of index for a query (services/run_filters.py) derive from.

Adding a dimension is one row here, over a field the run documents hold (plus its tests):
this gives the URLs `/runs/{segment}/`, `/runs/{segment}/{value}/...`, the index
`{field}_scheduled` and its place in index choice. A pair of dimensions filtered on together
often (DIMENSION_PAIRS) gets an index of both."""
from dataclasses import dataclass

EQUAL = "equal"    # the field equals the value
PREFIX = "prefix"  # the field (an array) holds a string starting with the value
DAY = "day"        # the field (a date) falls on the day, or from/{a}/to/{b}


@dataclass(frozen=True)
class RunDimension:
    segment: str           # in the URL
    field: str             # of the run document
    match: str = EQUAL
    array: bool = False    # the field holds the values of all the run's jobs
    aliases: tuple = ()    # other URL segments naming the same dimension
    # Counted from the run's jobs (the arrays, the status), so moved by any job write: the
    # lists of values of a filter naming it are read each time. The others' values change
    # only with a run's creation, correction or deletion, which the run values' version
    # follows (services/run_values.py): those lists are kept per version.
    counted: bool = False

    @property
    def index(self):
        """The run index serving this dimension, and the sort by `scheduled` with it."""
        return "scheduled" if self.field == "scheduled" else f"{self.field}_scheduled"


# Most selective first: when a chain filters on several dimensions, the first of them here
# names the index the query uses. sha1 and flavor match *any job* of the run, through the
# arrays of values its jobs hold, which the run document keeps exact.
RUN_DIMENSIONS = (
    RunDimension("sha1", "sha1s", match=PREFIX, array=True, counted=True),
    RunDimension("date", "scheduled", match=DAY),
    RunDimension("user", "user"),
    RunDimension("branch", "branch"),
    RunDimension("suite", "suite"),
    RunDimension("machine_type", "machine_type"),
    # The original calls flavor `flavors` at the top level and `flavor` in chains.
    RunDimension("flavor", "flavors", array=True, aliases=("flavors",), counted=True),
    RunDimension("status", "status", counted=True),
)
# The run fields whose changes move the run values' version.
VERSIONED_FIELDS = tuple(dimension.field for dimension in RUN_DIMENSIONS
                         if not dimension.counted)


@dataclass(frozen=True)
class DimensionPair:
    """Two dimensions filtered on together often enough to have an index of both (then the
    sort by `scheduled`): a chain holding both reads only the runs matching both, instead of
    every run matching the more selective one."""
    dimensions: tuple  # two RunDimensions, the index's fields in this order

    @property
    def index(self):
        return "_".join(dimension.field for dimension in self.dimensions) + "_scheduled"


_BY_NAME = {dimension.segment: dimension for dimension in RUN_DIMENSIONS}
# pulpito's branch + suite view: the filter route people open most after the run list.
DIMENSION_PAIRS = (DimensionPair((_BY_NAME["branch"], _BY_NAME["suite"])),)
