"""Councils' routes (being written: each placeholder answers 404 until its view arrives)."""

from __future__ import annotations

from flask import abort

from councils.views import bp


def setup(app) -> None:
    """Hooks this module registers when the blueprint is registered."""


@bp.route("/<int:council_id>/meetings/new", methods=["GET", "POST"])
def new_meeting(council_id: int):
    abort(404)


@bp.route("/meetings/<int:meeting_id>", methods=["GET"])
def meeting(meeting_id: int):
    abort(404)


@bp.route("/meetings/<int:meeting_id>/edit", methods=["GET", "POST"])
def edit_meeting(meeting_id: int):
    abort(404)


@bp.route("/meetings/<int:meeting_id>/cancel", methods=["POST"])
def cancel_meeting(meeting_id: int):
    abort(404)


@bp.route("/meetings/<int:meeting_id>/items/new", methods=["GET", "POST"])
def add_item(meeting_id: int):
    abort(404)


@bp.route("/items/<int:item_id>/edit", methods=["GET", "POST"])
def edit_item(item_id: int):
    abort(404)


@bp.route("/items/<int:item_id>/move", methods=["POST"])
def move_item(item_id: int):
    abort(404)


@bp.route("/items/<int:item_id>/remove", methods=["POST"])
def remove_item(item_id: int):
    abort(404)


@bp.route("/items/<int:item_id>/materials", methods=["POST"])
def add_material(item_id: int):
    abort(404)


@bp.route("/materials/<int:material_id>", methods=["GET"])
def material(material_id: int):
    abort(404)


@bp.route("/materials/<int:material_id>/remove", methods=["POST"])
def remove_material(material_id: int):
    abort(404)


@bp.route("/meetings/<int:meeting_id>/publish", methods=["POST"])
def publish_agenda(meeting_id: int):
    abort(404)


@bp.route("/meetings/<int:meeting_id>/start", methods=["POST"])
def start_meeting(meeting_id: int):
    abort(404)


@bp.route("/meetings/<int:meeting_id>/attendance", methods=["GET", "POST"])
def attendance(meeting_id: int):
    abort(404)


@bp.route("/meetings/<int:meeting_id>/end", methods=["POST"])
def end_meeting(meeting_id: int):
    abort(404)


@bp.route("/<int:council_id>/propose", methods=["GET", "POST"])
def propose(council_id: int):
    abort(404)


@bp.route("/<int:council_id>/proposals", methods=["GET"])
def proposals(council_id: int):
    abort(404)


@bp.route("/proposals/<int:proposal_id>/accept", methods=["POST"])
def accept_proposal(proposal_id: int):
    abort(404)


@bp.route("/proposals/<int:proposal_id>/decline", methods=["POST"])
def decline_proposal(proposal_id: int):
    abort(404)
