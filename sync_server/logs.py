"""The central server's log: one JSON object a line, with no personal data.

Each request is one `request` line (method, route pattern, status, milliseconds, bytes,
request id); work worth following is one line of its own (`ingest_batch`, `export`), and
an error is an `error` line with the exception's type and where it was raised. Personal data
never reaches the log, by construction:

- a request is logged by its route pattern (`/data/records/<record_uuid>`), never its URL:
  a query string can hold a search for a name;
- an error is logged by its type and frames, never its message: a message can quote a value;
- fields are given by name by the code that logs (`event(...)`), never copied from a form.

The serve command and the WSGI module send the log to standard error (`configure`); in tests
and when embedded the `sync_server` logger stays silent unless its caller configures it.
"""

from __future__ import annotations

import json
import logging
import sys
import time
import traceback
import uuid
from datetime import UTC, datetime

from flask import Flask, g, got_request_exception, has_request_context, request

LOGGER = logging.getLogger("sync_server")
REQUEST_ID_HEADER = "X-Request-Id"


class JsonLines(logging.Formatter):
    """A record as one JSON line: time (UTC), level, event, then the event's fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname.lower(),
            "event": record.getMessage(),
        }
        entry.update(getattr(record, "fields", {}))
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure(stream=None, level: str = "INFO") -> logging.Handler:
    """Send the `sync_server` log to `stream` (standard error) as JSON lines; once per stream."""
    stream = stream or sys.stderr
    for handler in LOGGER.handlers:
        if getattr(handler, "stream", None) is stream:
            return handler
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonLines())
    LOGGER.addHandler(handler)
    LOGGER.setLevel(level)
    LOGGER.propagate = False  # one line per event, not again through the root logger
    return handler


def event(name: str, level: int = logging.INFO, **fields) -> None:
    """Log `name` with `fields` (and the current request's id, inside a request)."""
    if not LOGGER.isEnabledFor(level):
        return
    request_id = g.get("request_id") if has_request_context() else None
    if request_id:
        fields = {"request_id": request_id, **fields}
    LOGGER.log(level, name, extra={"fields": fields})


def init_app(app: Flask) -> None:
    """A `request` line after each request, an `error` line for each unhandled exception,
    and an X-Request-Id header that ties the answer to both."""
    app.before_request(_start)
    app.after_request(_finish)
    got_request_exception.connect(_failed, app, weak=False)


def _start() -> None:
    g.request_started = time.perf_counter()
    g.request_id = uuid.uuid4().hex[:16]


def _finish(response):
    started = g.get("request_started")
    if started is None:  # a request that failed before our first hook ran
        return response
    response.headers[REQUEST_ID_HEADER] = g.request_id
    rule = request.url_rule.rule if request.url_rule is not None else None
    event(
        "request",
        method=request.method,
        route=rule or "(no route)",
        endpoint=request.endpoint,
        status=response.status_code,
        ms=round((time.perf_counter() - started) * 1000, 1),
        bytes=response.calculate_content_length(),
    )
    return response


def _failed(sender, exception: BaseException, **extra) -> None:
    """Type and frames only: an exception's message may quote what someone wrote."""
    frames = traceback.extract_tb(exception.__traceback__)
    event(
        "error",
        logging.ERROR,
        type=type(exception).__name__,
        where=[
            f"{frame.filename.rsplit('/', 1)[-1]}:{frame.lineno} {frame.name}"
            for frame in frames[-6:]
        ],
    )
