"""Behind a reverse proxy (``PROXY_HOPS``) the client's address and scheme come from the proxy's headers."""

from __future__ import annotations

from flask import request

from tests.conftest import _test_config
from wsgi import create_app


def _app(tmp_path_factory, hops: int):
    app = create_app({**_test_config(tmp_path_factory), "PROXY_HOPS": hops})

    @app.get("/_whoami")
    def whoami():
        return f"{request.remote_addr} {request.scheme}"

    return app


def test_the_proxy_headers_are_trusted_only_when_configured(tmp_path_factory):
    headers = {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"}
    environ = {"REMOTE_ADDR": "10.0.0.2"}
    direct = _app(tmp_path_factory, 0).test_client().get("/_whoami", headers=headers, environ_base=environ)
    assert direct.get_data(as_text=True) == "10.0.0.2 http"
    proxied = _app(tmp_path_factory, 1).test_client().get("/_whoami", headers=headers, environ_base=environ)
    assert proxied.get_data(as_text=True) == "203.0.113.7 https"
