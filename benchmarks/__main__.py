"""paddles benchmarks: load a deterministic lab through the HTTP API, then measure scenarios
against one server, or two alternately (A B A B ...) to compare them fairly on a noisy machine.

    python -m benchmarks load http://127.0.0.1:8080 --runs 200
    python -m benchmarks run http://127.0.0.1:8080 --vs http://127.0.0.1:8766 --json out.json
"""
import json
import time

import click
import requests

from .lab import Lab
from .load import load_lab
from .runner import measure, median_round
from .scenarios import (OWN_SCENARIOS, SCALE_SCENARIOS, SCENARIOS, Targets, last_full_page,
                        newest_runs)


@click.group()
def cli():
    """Benchmarks for paddles-compatible servers."""


@cli.command()
@click.argument("url")
@click.option("--runs", default=200, show_default=True)
@click.option("--jobs-per-run", default=100, show_default=True,
              help="Average; sizes vary from a quarter to 1.75x, one run in 50 has 320.")
@click.option("--seed", default=1, show_default=True)
@click.option("--concurrency", default=8, show_default=True)
@click.option("--lifecycle", is_flag=True,
              help="PUT every job running before its result (three requests per job).")
@click.option("--single", is_flag=True,
              help="Report job by job even to a server that takes batches of jobs.")
def load(url, runs, jobs_per_run, seed, concurrency, lifecycle, single):
    """Load the lab into the server at URL (a fresh database): in batches of jobs where the
    server takes them, else job by job."""
    lab = Lab(seed=seed, runs=runs, jobs_per_run=jobs_per_run)
    total = sum(len(run["jobs"]) for run in lab.runs)
    started = time.perf_counter()
    with click.progressbar(length=total, label=f"{runs} runs, {total} jobs") as bar:
        load_lab(url, lab, concurrency=concurrency, progress=bar.update, lifecycle=lifecycle,
                 batches=False if single else None)
    click.echo(f"loaded {total} jobs in {time.perf_counter() - started:.0f} s")


@cli.command()
@click.argument("url")
@click.option("--vs", "other", help="A second server, measured alternately with the first.")
@click.option("--scenario", "scenarios", multiple=True, type=click.Choice(list(SCENARIOS)),
              help="Scenarios to run (default: all; with --vs, all but the web pages and "
                   "job_batch_300).")
@click.option("--concurrency", default=8, show_default=True)
@click.option("--requests", "requests_total", default=200, show_default=True,
              help="Requests per scenario and round.")
@click.option("--seconds", type=float,
              help="Measure each round for this long instead of a number of requests.")
@click.option("--rounds", default=3, show_default=True, help="Figures are medians of rounds.")
@click.option("--json", "json_path", type=click.Path(dir_okay=False), help="Write figures here.")
def run(url, other, scenarios, concurrency, requests_total, seconds, rounds, json_path):
    """Measure each scenario: req/s, p50, p95, bytes per response, errors."""
    servers = {"A": url.rstrip("/")}
    if other:
        servers["B"] = other.rstrip("/")
    session = requests.Session()
    targets = Targets(session, servers["A"])
    if other:
        # Write scenarios leave runs on each lab, not as many on both: a page both have.
        targets.deep_page = min(targets.deep_page,
                                last_full_page(newest_runs(session, servers["B"])))
    report = {"servers": servers, "concurrency": concurrency, "requests": requests_total,
              "seconds": seconds, "rounds": rounds, "scenarios": {}}
    # The web pages, batches and lean reads are paddles-mongo's own: measured alone, never against
    # another server.
    default = [name for name in SCENARIOS if not (other and name in OWN_SCENARIOS)]
    for scenario in scenarios or default:
        measured = {label: [] for label in servers}
        for _ in range(rounds):
            for label, server in servers.items():  # A B A B ...
                measured[label].append(measure(server, scenario, targets, requests_total,
                                               concurrency, seconds))
        figures = {label: median_round(values) for label, values in measured.items()}
        if other:
            figures["ratio_rps"] = round(figures["A"]["rps"] / figures["B"]["rps"], 2)
        report["scenarios"][scenario] = figures
        click.echo(describe(scenario, figures))
    if json_path:
        with open(json_path, "w") as out:
            json.dump(report, out, indent=2)


@cli.command()
@click.argument("mongo_server")
@click.option("--size", "sizes", multiple=True, default=("100x100", "100x1000", "1000x100"),
              show_default=True, help="RUNSxJOBS_PER_RUN of each database.")
@click.option("--fill-only", is_flag=True, help="Fill the databases, measure nothing.")
@click.option("--reuse", is_flag=True,
              help="Measure databases an earlier run filled (with --fill-only) as they are.")
@click.option("--scenario", "scenarios", multiple=True, type=click.Choice(list(SCENARIOS)),
              default=SCALE_SCENARIOS, show_default=True)
@click.option("--port", default=8790, show_default=True)
@click.option("--concurrency", default=8, show_default=True)
@click.option("--requests", "requests_total", default=400, show_default=True)
@click.option("--seconds", type=float, help="Measure each round for this long instead.")
@click.option("--rounds", default=3, show_default=True)
@click.option("--db-pid", type=int, help="The database server's process: its memory (RSS) is "
                                         "reported after each scenario.")
@click.option("--json", "json_path", type=click.Path(dir_okay=False))
def scale(mongo_server, sizes, fill_only, reuse, scenarios, port, concurrency, requests_total,
          seconds, rounds, db_pid, json_path):
    """Latency of pulpito's pages at several database sizes, served by paddles-mongo (4
    workers) on the MongoDB at MONGO_SERVER (mongodb://host:port)."""
    from .scale import database_bytes, prepare, resident_mb, serve, wait_until_up

    report = {}
    for size in sizes:
        runs, jobs_per_run = (int(part) for part in size.split("x"))
        started = time.perf_counter()
        uri, jobs = prepare(mongo_server, runs, jobs_per_run, reuse=reuse)
        entry = report[size] = {"runs": runs, "jobs": jobs}
        if not reuse:
            # Asked once, at the fill: the local database answers dbStats by reading every
            # collection (minutes and gigabytes of memory at 1M jobs).
            entry["fill_seconds"] = round(time.perf_counter() - started)
            entry["database_bytes"] = database_bytes(uri)
        click.echo(f"{runs:6} runs {jobs:8} jobs"
                   + (f", {entry['database_bytes'] / 2 ** 20:,.0f} MiB, filled in "
                      f"{entry['fill_seconds']} s" if not reuse else ""))
        if fill_only:
            continue
        server = serve(uri, port)
        url = f"http://127.0.0.1:{port}"
        try:
            wait_until_up(url, server)
            targets = Targets(requests.Session(), url)
            for scenario in scenarios:
                figures = median_round([measure(url, scenario, targets, requests_total,
                                                concurrency, seconds) for _ in range(rounds)])
                if db_pid:
                    figures["database_rss_mb"] = resident_mb(db_pid)
                entry[scenario] = figures
                click.echo(f"  {scenario:16} {figures['rps']:7.1f} req/s p50 "
                           f"{figures['p50_ms']:8.1f} ms p95 {figures['p95_ms']:8.1f} ms "
                           f"err {figures['errors']}"
                           + (f" db {figures['database_rss_mb']} MB" if db_pid else ""))
        finally:
            server.terminate()
            server.wait()
    if json_path:
        with open(json_path, "w") as out:
            json.dump(report, out, indent=2)


def describe(scenario, figures):
    parts = [f"{scenario:15}"]
    for label in ("A", "B"):
        if label in figures:
            f = figures[label]
            parts.append(f"{label}: {f['rps']:8.1f} req/s p50 {f['p50_ms']:8.1f} ms p95 "
                         f"{f['p95_ms']:8.1f} ms {f['bytes']:>9} B err {f['errors']}"
                         + (f" {f['jobs_per_s']:8.1f} jobs/s" if "jobs_per_s" in f else ""))
    if "ratio_rps" in figures:
        parts.append(f"A/B {figures['ratio_rps']:.2f}x")
    return "  ".join(parts)


if __name__ == "__main__":
    cli()
