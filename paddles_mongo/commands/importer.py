import click
import requests

from ..importer import Source, import_lab
from ..timeformat import TimeFormatError, parse_date
from .common import database_command, progress_bar


@click.command("import-from-paddles")
@click.argument("url")
@click.option("--since", help="Only runs scheduled on or after this day (YYYY-MM-DD, today, "
                              "yesterday).")
@click.option("--concurrency", type=click.IntRange(1, 32), default=4, show_default=True,
              help="Runs fetched at once.")
@click.option("--retries", type=click.IntRange(0, 20), default=5, show_default=True,
              help="Retries of a failed request (connection errors, 5xx).")
@database_command
def import_command(database, settings, url, since, concurrency, retries):
    """Copy a lab from the paddles at URL (the original or another paddles-mongo) through its
    HTTP API: runs, jobs with all their metadata, nodes with their locks, queues. Rerun it
    after an interruption: finished runs are skipped. Exits 1 if a copied run's results differ
    from the source's."""
    if since:
        try:
            since = parse_date(since, settings.timezone).isoformat()
        except TimeFormatError as error:
            raise click.BadParameter(str(error), param_hint="--since") from None
    source = Source(url, retries=retries)
    try:
        runs = list(source.runs(since))
        with progress_bar(len(runs), f"copying {len(runs)} runs") as advance:
            report = import_lab(source, database, runs, concurrency=concurrency,
                                progress=advance)
    except requests.RequestException as error:
        raise click.ClickException(f"could not read {url}: {error}") from None
    click.echo(f"runs: {report['runs']} ({report['runs_copied']} copied, "
               f"{report['runs'] - report['runs_copied']} already complete); "
               f"jobs copied: {report['jobs_copied']}; jobs skipped without a job_id: "
               f"{report['jobs_skipped']}; nodes: {report['nodes']}; "
               f"queues: {report['queues']}")
    for name, (theirs, ours) in sorted(report["differing"].items()):
        click.echo(f"results differ for {name}: source {theirs}, here {ours}", err=True)
    if report["differing"]:
        raise SystemExit(1)
    click.echo("verified: every run's results match the source")
