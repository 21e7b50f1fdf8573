"""Per-process caches. PageCache: the encoded job lists of runs (run pages `GET /runs/{run}/`,
the run's job lists `GET /runs/{run}/jobs/` and the web run page's table), which pulpito reads
over and over and which weigh megabytes for big runs. PageFloors: where
pages of the newest-runs list began, for the local database (query_policy.py).

A run page entry is keyed by the run document's `_id` and its `writes` counter, which every job
write, deletion and maintenance command increments after changing the jobs: a changed run is
never served from an older entry. Bounded by bytes, least recently used first out."""
import threading
from collections import OrderedDict


class PageCache:
    def __init__(self, max_bytes):
        self.max_bytes = max_bytes
        self.entries = OrderedDict()
        self.size = 0
        self.lock = threading.Lock()

    def get(self, key):
        with self.lock:
            value = self.entries.get(key)
            if value is not None:
                self.entries.move_to_end(key)
            return value

    def put(self, key, value):
        if len(value) > self.max_bytes:
            return
        with self.lock:
            old = self.entries.pop(key, None)
            if old is not None:
                self.size -= len(old)
            self.entries[key] = value
            self.size += len(value)
            while self.size > self.max_bytes:
                _, evicted = self.entries.popitem(last=False)
                self.size -= len(evicted)


MAX_PAGE_FLOORS = 1024


class PageFloors:
    """Per process (each worker's query policy keeps one): for each page end (skip + count) of
    the newest-runs list, the `posted` of the last run that page held when last read.

    Runs join that list only at its top (a new run is posted now), so the same page is found
    again among the runs posted since that floor. Reading those (a range of the `posted` index)
    costs the page, whatever the number of runs, even on a server that does not stop an index
    walk at the limit (SecantusDB reads every run for an unbounded sorted query). A page that
    comes back short of its count under its floor (runs deleted, dates imported) is read again
    without it, once; the page is exact either way, whatever other processes or hosts wrote."""

    def __init__(self):
        self._floors = {}

    def get(self, end):
        return self._floors.get(end)

    def remember(self, end, page, count):
        posted = page[-1].get("posted") if len(page) == count else None
        if posted is None:
            self._floors.pop(end, None)
            return
        if len(self._floors) >= MAX_PAGE_FLOORS and end not in self._floors:
            self._floors.clear()
        self._floors[end] = posted
