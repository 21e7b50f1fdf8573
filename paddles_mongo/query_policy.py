"""The one switch between plain MongoDB queries and the local database's workarounds.

Every query this service sends is the one MongoDB wants (an index range, stopped at its limit,
sorted by the index or on the server). SecantusDB, the local database of `make run` and of
the tests, plans and executes some of them differently, so each query that needs it has a
workaround here, beside its plain form:

| what | MongoDB (`mongodb`) | SecantusDB (`secantusdb`) |
|---|---|---|
| index choice | every query names its index (`hint`): fixed plans | only queries its planner would answer with a collection scan name it (a field outside the index, a set of values or a `$gte` beside another field, a pattern): a hinted query costs it the whole index (5.4 s against 0.006 s for a test's 25 newest jobs of 10,535) |
| a set of values beside a date range (the failed statuses of a period) | one query, hinted | one query per value, its range started with `$gt` (`by_value`): each an index range its planner walks |
| grouping (failures by signature) | an aggregation: the groups made on the server | the documents read with a `find` and grouped here (`grouped`): its aggregation evaluates every accumulator in Python, 7× the `find` |
| a run's jobs | read on the run's range of `run_job_id_unique`, sorted on the server | the run's range read whole, picked and sorted here: a server-side sort of whole documents costs it more than the read |
| the jobs of a set of runs (a suite's flaky tests) | one query, hinted: the runs' ranges of `run_job_id_unique`, filtered on the server | the runs' ranges read whole (the set of runs alone, which its planner walks unhinted) and picked here: 0.45 s against 4.1 s for 2,073 jobs of 20 runs |
| a page of the newest runs, of a run filter, of `/jobs/`, of a node's jobs | a sorted `find` with skip and limit on the filter's index: the index walk stops at the limit | read again, one range: the dates from the page's last document when this process last read it (PageFloors), its skip made by the server where nothing is checked here, unless that comes back short; a page that came back short (the list's last page), the list's whole range at once; a first read, by one thread of the process at a time, in windows of `scheduled` (`posted`) going back from now (2, 16, 128, 1024 days, then the rest), each an index range, until the page is full: it reads every document of a range before stopping at a limit (every run, 2.2 s at 10,000 runs, for the newest runs unbounded). Each window is sent unhinted as the conditions its planner walks on the index (`index_part`: equalities on the index's keys); the others (a third dimension, a status, a pattern, an `$or`) are checked here on the window's documents (`satisfies`). A range leading the index (a sha1 prefix) it walks only alone: that range is read whole, once |
| the newest of a sequence (events' `seq`) | a sorted `find_one`: the index walk stops at the first | the same, bounded below by the greatest value this process saw (`sequence_floors`, a hint only: the answer is the newest whatever other processes wrote) |
| a page of events after a `seq` | a sorted `find` on the filter's `(key, seq)` index, stopped at the limit | read in windows of `seq` going forward (the page's size, then eight times wider each), each an index range (`index_part`; a type beside a node or run checked here), until the page is full or the newest is passed; a set of types alone is one query per type |
| description search | narrowed by the index of the descriptions' 3-grams, then the pattern | no grams index (`skipped_indexes`): it rewrites every index entry of a job at each of its updates, about one per character of the description; the pattern checked here on the jobs of each window of `posted` |
| an update answering the document it changed (a run's job write journal and count, a node's update) | `findAndModify`: the document as the update left it | `update` by the filter, then `find` of the document by its key (`update_and_read`): its `findAndModify` finds the document on the index, then writes it through `{_id, $and: [filter]}`, which it answers by reading the whole collection (34 ms against 1.9 ms for one run of 3,000; every job write sent two) |

`query_policy` (setting) chooses: `auto` (the default) asks the server once per process
(`buildInfo` of SecantusDB carries `secantusVersion`), or `mongodb` / `secantusdb`. Tests run the
routes these change under both, against the same expectations.
"""
import itertools
import operator
import re
from datetime import datetime, timedelta

from pymongo import ReturnDocument

from .config import ConfigError
from .page_cache import WHOLE_LIST, PageFloors
from .text_search import DESCRIPTION_INDEX

BATCH_LIMIT = 100_000  # documents per reply; a whole page, within MongoDB's 16 MiB per reply
# Documents per reply where the app checks conditions on a window's documents (a pattern): the
# page is usually full within the first reply, and the window's other documents are not sent.
CHECKED_BATCH = 1_000
PLAIN_OPERATORS = {"$eq", "$gt", "$gte", "$lt", "$lte", "$in"}
# The conditions `satisfies` decides as MongoDB does, for a field of one type.
COMPARISONS = {"$eq": operator.eq, "$gt": operator.gt, "$gte": operator.ge,
               "$lt": operator.lt, "$lte": operator.le,
               "$in": lambda value, values: any(_compares("$eq", value, one) for one in values),
               "$regex": lambda value, pattern: isinstance(value, str)
               and re.search(pattern, value) is not None}
# Conditions the local database's planner walks an index range for, unhinted.
RANGE_OPERATORS = {"$eq", "$gt", "$lt", "$lte"}
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

    def matching(self, collection, query, index, fields):
        """The `fields` of the documents matching `query`, read on `index`."""
        return collection.find(query, dict.fromkeys(fields, 1), hint=index).batch_size(
            BATCH_LIMIT)

    def grouped(self, collection, match, index, stages, fields, group_of_one):
        """The groups the aggregation stages `stages` make of the documents matching `match`
        (read on `index`), or groups of one document each (`group_of_one(document)`, of the
        document's `fields`) for the caller to merge."""
        return collection.aggregate([{"$match": match}, *stages], allowDiskUse=True,
                                    batchSize=BATCH_LIMIT, **self.hint(match, index))

    def newest(self, collection, query, index, order, skip, limit, now, fields=None):
        """A page of the documents matching `query`, newest first by `order` (its first field a
        date: `scheduled` of runs, `posted` of jobs; `query` may hold a range of it), read on
        `index`. `limit` 0: all of them after the first `skip`. `fields`: only those (and the
        order's) if given."""
        cursor = collection.find(query, ordered_projection(fields, order),
                                 **self.hint(query, index)).sort(order).skip(skip)
        return list(cursor.limit(limit).batch_size(min(limit, BATCH_LIMIT) or BATCH_LIMIT))

    def run_jobs(self, jobs, run_index, query, projection, order):
        """The jobs matching `query` (the run's, perhaps of one status) in `order`."""
        cursor = jobs.find(query, projection, hint=run_index).sort(order)
        return list(cursor.batch_size(BATCH_LIMIT))

    def update_and_read(self, collection, query, key, update, projection):
        """Apply `update` to the document matching `query`, which names it by its unique
        field `key` (an equality); returns it (its `projection`) after the update, None when
        nothing matched. Callers need only what this update wrote: here, the document as this
        update left it."""
        return collection.find_one_and_update(query, update, projection=projection,
                                              return_document=ReturnDocument.AFTER)

    def last_in_sequence(self, collection, field, index):
        """The greatest value of `field` (a sequence numbered by its writers) in the
        collection, or None if it is empty; read on `index`, whose first key is `field`."""
        document = collection.find_one({}, {field: 1}, sort=[(field, -1)], hint=index)
        return None if document is None else document[field]

    def after_in_sequence(self, collection, query, index, field, after, limit, last):
        """Up to `limit` documents matching `query` whose `field` is above `after`, in
        ascending `field` order, read on `index` (the filter's keys, then `field`). `last()`
        gives the sequence's greatest value (unused here)."""
        cursor = collection.find({**query, field: {"$gt": after}}, hint=index)
        return list(cursor.sort(field, 1).limit(limit).batch_size(limit))


class SecantusDBQueries(MongoDBQueries):
    name = "secantusdb"
    skipped_indexes = frozenset({DESCRIPTION_INDEX})
    text_grams = False

    def __init__(self, index_keys=None):
        super().__init__(index_keys)
        self.page_floors = PageFloors()  # per process; see PageFloors for why that is exact
        self.sequence_floors = {}  # per process, a lower bound only: see last_in_sequence

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
        if all(field in keys and plain(condition, RANGE_OPERATORS)
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

    def grouped(self, collection, match, index, stages, fields, group_of_one):
        """The documents read (its aggregation evaluates each accumulator in Python: 2.2 s
        against 0.3 s for the `find` of the same 1,048 failed jobs), each a group of one."""
        return (group_of_one(document)
                for document in self.matching(collection, match, index, fields))

    def matching(self, collection, query, index, fields):
        """The `fields` of the documents matching `query`: read unhinted as the part of it
        its planner walks on `index` (`index_part`), the rest checked here; hinted whole
        where no such part leads the index."""
        served, rest = self.index_part(query, index, None)
        if served is None:
            return super().matching(collection, query, index, fields)
        cursor = collection.find(served, projection_of((*fields, *fields_of(rest))))
        cursor = cursor.batch_size(BATCH_LIMIT)
        return (document for document in cursor if satisfies(document, rest))

    def newest(self, collection, query, index, order, skip, limit, now, fields=None):
        """The page read as the documents since its floor (PageFloors: where it ended when this
        process last read it), one window, or as the list's whole range if it last came back
        short (PageFloors' WHOLE_LIST); without one (a first read, or the page came back
        short under it), in windows of the date going back from `now`. Unbounded, it reads
        every document of the range (2.2 s for the newest runs at 10,000 runs), and under load
        each thread of each worker paid that at once until a first read set the floor; in
        windows, a page whose documents are spread over years (a branch and suite's 25 newest
        runs at a million jobs) costs four reads, the last of a year's documents."""
        if not limit:
            return super().newest(collection, query, index, order, skip, limit, now, fields)
        wanted, field = skip + limit, order[0][0]
        # Each window is sent unhinted as the part of the query its planner walks on the
        # index (a hinted find costs it seconds on a big collection: 4.4 s against 0.18 s for
        # a node's 20 newest jobs of 10,000), the rest picked here from the window's
        # documents; hinted whole only where no such part leads the index.
        served, rest = self.index_part(query, index, field)
        # The documents are read with what the conditions checked here need, too.
        projection = None if fields is None else ordered_projection(
            (*fields, *fields_of(query)), order)
        if served is not None and any(isinstance(part, dict) for part in served.values()):
            # A range leading the index (a sha1 prefix): its planner walks it only alone,
            # so it is read whole, without windows, and the date is checked here.
            if field in query:
                rest = {**rest, field: query[field]}
            cursor = collection.find(served, projection).sort(order).batch_size(BATCH_LIMIT)
            picked = (document for document in cursor if satisfies(document, rest))
            return list(itertools.islice(picked, skip, wanted))

        def cursor_of(window):  # None: the query's own range of the date, if any
            if served is None:
                windowed = query if window is None else {**query, field: window}
                return collection.find(windowed, projection, hint=index).sort(order)
            windowed = served if window is None else {**served, field: inclusive_start(window)}
            return collection.find(windowed, projection).sort(order)

        def read(windows):
            found = []
            for window in windows:
                cursor = cursor_of(window)
                if rest:
                    picked = (document for document in cursor.batch_size(CHECKED_BATCH)
                              if satisfies(document, rest))
                    found += itertools.islice(picked, wanted - len(found))
                    cursor.close()
                else:
                    found += cursor.limit(wanted - len(found)).batch_size(BATCH_LIMIT)
                if len(found) >= wanted:
                    break
            return found[skip:]

        def read_range(window):
            """The page from one range, skipped by the server where no condition is checked
            here: a deep page's earlier documents are not sent (300 runs for page 12)."""
            if rest:
                return read([window])
            cursor = cursor_of(window).skip(skip).limit(limit)
            return list(cursor.batch_size(min(limit, BATCH_LIMIT)))

        key = (collection.full_name, index, repr(query), repr(order), wanted)
        floor = self.page_floors.get(key)
        if floor is None:
            with self.page_floors.first_read(key):
                floor = self.page_floors.get(key)  # left by a thread that read it meanwhile
                if floor is None:
                    page = read(time_windows(query.get(field), now))
                    self.page_floors.remember(key, page, limit, field)
                    return page
        if floor is WHOLE_LIST:
            page = read_range(query.get(field))  # exact: the whole list, read at once
        else:
            page = read_range(since_floor(query.get(field), floor))
            if len(page) < limit:
                page = read(time_windows(query.get(field), now))
        self.page_floors.remember(key, page, limit, field)
        return page

    def update_and_read(self, collection, query, key, update, projection):
        """An update, then a read of the document by its `key`: both on the key's index (its
        `findAndModify` reads the whole collection). The document read may also hold later
        writers' changes, or be gone (None); callers need only what this update wrote, which
        stays until they act on it."""
        if collection.update_one(query, update).matched_count == 0:
            return None
        return collection.find_one({key: query[key]}, projection)

    def last_in_sequence(self, collection, field, index):
        """Bounded below by the greatest value this process saw: a sorted `find_one` costs it
        the whole index otherwise. Values only grow (numbered by their writers), so the
        answer is the same; only an emptied collection is read again unbounded."""
        key = (collection.full_name, field)
        last = None
        if key in self.sequence_floors:
            document = collection.find_one({field: {"$gte": self.sequence_floors[key]}},
                                           {field: 1}, sort=[(field, -1)])
            last = None if document is None else document[field]
        if last is None:
            document = collection.find_one({}, {field: 1}, sort=[(field, -1)])
            last = None if document is None else document[field]
        if last is not None:
            self.sequence_floors[key] = last
        return last

    def after_in_sequence(self, collection, query, index, field, after, limit, last):
        """In windows of `field` going forward from `after` (the page's size, then eight times
        wider each), until the page is full or `last()` is passed: it reads every document of
        a range before stopping at a limit. Each window is sent unhinted as the part of the
        query its planner walks on `index` (`index_part`), the rest checked here; a set of
        values of the index's first key (types) is one query per value."""
        keys = self.index_keys.get(index, ())
        lead = query.get(keys[0]) if keys else None
        queries = (self.by_value(query, keys[0]) if isinstance(lead, dict) and "$in" in lead
                   else [query])
        page, start, width, newest = [], after, limit, last()
        while len(page) < limit and newest is not None and start < newest:
            end = min(start + width, newest)
            window = []
            for one in queries:
                windowed = {**one, field: {"$gt": start, "$lte": end}}
                served, rest = self.index_part(windowed, index, None)
                if served is None:  # nothing it walks leads the index: the query, hinted
                    served, rest = windowed, {}
                window += [document for document in collection.find(served,
                                                                    **self.hint(served, index))
                           if satisfies(document, rest)]
            page.extend(sorted(window, key=operator.itemgetter(field)))
            start, width = end, width * 8
        return page[:limit]

    def index_part(self, query, index, order_field):
        """(served, rest): `query` split into the conditions on `index`'s keys its planner
        walks as a range (each an equality or a range, its `$gte` made a `$gt` of an earlier
        value, the order field left to the windows), and the rest, to be checked here (a
        condition narrowed to serve is checked here whole); a set of values of the index's
        first key is served alone, without an order field. served is None where no served
        condition leads the index or `satisfies` cannot decide the rest."""
        keys = self.index_keys.get(index, ())
        lead = query.get(keys[0]) if keys else None
        if order_field is None and isinstance(lead, dict) and set(lead) == {"$in"}:
            # A set of the index's first key it walks only alone (the jobs of a set of runs):
            # the other conditions are checked here.
            rest = {field: condition for field, condition in query.items() if field != keys[0]}
            return ({keys[0]: lead}, rest) if decidable(rest) else (None, None)
        served, rest = {}, {}
        for field, condition in query.items():
            if field == order_field:
                continue
            part = range_part(condition) if field in keys else None
            if part is not None:
                served[field] = part
            if part != condition:
                rest[field] = condition
        if not keys or not (keys[0] in served or keys[0] == order_field) or not decidable(rest):
            return None, None
        return served, rest

    def run_jobs(self, jobs, run_index, query, projection, order):
        run_range = {"run": query["run"]}
        if projection is not None:
            projection = {**projection, **{field: 1 for field in query},
                          **{field: 1 for field, _ in order}}
        cursor = jobs.find(run_range, projection).batch_size(BATCH_LIMIT)
        return sort_here([job for job in cursor if satisfies(job, query)], order)



def range_part(condition):
    """The part of a field's `condition` the local database's planner walks as an index
    range: an equality, or its range operators with a `$gte` written as the `$gt` of an
    earlier value (`inclusive_start`); None if it has none. A range made wider is checked
    whole again, here."""
    if not isinstance(condition, dict):
        return condition
    part = {name: operand for name, operand in condition.items() if name in RANGE_OPERATORS}
    start = condition.get("$gte")
    if isinstance(start, datetime):
        part.update(inclusive_start({"$gte": start}))
    elif isinstance(start, str) and start and start[-1] > "\0":
        part["$gt"] = start[:-1] + chr(ord(start[-1]) - 1)
    return part or None


def decidable(query):
    """Whether `satisfies` decides `query` exactly."""
    def condition_decidable(condition):
        if not isinstance(condition, dict):
            return True
        names = set(condition) - {"$options"}
        return names <= set(COMPARISONS) and ("$options" not in condition
                                              or condition["$options"] in ("", "i"))

    return all(all(decidable(part) for part in condition) if field in ("$or", "$and")
               else not field.startswith("$") and condition_decidable(condition)
               for field, condition in query.items())


def projection_of(paths):
    """A projection of `paths`, leaving out those inside another (MongoDB refuses both
    `jobs_posted` and `jobs_posted.last`)."""
    paths = set(paths)
    return {path: 1 for path in paths
            if not any(path.startswith(other + ".") for other in paths)}


def ordered_projection(fields, order):
    """A projection of `fields` and of `order`'s fields (a page's position, services/paging.py),
    or None (whole documents) for None."""
    if fields is None:
        return None
    return projection_of((*fields, *(field for field, _ in order)))


def fields_of(query):
    """The fields a query's conditions name, within `$or` and `$and`."""
    for field, condition in query.items():
        if field in ("$or", "$and"):
            for part in condition:
                yield from fields_of(part)
        else:
            yield field


def satisfies(document, query):
    """Whether `document` matches `query` (of `decidable` conditions: equalities, ranges,
    sets, patterns; `$or`, `$and`; dotted paths) as MongoDB matches it: a missing field
    equals null and is in no range; values of different types never compare; an array
    matches a condition where it, or any of its elements, meets each operator."""
    for field, condition in query.items():
        if field == "$or":
            if not any(satisfies(document, part) for part in condition):
                return False
            continue
        if field == "$and":
            if not all(satisfies(document, part) for part in condition):
                return False
            continue
        value = _path_value(document, field)
        if not isinstance(condition, dict):
            condition = {"$eq": condition}
        for name, operand in condition.items():
            if name == "$options":
                continue
            if name == "$regex" and condition.get("$options") == "i":
                operand = re.compile(operand, re.IGNORECASE)
            candidates = [value, *value] if isinstance(value, list) else [value]
            if not any(_compares(name, candidate, operand) for candidate in candidates):
                return False
    return True


def _path_value(document, path):
    for name in path.split("."):
        if not isinstance(document, dict):
            return None
        document = document.get(name)
    return document


def _compares(name, value, operand):
    if name not in ("$in", "$regex") and _kind(value) != _kind(operand):
        return False
    return bool(COMPARISONS[name](value, operand))


def _kind(value):
    """Values MongoDB compares with each other: numbers (not booleans) together, others by
    their type."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return "number"
    return type(value)


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


def since_floor(condition, floor):
    """`condition` on a date (None: all time) narrowed to the dates from `floor` on: its own
    lower bound goes, as the floor (a date of a document that met it) is within it."""
    kept = {op: value for op, value in (condition or {}).items() if op not in ("$gt", "$gte")}
    return {**kept, "$gte": floor}


def time_windows(condition, now):
    """Conditions on a date of consecutive windows, newest first, that together cover
    `condition` (a date range: $gt/$gte, $lt/$lte, each optional; None: all time): from
    WINDOW_DAYS[0] days before `now` (or before the range's end, if earlier) on (later dates
    included), then back to WINDOW_DAYS[1], ... days before it, then the rest."""
    condition = dict(condition or {})
    floors = [condition[op] for op in ("$gt", "$gte") if op in condition]
    ceilings = [condition[op] for op in ("$lt", "$lte") if op in condition]
    floor, ceiling = max(floors, default=None), min(ceilings, default=None)
    if ceiling is not None and ceiling < now:
        now = ceiling  # the windows reach back from the range's end (a cursor's page)
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
