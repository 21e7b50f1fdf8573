from flask import jsonify
from flask.views import MethodView
from flask_smorest import Blueprint

from ..exceptions import InvalidInput, NotFound
from ..schemas.common import EmptySchema, JobIdSchema
from ..schemas.jobs import (EXTRA_SELECTABLE_FIELDS, JOB_JSON_FIELDS, JobSchema,
                            job_field_value, job_to_json)
from ..schemas.queries import JobSearchQuery, RunJobsQuery
from ..services import jobs as job_service
from ..services import runs as run_service
from ..timeformat import day_start, local_to_utc, utcnow
from .runs import runs_json
from .support import (BAD_JSON, json_object_body, load, page_window, requested_fields,
                      services)

blp = Blueprint("jobs", __name__, description="Jobs: one test execution each, in a run")

JOB_SELECTABLE_FIELDS = JOB_JSON_FIELDS + EXTRA_SELECTABLE_FIELDS
JOB_BODY_DOC = {"requestBody": {"content": {"application/json": {"schema": JobSchema}}}}


def job_request(body):
    """The validated job document; a client `updated` is shifted from the server's zone to
    UTC."""
    data = load(JobSchema(), body)
    if "updated" in data:
        data["updated"] = local_to_utc(data["updated"], services().settings.timezone)
    return data


def projection_for(fields):
    """The stored fields that `?fields=` needs, so big metadata is not read for nothing."""
    stored = {"run", "job_id"}
    for name in fields:
        if name == "id":
            stored.add("_id")
        elif name not in ("log_href", "href", "run_id", "run"):
            stored.add(name)
    return {name: 1 for name in stored}


def projected_jobs(run_name, docs, fields):
    svc = services()
    run = None
    if "run" in fields:
        run = runs_json([run_service.get_run(svc.database, run_name)], None)[0]
    return [{name: run if name == "run" else job_field_value(doc, name, svc.settings)
             for name in fields} for doc in docs]


def record_status(write):
    if write.status_changed:
        services().job_status_counter.job_entered(write.new_status)


@blp.route("/runs/<run_name>/jobs/")
class RunJobs(MethodView):
    @blp.arguments(RunJobsQuery, location="query", as_kwargs=True)
    @blp.response(200, JobSchema(many=True))
    def get(self, run_name, status="", fields=""):
        """The run's jobs, newest `posted` first, optionally one `status` only, or only the
        attributes named in `fields`."""
        svc = services()
        names = requested_fields(fields, JOB_SELECTABLE_FIELDS) if fields else None
        if not run_service.run_exists(svc.database, run_name):
            raise NotFound(f"run {run_name} was not found")
        projection = projection_for(names) if names else None
        docs = job_service.run_jobs(svc.database, run_name, status or None, projection)
        if names:
            return jsonify(projected_jobs(run_name, docs, names))
        return jsonify([job_to_json(doc, svc.settings) for doc in docs])

    @blp.doc(**JOB_BODY_DOC)
    @blp.response(200, JobIdSchema)
    def post(self, run_name):
        """Create a job (and its run, if new). A job_id already in the run answers 400
        `job with job_id N already exists`; teuthology then PUTs the same body."""
        svc = services()
        body = json_object_body()
        if not body:
            raise InvalidInput(BAD_JSON)
        job_id, write = job_service.create_job(svc.database, svc.settings, run_name,
                                               job_request(body), utcnow())
        record_status(write)
        return jsonify(job_id=job_id)

    @blp.doc(summary="Same as GET", description="Kept from the original's method fallback.")
    def put(self, run_name):
        return self.get(run_name)

    @blp.doc(summary="Same as GET", description="Kept from the original's method fallback.")
    def delete(self, run_name):
        return self.get(run_name)


@blp.route("/runs/<run_name>/jobs/<job_id>/")
class Job(MethodView):
    @blp.response(200, JobSchema)
    def get(self, run_name, job_id):
        """One job."""
        svc = services()
        return jsonify(job_to_json(job_service.find_job(svc.database, run_name, job_id),
                                   svc.settings))

    @blp.doc(summary="Same as GET", description="Kept from the original's method fallback.")
    def post(self, run_name, job_id):
        return self.get(run_name, job_id)

    @blp.doc(**JOB_BODY_DOC)
    @blp.response(200, EmptySchema)
    def put(self, run_name, job_id):
        """Merge the body into the job. `pass`/`fail` are sticky against `status`; `priority`
        changes only while queued; a different job_id answers 400."""
        write = job_service.update_job(services().database, run_name, job_id,
                                       job_request(json_object_body()), utcnow())
        record_status(write)
        return jsonify({})

    @blp.response(200, EmptySchema)
    def delete(self, run_name, job_id):
        """Delete the job; its run's status is recomputed (an emptied run is `empty`)."""
        job_service.delete_job(services().database, run_name, job_id, utcnow())
        return jsonify({})


@blp.route("/jobs/")
class JobSearch(MethodView):
    @blp.arguments(JobSearchQuery, location="query", as_kwargs=True)
    @blp.response(200, JobSchema(many=True))
    def get(self, count=None, page=1, posted_after=None, posted_before=None, **criteria):
        """Jobs of every run, newest `posted` first (`count` defaults to 10)."""
        svc = services()
        if count is None:
            count = svc.settings.default_jobs_count
        if count == 0:
            return jsonify([])
        skip, limit = page_window(count, page)
        tz = svc.settings.timezone
        docs = job_service.search_jobs(
            svc.database, skip, limit,
            posted_after=day_start(posted_after, tz) if posted_after else None,
            posted_before=day_start(posted_before, tz) if posted_before else None, **criteria)
        return jsonify([job_to_json(doc, svc.settings) for doc in docs])
