"""Councils' routes (being written: each placeholder answers 404 until its view arrives)."""

from __future__ import annotations

from flask import abort

from councils.views import bp


def setup(app) -> None:
    """Hooks this module registers when the blueprint is registered."""


@bp.route("/items/<int:item_id>", methods=["GET"])
def item(item_id: int):
    abort(404)


@bp.route("/items/<int:item_id>/votes", methods=["POST"])
def open_vote(item_id: int):
    abort(404)


@bp.route("/votes/<int:vote_id>/ballot", methods=["POST"])
def cast_ballot(vote_id: int):
    abort(404)


@bp.route("/votes/<int:vote_id>/record", methods=["POST"])
def record_ballot(vote_id: int):
    abort(404)


@bp.route("/votes/<int:vote_id>/close", methods=["POST"])
def close_vote(vote_id: int):
    abort(404)


@bp.route("/items/<int:item_id>/decision", methods=["GET", "POST"])
def decide_item(item_id: int):
    abort(404)


@bp.route("/meetings/<int:meeting_id>/minutes", methods=["GET"])
def minutes(meeting_id: int):
    abort(404)


@bp.route("/meetings/<int:meeting_id>/minutes/edit", methods=["GET", "POST"])
def edit_minutes(meeting_id: int):
    abort(404)


@bp.route("/meetings/<int:meeting_id>/minutes/approve", methods=["POST"])
def approve_minutes(meeting_id: int):
    abort(404)


@bp.route("/meetings/<int:meeting_id>/minutes/publish", methods=["POST"])
def publish_minutes(meeting_id: int):
    abort(404)


@bp.route("/option-sets", methods=["GET", "POST"])
def option_sets():
    abort(404)
