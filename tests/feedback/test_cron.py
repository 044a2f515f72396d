"""The periodic sweep: registered with rq's cron scheduler by ``flask jobs cron``, run by a worker."""

from __future__ import annotations

from datetime import date

from core import hooks
from core.accounts.models import Role
from core.authorities.services import find_authority
from core.db import commit
from feedback import services
from feedback.jobs import sweep_job
from feedback.models import CaseState, Decision


def test_the_sweep_is_registered_as_a_periodic_job(app):
    assert (sweep_job, app.config["FEEDBACK_SWEEP_CRON"]) in hooks.get("periodic", app)


def test_jobs_cron_needs_redis(app, runner):
    result = runner.invoke(args=["jobs", "cron"])
    assert result.exit_code != 0
    assert "REDIS_URL" in result.output


def test_jobs_cron_registers_the_sweep_with_rq(app, runner, run_jobs, monkeypatch):
    from rq.cron import CronScheduler

    started = []
    monkeypatch.setattr(CronScheduler, "start", lambda self: started.append(self.get_jobs()))
    result = runner.invoke(args=["jobs", "cron"])
    assert result.exit_code == 0, result.output
    (jobs,) = started
    assert [(j.cron, j.args) for j in jobs] == [
        (app.config["FEEDBACK_SWEEP_CRON"], ("feedback.jobs:sweep_job",)),
        (app.config["PETITIONS_SWEEP_CRON"], ("petitions.jobs:sweep_job",)),
    ]
    assert {j.queue_name for j in jobs} == {run_jobs.queue.name}


def test_the_periodic_job_sweeps_on_a_worker(app, db, kato, make_user, run_jobs, monkeypatch):
    rural = find_authority("akim:623633000")
    citizen = make_user("cron.citizen@example.kz", home="623633100")
    officer = make_user("cron.officer@example.kz", roles=[(Role.OFFICER, rural)])
    on = date(2026, 11, 23)
    case = services.file_proposal(citizen, rural, "Water in the village", "No drinking water since May, please.")
    services.publish_answer(case, Decision.NOT_SUPPORTED, "There is no budget for it this year.", [], officer, on=on)
    services.rate(case, citizen, False, on=on)
    commit()
    monkeypatch.setattr(services, "today", lambda: on)
    run_jobs.queue.enqueue("core.jobs.run_job", "feedback.jobs:sweep_job")
    run_jobs()
    db.session.expire_all()
    assert case.state == CaseState.ESCALATED
    assert case.escalated_to.authority_id == find_authority("akimat:623600000").id
