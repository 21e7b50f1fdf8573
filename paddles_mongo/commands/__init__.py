"""Management commands (click). The same commands run as `paddles-mongo COMMAND`,
`flask --app wsgi COMMAND` and the thin wrappers in scripts/."""
from flask.cli import FlaskGroup

from .importer import import_command
from .indexes import create_indexes_command
from .nodes import (node_jobs_command, node_stats_command, queue_stats_command,
                    set_targets_command)
from .runs import (dedupe_command, delete_run_command, expire_jobs_command, recount_command,
                   reparse_command)
from .serve import serve_local_command

COMMANDS = (create_indexes_command, expire_jobs_command, recount_command, delete_run_command,
            dedupe_command, reparse_command, set_targets_command, node_jobs_command,
            node_stats_command, queue_stats_command, import_command, serve_local_command)


def register_commands(app):
    for command in COMMANDS:
        app.cli.add_command(command)


def _create_app():
    from .. import create_app
    return create_app()


cli = FlaskGroup(name="paddles-mongo", create_app=_create_app, add_default_commands=False,
                 add_version_option=False, help="paddles-mongo management commands.")
for _command in COMMANDS:
    cli.add_command(_command)


def run_script(command_name):
    """Entry point of scripts/COMMAND: the same as `paddles-mongo COMMAND ARGS...`."""
    import sys
    command = {command.name: command for command in COMMANDS}.get(command_name)
    if command is None:
        sys.exit(f"{command_name}: no such paddles-mongo command")
    command.main(args=sys.argv[1:], prog_name=command_name)
