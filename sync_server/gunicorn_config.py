"""gunicorn's settings for the central server (Linux):
gunicorn -c python:sync_server.gunicorn_config

Each value can be changed on gunicorn's command line after -c (e.g. --workers 4).
Environment: SYNC_SERVER_BIND (default 127.0.0.1:8000, the loopback: the TLS proxy in front
is the only way in) and WEB_CONCURRENCY (the number of worker processes).
"""

import os

# Imported once here, in gunicorn's master process: each worker starts from a copy of it
# (fast starts, shared memory) and only builds its app (sync_server.wsgi). So after an
# upgrade restart the service (systemctl restart); a reload would keep the old code.
import sync_server  # noqa: F401

bind = os.environ.get("SYNC_SERVER_BIND", "127.0.0.1:8000")
# Two workers per core and one more, as gunicorn advises, but at most 12: each holds its
# own database connections and caches, and with SQLite only one writes at a time.
workers = int(os.environ.get("WEB_CONCURRENCY") or min(2 * (os.cpu_count() or 1) + 1, 12))
# Threads: a long export streams for minutes without stopping the worker's heartbeat.
worker_class = "gthread"
threads = 4
timeout = 60
graceful_timeout = 30
# What the server writes (database, secrets, exports) is for its own account only.
umask = 0o077
# Which proxy headers to believe is decided once, by the server's proxy_hops setting
# (SYNC_SERVER_PROXY_HOPS): gunicorn must not also believe X-Forwarded-Proto on its own.
forwarded_allow_ips = ""
secure_scheme_headers: dict[str, str] = {}
# To standard output: systemd's journal keeps them (journalctl -u sync-server).
accesslog = "-"
errorlog = "-"
# The path without its query string (%(U)s, never %(r)s): a query can hold a search for a
# person's name or the reason typed for an export, and the journal must hold neither.
access_log_format = '%(h)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(L)ss'
# No control socket in the service account's home: systemd starts, reloads and stops it.
control_socket_disable = True
