"""``flask jobs worker``: the rq worker, with its scheduler, inside the app context."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from core.jobs import make_worker

jobs_cli = AppGroup("jobs", help="Background jobs (rq on Redis).")


@jobs_cli.command("worker")
@click.option("--burst", is_flag=True, help="Run the jobs queued now, then exit.")
@click.option("--no-scheduler", is_flag=True, help="Do not run rq's scheduler in this worker.")
def worker_command(burst: bool, no_scheduler: bool) -> None:
    """Process jobs from REDIS_URL until stopped."""
    app = current_app._get_current_object()
    try:
        worker = make_worker(app)
    except RuntimeError as exc:
        raise click.ClickException(str(exc)) from exc
    worker.work(burst=burst, with_scheduler=not no_scheduler)


@jobs_cli.command("cron")
def cron_command() -> None:
    """Run rq's cron scheduler: enqueue the periodic jobs (e.g. the loop's sweep) on schedule."""
    from rq.cron import CronScheduler

    from core import hooks
    from core.jobs import get_queue, job_path, run_job

    queue = get_queue()
    if queue is None:
        raise click.ClickException("REDIS_URL is not set: there is no queue to schedule jobs on")
    scheduler = CronScheduler(connection=queue.connection)
    for func, cron in hooks.get("periodic"):
        scheduler.register(run_job, queue.name, args=(job_path(func),), cron=cron, name=job_path(func))
    scheduler.start()
