"""Commands that repair runs and jobs."""
from datetime import timedelta

import click

from ..services import maintenance
from ..timeformat import utcnow
from .common import database_command, dry_run_option, progress_bar


@click.command("expire-jobs")
@click.option("-r", "--running", "running_minutes", type=click.IntRange(min=1), default=30,
              show_default=True, help="Minutes without an update after which a running, "
                                      "waiting or unknown job is dead.")
@click.option("-q", "--queued", "queued_days", type=click.IntRange(min=1), default=14,
              show_default=True, help="Days without an update after which a queued job is dead.")
@dry_run_option
@database_command
def expire_jobs_command(database, settings, running_minutes, queued_days, dry_run):
    """Mark stale jobs dead and store their runs' status (for cron)."""
    now = utcnow()
    total = database.jobs.count_documents(
        maintenance.stale_jobs_query(now, running_minutes, queued_days))
    with progress_bar(total, "expiring jobs") as advance:
        expired, runs = maintenance.expire_jobs(database, now, running_minutes, queued_days,
                                                dry_run=dry_run, progress=advance)
    verb = "would mark" if dry_run else "marked"
    click.echo(f"{verb} {expired} jobs dead in {runs} runs")


@click.command("recount")
@click.argument("run_names", nargs=-1)
@dry_run_option
@click.option("--check", is_flag=True, help="Like --dry-run, and exit 1 if any run differs "
                                            "(for monitoring).")
@database_command
def recount_command(database, settings, run_names, dry_run, check):
    """Recompute the stored status (and results, sha1s, flavors, first job's fields) of every
    run, or of the named runs, from their jobs; list each run that changed, and how."""
    names = list(run_names) or None
    total = len(names) if names else database.runs.estimated_document_count()
    with progress_bar(total, "counting runs") as advance:
        stale_before = utcnow() - timedelta(seconds=settings.stale_write_seconds)
        differing = maintenance.recount(database, names, dry_run=dry_run or check,
                                        stale_before=stale_before, progress=advance)
    for name, changes in sorted(differing.items()):
        described = "; ".join(f"{field} {stored!r} -> {counted!r}"
                              for field, (stored, counted) in changes.items())
        click.echo(f"{name}: {described}")
    count = len(differing)
    click.echo(f"{count} runs differ" if check else f"would fix {count} runs" if dry_run
               else f"{count} runs fixed")
    if check and differing:
        raise SystemExit(1)


@click.command("delete-run")
@click.argument("name")
@dry_run_option
@database_command
def delete_run_command(database, settings, name, dry_run):
    """Delete one run and all its jobs (nodes stay)."""
    jobs = maintenance.delete_run(database, name, dry_run=dry_run)
    click.echo(f"{'would delete' if dry_run else 'deleted'} run {name} and {jobs} jobs")


@click.command("dedupe")
@click.argument("pattern", default="%")
@dry_run_option
@database_command
def dedupe_command(database, settings, pattern, dry_run):
    """Merge duplicate runs and jobs (data imported without the unique indexes). PATTERN is a
    SQL LIKE pattern of run names (`%` any text, `_` one character); default: every run."""
    with progress_bar(0, "deduplicating") as advance:
        runs, jobs = maintenance.dedupe(database, pattern, dry_run=dry_run, now=utcnow(),
                                        progress=advance)
    verb = "would remove" if dry_run else "removed"
    click.echo(f"{verb} {runs} duplicate runs and {jobs} duplicate jobs")


@click.command("reparse")
@dry_run_option
@database_command
def reparse_command(database, settings, dry_run):
    """Re-derive user, scheduled, suite, branch and machine type from every run's name
    (undoes corrections made from job data, as the original's did)."""
    with progress_bar(database.runs.estimated_document_count(), "parsing names") as advance:
        changes = maintenance.reparse(database, settings.timezone, dry_run=dry_run,
                                      progress=advance)
    for name, fields in sorted(changes.items()):
        described = ", ".join(f"{key}: {old!r} -> {new!r}" for key, (old, new) in fields.items())
        click.echo(f"{name}: {described}")
    click.echo(f"{'would change' if dry_run else 'changed'} {len(changes)} runs")
