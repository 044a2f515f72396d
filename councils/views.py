"""Public councils: the blueprint. Its routes live in the modules imported at the bottom:
``council_views`` (councils, members, following), ``meeting_views`` (meetings, agendas, materials, attendance,
citizens' proposals) and ``vote_views`` (votes, decisions and recommendations, minutes)."""

from flask import Blueprint

from councils import models as _models  # noqa: F401  (tables known to migrations and create_all)

bp = Blueprint("councils", __name__, url_prefix="/councils")


@bp.record_once
def _setup(state) -> None:
    from core import hooks
    from councils.seed import seed_demo_councils

    app = state.app
    hooks.register(app, "seeders", seed_demo_councils)
    for module in (council_views, meeting_views, vote_views):
        module.setup(app)


from councils import council_views, meeting_views, vote_views  # noqa: E402, F401  (routes on bp)
