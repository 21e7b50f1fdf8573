"""Commands about nodes and queues."""
import click

from ..services import maintenance
from ..timeformat import utcnow
from .common import database_command, dry_run_option, echo_json, progress_bar


@click.command("set-targets")
@dry_run_option
@database_command
def set_targets_command(database, settings, dry_run):
    """Link jobs that have no node links to the nodes of their `targets` (creating missing
    nodes), then fill in node machine types guessed from hostnames."""
    with progress_bar(0, "linking jobs") as advance:
        linked, created, typed = maintenance.set_targets(database, dry_run=dry_run,
                                                         progress=advance)
    verb = "would link" if dry_run else "linked"
    click.echo(f"{verb} {linked} jobs; {created} nodes created; {typed} node types filled")


@click.command("node-jobs")
@click.argument("node")
@click.option("-c", "--job-count", type=click.IntRange(min=1), default=10, show_default=True)
@database_command
def node_jobs_command(database, settings, node, job_count):
    """The last jobs (by update time) on nodes whose name starts with NODE, as run/job_id/."""
    for job in maintenance.node_jobs(database, node, job_count):
        click.echo(f"{job['run']}/{job['job_id']}/")


@click.command("node-stats")
@click.argument("days", type=click.IntRange(min=1))
@click.option("-m", "--machine-type", help="Only jobs of this machine type.")
@database_command
def node_stats_command(database, settings, days, machine_type):
    """JSON: finished jobs posted in the last DAYS days that started, with their node count,
    duration, runtime and time waited."""
    echo_json(maintenance.node_stats(database, utcnow(), days, machine_type))


@click.command("queue-stats")
@click.argument("days", type=click.IntRange(min=1))
@database_command
def queue_stats_command(database, settings, days):
    """For each of the last DAYS days: jobs of the runs scheduled that day, how many
    completed (pass or fail), and the percentage."""
    for row in maintenance.queue_stats(database, utcnow(), days):
        click.echo(f"{row['date']}  scheduled {row['scheduled']:>7}  completed "
                   f"{row['completed']:>7}  {row['percent']:5.1f}%")
