"""Serve a Flask app with cheroot: pure Python, runs on Windows, never Flask's dev server."""

from __future__ import annotations

import signal
import threading
from pathlib import Path

from cheroot.wsgi import Server


def make_server(app, host: str, port: int, threads: int) -> Server:
    server = Server((host, port), app, numthreads=threads, server_name=app.name)
    # Slow phones on a busy hotspot: give a request time before dropping it.
    server.timeout = 60
    return server


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
    server.ssl_adapter = BuiltinSSLAdapter(str(certificates.cert_path),
                                           str(certificates.key_path))
    server.prepare()
    app.config["HTTPS_PORT"] = server.bind_addr[1]
    app.extensions["certificates"] = certificates
    threading.Thread(target=server.serve, name="https", daemon=True).start()
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
