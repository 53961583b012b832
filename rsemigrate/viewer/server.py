"""Serving the viewer over HTTP: werkzeug's threaded server, loopback unless sign-in is on."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable

from werkzeug.serving import make_server

from ..errors import InputError
from .app import Viewer

LOOPBACK = "127.0.0.1"


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(app: Viewer, host: str, port: int, ready: Callable[[str], None]) -> None:
    """Serve until interrupted; `ready(url)` is called once the socket listens."""
    if not is_loopback(host) and app.sessions is None:
        raise InputError(f"--host {host} exposes the archive beyond this machine: give --auth FILE "
                         "(users with hashed passwords) too")
    server = make_server(host, port, app, threaded=True)
    shown = f"[{host}]" if ":" in host else host
    ready(f"http://{shown}:{server.server_port}/")
    try:
        server.serve_forever()
    finally:
        server.server_close()
        app.access_log.close()
