"""Per-process caches. PageCache: the encoded job lists of run pages (`GET /runs/{run}/`),
which pulpito reads over and over and which weigh megabytes for big runs. TimedAnswers: answers
that may be a little old (the node job stats).

A run page entry is keyed by the run document's `_id` and its `writes` counter, which every job
write, deletion and maintenance command increments after changing the jobs: a changed run is
never served from an older entry. Bounded by bytes, least recently used first out."""
import threading
from collections import OrderedDict

from cachetools import TTLCache


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


class TimedAnswers:
    """Answers kept for `seconds` per key (0: none kept), a few keys, per process."""

    def __init__(self, seconds, max_keys=64):
        self.cache = TTLCache(max_keys, seconds) if seconds > 0 else None
        self.lock = threading.Lock()

    def get_or_compute(self, key, compute):
        if self.cache is None:
            return compute()
        with self.lock:
            answer = self.cache.get(key)
        if answer is None:
            answer = compute()
            with self.lock:
                self.cache[key] = answer
        return answer
