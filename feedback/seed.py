"""Demo cases for ``flask seed demo`` (being built)."""

from __future__ import annotations


def seed_demo_cases() -> dict:
    return {}
