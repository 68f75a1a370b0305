"""Paradata for a form with an XLSForm `audit`: how long a record was open, in whole seconds,
in all and per section (page), measured by the hub's clock alone.

A section page carries a signed mark of when the hub served it; the seconds until its
answers are saved are added to that section (and to the total), so a page seen again adds
up. A page shown again with a problem keeps its first mark. The phone's whole-form page
carries a mark of when it was served: a record sent from it straight away adds the seconds
to delivery to the total, with no sections (the phone's own clock is never read; a record
sent later from the phone's outbox adds nothing, its wait is no interview time).

Stored with the record (records.paradata) as {"total": seconds, "sections": {name: seconds}};
what leaves the laptop is the anonymizer's business (anonymizer.metadata_answers).
"""

from __future__ import annotations

import hashlib
import json

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

from .clock import utcnow

AUDIT = "audit"


def recorded(form) -> bool:
    """Whether the hub records paradata for the form's records: it asks for an audit."""
    return any(item.get("type") == AUDIT for item in form.data.get("metadata", []))


def mark(*place) -> str:
    """A signed mark of now, for the page at `place` (a record and a section, a form)."""
    return _serializer().dumps([*place, int(utcnow().timestamp())])


def seconds_since(token: str | None, *place) -> int | None:
    """Whole seconds since the mark `token` was made for `place`; None when it is missing,
    forged or made for another page. A clock set back in between counts as no time."""
    if not token:
        return None
    try:
        value = _serializer().loads(token)
    except BadSignature:
        return None
    if not isinstance(value, list) or value[:-1] != list(place) or not isinstance(value[-1], int):
        return None
    return max(0, int(utcnow().timestamp()) - value[-1])


def kept_mark(token: str | None, *place) -> str:
    """The posted mark when it is this page's (a page shown again keeps counting from when
    it was first shown), else a new one."""
    return token if token and seconds_since(token, *place) is not None else mark(*place)


def added(paradata: dict | None, seconds: int, section: str | None = None) -> dict:
    """`paradata` with `seconds` more, in all and, when given, on `section`."""
    total = dict(paradata or {})
    total["total"] = int(total.get("total", 0)) + seconds
    if section is not None:
        sections = dict(total.get("sections") or {})
        sections[section] = int(sections.get(section, 0)) + seconds
        total["sections"] = sections
    return total


def loads(text) -> dict | None:
    """Paradata as a records or revisions row holds it (JSON text, or nothing)."""
    return json.loads(text) if text else None


def dumps(paradata: dict | None) -> str | None:
    return json.dumps(paradata, sort_keys=True) if paradata else None


def _serializer() -> URLSafeSerializer:
    key = current_app.secret_key
    assert key is not None  # create_app always sets SECRET_KEY, from the data dir
    return URLSafeSerializer(
        key, salt="collector-page-shown", signer_kwargs={"digest_method": hashlib.sha256}
    )
