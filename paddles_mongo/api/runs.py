import orjson
from flask import Response, jsonify
from flask.views import MethodView
from flask_smorest import Blueprint

from ..schemas.common import NAMES, EmptySchema
from ..domain.filters import BY_SEGMENT, parse_filter_path
from ..schemas.queries import FieldsQuery, RunFilterQuery, RunListQuery
from ..schemas.runs import (RUN_KEYS, RUN_SELECTABLE_FIELDS, RunCreateSchema, RunSchema,
                            RunWithJobsSchema, run_stored_fields, run_to_json)
from ..services import paging, run_filters
from ..services import runs as run_service
from ..timeformat import day_start, utcnow
from .support import (app_state, filter_values_json, json_object_body, lean_read_doc,
                      not_modified, page_window, paged, requested_fields, run_page_jobs,
                      runs_json, same_as_get, version_tag)

blp = Blueprint("runs", __name__, url_prefix="/runs", description="Runs: named batches of jobs")


@blp.route("/")
@same_as_get(blp, "put", "delete")
class Runs(MethodView):
    @lean_read_doc(blp, paged=True)
    @blp.arguments(RunListQuery, location="query", as_kwargs=True)
    @blp.response(200, RunSchema(many=True))
    def get(self, count=None, page=1, fields="", after=None):
        """The latest runs, newest `posted` first (`count` defaults to 25)."""
        state = app_state()
        names = requested_fields(fields, RUN_SELECTABLE_FIELDS)
        if count is None:
            count = state.settings.default_latest_runs_count
        if count == 0:
            return jsonify([])
        skip, limit = page_window(count, page)
        runs = run_service.latest_runs(state.database, skip, limit, utcnow(), after,
                                       names and run_stored_fields(names))
        return paged(jsonify(runs_json(runs, names)),
                     paging.next_cursor(runs, limit, paging.BY_POSTED))

    @blp.doc(requestBody={"content": {"application/json": {"schema": RunCreateSchema}}})
    @blp.response(200, EmptySchema)
    def post(self):
        """Create a run; user, suite, branch, machine type and scheduled time are parsed from
        its name. A taken name answers 400 `run with name NAME already exists`."""
        state = app_state()
        data = RunCreateSchema().load(json_object_body(), unknown="exclude")
        run_service.create_run(state.database, data["name"], utcnow(), state.settings.timezone)
        return jsonify({})


def run_version(run, names=None):
    """The run page's ETag: the run's `writes` counts every change of the run and its jobs
    (services/run_summary.py), so it is known from the run alone, before any job is read."""
    return version_tag("run", run["_id"], run.get("writes"), names)


@blp.route("/<run_name>/")
@same_as_get(blp, "post", "put")
class Run(MethodView):
    @lean_read_doc(blp)
    @blp.arguments(FieldsQuery, location="query", as_kwargs=True)
    @blp.response(200, RunWithJobsSchema)
    def get(self, run_name, fields=""):
        """The run with every job embedded (in job_id string order), as pulpito reads it; or,
        with `fields`, only those keys of it (any key of a run, `id`, and `jobs`)."""
        state = app_state()
        names = requested_fields(fields, (*RUN_KEYS, "jobs"))
        keys = names and [name for name in names if name != "jobs"]  # the run's own
        projection = None
        if names:  # the run page's cache key (`name`, `writes`) and what the keys are made of
            projection = dict.fromkeys(("name", "writes", *run_stored_fields(keys)), 1)
        run = run_service.get_run(state.database, run_name, projection)
        tag = run_version(run, names)
        if (unchanged := not_modified(tag)) is not None:
            return unchanged
        body = orjson.dumps(run_to_json(run, state.settings, keys) if keys != [] else {})
        if names is None or "jobs" in names:
            # The (cached) encoded job list spliced in as the last key.
            body = (body[:-1] + (b"," if body != b"{}" else b"") + b'"jobs":'
                    + run_page_jobs(run) + b"}")
        response = Response(body, mimetype="application/json")
        response.set_etag(tag)
        return response

    def head(self, run_name):
        """200 if the run exists, else 404: teuthology's existence check. One cheap lookup;
        the run page's ETag, and 304 for If-None-Match holding it."""
        run = run_service.get_run(app_state().database, run_name, {"writes": 1})
        tag = run_version(run)
        response = not_modified(tag) or Response(status=200)
        response.set_etag(tag)
        return response

    @blp.response(200, EmptySchema)
    def delete(self, run_name):
        """Delete the run and all its jobs (nodes stay)."""
        run_service.delete_run(app_state().database, run_name, utcnow())
        return jsonify({})


@blp.route("/queued/")
class QueuedRuns(MethodView):
    @lean_read_doc(blp)
    @blp.response(200, RunSchema(many=True))
    def get(self):
        """Runs with at least one queued job, oldest `scheduled` first (pulpito's queue)."""
        return jsonify(runs_json(run_filters.queued_runs(app_state().database), None))


class RunFilterValues(MethodView):
    @lean_read_doc(blp)
    @blp.arguments(RunFilterQuery, location="query", as_kwargs=True)
    @blp.response(200, NAMES)
    def get(self, dimension, **_paging):
        """The dimension's distinct values among all runs, sorted (not paged; `count`, `page`
        and `since` are read, and ignored)."""
        run_filter = parse_filter_path([dimension], app_state().settings.timezone)
        return Response(filter_values_json(run_filter), mimetype="application/json")


class RunFilter(MethodView):
    @lean_read_doc(blp, paged=True)
    @blp.arguments(RunFilterQuery, location="query", as_kwargs=True)
    @blp.response(200, RunSchema(many=True))
    def get(self, dimension, rest="", count=None, page=1, since=None, after=None, fields=""):
        """Runs matching a chain of filters (`/runs/branch/main/suite/rados/...`), newest
        `scheduled` first; or, when the path ends in a dimension, that dimension's distinct
        values among the matching runs (`fields` ignored). `date/from/A/to/B/` is
        unpaginated."""
        state = app_state()
        segments = [dimension] + [segment for segment in rest.split("/") if segment]
        run_filter = parse_filter_path(segments, state.settings.timezone)
        if run_filter.listing:
            return Response(filter_values_json(run_filter), mimetype="application/json")
        names = requested_fields(fields, RUN_KEYS)
        stored = names and run_stored_fields(names)
        if run_filter.date_range:
            return jsonify(runs_json(run_filters.filtered_runs(
                state.database, run_filter, utcnow(), after=after, fields=stored), names))
        if count is None:
            count = state.settings.default_latest_runs_count
        skip, limit = page_window(count, page)
        docs = run_filters.filtered_runs(
            state.database, run_filter, utcnow(), skip, limit,
            day_start(since, state.settings.timezone) if since else None, after, stored)
        return paged(jsonify(runs_json(docs, names)),
                     paging.next_cursor(docs, limit, paging.BY_SCHEDULED))


# The filter routes, two per dimension segment of run_dimensions.py: /runs/sha1/, /runs/date/,
# /runs/user/, /runs/branch/, /runs/suite/, /runs/machine_type/, /runs/flavor/, /runs/flavors/,
# /runs/status/, each also followed by a chain (/runs/branch/main/suite/rados/...).
for _segment in BY_SEGMENT:
    blp.route(f"/{_segment}/", endpoint=f"filter_{_segment}",
              defaults={"dimension": _segment})(RunFilterValues)
    blp.route(f"/{_segment}/<path:rest>", endpoint=f"filter_{_segment}_chain",
              defaults={"dimension": _segment})(RunFilter)
