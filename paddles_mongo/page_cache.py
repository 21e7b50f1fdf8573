"""Per-process caches. PageCache: the encoded job lists of runs (run pages `GET /runs/{run}/`,
the run's job lists `GET /runs/{run}/jobs/` and the web run page's table), which pulpito reads
over and over and which weigh megabytes for big runs, and the lists of run filter values
(`/runs/branch/main/suite/`, per run values' version: services/run_values.py). PageFloors: where
pages of newest-first lists ended, for the local database (query_policy.py).

A run page entry is keyed by the run document's `_id` and its `writes` counter, which every job
write, deletion and maintenance command increments after changing the jobs: a changed run is
never served from an older entry. Bounded by bytes, least recently used first out."""
import contextlib
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

# The floor of a page that came back short of its count: its list's documents all fit in it.
WHOLE_LIST = "whole list"


class PageFloors:
    """Per process (each worker's query policy keeps one): for each newest-first list (the
    newest runs, a run filter, a node's jobs, a job search...) and page end (skip + count), the
    date the list is ordered by (`posted`, `scheduled`) of the last document that page held
    when last read.

    If at least `skip + count` documents of the list are at or after that floor, the page's
    documents are all among them (any document before the floor comes after them), so the page
    is read as the list's documents since the floor: a range of the list's index that costs
    the page, whatever the number of documents, even on a server that does not stop an index
    walk at the limit (SecantusDB reads a whole range for a sorted query). Documents created
    since (newer ones, or older dates imported) are in that range or after the page; a page
    that comes back short of its count under its floor (documents deleted) is read again
    without it, once. So the page is exact either way, whatever other processes or hosts
    wrote.

    A page that came back short of its count (the list's last page, a list shorter than a
    page: most branch and suite pairs) held every document of the list after its start. Its
    floor is WHOLE_LIST: it is read again as the list's whole range, one read, which is exact
    with no argument at all. In windows, each read of it went through every window, reading the
    same documents in five reads.

    What a read from a floor costs is the page plus what the list gained since this process
    last read it; the windows bound the first read only.

    A page without a floor is read by one thread of the process at a time (`first_read`): the
    others wait, then read from the floor it left. Read by every thread at once, a cold page
    whose first window holds thousands of documents (a description search) took each thread
    seconds under the local database's lock, until every request timed out and none left a
    floor."""

    def __init__(self):
        self._floors = {}
        self._first_reads = {}  # key: the lock of the page's first read
        self._first_reads_lock = threading.Lock()

    def get(self, key):
        return self._floors.get(key)

    @contextlib.contextmanager
    def first_read(self, key):
        """Held while this thread reads the page `key` without a floor."""
        with self._first_reads_lock:
            if len(self._first_reads) >= MAX_PAGE_FLOORS and key not in self._first_reads:
                self._first_reads.clear()  # a holder keeps its lock; a later reader makes anew
            lock = self._first_reads.setdefault(key, threading.Lock())
        with lock:
            yield

    def remember(self, key, page, count, field):
        """After reading `page` (`count` documents wanted) of the list and page end `key`,
        ordered by the date `field`."""
        floor = page[-1].get(field) if len(page) == count else WHOLE_LIST
        if floor is None:
            self._floors.pop(key, None)
            return
        if len(self._floors) >= MAX_PAGE_FLOORS and key not in self._floors:
            self._floors.clear()
        self._floors[key] = floor
