"""What every management command shares: settings, the database, clear failures, progress."""
import dataclasses
import functools
import json
from contextlib import contextmanager

import click
from pymongo.errors import ConnectionFailure, PyMongoError

from ..config import ConfigError, load_settings
from ..db import Database
from ..exceptions import PaddlesError


def database_command(function):
    """Run `function(database, settings, **options)` against PADDLES_MONGO_URI (or the config
    file's mongo_uri); any database or settings failure exits 1 with one clear line."""
    @functools.wraps(function)
    def wrapper(**options):
        try:
            settings = load_settings()
        except (ConfigError, OSError) as error:
            raise click.ClickException(f"bad settings: {error}") from None
        # A command's single operations may run for minutes on a big database (building an
        # index over millions of jobs): no socket timeout, unlike a request's.
        database = Database(dataclasses.replace(settings, mongo_socket_timeout_ms=0))
        try:
            return function(database, settings, **options)
        except PyMongoError as error:
            raise click.ClickException(database_failure(settings, error)) from None
        except PaddlesError as error:
            raise click.ClickException(error.message) from None
        finally:
            database.close()
    return wrapper


def database_failure(settings, error):
    if isinstance(error, ConnectionFailure):
        reason = str(error).split(" (configured timeouts")[0].split(", Timeout:")[0]
        return f"cannot reach the database at {settings.mongo_uri}: {reason}"
    return f"database error on {settings.mongo_uri}: {error}"


dry_run_option = click.option("--dry-run", is_flag=True,
                              help="Report what would change; change nothing.")


@contextmanager
def progress_bar(total, label):
    """A progress bar on stderr when it is a terminal (quiet in cron and pipes); yields
    `advance(n)`."""
    stderr = click.get_text_stream("stderr")
    if not stderr.isatty():
        yield lambda count: None
        return
    with click.progressbar(length=total, label=label, file=stderr) as bar:
        yield bar.update


def echo_json(value):
    click.echo(json.dumps(value, indent=2, default=str))
