"""Removing identifying fields from records the server has held long enough.

The anonymized copy is on the server; after `purge_after_days` the laptop no
longer needs names and phone numbers, and a lost laptop then exposes less.

Field laptops often have wrong clocks. A record sent while the clock was ahead has a
`sent_at` in the future once the clock is corrected; waiting for the clock to catch up
would keep names for as long as the clock was wrong. So each purge first brings such
times back to now: those records are purged `after_days` from then.
"""

from __future__ import annotations

import json
from datetime import timedelta

from .clock import now_iso, utcnow
from .db import write_transaction
from .form_library import form_version
from .forms import builtin_forms

_BUILTINS = builtin_forms()


def purge(db, after_days: int) -> int:
    """Strip identifying answers of records synced more than `after_days` ago; return how many."""
    now = utcnow()
    _bring_back_future_sent_times(db, now)
    cutoff = (now - timedelta(days=after_days)).isoformat().replace("+00:00", "Z")
    rows = list(db.query(
        "SELECT r.uuid, r.form_id, r.form_version FROM records r JOIN outbox o"
        " ON o.uuid = r.uuid AND o.revision = r.revision"
        " WHERE r.status = 'synced' AND r.purged_at IS NULL AND o.state = 'sent'"
        " AND o.sent_at <= ?", [cutoff]))
    purged = 0
    for row in rows:
        form = form_version(db, _BUILTINS, row["form_id"], row["form_version"])
        fields = set(form.identifying_fields) if form else set()
        with write_transaction(db):
            _strip(db, "records", row["uuid"], fields)
            for revision in db.execute("SELECT revision FROM revisions WHERE uuid = ?",
                                       [row["uuid"]]).fetchall():
                _strip(db, "revisions", row["uuid"], fields, revision[0])
            db.execute("UPDATE records SET purged_at = ? WHERE uuid = ?", [now_iso(), row["uuid"]])
        purged += 1
    return purged


def _bring_back_future_sent_times(db, now) -> None:
    now_text = now.isoformat().replace("+00:00", "Z")
    with write_transaction(db):
        db.execute("UPDATE outbox SET sent_at = ? WHERE state = 'sent' AND sent_at > ?",
                   [now_text, now_text])


def _strip(db, table: str, record_uuid: str, fields: set, revision: int | None = None) -> None:
    where, params = "uuid = ?", [record_uuid]
    if revision is not None:
        where, params = where + " AND revision = ?", params + [revision]
    answers = json.loads(db.execute(f"SELECT answers FROM {table} WHERE {where}", params)
                         .fetchone()[0])
    kept = {k: v for k, v in answers.items() if k not in fields}
    db.execute(f"UPDATE {table} SET answers = ? WHERE {where}",
               [json.dumps(kept, ensure_ascii=False, sort_keys=True), *params])
