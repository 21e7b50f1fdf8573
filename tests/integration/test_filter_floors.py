"""A run filter's page read again (page_cache.PageFloors, the local database's query policy):
one `find` from where it ended, and exact whatever was created or deleted since. Apart from
test_filter_windows.py, whose module-wide lab it would otherwise share the server with."""
from datetime import datetime, timedelta

import pytest

from paddles_mongo import create_app
from paddles_mongo.db import Database
from paddles_mongo.query_policy import WINDOW_DAYS
from tests.conftest import COUNTS_COMMANDS, QUERY_POLICIES
from tests.integration.support import CommandRecorder, post_job
from tests.integration.test_filter_windows import NOW, names


@COUNTS_COMMANDS
@pytest.mark.parametrize("query_policy", QUERY_POLICIES)
def test_a_page_read_again_is_one_find_from_its_floor_and_stays_exact(client, settings,
                                                                      frozen_clock):
    """Under `secantusdb` a page read again is the runs since where it ended last time
    (page_cache.PageFloors), one `find`, instead of windows reaching back through the months
    its runs span; runs created meanwhile (newer, or among the page's dates) are in it, and
    runs deleted from it make it come back short under its floor, so it is read again in
    windows. Under `mongodb`, one `find` each time."""
    frozen_clock.utc = NOW
    runs = {}  # name: scheduled, one run every 15 days back from NOW

    def add(when, tag):
        name = f"teuthology-{when:%Y-%m-%d_%H:%M:%S}-rados-main-{tag}-default-smithi"
        post_job(client, name, {"status": "pass", "branch": "main", "suite": "rados"})
        runs[name] = when

    def newest(skip, count):
        ordered = sorted(runs, key=runs.get, reverse=True)
        return ordered[skip:skip + count]

    for index in range(40):
        add(NOW - timedelta(days=15 * index), f"k{index}")
    recorder = CommandRecorder()
    recorder.record = lambda event: (event.command["filter"] if event.command_name == "find"
                                     else event.command_name)
    counted = Database(settings, [recorder])
    try:
        reader = create_app(settings, counted).test_client()
        url = "/runs/branch/main/?count=10&page=2"

        def read():
            recorder.commands.clear()
            page = names(reader, url)
            return page, list(recorder.commands)

        first, finds = read()
        assert first == newest(10, 10)
        if settings.query_policy == "secantusdb":
            assert len(finds) == len(WINDOW_DAYS)  # the page's runs go back 300 days
        again, finds = read()
        assert again == first and len(finds) == 1
        if settings.query_policy == "secantusdb":
            assert set(finds[0]["scheduled"]) == {"$gt"}  # from the floor, inclusive
        add(NOW + timedelta(hours=1), "newer")
        add(runs[first[3]] + timedelta(minutes=1), "among")
        page, finds = read()
        assert page == newest(10, 10) and len(finds) == 1
        for name in newest(0, 20)[5:12]:
            assert client.delete(f"/runs/{name}/").status_code == 200
            del runs[name]
        page, finds = read()
        assert page == newest(10, 10)
        if settings.query_policy == "secantusdb":
            assert len(finds) == 1 + len(WINDOW_DAYS)  # short under its floor: windows
        page, finds = read()
        assert page == newest(10, 10) and len(finds) == 1
    finally:
        counted.close()
