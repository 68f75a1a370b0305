"""Serve a Flask app with cheroot: pure Python, runs on Windows, never Flask's dev server."""

from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path

import click
from cheroot.wsgi import Server

from .db import close_kept_connections

# How "address already in use" reads on Linux and macOS, and on Windows (WSAEADDRINUSE).
_IN_USE = ("address already in use", "10048", "only one usage of each socket address")
_DENIED = ("permission denied", "10013", "forbidden by its access permissions")


# How long a thread may keep Python's interpreter lock while another waits for it (CPython's
# default: 5 ms). A request thread that comes back from SQLite or the network waited that
# long behind threads validating other phones' records, at every call: under a crowd those
# waits, not the work, filled the time between a record's commit and its answer.
SWITCH_INTERVAL = 0.0005

# Connections waiting to be accepted: more than the phones of a busy hotspot.
LISTEN_BACKLOG = 128


class CannotListen(click.ClickException):
    """The port cannot be opened: one line for the person at the keyboard, no traceback."""


def make_server(app, host: str, port: int, threads: int) -> Server:
    server = Server((host, port), app, numthreads=threads, server_name=app.name)
    # Slow phones on a busy hotspot: give a request time before dropping it.
    server.timeout = 60
    # cheroot's listen backlog is 5: a training room of phones connecting at once overflowed
    # it, and the phones past the fifth saw their connections reset (docs/benchmarks.md).
    server.request_queue_size = LISTEN_BACKLOG
    return server


def bind(server: Server, option: str = "--port") -> None:
    """Open the server's socket now (so port 0 becomes a real port), or say plainly why not.

    `option` names the command-line option that chooses this port, for the message.
    """
    try:
        server.prepare()
    except OSError as error:
        host, port = server.bind_addr[:2]
        text = str(error).lower()
        if any(sign in text for sign in _IN_USE):
            raise CannotListen(
                f"Port {port} is already in use on {host}: stop the other "
                f"program or choose {option}."
            ) from None
        if any(sign in text for sign in _DENIED):
            raise CannotListen(
                f"Port {port} cannot be opened on {host}: permission denied. "
                f"Choose a port above 1023 with {option}."
            ) from None
        raise CannotListen(f"Cannot listen on {host} port {port}: {error}") from None


def start_https(app, host: str, port: int, threads: int) -> Server:
    """Serve HTTPS beside HTTP, with a certificate from the hub's own authority.

    Plain HTTP stays for phones that have not installed the hub's certificate yet;
    the app sends those that have to HTTPS (see hub.prefer_https).
    """
    from cheroot.ssl.builtin import BuiltinSSLAdapter

    from .certificates import ensure_certificates
    from .lan import lan_addresses

    certificates = ensure_certificates(Path(app.config["DATA_DIR"]), lan_addresses())
    server = make_server(app, host, port, threads)
    # On a protected data folder the key file is encrypted; its password stays in memory.
    server.ssl_adapter = BuiltinSSLAdapter(
        str(certificates.cert_path),
        str(certificates.key_path),
        private_key_password=certificates.key_password,
    )
    bind(server, "--https-port")
    app.config["HTTPS_PORT"] = server.bind_addr[1]
    app.extensions["certificates"] = certificates
    threading.Thread(target=server.serve, name="https", daemon=True).start()
    return server


def serve_forever(server: Server, on_stop=None) -> None:
    """Serve until Ctrl+C or SIGTERM; requests in progress finish first."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _interrupt)
    sys.setswitchinterval(SWITCH_INTERVAL)
    try:
        server.serve()
    except KeyboardInterrupt:
        pass
    finally:
        if on_stop:
            on_stop()
        server.stop()
        close_kept_connections()  # the threads that kept them serve no more requests


def _interrupt(signum, frame):
    # A service manager's SIGTERM stops the server like Ctrl+C.
    raise KeyboardInterrupt
