"""Where feature packages plug into core without core importing them.

A feature package registers callables when its blueprint is registered (``bp.record_once``):

* ``authority_panels`` — ``fn(authority) -> Markup``: sections shown on an authority's page;
* ``seeders`` — ``fn() -> dict``: demo data added by ``flask seed demo`` after the core's own;
* ``periodic`` — ``(job_func, cron)``: jobs rq's cron scheduler enqueues (``flask jobs cron``);
* ``nav`` — ``fn() -> list[(label, url)]``: links for the signed-in user's menu;
* ``case_origins`` — ``fn(case) -> (label, url) | None``: where a case came from (a petition, a council
  decision), linked from the case page.
"""

from __future__ import annotations

from flask import current_app

KEY = "tyndau_hooks"
NAMES = ("authority_panels", "seeders", "periodic", "nav", "case_origins")


def register(app, name: str, item) -> None:
    if name not in NAMES:
        raise ValueError(f"unknown hook {name}")
    hooks = app.extensions.setdefault(KEY, {n: [] for n in NAMES})
    hooks[name].append(item)


def get(name: str, app=None) -> list:
    app = app or current_app
    return list(app.extensions.get(KEY, {}).get(name, []))
