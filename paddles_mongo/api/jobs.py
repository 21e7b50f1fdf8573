from flask import Response, jsonify
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import ValidationError

from ..errors import validation_message
from ..exceptions import InvalidInput, PaddlesError
from ..schemas.common import EmptySchema, JobIdSchema
from ..schemas.jobs import (EXTRA_SELECTABLE_FIELDS, JOB_JSON_FIELDS, JobOutcomeSchema,
                            JobSchema, job_field_value, job_to_json, stored_fields)
from ..schemas.queries import FieldsQuery, JobSearchQuery, RunJobsQuery
from ..services import jobs as job_service
from ..services import paging
from ..services import runs as run_service
from ..storage import UnstorableValue, check_storable
from ..timeformat import day_start, local_to_utc, utcnow
from .support import (BAD_JSON, app_state, by_run_version, json_body, json_object,
                      json_object_body, lean_read_doc, not_modified, page_window, paged,
                      requested_fields, runs_json, same_as_get, version_tag)

blp = Blueprint("jobs", __name__, description="Jobs: one test execution each, in a run")

JOB_SELECTABLE_FIELDS = JOB_JSON_FIELDS + EXTRA_SELECTABLE_FIELDS
JOB_BODY_DOC = {"requestBody": {"content": {"application/json": {"schema": JobSchema}}}}
MAX_BATCH_JOBS = 500  # job documents in one batch (POST /runs/{run}/jobs/ with an array)
BATCH = {"type": "array", "items": JobSchema, "maxItems": MAX_BATCH_JOBS}
BATCH_EXAMPLE = [{"job_id": "7891234", "status": "queued", "description": "rados/thrash"},
                 {"job_id": "7891235", "status": "pass", "success": True},
                 {"status": "running"}]
BATCH_OUTCOMES_EXAMPLE = [{"job_id": "7891234", "status": 200},
                          {"job_id": "7891235", "status": 200},
                          {"job_id": None, "status": 400,
                           "message": "a job of a batch must have a job_id"}]
OUTCOMES = {"type": "array", "items": JobOutcomeSchema}
JOB_OR_BATCH_DOC = {"requestBody": {"content": {"application/json": {
    "schema": {"oneOf": [JobSchema, BATCH]},
    "examples": {"job": {"value": {"job_id": "7891234", "status": "queued"}},
                 "batch": {"value": BATCH_EXAMPLE}}}}}}


def job_request(body):
    """The validated job document; a client `updated` is shifted from the server's zone to
    UTC."""
    data = JobSchema().load(body)
    if "updated" in data:
        data["updated"] = local_to_utc(data["updated"], app_state().settings.timezone)
    return data


def jobs_json(docs, fields):
    """Job documents as JSON, or only their keys `fields` (`run`: the job's run, as JSON, read
    once per run)."""
    state = app_state()
    if not fields:
        return [job_to_json(doc, state.settings) for doc in docs]
    runs = {}
    if "run" in fields:
        runs = {run["name"]: run for run in runs_json(run_service.runs_named(
            state.database, sorted({doc["run"] for doc in docs})), None)}
    return [{name: runs.get(doc["run"]) if name == "run"
             else job_field_value(doc, name, state.settings) for name in fields} for doc in docs]


def record_status(write):
    if write.status_changed:
        app_state().job_status_counter.job_entered(write.new_status)


def batch_job_id(item):
    """The job_id of a batch item as a valid request reads it, or None."""
    try:
        return JobSchema().fields["job_id"].deserialize(item.get("job_id"))
    except ValidationError:
        return None


def batch_request(item):
    """The validated job document of a batch item: checked as a single POST's body, and it
    must name its job (a batch is idempotent: resending it writes the same jobs)."""
    try:
        check_storable(item)
    except UnstorableValue as error:
        raise InvalidInput(str(error)) from None
    try:
        request = job_request(item)
    except ValidationError as error:
        raise InvalidInput(validation_message(error.messages)) from None
    if "job_id" not in request:
        raise InvalidInput("a job of a batch must have a job_id")
    return request


def report_batch(run_name, items):
    """POST of an array: each item written as a POST then a PUT of it (see docs/api.md);
    the outcome of each, in order."""
    if len(items) > MAX_BATCH_JOBS:
        raise InvalidInput(f"a batch holds at most {MAX_BATCH_JOBS} jobs, not {len(items)}")
    for position, item in enumerate(items):
        if not isinstance(item, dict):
            raise InvalidInput(f"batch item {position} is not a JSON object")
    outcomes = [None] * len(items)
    requests = {}
    for position, item in enumerate(items):
        try:
            requests[position] = batch_request(item)
        except InvalidInput as error:
            outcomes[position] = {"job_id": batch_job_id(item), "status": error.status,
                                  "message": error.message}
    state = app_state()
    written = job_service.report_jobs(state.database, state.settings, run_name,
                                      list(requests.values()), utcnow())
    for (position, request), outcome in zip(requests.items(), written):
        if isinstance(outcome, PaddlesError):
            outcomes[position] = {"job_id": request["job_id"], "status": outcome.status,
                                  "message": outcome.message}
        else:
            record_status(outcome)
            outcomes[position] = {"job_id": request["job_id"], "status": 200}
    return outcomes


@blp.route("/runs/<run_name>/jobs/")
@same_as_get(blp, "put", "delete")
class RunJobs(MethodView):
    @lean_read_doc(blp)
    @blp.arguments(RunJobsQuery, location="query", as_kwargs=True)
    @blp.response(200, JobSchema(many=True))
    def get(self, run_name, status="", fields=""):
        """The run's jobs, newest `posted` first, optionally one `status` only, or only the
        attributes named in `fields`. Its ETag is the run's version (known before reading a
        job)."""
        state = app_state()
        names = requested_fields(fields, JOB_SELECTABLE_FIELDS)
        run = run_service.get_run(state.database, run_name, {"writes": 1})
        tag = version_tag("run jobs", run["_id"], run.get("writes"), status, names)
        if (unchanged := not_modified(tag)) is not None:
            return unchanged

        def build():
            docs = job_service.run_jobs(state.database, run_name, status or None,
                                        stored_fields(names) if names else None)
            return jsonify(jobs_json(docs, names)).get_data()
        response = Response(by_run_version(run, ("run jobs", status, tuple(names or ())), build),
                            mimetype="application/json")
        response.set_etag(tag)
        return response

    @blp.doc(**JOB_OR_BATCH_DOC)
    @blp.response(200, {"oneOf": [JobIdSchema, OUTCOMES]},
                  example=BATCH_OUTCOMES_EXAMPLE)
    def post(self, run_name):
        """Create a job (and its run, if new). A job_id already in the run answers 400
        `job with job_id N already exists`; teuthology then PUTs the same body.

        A batch: an array of up to 500 job documents, each with its job_id, each created or
        updated as a POST then a PUT of it would; the answer is each one's outcome, in order.
        A batch with more items, or an item that is not an object, is refused whole (400)."""
        state = app_state()
        body = json_body()
        if isinstance(body, list):
            return jsonify(report_batch(run_name, body))
        body = json_object(body)
        if not body:
            raise InvalidInput(BAD_JSON)
        job_id, write = job_service.create_job(state.database, state.settings, run_name,
                                               job_request(body), utcnow())
        record_status(write)
        return jsonify(job_id=job_id)


@blp.route("/runs/<run_name>/jobs/<job_id>/")
@same_as_get(blp, "post")
class Job(MethodView):
    @lean_read_doc(blp)
    @blp.arguments(FieldsQuery, location="query", as_kwargs=True)
    @blp.response(200, JobSchema)
    def get(self, run_name, job_id, fields=""):
        """One job, or only the attributes named in `fields`."""
        names = requested_fields(fields, JOB_SELECTABLE_FIELDS)
        doc = job_service.find_job(app_state().database, run_name, job_id,
                                   stored_fields(names) if names else None)
        return jsonify(jobs_json([doc], names)[0])

    @blp.doc(**JOB_BODY_DOC)
    @blp.response(200, EmptySchema)
    def put(self, run_name, job_id):
        """Merge the body into the job. `pass`/`fail` are sticky against `status`; `priority`
        changes only while queued; a different job_id answers 400."""
        write = job_service.update_job(app_state().database, run_name, job_id,
                                       job_request(json_object_body()), utcnow())
        record_status(write)
        return jsonify({})

    @blp.response(200, EmptySchema)
    def delete(self, run_name, job_id):
        """Delete the job; its run's status is recomputed (an emptied run is `empty`)."""
        job_service.delete_job(app_state().database, run_name, job_id, utcnow())
        return jsonify({})


@blp.route("/jobs/")
class JobSearch(MethodView):
    @lean_read_doc(blp, paged=True)
    @blp.arguments(JobSearchQuery, location="query", as_kwargs=True)
    @blp.response(200, JobSchema(many=True))
    def get(self, count=None, page=1, posted_after=None, posted_before=None, fields="",
            **criteria):
        """Jobs of every run, newest `posted` first (`count` defaults to 10), or only the
        attributes named in `fields`."""
        state = app_state()
        names = requested_fields(fields, JOB_SELECTABLE_FIELDS)
        if count is None:
            count = state.settings.default_jobs_count
        if count == 0:
            return jsonify([])
        skip, limit = page_window(count, page)
        tz = state.settings.timezone
        docs = job_service.search_jobs(
            state.database, utcnow(), skip, limit,
            posted_after=day_start(posted_after, tz) if posted_after else None,
            posted_before=day_start(posted_before, tz) if posted_before else None,
            fields=names and stored_fields(names), **criteria)
        return paged(jsonify(jobs_json(docs, names)),
                     paging.next_cursor(docs, limit, paging.BY_POSTED))
