"""The lab's questions: a test's history, flaky tests, a run against its baseline, failures by
signature, a suite's trends (services/lab_questions.py)."""
from datetime import timedelta

from flask import jsonify
from flask.views import MethodView
from flask_smorest import Blueprint

from ..schemas.lab_questions import (CompareQuery, ComparisonSchema, FailureGroupSchema,
                                     FailureJobsQuery, FailuresQuery, FlakyTestSchema,
                                     FlakyTestsQuery, TestHistoryQuery, TestJobSchema,
                                     TrendDaySchema, TrendsQuery, failure_group_to_json,
                                     test_job_to_json)
from ..services import lab_questions, paging
from ..timeformat import utcnow
from .support import app_state, lean_read_doc, page_window, paged

blp = Blueprint("lab questions", __name__, description=(
    "The lab's questions of its results: test history, flaky tests, run comparisons, "
    "failure signatures, trends"))

# The filters each question takes on the jobs, or on their runs' values.
JOB_FILTERS = ("branch", "machine_type", "os_type", "os_version")
RUN_VALUE_FILTERS = ("branch", "machine_type")
FAILURE_FILTERS = (*RUN_VALUE_FILTERS, "suite")


def chosen(arguments, names):
    """{name: value} of the `names` given in `arguments` (parsed query parameters)."""
    return {name: arguments[name] for name in names if arguments.get(name) is not None}


def jobs_page(docs, limit):
    """A page of jobs (newest `posted` first) as JSON, with the next page's cursor."""
    settings = app_state().settings
    return paged(jsonify([test_job_to_json(doc, settings) for doc in docs]),
                 paging.next_cursor(docs, limit, paging.BY_POSTED))


@blp.route("/tests/history/")
class TestHistory(MethodView):
    @lean_read_doc(blp, paged=True)
    @blp.arguments(TestHistoryQuery, location="query")
    @blp.response(200, TestJobSchema(many=True))
    def get(self, arguments):
        """A test's jobs (its suite and description), newest `posted` first."""
        skip, limit = page_window(arguments["count"], arguments["page"])
        docs = lab_questions.test_history(
            app_state().database, utcnow(), arguments["suite"], arguments["description"],
            chosen(arguments, JOB_FILTERS), skip, limit, arguments.get("after"))
        return jobs_page(docs, limit)


@blp.route("/tests/flaky/")
class FlakyTests(MethodView):
    @blp.arguments(FlakyTestsQuery, location="query")
    @blp.response(200, FlakyTestSchema(many=True))
    def get(self, arguments):
        """Tests of a suite with passing and failing jobs posted in the period, flakiest
        first."""
        since = utcnow() - timedelta(days=arguments["since_days"])
        return jsonify(lab_questions.flaky_tests(
            app_state().database, arguments["suite"], chosen(arguments, RUN_VALUE_FILTERS),
            since, arguments["min_jobs"], arguments["count"]))


@blp.route("/runs/<run_name>/compare/")
class RunComparison(MethodView):
    @blp.arguments(CompareQuery, location="query")
    @blp.response(200, ComparisonSchema)
    def get(self, arguments, run_name):
        """The run against a baseline: regressions, fixes, still failing, new, missing and
        pending jobs, matched by description."""
        database = app_state().database
        return jsonify(lab_questions.compare_runs(
            database, lab_questions.compared_run(database, run_name), arguments.get("baseline")))


@blp.route("/failures/")
class Failures(MethodView):
    @blp.arguments(FailuresQuery, location="query")
    @blp.response(200, FailureGroupSchema(many=True))
    def get(self, arguments):
        """Failed and dead jobs posted in the period, grouped by the signature of their
        failure reason, most jobs first."""
        since = utcnow() - timedelta(days=arguments["since_days"])
        groups = lab_questions.failure_groups(app_state().database, since,
                                              chosen(arguments, FAILURE_FILTERS), arguments["count"])
        return jsonify([failure_group_to_json(group) for group in groups])


@blp.route("/failures/jobs/")
class FailureJobs(MethodView):
    @lean_read_doc(blp, paged=True)
    @blp.arguments(FailureJobsQuery, location="query")
    @blp.response(200, TestJobSchema(many=True))
    def get(self, arguments):
        """The failed and dead jobs of one signature posted in the period, newest first."""
        now = utcnow()
        skip, limit = page_window(arguments["count"], arguments["page"])
        docs = lab_questions.failure_jobs(app_state().database, now, arguments["signature"],
                                          now - timedelta(days=arguments["since_days"]), skip,
                                          limit, arguments.get("after"))
        return jobs_page(docs, limit)


@blp.route("/trends/")
class Trends(MethodView):
    @blp.arguments(TrendsQuery, location="query")
    @blp.response(200, TrendDaySchema(many=True))
    def get(self, arguments):
        """A suite's runs and results per UTC day (by the runs' `scheduled`), oldest first."""
        return jsonify(lab_questions.trends(
            app_state().database, arguments["suite"],
            chosen(arguments, RUN_VALUE_FILTERS), arguments["days"],
            utcnow().date()))
