"""The console entry point `paddles-mongo`: a plain click group of this service's commands
(none of Flask's options or commands), and an application factory that knows nothing of it."""
import os
import subprocess
import sys

from click.testing import CliRunner

from paddles_mongo.commands import COMMANDS, cli

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def listed_commands(help_text):
    section = help_text.split("\nCommands:\n", 1)[1]
    return [line.split()[0] for line in section.splitlines() if line.startswith("  ")]


def test_help_lists_exactly_the_services_commands_and_no_flask_options():
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0, result.output
    assert listed_commands(result.output) == sorted(command.name for command in COMMANDS)
    options = result.output.split("\nOptions:\n", 1)[1].split("\nCommands:\n", 1)[0]
    assert options.split() == ["--help", "Show", "this", "message", "and", "exit."]
    for flask_only in ("--env-file", "--app", "--debug", "openapi", "routes", "shell"):
        assert flask_only not in result.output


def test_the_entry_point_is_the_group():
    with open(os.path.join(ROOT, "setup.py")) as setup:
        assert '"paddles-mongo = paddles_mongo.commands:cli"' in setup.read()


def test_building_the_app_imports_no_command():
    """The application factory does not import the commands (which import the package): no
    cycle, and gunicorn workers load no click code."""
    code = ("import os, sys\n"
            "from paddles_mongo import create_app\n"
            "from paddles_mongo.config import load_settings\n"
            "create_app(load_settings(path=os.devnull, environ={}))\n"
            "print(sorted(name for name in sys.modules if name.startswith('paddles_mongo.commands')))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60, check=True)
    assert result.stdout.strip() == "[]"
