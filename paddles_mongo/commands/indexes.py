import click
from pymongo.errors import PyMongoError

from ..db import create_indexes, index_drift
from .common import database_command, database_failure, dry_run_option


@click.command("create-indexes")
@dry_run_option
@click.option("--check", is_flag=True,
              help="Like --dry-run, and exit 1 on any drift (for monitoring).")
@database_command
def create_indexes_command(database, settings, dry_run, check):
    """Create every index the service declares (idempotent; reads PADDLES_MONGO_URI).

    Safe on a live, large database: MongoDB builds indexes without blocking reads and writes,
    and existing indexes are left as they are. --dry-run lists the indexes that are missing
    (it would create them), unexpected (not declared; left as they are) and different (same
    name, other keys or uniqueness: creating fails until it is dropped)."""
    if dry_run or check:
        missing, unexpected, different = index_drift(database)
        for label, names in (("missing", missing), ("unexpected", unexpected),
                             ("different", different)):
            for name in names:
                click.echo(f"{label}: {name}")
        if not (missing or unexpected or different):
            click.echo("indexes match the declaration")
        elif check:
            raise SystemExit(1)
        else:
            click.echo(f"would create {len(missing)} indexes")
        return
    try:
        created = create_indexes(database)
    except PyMongoError as error:
        raise click.ClickException(
            f"could not create indexes: {database_failure(settings, error)}") from None
    for collection, names in created.items():
        click.echo(f"{collection}: {', '.join(names)}")
