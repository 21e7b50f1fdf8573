"""What every blueprint needs from a request: the app's state (settings, database, caches), the
JSON body (parsed whatever the Content-Type says), `count`/`page` paging and the next page's
cursor, `fields` projections, run JSON, and conditional GETs (ETags)."""
import copy
import hashlib
import json
from dataclasses import dataclass
from urllib.parse import urlencode

import orjson
from flask import Blueprint, Response, current_app, request
from werkzeug.exceptions import RequestEntityTooLarge

from ..config import Settings
from ..exceptions import InvalidInput
from ..metrics import JobStatusCounter
from ..page_cache import PageCache
from ..schemas.jobs import job_to_json
from ..schemas.runs import run_field_value, run_to_json
from ..services import jobs as job_service
from ..services import run_filters, run_values
from ..storage import UnstorableValue, check_storable

BAD_JSON = "could not decode JSON body"
INVALID_FIELD = "an invalid field was specified"


@dataclass
class AppState:
    """What the app holds for its requests (built by create_app)."""
    settings: Settings
    database: object  # db.Database: reached by the blueprints only through services/
    job_status_counter: JobStatusCounter
    run_pages: PageCache
    tokens: object = None  # services.tokens.TokenSet: None when writes are open


def app_state():
    return current_app.extensions["paddles"]


def same_as_get(blueprint, *methods):
    """Class decorator of a MethodView (below its route): `methods` answer as its GET does,
    the original's method fallback (POST on a run answers the run)."""
    def decorate(view):
        for method in methods:
            def answer(self, *args, **kwargs):
                return self.get(*args, **kwargs)
            # GET's parameters and answer are documented for it too: they are its own.
            answer._apidoc = copy.deepcopy(getattr(view.get, "_apidoc", {}))
            # but not its conditional answers (lean_read_doc): those are GET's and HEAD's.
            answer._apidoc.get("manual_doc", {}).pop("responses", None)
            answer = blueprint.doc(summary="Same as GET",
                                   description="Kept from the original's method fallback.")(answer)
            setattr(view, method, answer)
        view.methods = {*view.methods, *(method.upper() for method in methods)}
        return view
    return decorate


def undocumented_route(blueprint, rule, **options):
    """Route the view below on `blueprint` but leave it out of the API reference: methods the
    original kept on a URL only to refuse them, which flask-smorest would document with the
    URL's 200 answer."""
    def register(view):
        Blueprint.add_url_rule(blueprint, rule, view_func=view, **options)  # Flask's own
        return view
    return register


def runs_json(docs, fields):
    """Run documents as JSON, or only their keys `fields`."""
    settings = app_state().settings
    return [run_to_json(doc, settings, fields) for doc in docs]


def by_run_version(run, variant, build):
    """`build()` (bytes: a rendering of the run's jobs), from the app's run page cache: built
    once per write of the run (its `writes` counter) and `variant` (which rendering)."""
    # _id: a run deleted and made again is new
    return _cached((run["_id"], run.get("writes"), *variant), build)


def filter_values_json(run_filter):
    """The JSON of the values `run_filter` lists (run_filters.filter_values): kept in the run
    page cache per run values' version (services/run_values.py) when they follow it, so that
    they are read once per change of the runs' values, not once per request."""
    database = app_state().database

    def build():
        return orjson.dumps(run_filters.filter_values(database, run_filter))
    version = run_values.values_version(database) if run_filters.versioned(run_filter) else None
    if version is None:
        return build()
    return _cached(("filter values", version, run_filter.key), build)


def _cached(key, build):
    state = app_state()
    value = state.run_pages.get(key)
    if value is None:
        value = build()
        state.run_pages.put(key, value)
    return value


def run_page_jobs(run):
    """The JSON of the run's jobs (in job_id string order) encoded, once per write of the
    run."""
    def build():
        state = app_state()
        docs = job_service.run_jobs(state.database, run["name"], by_job_id=True)
        return orjson.dumps([job_to_json(job, state.settings) for job in docs])
    return by_run_version(run, ("run page",), build)


def request_body():
    """The raw request body, every route's only way to it. A body announced by Content-Length
    over max_content_length is refused by Werkzeug before it is read; a body sent without one
    (Transfer-Encoding: chunked) Werkzeug reads only up to the limit and silently cuts: a
    further byte left in the server's stream means it was over the limit too."""
    raw = request.get_data(cache=True)
    limit = request.max_content_length
    if (request.content_length is None and limit is not None and len(raw) >= limit
            and request.environ["wsgi.input"].read(1)):
        raise RequestEntityTooLarge()
    return raw


def json_body():
    """The request body as JSON, of any type (not null). teuthology's lock client sends JSON
    without a Content-Type, so the header is not consulted."""
    raw = request_body()
    try:
        body = json.loads(raw) if raw.strip() else None
    except RecursionError:
        raise InvalidInput("JSON body is nested too deeply") from None
    except ValueError:
        raise InvalidInput(BAD_JSON) from None
    if body is None:
        raise InvalidInput(BAD_JSON)
    return body


def json_object(body):
    """`body` (from json_body) if it is a JSON object MongoDB can store."""
    if not isinstance(body, dict):
        raise InvalidInput("JSON body must be an object")
    try:
        check_storable(body)
    except UnstorableValue as error:
        raise InvalidInput(str(error)) from None
    return body


def json_object_body():
    """The request body as a JSON object MongoDB can store."""
    return json_object(json_body())


def page_window(count, page):
    """(skip, limit) for 1-based `page` of `count` items."""
    return count * (page - 1), count


def paged(response, cursor):
    """`response`, a page of a list, with `cursor` (services/paging.py: None on the last page)
    in `X-Next-Cursor` and in the next page's URL in `Link` (rel="next"), the request's
    parameters kept but `page`."""
    if cursor is not None:
        query = [(name, value) for name, value in request.args.items(multi=True)
                 if name not in ("page", "after")]
        query = urlencode([*query, ("after", cursor)])
        url = f"{app_state().settings.address}{request.path}?{query}"
        response.headers["Link"] = f'<{url}>; rel="next"'
        response.headers["X-Next-Cursor"] = cursor
    return response


ETAG_HEADER = {"description": "the answer's tag: send it back in If-None-Match to get a 304 "
                              "while the answer is unchanged",
               "schema": {"type": "string", "example": '"9f2c41d0b3e87a55c6d1e0f4a7b29c13"'}}
CURSOR_HEADERS = {
    "X-Next-Cursor": {"description": "on a full page: the `after` of the next page",
                      "schema": {"type": "string", "example": "W1sicG9zdGVkIiwiX2lkIl0sW3s..."}},
    "Link": {"description": "on a full page: the next page's URL, rel=\"next\"",
             "schema": {"type": "string", "example": '<https://paddles.example.com/runs/'
                        '?count=25&after=W1sicG9zdGVkIiwiX2lkIl0sW3s...>; rel="next"'}}}
NOT_MODIFIED = {"description": "Not Modified: If-None-Match holds the answer's ETag (no body)",
                "headers": {"ETag": ETAG_HEADER}}


def lean_read_doc(blueprint, paged=False):
    """The OpenAPI description of a GET's conditional answers (ETag, 304) and, for a paged
    list, of its next page's cursor headers."""
    headers = {"ETag": ETAG_HEADER, **(CURSOR_HEADERS if paged else {})}
    return blueprint.doc(responses={200: {"headers": headers}, 304: NOT_MODIFIED})


def version_tag(*version):
    """An ETag made from what versions a resource (a run's `_id` and `writes`, the request's
    variant of it), known before reading the resource itself."""
    return hashlib.blake2b(repr(version).encode(), digest_size=16).hexdigest()


def not_modified(tag):
    """The 304 answer to a request whose If-None-Match holds `tag`, else None."""
    if tag not in request.if_none_match:
        return None
    response = Response(status=304)
    response.set_etag(tag)
    return response


def conditional_get(response):
    """Every 200 JSON answer to a GET or HEAD carries an ETag: the view's version tag, or else
    the digest of the body; a request whose If-None-Match holds it answers 304, no body.
    Event streams and web pages are left alone."""
    if (request.method in ("GET", "HEAD") and response.status_code == 200
            and response.mimetype == "application/json" and not response.is_streamed):
        if response.get_etag()[0] is None:
            response.add_etag()
        response.make_conditional(request)
    return response


def requested_fields(text, selectable):
    """The names `?fields=a,b` selects, or None for whole objects (no parameter, or only
    skipped names): outer commas stripped, `_`-prefixed names skipped, anything not
    selectable -> 400 (as the original did)."""
    if not text:
        return None
    names = [name for name in text.strip(",").split(",") if not name.startswith("_")]
    if any(name not in selectable for name in names):
        raise InvalidInput(INVALID_FIELD)
    return names or None
