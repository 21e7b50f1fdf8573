"""One Flask blueprint per resource."""
from . import events, jobs, lab_questions, nodes, queues, root, runs

BLUEPRINTS = (root.blp, runs.blp, jobs.blp, nodes.blp, queues.blp, lab_questions.blp,
              events.blp)
