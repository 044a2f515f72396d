"""Demo data of the councils (being written)."""

from __future__ import annotations


def seed_demo_councils() -> dict:
    return {}
