"""Management commands (click). The same commands run as `paddles-mongo COMMAND` and as
scripts/COMMAND. None needs the Flask application: each opens the database itself (common.py),
so the group is a plain click group, and the application factory knows nothing of them."""
import click

from .importer import import_command
from .indexes import create_indexes_command
from .nodes import (node_jobs_command, node_stats_command, queue_stats_command,
                    set_targets_command)
from .runs import (dedupe_command, delete_run_command, expire_jobs_command, recount_command,
                   reparse_command)
from .serve import serve_local_command
from .tokens import token_command

COMMANDS = (create_indexes_command, expire_jobs_command, recount_command, delete_run_command,
            dedupe_command, reparse_command, set_targets_command, node_jobs_command,
            node_stats_command, queue_stats_command, import_command, serve_local_command,
            token_command)


cli = click.Group(name="paddles-mongo", help="paddles-mongo management commands.",
                  commands=COMMANDS)


def run_script(command_name):
    """Entry point of scripts/COMMAND: the same as `paddles-mongo COMMAND ARGS...`."""
    import sys
    command = {command.name: command for command in COMMANDS}.get(command_name)
    if command is None:
        sys.exit(f"{command_name}: no such paddles-mongo command")
    command.main(args=sys.argv[1:], prog_name=command_name)
