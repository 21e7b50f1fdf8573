"""The one switch between plain MongoDB queries and the local database's workarounds.

Every query this service sends is the one MongoDB wants (an index range, stopped at its limit,
sorted by the index or on the server). SecantusDB, the local database of `make run` and of
the tests, plans and executes some of them differently, so each query that needs it has a
workaround here, beside its plain form:

| what | MongoDB (`mongodb`) | SecantusDB (`secantusdb`) |
|---|---|---|
| index choice | every query names its index (`hint`): fixed plans | only queries its planner would answer with a collection scan name it (a field outside the index, a set of values or a `$gte` beside another field, a pattern): a hinted query costs it the whole index (5.4 s against 0.006 s for a test's 25 newest jobs of 10,535) |
| a set of values beside a date range (the failed statuses of a period) | one query, hinted | one query per value, its range started with `$gt` (`by_value`): each an index range its planner walks |
| the newest-runs list | a sorted `find` with skip and limit: the index walk stops at the limit | bounded below by the `posted` of the page's last run when it was last read (PageFloors): it reads every run for an unbounded sorted `find` |
| a run's jobs | read on the run's range of `run_job_id_unique`, sorted on the server | the run's range read whole, picked and sorted here: a server-side sort of whole documents costs it more than the read |
| the jobs of a set of runs (a suite's flaky tests) | one query, hinted: the runs' ranges of `run_job_id_unique`, filtered on the server | the runs' ranges read whole (the set of runs alone, which its planner walks unhinted) and picked here: 0.45 s against 4.1 s for 2,073 jobs of 20 runs |
| a page of a run filter, of `/jobs/`, of a node's jobs | a sorted `find` with skip and limit on the filter's index | read in windows of `scheduled` (`posted`) going back from now (2, 16, 128, 1024 days, then the rest), each an index range, until the page is full: it reads every document of a range before stopping at a limit |
| description search | narrowed by the index of the descriptions' 3-grams, then the pattern | no grams index (`skipped_indexes`): it rewrites every index entry of a job at each of its updates, about one per character of the description; the pattern alone, in the windows above |

`query_policy` (setting) chooses: `auto` (the default) asks the server once per process
(`buildInfo` of SecantusDB carries `secantusVersion`), or `mongodb` / `secantusdb`. Tests run the
routes these change under both, against the same expectations.
"""
import operator
from datetime import datetime, timedelta

from .config import ConfigError
from .page_cache import PageFloors
from .text_search import DESCRIPTION_INDEX

BATCH_LIMIT = 100_000  # documents per reply; a whole page, within MongoDB's 16 MiB per reply
# The conditions `satisfies` decides as MongoDB does, for a field of one type.
COMPARISONS = {"$eq": operator.eq, "$gt": operator.gt, "$gte": operator.ge,
               "$lt": operator.lt, "$lte": operator.le,
               "$in": lambda value, values: value in values}
PLAIN_OPERATORS = set(COMPARISONS)
# How far back from now each window of a newest-first page reaches on the local database, in
# days (the last window takes the rest): eight times longer each, so a page that the matching
# documents do not fill costs five `find`s.
WINDOW_DAYS = (2, 16, 128, 1024)


class MongoDBQueries:
    name = "mongodb"
    skipped_indexes = frozenset()  # of db.INDEXES: those this server goes without
    text_grams = True  # whether description search narrows by the grams index

    def __init__(self, index_keys=None):
        # {index name: its key fields} of db.INDEXES.
        self.index_keys = index_keys or {}

    def hint(self, query, index):
        """find/aggregate/count keyword arguments naming the index that serves `query`."""
        return {"hint": index}

    def by_value(self, query, field):
        """The queries to send for `query`, whose `field` is a set (`$in`): the query itself."""
        return [query]

    def newest_runs(self, runs, order, skip, limit):
        """A page of runs in `order` (newest `posted` first)."""
        cursor = runs.find({}).sort(order).skip(skip).limit(limit)
        return list(cursor.batch_size(min(limit, BATCH_LIMIT)))

    def newest(self, collection, query, index, order, skip, limit, now):
        """A page of the documents matching `query`, newest first by `order` (its first field a
        date: `scheduled` of runs, `posted` of jobs; `query` may hold a range of it), read on
        `index`. `limit` 0: all of them after the first `skip`."""
        cursor = collection.find(query, **self.hint(query, index)).sort(order).skip(skip)
        return list(cursor.limit(limit).batch_size(min(limit, BATCH_LIMIT) or BATCH_LIMIT))

    def run_jobs(self, jobs, run_index, query, projection, order):
        """The jobs matching `query` (the run's, perhaps of one status) in `order`."""
        cursor = jobs.find(query, projection, hint=run_index).sort(order)
        return list(cursor.batch_size(BATCH_LIMIT))

    def jobs_of_runs(self, jobs, run_index, runs, query, projection):
        """The jobs of the runs named `runs` that match `query` (plain conditions on other
        fields), in no particular order."""
        cursor = jobs.find({"run": {"$in": runs}, **query}, projection, hint=run_index)
        return list(cursor.batch_size(BATCH_LIMIT))


class SecantusDBQueries(MongoDBQueries):
    name = "secantusdb"
    skipped_indexes = frozenset({DESCRIPTION_INDEX})
    text_grams = False

    def __init__(self, index_keys=None):
        super().__init__(index_keys)
        self.page_floors = PageFloors()  # per process; see PageFloors for why that is exact

    def hint(self, query, index):
        """No hint where its planner walks the index by itself: one field with plain
        conditions, or fields that are all keys of the index, each an equality or a range
        without `$gte` (a set beside another field makes it scan; a `$gte` beside another
        field it answers wrong, see `inclusive_start`). A hinted query costs it the whole
        index (docs/performance.md)."""
        def plain(condition, operators):
            return not isinstance(condition, dict) or set(condition) <= operators

        if len(query) == 1 and plain(next(iter(query.values())), PLAIN_OPERATORS):
            return {}
        keys = self.index_keys.get(index, ())
        if all(field in keys and plain(condition, {"$eq", "$gt", "$lt", "$lte"})
               for field, condition in query.items()):
            return {}
        return {"hint": index}

    def by_value(self, query, field):
        """One query per value of `field`'s set, its date ranges starting with `$gt`: each an
        index range its planner walks unhinted, where the set beside other fields would make
        it scan the collection."""
        shaped = {name: inclusive_start(condition) if isinstance(condition, dict) else condition
                  for name, condition in query.items()}
        return [{**shaped, field: value} for value in query[field]["$in"]]

    def newest_runs(self, runs, order, skip, limit):
        def page(query):
            cursor = runs.find(query).sort(order).skip(skip).limit(limit)
            return list(cursor.batch_size(min(limit, BATCH_LIMIT)))

        end = skip + limit
        floor = self.page_floors.get(end)
        found = page({} if floor is None else {"posted": {"$gte": floor}})
        if floor is not None and len(found) < limit:
            found = page({})
        self.page_floors.remember(end, found, limit)
        return found

    def newest(self, collection, query, index, order, skip, limit, now):
        if not limit:
            return super().newest(collection, query, index, order, skip, limit, now)
        wanted, found = skip + limit, []
        field = order[0][0]
        # Hinted as the query without its window would be: the window adds a field, but its
        # planner serves a plain range (a hinted find costs it seconds on a big collection:
        # 4.4 s against 0.18 s for a node's 20 newest jobs of 10,000), once its start is
        # written as it reads it right.
        hint = self.hint(query, index)
        for window in time_windows(query.get(field), now):
            if not hint:
                window = inclusive_start(window)
            cursor = collection.find({**query, field: window}, **hint).sort(order)
            found += cursor.limit(wanted - len(found)).batch_size(BATCH_LIMIT)
            if len(found) >= wanted:
                break
        return found[skip:]

    def run_jobs(self, jobs, run_index, query, projection, order):
        run_range = {"run": query["run"]}
        if projection is not None:
            projection = {**projection, **{field: 1 for field in query},
                          **{field: 1 for field, _ in order}}
        cursor = jobs.find(run_range, projection).batch_size(BATCH_LIMIT)
        return sort_here([job for job in cursor if satisfies(job, query)], order)

    def jobs_of_runs(self, jobs, run_index, runs, query, projection):
        projection = {**projection, **dict.fromkeys(query, 1)}
        cursor = jobs.find({"run": {"$in": runs}}, projection).batch_size(BATCH_LIMIT)
        return [job for job in cursor if satisfies(job, query)]


def satisfies(document, query):
    """Whether `document` matches `query`: {field: value or {operator of PLAIN_OPERATORS:
    operand}}, on fields holding one value, as MongoDB matches them (a missing field equals
    null and is in no range; values of different types never compare)."""
    for field, condition in query.items():
        value = document.get(field)
        conditions = condition.items() if isinstance(condition, dict) else [("$eq", condition)]
        for name, operand in conditions:
            try:
                if not COMPARISONS[name](value, operand):
                    return False
            except TypeError:
                return False
    return True


def inclusive_start(condition):
    """`condition` on a date with its `$gte` written as the `$gt` of one millisecond earlier
    (BSON dates are whole milliseconds: the same dates match). The local database's planner,
    walking a compound index whose date key is descending (`target_nodes_posted`,
    `suite_scheduled`...) after an equality, leaves out the documents equal to a `$gte`."""
    start = condition.get("$gte")
    if not isinstance(start, datetime):
        return condition
    whole_ms = start.replace(microsecond=start.microsecond // 1000 * 1000)
    rest = {operator: value for operator, value in condition.items() if operator != "$gte"}
    return {**rest, "$gt": whole_ms - timedelta(milliseconds=1)}


def time_windows(condition, now):
    """Conditions on a date of consecutive windows, newest first, that together cover
    `condition` (a date range: $gt/$gte, $lt/$lte, each optional; None: all time): from
    WINDOW_DAYS[0] days before `now` on (later dates included), then back to
    WINDOW_DAYS[1], ... days before `now`, then the rest."""
    condition = dict(condition or {})
    floors = [condition[op] for op in ("$gt", "$gte") if op in condition]
    ceilings = [condition[op] for op in ("$lt", "$lte") if op in condition]
    floor, ceiling = max(floors, default=None), min(ceilings, default=None)
    upper = None  # the exclusive end of the next window
    for days in (*WINDOW_DAYS, None):
        lower = None if days is None else now - timedelta(days=days)
        last = lower is None or (floor is not None and lower <= floor)
        if last or ceiling is None or lower <= ceiling:
            window = dict(condition)
            if not last:
                window["$gte"] = max(lower, condition.get("$gte", lower))
            if upper is not None:
                window["$lt"] = min(upper, condition.get("$lt", upper))
            yield window
        if last:
            return
        upper = lower


def sort_here(documents, order):
    """`documents` sorted as MongoDB sorts by `order` ([(field, 1 or -1)]), for fields of one
    type each, missing and null first."""
    for field, direction in reversed(order):
        documents.sort(key=lambda doc: _null_first(doc.get(field)), reverse=direction < 0)
    return documents


def _null_first(value):
    return (0,) if value is None else (1, value)


POLICIES = {policy.name: policy for policy in (MongoDBQueries, SecantusDBQueries)}
CHOICES = ("auto", *POLICIES)


def choose_policy(setting, build_info):
    """The policy class for `setting` (one of CHOICES); `build_info()` answers the server's
    buildInfo, asked only for `auto`."""
    if setting == "auto":
        return SecantusDBQueries if "secantusVersion" in build_info() else MongoDBQueries
    try:
        return POLICIES[setting]
    except KeyError:
        raise ConfigError(f"query_policy must be one of {', '.join(CHOICES)}, "
                          f"got {setting!r}") from None
