from flask import Blueprint

bp = Blueprint("territories", __name__, url_prefix="/territories")


@bp.route("/")
def index():
    return "territories"
