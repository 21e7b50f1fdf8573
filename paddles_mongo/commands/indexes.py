import click
from pymongo.errors import PyMongoError

from ..db import CREATION_ORDERED, create_indexes, index_drift
from ..services.creation_order import number_unnumbered, unnumbered_ids
from ..services.maintenance import derive_job_fields
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
    name, other keys or uniqueness: creating fails until it is dropped). Indexes an earlier
    version declared and this one replaced are dropped. Nodes and queues stored before they
    had a creation number (`seq`) are numbered, in `_id` order; jobs stored before a field the
    service derives from theirs (search grams, test id, failure signature) get them."""
    if dry_run or check:
        missing, unexpected, different = index_drift(database)
        for label, names in (("missing", missing), ("unexpected", unexpected),
                             ("different", different)):
            for name in names:
                click.echo(f"{label}: {name}")
        unnumbered = {collection: len(unnumbered_ids(database, collection))
                      for collection in CREATION_ORDERED}
        for collection, count in unnumbered.items():
            if count:
                click.echo(f"unnumbered: {count} {collection} (it would number them)")
        underived = derive_job_fields(database, dry_run=True)
        if underived:
            click.echo(f"underived: {underived} jobs (it would derive their search and test "
                       "fields)")
        if not (missing or unexpected or different or any(unnumbered.values()) or underived):
            click.echo("indexes match the declaration")
        elif check:
            raise SystemExit(1)
        else:
            click.echo(f"would create {len(missing)} indexes")
        return
    try:
        created = create_indexes(database)
        numbered = number_unnumbered(database)
        derived = derive_job_fields(database)
    except PyMongoError as error:
        raise click.ClickException(
            f"could not create indexes: {database_failure(settings, error)}") from None
    for collection, names in created.items():
        click.echo(f"{collection}: {', '.join(names)}")
    for collection, count in numbered.items():
        if count:
            click.echo(f"numbered {count} {collection} in creation order")
    if derived:
        click.echo(f"derived the search and test fields of {derived} jobs")
