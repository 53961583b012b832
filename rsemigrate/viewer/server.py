"""Serving the viewer over HTTP: pre-forked worker processes, loopback unless sign-in is on.

One Python process runs one request at a time (the GIL), so with 8 clients each request waited
behind the 7 others. As gunicorn does, the parent opens the listening socket and the shelf and
reads what the pages need, then forks `workers` processes that each run werkzeug's threaded
server on the inherited socket; the kernel hands each connection to one of them. What every
worker must see alike (sessions, the verify result) is in the shared state (state.py); the
access log is one O_APPEND file. The parent only supervises: it runs the one background verify
in a child of its own, restarts a worker that dies, and on Ctrl-C or SIGTERM stops them all. A
worker whose parent is gone (killed by SIGKILL) stops by itself within a second.
"""

from __future__ import annotations

import gc
import ipaddress
import os
import signal
import socket
import sys
import threading
import time
import traceback
from collections.abc import Callable
from typing import NoReturn

from werkzeug.serving import BaseWSGIServer, make_server, select_address_family

from ..errors import InputError
from .app import Viewer
from .shelf import verify_shelf

LOOPBACK = "127.0.0.1"
#: seconds between a worker's looks at its parent, and the pause before a dead worker's successor.
WATCH_SECONDS = 0.5
RESTART_SECONDS = 1.0
#: seconds workers have to stop after SIGTERM before they are killed.
STOP_SECONDS = 5.0
_STOPS = {signal.SIGINT, signal.SIGTERM}


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


def serve(app: Viewer, host: str, port: int, ready: Callable[[str], None], workers: int = 1) -> None:
    """Serve with `workers` processes until Ctrl-C or SIGTERM; `ready(url)` is called once the
    socket listens. The verify of each archive runs once, in the background."""
    check_exposure(host, app.sessions is not None)
    with _listen(host, port) as listening:  # werkzeug serves a duplicate of it
        server = make_server(host, listening.getsockname()[1], app, threaded=True, fd=listening.fileno())
    # every worker wakes for a new connection and one accepts it: the others must not block in accept
    server.socket.setblocking(False)
    shown = f"[{host}]" if ":" in host else host
    ready(f"http://{shown}:{server.port}/")
    app.close_connections()
    gc.freeze()  # what the parent read stays shared: the collector would otherwise write to (copy) it
    parent = os.getpid()
    try:
        _supervise(server, workers, lambda: _work(server, app, parent), lambda: _verify(server, app, parent))
    finally:
        server.server_close()
        app.access_log.close()


def _listen(host: str, port: int) -> socket.socket:
    """The listening socket, or an InputError saying why not (werkzeug would print and exit)."""
    try:
        return socket.create_server((host, port), family=select_address_family(host, port), backlog=128)
    except OSError as exc:
        raise InputError(f"cannot listen on {host} port {port}: {exc.strerror or exc}") from None


class _Stop(Exception):
    """SIGTERM to the parent: stop serving, as Ctrl-C does."""


def _raise_stop(signum: int, frame: object) -> NoReturn:
    raise _Stop


def _supervise(server: BaseWSGIServer, workers: int, work: Callable[[], None],
               background: Callable[[], None]) -> None:
    running: dict[int, bool] = {}  # pid → a worker (True), or the background task
    previous = signal.signal(signal.SIGTERM, _raise_stop)
    try:
        for _ in range(workers):
            _start(running, True, work)
        _start(running, False, background)
        while True:
            pid, status = os.wait()
            if running.pop(pid, False):
                print(f"rsemigrate serve: worker {pid} {_ended(status)}; starting another", file=sys.stderr)
                time.sleep(RESTART_SECONDS)  # a worker that cannot start must not spin the machine
                _start(running, True, work)
    except (KeyboardInterrupt, _Stop):
        pass
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut the cleanup short
        _stop(running)
        signal.signal(signal.SIGTERM, previous)
        signal.signal(signal.SIGINT, signal.default_int_handler)


def _start(running: dict[int, bool], worker: bool, run: Callable[[], None]) -> None:
    """Fork a child to `run`, with the stop signals held until its pid is recorded, so that a
    signal arriving meanwhile cannot leave a child the parent does not know about."""
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, _STOPS)
    try:
        pid = os.fork()
        if pid == 0:
            _child(run, mask)
        running[pid] = worker
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)


def _child(run: Callable[[], None], mask: set[signal.Signals]) -> NoReturn:
    """A child never returns into its parent's stack (its cleanup is the parent's to do)."""
    code = 1
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group: the parent stops us
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        run()
        code = 0
    except BaseException:
        traceback.print_exc()
    finally:
        sys.stderr.flush()
        os._exit(code)


def _work(server: BaseWSGIServer, app: Viewer, parent: int) -> None:
    def stop(*_: object) -> None:
        threading.Thread(target=server.shutdown, daemon=True).start()  # shutdown waits for the loop

    signal.signal(signal.SIGTERM, stop)
    threading.Thread(target=_watch, args=(parent, stop), name="watch-parent", daemon=True).start()
    server.serve_forever()
    if os.getppid() != parent:  # the server was killed: nobody else will remove the shared state
        for shelved in app.shelf:
            shelved.state.remove()


def _watch(parent: int, stop: Callable[[], None]) -> None:
    """Stop when the parent is gone: its children are then adopted by another process."""
    while os.getppid() == parent:
        time.sleep(WATCH_SECONDS)
    stop()


def _verify(server: BaseWSGIServer, app: Viewer, parent: int) -> None:
    server.socket.close()  # this child serves nothing: a verify outliving the server must not hold the port
    threading.Thread(target=_watch, args=(parent, lambda: os._exit(1)), name="watch-parent",
                     daemon=True).start()
    os.nice(10)  # readers come first
    verify_shelf(app.shelf)


def _stop(running: dict[int, bool]) -> None:
    for pid in running:
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_SECONDS
    while running and time.monotonic() < deadline:
        pid, _ = os.waitpid(-1, os.WNOHANG)
        if pid:
            running.pop(pid, None)
        else:
            time.sleep(0.02)
    for pid in running:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)


def _ended(status: int) -> str:
    if os.WIFSIGNALED(status):
        return f"was killed by {signal.Signals(os.WTERMSIG(status)).name}"
    return f"exited with status {os.waitstatus_to_exitcode(status)}"
