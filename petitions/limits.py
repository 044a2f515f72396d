"""Rate limits of signing, per account and per address, shared by the sign view and the hot path.

With Redis (production: ``RATELIMIT_STORAGE_URI`` or ``REDIS_URL``) they count in Flask-Limiter's storage, under
keys of their own, so all workers share them. With the in-memory storage they count in this process, in fixed
windows kept in a dict: the ``limits`` library's memory storage starts a timer thread every few milliseconds
that walks every key it holds, which during a signing storm (thousands of accounts, each a key) costs more than
the signing itself.
"""

from __future__ import annotations

import threading
import time
from functools import lru_cache

from flask import Flask
from limits import RateLimitItem, parse_many

from core.extensions import limiter


@lru_cache(maxsize=16)
def _items(spec: str) -> tuple[RateLimitItem, ...]:
    return tuple(parse_many(spec))


class Windows:
    """Fixed-window counters of one process: a hit counts in the window of its limit's length it falls in."""

    PURGE_SECONDS = 60

    def __init__(self) -> None:
        self._counts: dict[tuple, int] = {}
        self._lock = threading.Lock()
        self._purge_at = 0.0

    def hit(self, item: RateLimitItem, scope: str, key: str, now: float | None = None) -> bool:
        now = time.time() if now is None else now
        length = item.get_expiry()
        slot = (scope, key, item.amount, length, int(now // length))
        with self._lock:
            if now >= self._purge_at:
                self._counts = {k: n for k, n in self._counts.items() if (k[4] + 1) * k[3] > now}
                self._purge_at = now + self.PURGE_SECONDS
            count = self._counts.get(slot, 0) + 1
            self._counts[slot] = count
        return count <= item.amount


def _hit(app: Flask):
    if str(app.config.get("RATELIMIT_STORAGE_URI", "memory://")).startswith("memory://"):
        windows = app.extensions.get("petitions_sign_windows")
        if windows is None:
            windows = app.extensions.setdefault("petitions_sign_windows", Windows())
        return windows.hit
    return limiter.limiter.hit


def sign_allowed(app: Flask, account: str | None, address: str | None) -> bool:
    """Count one signing request against the account's limit (``PETITIONS_SIGN_LIMIT``; ``account`` is the
    signed-in account's id, None for an anonymous request) and the address's (``PETITIONS_SIGN_IP_LIMIT``);
    False when either is exhausted."""
    config = app.config
    if not config.get("RATELIMIT_ENABLED", True):
        return True
    hit = _hit(app)
    checks = [(config["PETITIONS_SIGN_IP_LIMIT"], "sign-address", address or "unknown")]
    if account is not None:
        checks.insert(0, (config["PETITIONS_SIGN_LIMIT"], "sign-account", account))
    allowed = True
    for spec, scope, key in checks:
        for item in _items(spec):
            allowed = hit(item, scope, key) and allowed
    return allowed
