"""README.md's table of management commands names every command of `paddles-mongo`, and
nothing else."""
import os
import re

from paddles_mongo.commands import cli

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def documented_commands():
    with open(os.path.join(ROOT, "README.md")) as readme:
        text = readme.read()
    table = text.split("## Management scripts", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in table.splitlines() if line.startswith("| `")]
    return {name for row in rows for name in re.findall(r"`([a-z][a-z-]+)[ `]", row.split("|")[1])}


def test_the_readme_documents_every_command_and_only_those():
    assert documented_commands() == set(cli.commands)
