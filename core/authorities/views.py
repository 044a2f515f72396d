from flask import Blueprint

bp = Blueprint("authorities", __name__, url_prefix="/authorities")


@bp.route("/")
def index():
    return "authorities"
