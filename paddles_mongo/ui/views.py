"""The web pages under /ui/: runs, a run, a job, a comparison, a test's history, flaky tests,
failures, trends, nodes and the queue, rendered on the server (templates/ui/).

Each page reads what its JSON twin reads, through the same services, and at most two commands
more (a run's baseline candidates, a job's history strip, a form's list of suites). Query
strings use the API's own parameter names, so a page's URL is its permalink."""
from datetime import timedelta

import orjson
from flask import Blueprint, render_template, request, url_for
from markupsafe import Markup
from marshmallow import ValidationError

from ..api.lab_questions import FAILURE_FILTERS, JOB_FILTERS, RUN_VALUE_FILTERS, chosen
from ..api.support import (app_state, by_run_version, filter_values_json, page_window,
                           run_page_jobs, runs_json)
from ..domain.jobs import target_hostname
from ..domain.filters import BY_SEGMENT, RunFilter, parse_filter_path
from ..domain.lab_questions import FAILED_STATUSES, FINISHED_STATUSES
from ..domain.runs import FALLBACK_RUN_STATUS, RUN_STATUS_RULES
from ..errors import error_answer
from ..exceptions import NotFound
from ..schemas.events import event_to_json
from ..schemas.jobs import job_to_json
from ..schemas.lab_questions import (CompareQuery, FailureJobsQuery, FailuresQuery,
                                     FlakyTestsQuery, TestHistoryQuery, TrendsQuery,
                                     failure_group_to_json, test_job_to_json)
from ..schemas.nodes import NodeJobsQuery, NodeListQuery, node_to_json
from ..schemas.queries import PageQuery
from ..schemas.queues import queue_to_json
from ..schemas.runs import run_to_json
from ..services import events as event_service
from ..services import jobs as job_service
from ..services import lab_questions
from ..services import nodes as node_service
from ..services import queues as queue_service
from ..services import run_filters
from ..services import runs as run_service
from ..timeformat import parse_date, utcnow
from . import present

blp = Blueprint("ui", __name__, url_prefix="/ui", template_folder="templates",
                static_folder="static")

RUNS_PER_PAGE = 50
JOBS_PER_PAGE = 50
NODES_PER_PAGE = 200
HISTORY_STRIP = 30   # jobs in a job page's history strip
BASELINE_CHOICES = 20
# The run list's filters: the filter routes' dimensions, in the order a path chains them.
RUN_FILTERS = ("branch", "suite", "machine_type", "status", "user", "sha1", "date")
RUN_STATUSES = tuple(dict.fromkeys(status for status, _test, _statuses in RUN_STATUS_RULES)) + (
    FALLBACK_RUN_STATUS,)
# A run page's job table sorts: key of a job's JSON.
JOB_SORTS = {
    "job_id": lambda job: (len(job["job_id"] or ""), job["job_id"] or ""),
    "status": lambda job: (present.BAR_STATUSES.index(present.status_class(job["status"])),),
    "description": lambda job: (job["description"] or "",),
    "duration": lambda job: (job["duration"] is None, job["duration"] or 0),
}
NODE_FILTERS = ("machine_type", "locked", "up", "locked_by", "os_type", "os_version")


@blp.context_processor
def helpers():
    now = utcnow()
    return {"now": now, "args": request.args.to_dict(), "present": present,
            "age": lambda text: present.age(text, now), "status_class": present.status_class,
            "hostname": target_hostname}


@blp.errorhandler(Exception)
def error_page(error):
    """The status and message the JSON API would answer, as a page (404: unknown run, job, node
    or address; 400: a bad filter; 503: the database is away)."""
    answer = error_answer(error)
    message = (answer.get_json(silent=True) or {}).get("message", "")
    return render_template("ui/error.html", status=answer.status_code, message=message), \
        answer.status_code


def arguments(schema):
    """The query string read by one of the API's query schemas (a bad value: 400). A form's
    field left blank is no filter: it is left out, as if not sent."""
    return schema().load({name: value for name, value in request.args.items() if value != ""})


def paged(rows, limit):
    """(the page's rows, whether a next page exists) of `limit` + 1 rows read."""
    return rows[:limit], len(rows) > limit


def suites():
    """Every suite among the runs: the choices of a form that needs one."""
    return orjson.loads(filter_values_json(RunFilter(listing=BY_SEGMENT["suite"])))


@blp.route("/")
def runs():
    state = app_state()
    paging = arguments(PageQuery)
    count = paging.get("count") or RUNS_PER_PAGE
    skip, limit = page_window(count, paging["page"])
    segments = []
    for name in RUN_FILTERS:
        value = request.args.get(name, "").strip()
        if name == "date" and value:
            value = parse_date(value, state.settings.timezone).isoformat()
        if value:
            segments += [name, value]
    if segments:
        run_filter = parse_filter_path(segments, state.settings.timezone)
        docs = run_filters.filtered_runs(state.database, run_filter, utcnow(), skip, limit + 1)
    else:
        docs = run_service.latest_runs(state.database, skip, limit + 1, utcnow())
    docs, more = paged(docs, limit)
    return render_template("ui/runs.html", runs=runs_json(docs, None), more=more,
                           page=paging["page"], filters=RUN_FILTERS, run_statuses=RUN_STATUSES,
                           filtered=bool(segments))


@blp.route("/runs/<run_name>")
def run(run_name):
    state = app_state()
    doc = run_service.get_run(state.database, run_name)
    sort = request.args.get("sort", "job_id")
    if sort.lstrip("-") not in JOB_SORTS:
        sort = "job_id"
    run_json = run_to_json(doc, state.settings)
    started, updated = doc.get("started"), doc.get("updated")
    ran = (updated - started).total_seconds() if started and updated else None
    live = present.status_class(run_json["status"]) in ("running", "waiting", "queued")
    return render_template("ui/run.html", run=run_json, ran=ran, live=live,
                           job_table=Markup(job_table(doc, sort)))


def job_table(doc, sort):
    """The HTML of the run's job table in `sort` order, from the app's run page cache like the
    JSON run page: rendered once per write of the run (its `writes` counter) and sort."""
    def build():
        jobs = orjson.loads(run_page_jobs(doc))
        jobs.sort(key=JOB_SORTS[sort.lstrip("-")], reverse=sort.startswith("-"))
        return render_template(
            "ui/run_jobs.html", jobs=jobs, sort=sort,
            job_prefix=url_for("ui.run", run_name=doc["name"]) + "/jobs/",
            node_prefix=url_for("ui.nodes")).encode()
    return by_run_version(doc, ("web job table", sort), build).decode()


@blp.route("/runs/<run_name>/jobs/<job_id>")
def job(run_name, job_id):
    state = app_state()
    doc = job_service.find_job(state.database, run_name, job_id)
    job_json = {"run": run_name, **job_to_json(doc, state.settings)}
    suite = job_service.run_suite(run_name)
    history = []
    if suite and isinstance(job_json.get("description"), str):
        history = lab_questions.test_history(state.database, utcnow(), suite,
                                             job_json["description"], {}, 0, HISTORY_STRIP)
        history = [test_job_to_json(entry, state.settings) for entry in reversed(history)]
    signature = doc.get("failure_signature") if doc.get("status") in FAILED_STATUSES else None
    return render_template("ui/job.html", job=job_json, suite=suite, history=history,
                           signature=signature)


@blp.route("/runs/<run_name>/compare")
def compare(run_name):
    state = app_state()
    baseline = arguments(CompareQuery).get("baseline") or None
    run_doc = lab_questions.compared_run(state.database, run_name)
    comparison = lab_questions.compare_runs(state.database, run_doc, baseline)
    # The baseline picker: earlier runs of the same suite, branch and machine type.
    same_kind = RunFilter(
        values={BY_SEGMENT[name]: run_doc.get(name) for name in ("suite", "branch",
                                                                 "machine_type")},
        scheduled_to=run_doc["scheduled"] - timedelta(microseconds=1))
    choices = run_filters.filtered_runs(state.database, same_kind, run_doc["scheduled"], 0,
                                        BASELINE_CHOICES)
    return render_template("ui/compare.html", comparison=comparison,
                           choices=[choice["name"] for choice in choices],
                           lists=("regressions", "fixes", "still_failing", "new", "missing",
                                  "pending"))


@blp.route("/tests/history")
def test_history():
    state = app_state()
    if not (request.args.get("suite") and request.args.get("description")):
        return render_template("ui/history.html", jobs=None, suites=suites())
    query = arguments(TestHistoryQuery)
    count = query["count"] or JOBS_PER_PAGE
    skip, limit = page_window(count, query["page"])
    job_filters = chosen(query, JOB_FILTERS)
    docs, more = paged(lab_questions.test_history(
        state.database, utcnow(), query["suite"], query["description"], job_filters, skip,
        limit + 1), limit)
    return render_template("ui/history.html", suites=None, more=more, page=query["page"],
                           jobs=[test_job_to_json(doc, state.settings) for doc in docs])


@blp.route("/flaky")
def flaky():
    if not request.args.get("suite"):
        return render_template("ui/flaky.html", tests=None, suites=suites())
    query = arguments(FlakyTestsQuery)
    since = utcnow() - timedelta(days=query["since_days"])
    tests = lab_questions.flaky_tests(app_state().database, query["suite"], chosen(query, RUN_VALUE_FILTERS),
                                      since, query["min_jobs"], query["count"])
    return render_template("ui/flaky.html", tests=tests, suites=None, query=query)


@blp.route("/failures")
def failures():
    query = arguments(FailuresQuery)
    now = utcnow()
    since = now - timedelta(days=query["since_days"])
    run_values = chosen(query, FAILURE_FILTERS)
    groups = lab_questions.failure_groups(app_state().database, since, run_values,
                                          query["count"], per_day_until=now.date())
    rows = [{**failure_group_to_json(group), "per_day": group["per_day"]} for group in groups]
    days = [(since.date() + timedelta(days=offset)).isoformat()
            for offset in range((now.date() - since.date()).days + 1)]
    return render_template("ui/failures.html", groups=rows, query=query, days=days)


@blp.route("/failures/jobs")
def failure_jobs():
    state = app_state()
    query = arguments(FailureJobsQuery)
    now = utcnow()
    count = query["count"] or JOBS_PER_PAGE
    skip, limit = page_window(count, query["page"])
    docs, more = paged(lab_questions.failure_jobs(
        state.database, now, query["signature"], now - timedelta(days=query["since_days"]), skip,
        limit + 1), limit)
    return render_template("ui/failure_jobs.html", query=query, more=more, page=query["page"],
                           jobs=[test_job_to_json(doc, state.settings) for doc in docs])


@blp.route("/trends")
def trends():
    if not request.args.get("suite"):
        return render_template("ui/trends.html", days=None, suites=suites())
    query = arguments(TrendsQuery)
    days = lab_questions.trends(app_state().database, query["suite"], chosen(query, RUN_VALUE_FILTERS),
                                query["days"], utcnow().date())
    return render_template("ui/trends.html", days=days, suites=None, query=query,
                           chart=present.trend_chart(days),
                           totals={status: sum(day[status] for day in days)
                                   for status in ("runs", "jobs", *FINISHED_STATUSES)})


@blp.route("/nodes/")
def nodes():
    state = app_state()
    query = arguments(NodeListQuery)
    filters = chosen(query, NODE_FILTERS)
    count = query.get("count") or NODES_PER_PAGE
    skip, limit = page_window(count, query["page"])
    docs, more = paged(node_service.list_nodes(state.database, filters, skip, limit + 1), limit)
    return render_template("ui/nodes.html", nodes=[node_to_json(doc, {}) for doc in docs],
                           more=more, page=query["page"],
                           machine_types=node_service.machine_types(state.database))


NODE_HISTORY_ROWS = 50  # of the node's lock history, newest first (all: /nodes/{node}/history/)


@blp.route("/nodes/<node_name>")
def node(node_name):
    state = app_state()
    query = arguments(NodeJobsQuery)
    doc = node_service.get_node(state.database, node_name)
    count = query["count"] or JOBS_PER_PAGE
    skip, limit = page_window(count, query["page"])
    docs, more = paged(node_service.node_jobs(state.database, node_name, utcnow(), skip,
                                              limit + 1, status=query.get("status")), limit)
    history = event_service.node_history(state.database, node_name)[:NODE_HISTORY_ROWS]
    return render_template("ui/node.html", node=node_to_json(doc, {}), more=more,
                           page=query["page"],
                           history=[event_to_json(event) for event in history],
                           jobs=[{"run": job["run"], **job_to_json(job, state.settings)}
                                 for job in docs])


@blp.route("/queue")
def queue():
    state = app_state()
    now = utcnow()
    queued = runs_json(run_filters.queued_runs(state.database), None)
    queues = [queue_to_json(entry, now) for entry in queue_service.list_queues(state.database)]
    return render_template("ui/queue.html", runs=queued, queues=queues)


@blp.route("/<path:unknown>")
def unknown_page(unknown):
    raise NotFound(f"no page /ui/{unknown}")

