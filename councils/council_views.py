"""Councils' routes (being written: each placeholder answers 404 until its view arrives)."""

from __future__ import annotations

from flask import abort

from councils.views import bp


def setup(app) -> None:
    """Hooks this module registers when the blueprint is registered."""


@bp.route("/", methods=["GET"])
def index():
    abort(404)


@bp.route("/<int:council_id>", methods=["GET"])
def council(council_id: int):
    abort(404)


@bp.route("/new", methods=["GET", "POST"])
def new_council():
    abort(404)


@bp.route("/<int:council_id>/edit", methods=["GET", "POST"])
def edit_council(council_id: int):
    abort(404)


@bp.route("/<int:council_id>/members", methods=["GET"])
def members(council_id: int):
    abort(404)


@bp.route("/<int:council_id>/members/new", methods=["GET", "POST"])
def new_member(council_id: int):
    abort(404)


@bp.route("/members/<int:member_id>/edit", methods=["GET", "POST"])
def edit_member(member_id: int):
    abort(404)


@bp.route("/members/<int:member_id>/end", methods=["POST"])
def end_member(member_id: int):
    abort(404)


@bp.route("/<int:council_id>/follow", methods=["POST"])
def follow(council_id: int):
    abort(404)
