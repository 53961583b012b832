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


def check_exposure(host: str, signed_in: bool) -> None:
    """Anything beyond this machine must sign readers in: an InputError otherwise."""
    if not is_loopback(host) and not signed_in:
        raise InputError(f"--host {host} exposes the archive beyond this machine: give --auth FILE "
                         "(users with hashed passwords) too")


def serve(app: Viewer, host: str, port: int, ready: Callable[[str], None]) -> None:
    """Serve until interrupted; `ready(url)` is called once the socket listens."""
    check_exposure(host, app.sessions is not None)
    server = make_server(host, port, app, threaded=True)
    shown = f"[{host}]" if ":" in host else host
    ready(f"http://{shown}:{server.server_port}/")
    try:
        server.serve_forever()
    finally:
        server.server_close()
        app.access_log.close()
