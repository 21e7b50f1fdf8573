import click
from flask import current_app
from flask.cli import with_appcontext
from pymongo.errors import PyMongoError

from ..db import create_indexes


@click.command("create-indexes")
@with_appcontext
def create_indexes_command():
    """Create every index the service declares (idempotent; reads PADDLES_MONGO_URI)."""
    services = current_app.extensions["paddles"]
    try:
        created = create_indexes(services.database)
    except PyMongoError as error:
        raise click.ClickException(
            f"could not create indexes on {services.settings.mongo_uri}: {error}") from None
    for collection, names in created.items():
        click.echo(f"{collection}: {', '.join(names)}")
