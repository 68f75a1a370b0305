"""Serve a Flask app with cheroot: pure Python, runs on Windows, never Flask's dev server."""

from __future__ import annotations

import signal
import threading

from cheroot.wsgi import Server


def make_server(app, host: str, port: int, threads: int) -> Server:
    server = Server((host, port), app, numthreads=threads, server_name=app.name)
    # Slow phones on a busy hotspot: give a request time before dropping it.
    server.timeout = 60
    return server


def serve_forever(server: Server, on_stop=None) -> None:
    """Serve until Ctrl+C or SIGTERM; requests in progress finish first."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _interrupt)
    try:
        server.serve()
    except KeyboardInterrupt:
        pass
    finally:
        if on_stop:
            on_stop()
        server.stop()


def _interrupt(signum, frame):
    # A service manager's SIGTERM stops the server like Ctrl+C.
    raise KeyboardInterrupt
