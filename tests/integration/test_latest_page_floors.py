"""The newest-runs list (`GET /runs/`) read again is bounded by the floor of its last read
(page_cache.PageFloors, the local database's query policy): one `find` of the runs posted since, which examines the page's runs
only, and the page is the one an unbounded read gives, whatever was created or deleted since."""
import threading
from datetime import datetime

import pytest

from paddles_mongo import create_app
from paddles_mongo.db import INDEX_KEYS, POSTED_ORDER, RUNS_POSTED_INDEX
from paddles_mongo.page_cache import PageFloors
from paddles_mongo.query_policy import WINDOW_DAYS, MongoDBQueries, SecantusDBQueries
from paddles_mongo.timeformat import utcnow
from tests.conftest import COUNTS_COMMANDS
from tests.integration.support import CommandRecorder, app_on_fresh_database, create_run

pytestmark = [COUNTS_COMMANDS, pytest.mark.wire(reason="explains the query: the server's plan")]

RUN_COUNT = 40
PAGE = 10


class FindRecorder(CommandRecorder):
    """Command names, and the filter of each `find` in `filters`, its skip and limit in
    `windows`."""

    def __init__(self):
        super().__init__()
        self.filters = []
        self.windows = []

    def record(self, event):
        if event.command_name == "find":
            self.filters.append(event.command.get("filter"))
            self.windows.append((event.command.get("skip", 0), event.command.get("limit")))
        return event.command_name


@pytest.fixture
def floored(mongo_backend):
    """(client, database, get): `get(url)` answers (commands sent, JSON)."""
    listener = FindRecorder()
    with app_on_fresh_database(mongo_backend, "test_floors", [listener],
                               query_policy="secantusdb") as (client, _):
        database = client.application.extensions["paddles"].database
        for index in range(RUN_COUNT):
            create_run(client, f"run-{index:03d}")

        def get(url):
            listener.commands.clear()
            listener.filters.clear()
            listener.windows.clear()
            response = client.get(url)
            assert response.status_code == 200, response.data
            return list(listener.commands), [run["name"] for run in response.get_json()]

        get.filters = listener.filters  # of the finds sent by the last get
        get.windows = listener.windows
        yield client, database, get


def unbounded(database, skip, limit):
    plain = MongoDBQueries().newest(database.runs, {}, RUNS_POSTED_INDEX, POSTED_ORDER, skip,
                                    limit, utcnow())
    return [run["name"] for run in plain]


@pytest.mark.parametrize("page", [1, 3])
def test_a_page_read_again_is_one_find_under_its_floor(floored, page):
    _client, database, get = floored
    first = get(f"/runs/?count={PAGE}&page={page}")
    again = get(f"/runs/?count={PAGE}&page={page}")
    assert get.windows == [((page - 1) * PAGE, PAGE)]  # the server skips: earlier runs unsent
    assert first == again == (["find"], unbounded(database, (page - 1) * PAGE, PAGE))
    query = database.db.command("explain", {"find": "runs", "filter": {
        "posted": {"$gte": database.runs.find_one({"name": again[1][-1]})["posted"]}},
        "sort": {"posted": -1, "_id": -1}, "skip": (page - 1) * PAGE, "limit": PAGE},
        verbosity="executionStats")
    assert query["executionStats"]["totalDocsExamined"] <= page * PAGE


def test_new_runs_come_first_under_the_floor(floored):
    client, database, get = floored
    get(f"/runs/?count={PAGE}")
    for index in range(3):
        create_run(client, f"new-{index}")
    commands, names = get(f"/runs/?count={PAGE}")
    assert commands == ["find"]
    assert names[:3] == ["new-2", "new-1", "new-0"]
    assert names == unbounded(database, 0, PAGE)


def test_a_page_short_under_its_floor_is_read_again_without_it(floored):
    client, database, get = floored
    _, before = get(f"/runs/?count={PAGE}")
    for name in before[:4]:
        assert client.delete(f"/runs/{name}/").status_code == 200
    commands, names = get(f"/runs/?count={PAGE}")
    assert commands == ["find", "find"]
    assert names == unbounded(database, 0, PAGE)
    assert names[:6] == before[4:]
    assert get(f"/runs/?count={PAGE}")[0] == ["find"]


def test_a_first_read_stops_at_the_window_that_fills_the_page(floored):
    """Without a floor (this process's first read of the page) the runs are read in windows
    of `posted`, newest first: here the first window (2 days) holds them all. Unbounded, that
    read took every run (2.2 s at 10,000 runs), and under load every thread of every worker
    paid it at once before a first read set the floor."""
    _client, database, get = floored
    commands, names = get(f"/runs/?count={PAGE}")
    (query,) = get.filters
    assert set(query) == {"posted"} and set(query["posted"]) == {"$gt"}, query
    assert (commands, names) == (["find"], unbounded(database, 0, PAGE))


@pytest.mark.parametrize("page", [2, 5])  # the last, partial; one past the end, empty
def test_a_page_that_came_back_short_is_read_again_as_the_whole_list_at_once(floored, page):
    """The first read goes through every window (none fills the page); read again, the page
    is the list's whole range, one find with no date, exact with whatever was created or
    deleted since: runs newer than the page, runs older than all of it, and a page that
    fills up."""
    client, database, get = floored
    count = 30 if page == 2 else PAGE
    url = f"/runs/?count={count}&page={page}"

    def expected():
        return unbounded(database, (page - 1) * count, count)

    commands, names = get(url)
    assert commands == ["find"] * (len(WINDOW_DAYS) + 1) and names == expected()
    assert len(names) == (RUN_COUNT - 30 if page == 2 else 0)
    commands, names = get(url)
    assert get.filters == [{}]  # before expected() reads through the same database
    assert (commands, names) == (["find"], expected())
    database.runs.update_one({"name": "run-000"}, {"$set": {"posted": datetime(2001, 1, 1)}})
    create_run(client, "run-newer")
    commands, names = get(url)
    assert (commands, names) == (["find"], expected())
    if page == 2:
        assert names[-1] == "run-000"  # now older than all
    assert client.delete(f"/runs/{unbounded(database, 0, 1)[0]}/").status_code == 200
    commands, names = get(url)
    assert (commands, names) == (["find"], expected())
    for index in range(count * page - RUN_COUNT + 2):
        create_run(client, f"run-filling-{index}")
    commands, names = get(url)
    assert (commands, names) == (["find"], expected()) and len(names) == count
    commands, names = get(url)  # full now: from its floor
    assert set(get.filters[0]["posted"]) == {"$gt"}  # from its floor, inclusive
    assert (commands, names) == (["find"], expected())


def test_pages_stay_exact_with_two_hosts_behind_one_database(floored, mongo_backend):
    """Each host (here each app, with its own query policy and floors) remembers only its own
    floors; what another host writes meanwhile never makes its pages wrong."""
    client, database, get = floored
    settings = client.application.extensions["paddles"].settings
    other_database = mongo_backend.database(settings)
    other = create_app(settings, other_database).test_client()
    try:
        pages = {page: get(f"/runs/?count={PAGE}&page={page}")[1] for page in (1, 2, 3)}
        assert other.get(f"/runs/?count={PAGE}&page=2").status_code == 200  # its own floors
        for name in pages[1][2:5] + pages[2][:2]:
            assert other.delete(f"/runs/{name}/").status_code == 200
        for index in range(4):
            create_run(other, f"other-{index}")
        for page in (1, 2, 3):
            assert get(f"/runs/?count={PAGE}&page={page}")[1] == unbounded(
                database, (page - 1) * PAGE, PAGE), page
            assert [run["name"] for run in other.get(f"/runs/?count={PAGE}&page={page}")
                    .get_json()] == unbounded(database, (page - 1) * PAGE, PAGE), page
    finally:
        other_database.close()


def test_a_cold_page_is_read_in_windows_by_one_thread_while_the_others_wait(floored):
    """Threads of one process asking at once for a page without a floor: one reads it in
    windows, the others wait for it and read from the floor it leaves, one find each (the
    first read is held until every other thread has asked)."""
    _client, database, _get = floored
    threads = 6
    asked = threading.Semaphore(0)

    class CountingFloors(PageFloors):
        def first_read(self, key):
            asked.release()
            return super().first_read(key)

    class HeldRuns:
        """database.runs, whose first find waits until every thread has asked."""
        full_name = database.runs.full_name

        def __init__(self):
            self.finds = []
            self.lock = threading.Lock()

        def find(self, *args, **kwargs):
            with self.lock:
                self.finds.append(args[0])
                first = len(self.finds) == 1
            if first:
                for _ in range(threads):
                    assert asked.acquire(timeout=30)
            return database.runs.find(*args, **kwargs)

    policy = SecantusDBQueries(INDEX_KEYS)
    policy.page_floors = CountingFloors()
    runs = HeldRuns()
    pages = [None] * threads

    def read(index):
        pages[index] = [run["name"] for run in policy.newest(
            runs, {}, RUNS_POSTED_INDEX, POSTED_ORDER, PAGE, PAGE, utcnow())]

    workers = [threading.Thread(target=read, args=(index,)) for index in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert pages == [unbounded(database, PAGE, PAGE)] * threads
    assert len(runs.finds) == 1 + (threads - 1)  # the first window fills the page
    assert all(set(query["posted"]) == {"$gt"} for query in runs.finds[1:])  # from the floor
