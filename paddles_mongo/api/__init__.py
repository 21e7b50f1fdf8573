"""One Flask blueprint per resource."""
from . import jobs, root, runs

BLUEPRINTS = (root.blp, runs.blp, jobs.blp)
