"""Serve the hub with cheroot: pure Python, runs on Windows, never Flask's dev server."""

from __future__ import annotations

import signal
import threading
from pathlib import Path

import click
from cheroot.wsgi import Server

from . import create_app
from .lan import hub_urls


def make_server(app, host: str, port: int, threads: int) -> Server:
    server = Server((host, port), app, numthreads=threads, server_name="collector")
    # Slow phones on a busy hotspot: give a request time before dropping it.
    server.timeout = 60
    return server


def run(data_dir: Path, host: str, port: int, threads: int) -> None:
    app = create_app(data_dir=data_dir)
    server = make_server(app, host, port, threads)
    server.prepare()  # binds now, so port 0 becomes a real port before we print it
    bound_port = server.bind_addr[1]
    app.config["PUBLIC_HOST"] = None if host in ("0.0.0.0", "::") else host
    click.echo(f"Data folder: {data_dir}")
    click.echo("Open the hub on a phone connected to this laptop's network:")
    for url in hub_urls(bound_port, "http", app.config["PUBLIC_HOST"]):
        click.echo(f"  {url}")
    click.echo(f"Listening on {host}:{bound_port} (Ctrl+C to stop)", err=False)
    if threading.current_thread() is threading.main_thread():
        # A service manager's SIGTERM stops the hub like Ctrl+C: requests finish first.
        signal.signal(signal.SIGTERM, _interrupt)
    try:
        server.serve()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
        click.echo("Stopped.")


def _interrupt(signum, frame):
    raise KeyboardInterrupt
