"""The signing rate limits' in-process windows (``petitions.limits``), and the limits through the sign view."""

from __future__ import annotations

from limits import parse

from petitions.limits import Windows, sign_allowed


def test_a_window_allows_its_amount_then_refuses_until_the_next():
    windows = Windows()
    item = parse("3 per minute")
    start = 600.0  # the start of a minute
    assert [windows.hit(item, "s", "a", now=start + i) for i in range(4)] == [True, True, True, False]
    assert windows.hit(item, "s", "b", now=start + 5)  # another key has its own count
    assert windows.hit(item, "other", "a", now=start + 5)  # and so has another scope
    assert windows.hit(item, "s", "a", now=start + 60)  # the next minute starts afresh


def test_old_windows_are_purged():
    windows = Windows()
    item = parse("1 per second")
    for i in range(100):
        windows.hit(item, "s", f"k{i}", now=1000.0)
    windows.hit(item, "s", "late", now=1000.0 + Windows.PURGE_SECONDS + 1)
    assert len(windows._counts) == 1


def test_account_and_address_limits_both_count(app, monkeypatch):
    monkeypatch.setitem(app.config, "RATELIMIT_ENABLED", True)
    monkeypatch.setitem(app.config, "PETITIONS_SIGN_LIMIT", "2 per minute")
    monkeypatch.setitem(app.config, "PETITIONS_SIGN_IP_LIMIT", "3 per minute")
    app.extensions.pop("petitions_sign_windows", None)
    try:
        assert [sign_allowed(app, "1.1", "10.0.0.1") for _ in range(3)] == [True, True, False]
        assert sign_allowed(app, "2.1", "10.0.0.1") is False  # the address has had its 3 (and one more)
        assert sign_allowed(app, "2.1", "10.0.0.2") is True
        assert sign_allowed(app, None, "10.0.0.3") is True  # anonymous: the address only
        monkeypatch.setitem(app.config, "RATELIMIT_ENABLED", False)
        assert sign_allowed(app, "1.1", "10.0.0.1") is True
    finally:
        app.extensions.pop("petitions_sign_windows", None)
