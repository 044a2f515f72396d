"""The loop's pages: public case pages, filing, the authority inbox and officers' actions."""

from __future__ import annotations

from flask import Blueprint, render_template

from core.db import db
from feedback.models import Case

bp = Blueprint("feedback", __name__, url_prefix="/cases")


@bp.record_once
def _setup(state) -> None:
    from core import hooks
    from feedback import rules
    from feedback.cli import feedback_cli
    from feedback.jobs import sweep_job
    from feedback.seed import seed_demo_cases
    from feedback.stats import authority_panel

    app = state.app
    rules.configure(app)
    app.cli.add_command(feedback_cli)
    hooks.register(app, "periodic", (sweep_job, app.config["FEEDBACK_SWEEP_CRON"]))
    hooks.register(app, "authority_panels", authority_panel)
    hooks.register(app, "seeders", seed_demo_cases)


@bp.get("/<int:case_id>")
def case(case_id: int):
    item = db.get_or_404(Case, case_id)
    return render_template("feedback/case.html", case=item)
