"""The web pages in a real browser: headless Chromium (Debian's `chromium` and
`chromium-driver`, installed with apt-get the first time, as tests/docs installs mongosh) loads
every page of a lab written through the HTTP API into 4 gunicorn workers, checks what each page
shows, follows every link of every page (none may answer 404, or any error) and reads the
browser's console (no error may appear).

With PADDLES_UI_SCREENSHOTS=DIR (`make screenshots`), the main pages are saved there as PNGs:
docs/ui.md shows them."""
import os
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlencode, urljoin, urlsplit

import pytest
import requests
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.wait import WebDriverWait

from tests.docs import fixture_lab
from tests.e2e.conftest import gunicorn_server

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
PACKAGES = ("chromium", "chromium-driver")
SCREENSHOTS = os.environ.get("PADDLES_UI_SCREENSHOTS")
RUNS = fixture_lab.RUN_NAMES
MAIN_OLD, MAIN_NEW, RBD, SQUID, FS_QUEUED, RGW_RUNNING = RUNS
MAX_CRAWL = 400


def install_chromium():
    """Chromium and its driver from the distribution, if missing (the suite runs as root on
    CI's fresh machine; a failed install fails the tests that need it)."""
    if os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER):
        return
    apt = shutil.which("apt-get")
    assert apt, "apt-get is needed to install chromium and chromium-driver (tests/e2e)"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    command = [apt, "install", "-y", "--no-install-recommends", *PACKAGES]
    if subprocess.run(command, env=env, capture_output=True).returncode != 0:
        subprocess.run([apt, "update"], env=env, capture_output=True, check=True)
        result = subprocess.run(command, env=env, capture_output=True, text=True)
        assert result.returncode == 0, f"apt-get install failed:\n{result.stderr}"
    assert os.path.exists(CHROMEDRIVER), "chromium-driver did not install"


class HttpClient:
    """What fixture_lab.load calls on a Flask test client, over HTTP to the real server."""

    class Answer:
        def __init__(self, response):
            self.status_code = response.status_code
            self.response = response

        def get_json(self):
            return self.response.json()

        def get_data(self, as_text=False):
            return self.response.text if as_text else self.response.content

    def __init__(self, url):
        self.url = url
        self.session = requests.Session()

    def post(self, path, json):
        return self.Answer(self.session.post(self.url + path, json=json, timeout=60))

    def put(self, path, json):
        return self.Answer(self.session.put(self.url + path, json=json, timeout=60))


@pytest.fixture(scope="module")
def lab(mongo_server_uri):
    """(base URL, database) of gunicorn serving the lab of tests/docs/fixture_lab.py, with a
    paused queue."""
    with gunicorn_server(mongo_server_uri, "webpages") as (url, database):
        client = HttpClient(url)
        fixture_lab.load(client, database)
        assert client.post("/queue/", json={"queue": "smithi"}).status_code == 200
        assert client.put("/queue/", json={"queue": "smithi", "paused_by": "yuriw",
                                           "pause_duration": 3600}).status_code == 200
        yield url, database


@pytest.fixture(scope="module")
def browser():
    install_chromium()
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                     "--window-size=1400,1000", "--disable-gpu"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


def open_page(browser, url, path, missing=False):
    """Load `path`; the page's console must stay free of errors (but the 404 of the page
    itself, when it is `missing`). Returns the page's text."""
    browser.get(url + path)
    errors = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"
              and not (missing and entry["message"].startswith(f"{url}{path} - "))]
    assert not errors, (path, errors)
    return browser.find_element(By.TAG_NAME, "body").text


def submit(browser, field, expected):
    """Submit `field`'s form and wait for the page whose URL contains `expected`."""
    field.submit()
    WebDriverWait(browser, 30).until(expected_conditions.url_contains(expected))


def ui(path, **query):
    return f"/ui/{path}" + (f"?{urlencode(query)}" if query else "")


def rows(browser, table_index=0):
    """The body rows of the page's n-th table, each a list of cell texts."""
    table = browser.find_elements(By.TAG_NAME, "table")[table_index]
    return [[cell.text for cell in row.find_elements(By.TAG_NAME, "td")]
            for row in table.find_elements(By.CSS_SELECTOR, "tbody tr")]


TOP_BAR = {"Runs": "/ui/", "Flaky": "/ui/flaky", "Failures": "/ui/failures",
           "Trends": "/ui/trends", "Nodes": "/ui/nodes/", "Queue": "/ui/queue"}


def test_root_sends_a_browser_to_the_runs_page(lab, browser):
    url, _ = lab
    open_page(browser, url, "/")
    assert urlsplit(browser.current_url).path == "/ui/"
    assert requests.get(url + "/", timeout=30).json() == {}  # JSON clients: unchanged


def test_runs_page(lab, browser):
    url, _ = lab
    text = open_page(browser, url, ui(""))
    for name in RUNS:
        assert name in text
    table = rows(browser)
    assert [row[0] for row in table][:2] == [RGW_RUNNING, FS_QUEUED]  # newest first
    squid = next(row for row in table if row[0] == SQUID)
    assert squid[1] == "finished fail"
    assert "1 pass" in squid[2] and "2 fail" in squid[2]  # the bar's counts in words
    bar = browser.find_element(By.CSS_SELECTOR, "table.runs tbody tr .bar")
    assert bar.get_attribute("role") == "img" and bar.get_attribute("aria-label")
    nav = {link.text: urlsplit(link.get_attribute("href")).path
           for link in browser.find_elements(By.CSS_SELECTOR, ".topbar nav a")}
    assert nav == TOP_BAR


def test_runs_page_filters_travel_in_the_query_string(lab, browser):
    url, _ = lab
    open_page(browser, url, ui(""))
    field = browser.find_element(By.NAME, "branch")
    field.send_keys("main")
    submit(browser, field, "branch=main")
    names = [row[0] for row in rows(browser)]
    assert sorted(names) == sorted([MAIN_OLD, MAIN_NEW, RGW_RUNNING])
    open_page(browser, url, ui("", branch="main", suite="rados", count=1))
    assert [row[0] for row in rows(browser)] == [MAIN_NEW]
    older = browser.find_element(By.CSS_SELECTOR, "a[rel=next]").get_attribute("href")
    assert "branch=main" in older and "suite=rados" in older and "page=2" in older
    browser.get(older)
    assert [row[0] for row in rows(browser)] == [MAIN_OLD]


def test_run_page(lab, browser):
    url, _ = lab
    text = open_page(browser, url, ui(f"runs/{MAIN_OLD}"))
    assert "finished fail" in text and "Ran for" in text
    jobs = rows(browser)
    assert [row[0] for row in jobs] == ["7001", "7002", "7003", "7004"]
    assert [row[1] for row in jobs] == ["pass", "fail", "pass", "dead"]
    logs = [link.get_attribute("href") for link in browser.find_elements(By.LINK_TEXT, "log")]
    assert logs[0] == f"http://qa-proxy.ceph.com/teuthology/{MAIN_OLD}/7001/teuthology.log"
    browser.find_element(By.LINK_TEXT, "Duration").click()
    assert [row[0] for row in rows(browser)] == ["7003", "7001", "7002", "7004"]
    browser.find_element(By.PARTIAL_LINK_TEXT, "Duration").click()  # again: descending
    assert [row[0] for row in rows(browser)] == ["7004", "7002", "7001", "7003"]
    assert "sort=-duration" in browser.current_url


def test_a_running_runs_page_refreshes_itself(lab, browser):
    url, _ = lab
    open_page(browser, url, ui(f"runs/{RGW_RUNNING}"))
    assert browser.find_element(By.TAG_NAME, "body").get_attribute("data-refresh") == "60"
    box = browser.find_element(By.ID, "auto-refresh")
    assert box.is_selected()
    box.click()
    assert browser.execute_script(
        "return window.localStorage.getItem('paddles-mongo.auto-refresh')") == "off"
    open_page(browser, url, ui(f"runs/{RGW_RUNNING}"))
    assert not browser.find_element(By.ID, "auto-refresh").is_selected()  # remembered
    open_page(browser, url, ui(f"runs/{MAIN_OLD}"))
    assert browser.find_elements(By.ID, "auto-refresh") == []  # a finished run: no refresh


def test_job_page(lab, browser):
    url, _ = lab
    text = open_page(browser, url, ui(f"runs/{MAIN_OLD}/jobs/7002"))
    assert fixture_lab.THRASH_V2 in text and fixture_lab.POOL in text
    assert "internal.check_packages" in text  # tasks, as YAML
    strip = browser.find_elements(By.CSS_SELECTOR, ".strip a")
    assert [link.text for link in strip] == ["f", "p"]  # this job failed, the next run passed
    assert "current" in strip[0].get_attribute("class")
    signature = browser.find_element(By.LINK_TEXT, "Jobs failing the same way")
    signature.click()
    text = browser.find_element(By.TAG_NAME, "body").text
    assert "Command failed on <host> with status <n>" in text
    assert {row[1] for row in rows(browser)} == {"7002"}  # in the last 7 days


def test_compare_page(lab, browser):
    url, _ = lab
    text = open_page(browser, url, ui(f"runs/{MAIN_NEW}/compare"))
    assert f"Baseline: {MAIN_OLD}" in text
    counts = browser.find_element(By.CSS_SELECTOR, "ul.summary").text
    assert "regressions: 1" in counts and "fixes: 1" in counts and "missing: 2" in counts
    regression = rows(browser, 0)
    assert regression == [[fixture_lab.MON_AUTH, "pass", "fail", "7102", "7003"]]
    picker = browser.find_element(By.NAME, "baseline")
    picker.send_keys(SQUID)
    submit(browser, picker, "baseline=")
    assert f"Baseline: {SQUID}" in browser.find_element(By.TAG_NAME, "body").text


def test_history_page(lab, browser):
    url, _ = lab
    open_page(browser, url, ui("tests/history", suite="rados", description=fixture_lab.MON_AUTH))
    assert [link.text for link in browser.find_elements(By.CSS_SELECTOR, ".strip a")] == [
        "p", "p", "f"]  # oldest first
    assert [row[1] for row in rows(browser)] == ["7102", "7003", "6902"]  # newest first


def test_flaky_page(lab, browser):
    url, _ = lab
    text = open_page(browser, url, ui("flaky"))
    assert "Suite" in text  # a form first, its suites listed
    options = browser.find_elements(By.CSS_SELECTOR, "datalist#suites option")
    assert {option.get_attribute("value") for option in options} == {"rados", "rbd", "fs",
                                                                     "rgw"}
    open_page(browser, url, ui("flaky", suite="rados", min_jobs=2))
    table = rows(browser)
    assert {row[1] for row in table} == {fixture_lab.THRASH_V2, fixture_lab.MON_AUTH,
                                         fixture_lab.THRASH_ASYNC}
    assert all(row[9].split()[0] in ("pass", "fail", "dead") for row in table)


def test_failures_page(lab, browser):
    url, _ = lab
    open_page(browser, url, ui("failures", since_days=14))
    table = rows(browser)
    selinux = next(row for row in table if "SELinux denials found on" in row[2])
    assert selinux[0] == "3 jobs" and selinux[3] == "2"  # 3 jobs in 2 runs
    sparks = browser.find_elements(By.CSS_SELECTOR, "svg.spark")
    assert len(sparks) == len(table)
    assert len(sparks[0].find_elements(By.TAG_NAME, "rect")) == 15  # one bar per day
    browser.find_element(By.PARTIAL_LINK_TEXT, "3 jobs").click()
    assert len(rows(browser)) == 3


def test_trends_page(lab, browser):
    url, _ = lab
    open_page(browser, url, ui("trends", suite="rados", days=14))
    chart = browser.find_element(By.CSS_SELECTOR, "figure.chart svg")
    assert len(chart.find_elements(By.CSS_SELECTOR, "rect.jobs")) == 14
    assert len(chart.find_elements(By.CSS_SELECTOR, "circle.rate")) == 3  # days with results
    table = rows(browser)
    assert len(table) == 14
    assert sum(int(row[2]) for row in table) == 9  # jobs of the three rados runs


def test_nodes_pages(lab, browser):
    url, _ = lab
    open_page(browser, url, ui("nodes/"))
    table = rows(browser)
    assert len(table) == 6
    smithi001 = next(row for row in table if row[0].startswith("smithi001"))
    assert smithi001[3] == "locked" and smithi001[4] == "yuriw@teuthology"
    assert "5 h" in smithi001[5]  # lock age
    open_page(browser, url, ui("nodes/", locked="true"))
    assert [row[0] for row in rows(browser)] == [fixture_lab.host(1)]
    browser.find_element(By.LINK_TEXT, fixture_lab.host(1)).click()
    text = browser.find_element(By.TAG_NAME, "body").text
    assert "debugging mon-auth" in text
    assert {row[1] for row in rows(browser)} == {"7001", "7003", "7102"}
    history = rows(browser, 1)  # its lock history, newest first
    assert [row[1:4] for row in history] == [["locked", "yuriw@teuthology", "debugging mon-auth"]]


def test_queue_page(lab, browser):
    url, _ = lab
    open_page(browser, url, ui("queue"))
    queues = rows(browser, 0)
    assert queues[0][:3] == ["smithi", "paused", "yuriw"]
    assert [row[0] for row in rows(browser, 1)] == [FS_QUEUED, RGW_RUNNING]


def test_unknown_things_are_404_pages(lab, browser):
    url, _ = lab
    for path in (ui("runs/no-such-run"), ui(f"runs/{MAIN_OLD}/jobs/999"),
                 ui("nodes/no-such-node"), ui("no/such/page")):
        response = requests.get(url + path, timeout=30)
        assert response.status_code == 404, path
        assert response.headers["Content-Type"].startswith("text/html")
        text = open_page(browser, url, path, missing=True)
        assert "Not found" in text and "Runs" in text  # the top bar too


MAIN_PAGES = [
    ("runs", ui("")),
    ("run", ui(f"runs/{MAIN_OLD}")),
    ("job", ui(f"runs/{MAIN_OLD}/jobs/7002")),
    ("compare", ui(f"runs/{MAIN_NEW}/compare")),
    ("history", ui("tests/history", suite="rados", description=fixture_lab.MON_AUTH)),
    ("flaky", ui("flaky", suite="rados", min_jobs=2)),
    ("failures", ui("failures", since_days=14)),
    ("trends", ui("trends", suite="rados", days=30)),
    ("nodes", ui("nodes/")),
    ("node", ui(f"nodes/{fixture_lab.host(1)}")),
    ("queue", ui("queue")),
]


def test_every_link_of_every_page_answers(lab, browser):
    """Crawl from the main pages through every same-server link: each page loads without a
    console error, and each link answers 200 (no 404 among them)."""
    url, _ = lab
    host = urlsplit(url).netloc
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        for name, path in MAIN_PAGES:
            open_page(browser, url, path)
            browser.save_screenshot(str(Path(SCREENSHOTS) / f"{name}.png"))
    queue = [path for _name, path in MAIN_PAGES]
    seen, checked = set(queue), set()
    while queue:
        path = queue.pop(0)
        open_page(browser, url, path)
        for link in browser.find_elements(By.CSS_SELECTOR, "a[href]"):
            target = urljoin(browser.current_url, link.get_attribute("href"))
            parts = urlsplit(target)
            if parts.netloc != host or target in checked:
                continue
            checked.add(target)
            status = requests.get(target, timeout=60).status_code
            assert status == 200, (path, target, status)
            page = parts.path + (f"?{parts.query}" if parts.query else "")
            if parts.path.startswith("/ui/") and page not in seen and len(seen) < MAX_CRAWL:
                seen.add(page)
                queue.append(page)
    assert len(seen) > 40, sorted(seen)  # runs, jobs, nodes, filters, history pages...

