"""Write tokens at the door: with `auth_tokens` set, every write needs a token whose scope
covers it (services/tokens.py), and with `auth_read` every read needs a token too. Without the
setting nothing here runs: the original's clients keep working unchanged.

WRITE_SCOPES is the one table of what changes data: each route and method that writes, with
the scope it needs. Everything else only reads (the original's method fallbacks that answer as
GET, POST /queue/stats/ and /queue/queued_jobs/, pop_queue's peek, the routes that refuse a
method with a 400); tests/integration/test_auth.py checks the table against every route."""
from flask import g, request

from ..exceptions import Forbidden, Unauthenticated
from ..services import events
from .support import app_state

REPORT, LOCK, ADMIN = "report", "lock", "admin"
# {endpoint: {method: scope}}
WRITE_SCOPES = {
    "runs.Runs": {"POST": REPORT},
    "runs.Run": {"DELETE": REPORT},
    "jobs.RunJobs": {"POST": REPORT},
    "jobs.Job": {"PUT": REPORT, "DELETE": REPORT},
    "nodes.Nodes": {"POST": LOCK},
    "nodes.Node": {"PUT": LOCK, "DELETE": ADMIN},
    "nodes.lock": {"PUT": LOCK, "POST": LOCK},
    "nodes.lock_many": {"POST": LOCK},
    "nodes.unlock_many": {"POST": LOCK},
    "queue.Queues": {"POST": ADMIN, "PUT": ADMIN},
}

# Reads that stay open even with auth_read: what load balancers and monitoring probe.
PROBES = {"root.Health", "root.Ready", "root.Metrics"}


def required_scope():
    """The scope this request's write needs, or None if it only reads."""
    return WRITE_SCOPES.get(request.endpoint, {}).get(request.method)


def presented_token():
    """`Authorization: Bearer TOKEN`, or basic auth whose password is the token (any user
    name: teuthology sends `results_server: http://NAME:TOKEN@host/` as basic auth)."""
    authorization = request.authorization
    if authorization is None:
        return None
    if authorization.type == "bearer":
        return authorization.token
    if authorization.type == "basic":
        return authorization.password
    return None


def check_token():
    """before_request: refuse a request without the token it needs (401, or 403 for a token
    without the scope); record the token's name as the maker of the request's changes."""
    state = app_state()
    if state.tokens is None or request.method == "OPTIONS":
        return
    scope = required_scope()
    if scope is None and (not state.settings.auth_read or request.endpoint in PROBES):
        return
    presented = presented_token()
    token = state.tokens.authenticate(presented) if presented else None
    if token is None:
        raise Unauthenticated("a valid token is needed for this request" if presented else
                              "a token is needed for this request")
    if scope is not None and not token.allows(scope):
        raise Forbidden(f"token {token.name} may not do this: it needs the {scope} scope")
    g.acting = events.act_as(token.name)


def end_acting(_error=None):
    """teardown_request: the next request on this thread starts with no token."""
    handle = g.pop("acting", None)
    if handle is not None:
        events.end_acting(handle)
