"""Councils' routes (being written)."""

from __future__ import annotations

from councils.views import bp  # noqa: F401


def setup(app) -> None:
    """Hooks this module registers when the blueprint is registered."""
