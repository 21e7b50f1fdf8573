import click
from pymongo.errors import PyMongoError

from ..db import create_indexes, index_drift
from .common import database_command, database_failure


@click.command("create-indexes")
@click.option("--check", is_flag=True,
              help="Only compare: list missing, unexpected and different indexes; exit 1 on "
                   "any drift.")
@database_command
def create_indexes_command(database, settings, check):
    """Create every index the service declares (idempotent; reads PADDLES_MONGO_URI).

    Safe on a live, large database: MongoDB builds indexes without blocking reads and writes,
    and existing indexes are left as they are."""
    if check:
        missing, unexpected, different = index_drift(database)
        for label, names in (("missing", missing), ("unexpected", unexpected),
                             ("different", different)):
            for name in names:
                click.echo(f"{label}: {name}")
        if missing or unexpected or different:
            raise SystemExit(1)
        click.echo("indexes match the declaration")
        return
    try:
        created = create_indexes(database)
    except PyMongoError as error:
        raise click.ClickException(
            f"could not create indexes: {database_failure(settings, error)}") from None
    for collection, names in created.items():
        click.echo(f"{collection}: {', '.join(names)}")
