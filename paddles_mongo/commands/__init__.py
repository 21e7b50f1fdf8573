"""Management commands (click). The same commands run as `paddles-mongo COMMAND`,
`flask --app wsgi COMMAND` and the thin wrappers in scripts/."""
from flask.cli import FlaskGroup

from .indexes import create_indexes_command
from .serve import serve_local_command

COMMANDS = (create_indexes_command, serve_local_command)


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
    """Entry point of a scripts/ wrapper: `paddles-mongo COMMAND ARGS...`."""
    import sys
    cli.main(args=[command_name, *sys.argv[1:]], prog_name=command_name)
