"""One Flask blueprint per resource."""
from . import jobs, nodes, queues, root, runs

BLUEPRINTS = (root.blp, runs.blp, jobs.blp, nodes.blp, queues.blp)
