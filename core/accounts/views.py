from flask import Blueprint

bp = Blueprint("accounts", __name__, url_prefix="/account")
admin_bp = Blueprint("accounts_admin", __name__, url_prefix="/admin")


@bp.route("/login")
def login():
    return "login"


@bp.route("/register")
def register():
    return "register"


@bp.route("/profile")
def profile():
    return "profile"


@bp.post("/logout")
def logout():
    return "logout"


@admin_bp.route("/users")
def users():
    return "users"
