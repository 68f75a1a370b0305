"""Records on the hub: drafts, finalized revisions and the outbox, each change one transaction."""

from __future__ import annotations

import json
import secrets
import uuid as uuid_module

from . import entities, paradata
from .clock import now_iso
from .db import write_together, write_transaction
from .protection import open_json, open_text, seal_json

EDITABLE = ("draft", "finalized", "rejected")
# Crockford's base 32 without look-alikes: a receipt code is read aloud and copied by hand.
RECEIPT_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"


class RecordError(Exception):
    """A record change that is not allowed."""

    def __init__(self, code: str):
        self.code = code
        super().__init__(code)


def new_uuid() -> str:
    return str(uuid_module.uuid4())


def is_uuid(value: str) -> bool:
    try:
        return str(uuid_module.UUID(value)) == value.lower()
    except (ValueError, AttributeError, TypeError):
        return False


def get_record(db, record_uuid: str) -> dict | None:
    rows = list(db.query("SELECT * FROM records WHERE uuid = ?", [record_uuid]))
    if not rows:
        return None
    record = rows[0]
    record["answers"] = open_json(db, record["answers"], "records", "answers", record["uuid"])
    record["paradata"] = paradata.loads(record.get("paradata"))
    return record


# Seconds a page was open, and its section (None for the phone's whole-form page), added
# to a record's paradata when its form has an audit (collector.paradata).
Spent = tuple[str | None, int] | None


def save_answers(
    db, record_uuid, form, locale, enumerator_id, answers: dict, spent: Spent = None
) -> dict:
    """Create or update a record's working copy; an edit of a finalized record is a draft again."""
    now = now_iso()
    with write_transaction(db):
        record = get_record(db, record_uuid)
        if record is None:
            times = _added(None, spent)
            _insert(db, record_uuid, form, locale, enumerator_id, answers, now, times, False)
        else:
            _check_editable(record, form)
            db.execute(
                "UPDATE records SET answers = ?, status = 'draft', locale = ?, updated_at = ?,"
                " paradata = ? WHERE uuid = ?",
                [
                    _dump(db, answers, record_uuid),
                    locale,
                    now,
                    paradata.dumps(_added(record["paradata"], spent)),
                    record_uuid,
                ],
            )
    saved = get_record(db, record_uuid)
    assert saved is not None  # written just above; records are never deleted meanwhile
    return saved


def finalize(db, record_uuid: str, form, answers: dict) -> int:
    """Store the next revision and queue it, in one transaction; return its number.

    Finalizing again with the same answers (a repeated POST) changes nothing.
    """
    now = now_iso()
    with write_transaction(db):
        record = get_record(db, record_uuid)
        if record is None:
            raise RecordError("not_found")
        if record["status"] == "finalized" and record["answers"] == answers:
            return record["revision"]
        _check_editable(record, form)
        return _finalize_revision(db, record, form, answers, now)


def finalize_whole(
    db, record_uuid: str, form, locale: str, enumerator_id: int, answers: dict, spent: Spent = None
) -> int:
    """A whole record filled on a phone: create it (or update it) and finalize it in one
    transaction, so a crash leaves nothing half-done; return the revision (`spent`: the
    seconds since the page was served, added to the paradata of a new revision).

    A repeated delivery of the same UUID with the same answers (an answer lost on the
    way back to the phone) changes nothing. Another enumerator's UUID is a conflict.
    """
    now = now_iso()

    def work(db) -> int:
        record = get_record(db, record_uuid)
        if record is None:
            times = _added(None, spent)
            return _insert_finalized(
                db, record_uuid, form, locale, enumerator_id, answers, now, times
            )
        if record["enumerator_id"] != enumerator_id:
            raise RecordError("conflict")
        elif record["status"] in ("finalized", "synced") and record["answers"] == answers:
            return record["revision"]
        _check_editable(record, form)
        record["paradata"] = _added(record["paradata"], spent)
        return _finalize_revision(db, record, form, answers, now)

    # Phones finalizing at once share one commit; each is answered after it (db.write_together).
    return write_together(db, work)


def _added(times: dict | None, spent: Spent) -> dict | None:
    """The paradata with the seconds `spent` added (unchanged without them)."""
    return times if spent is None else paradata.added(times, spent[1], spent[0])


def _insert_finalized(db, record_uuid, form, locale, enumerator_id, answers, now, times) -> int:
    """A new record finalized at once: the rows a draft finalized at once would leave
    (revision 1), written without the draft in between."""
    _insert(db, record_uuid, form, locale, enumerator_id, answers, now, times, True)
    record = {
        "uuid": record_uuid,
        "locale": locale,
        "enumerator_id": enumerator_id,
        "started_at": now,
        "paradata": times,
    }
    _write_revision(db, record, form, answers, 1, now)
    return 1


def _insert(db, record_uuid, form, locale, enumerator_id, answers, now, times, finalized):
    """A new record's row: a draft (revision 0), or finalized as revision 1; `times`: its
    paradata."""
    db.execute(
        "INSERT INTO records (uuid, form_id, form_version, locale, enumerator_id, status,"
        " revision, answers, started_at, updated_at, finalized_at, paradata)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            record_uuid,
            form.form_id,
            form.version,
            locale,
            enumerator_id,
            "finalized" if finalized else "draft",
            1 if finalized else 0,
            _dump(db, answers, record_uuid),
            now,
            now,
            now if finalized else None,
            paradata.dumps(times),
        ],
    )


def _finalize_revision(db, record, form, answers, now) -> int:
    revision = record["revision"] + 1
    _write_revision(db, record, form, answers, revision, now)
    db.execute(
        "UPDATE records SET answers = ?, status = 'finalized', revision = ?, form_version = ?,"
        " updated_at = ?, finalized_at = ?, paradata = ? WHERE uuid = ?",
        [
            _dump(db, answers, record["uuid"]),
            revision,
            form.version,
            now,
            now,
            paradata.dumps(record.get("paradata")),
            record["uuid"],
        ],
    )
    return revision


def submit_anonymous(db, record_uuid: str, form, locale: str, answers: dict) -> str:
    """Store and finalize a kiosk record at once; return its receipt code.

    A repeated submission of the same UUID returns the first receipt code.
    """
    now = now_iso()
    with write_transaction(db):
        existing = get_record(db, record_uuid)
        if existing is not None:
            if existing["form_id"] != form.form_id or existing["enumerator_id"] is not None:
                raise RecordError("conflict")
            return existing["receipt_code"]
        code = _unused_receipt_code(db)
        record = {"uuid": record_uuid, "locale": locale, "enumerator_id": None, "started_at": now}
        db.execute(
            "INSERT INTO records (uuid, form_id, form_version, locale, status, revision, answers,"
            " receipt_code, started_at, updated_at, finalized_at)"
            " VALUES (?, ?, ?, ?, 'finalized', 1, ?, ?, ?, ?, ?)",
            [
                record_uuid,
                form.form_id,
                form.version,
                locale,
                _dump(db, answers, record_uuid),
                code,
                now,
                now,
                now,
            ],
        )
        _write_revision(db, record, form, answers, 1, now)
    return code


def _write_revision(db, record, form, answers, revision, now):
    db.execute(
        "INSERT INTO revisions (uuid, revision, form_id, form_version, locale, enumerator_id,"
        " answers, started_at, finalized_at, paradata) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            record["uuid"],
            revision,
            form.form_id,
            form.version,
            record["locale"],
            record["enumerator_id"],
            _dump(db, answers, record["uuid"], revision),
            record["started_at"],
            now,
            paradata.dumps(record.get("paradata")),
        ],
    )
    db.execute(
        "INSERT INTO outbox (uuid, revision, queued_at) VALUES (?, ?, ?)",
        [record["uuid"], revision, now],
    )
    # The entity the form declares, created or updated with the revision that asks for it.
    entities.apply_record(db, form, record["uuid"], answers, now)


def _check_editable(record: dict, form) -> None:
    if record["form_id"] != form.form_id:
        raise RecordError("conflict")
    if record["status"] not in EDITABLE:
        raise RecordError("locked")


def _unused_receipt_code(db) -> str:
    while True:
        code = "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(8))
        if not db.execute("SELECT 1 FROM records WHERE receipt_code = ?", [code]).fetchone():
            return code


def normalize_receipt_code(text: str) -> str:
    return "".join(ch for ch in text.upper() if ch.isalnum())


def format_receipt_code(code: str) -> str:
    return f"{code[:4]}-{code[4:]}"


def list_records(db, enumerator_id: int, status: str | None = None) -> list[dict]:
    sql = (
        "SELECT r.uuid, r.form_id, r.form_version, r.locale, r.status, r.revision,"
        " r.started_at, r.updated_at, r.finalized_at, o.error_message, r.answers FROM records r"
        " LEFT JOIN outbox o ON o.uuid = r.uuid AND o.revision = r.revision"
        " AND o.state = 'rejected' WHERE r.enumerator_id = ?"
    )
    params: list = [enumerator_id]
    if status:
        sql += " AND r.status = ?"
        params.append(status)
    return list(db.query(sql + " ORDER BY r.updated_at DESC, r.uuid", params))


def last_saved(db, form, enumerator_id: int | None, record_uuid: str) -> dict:
    """What ${last-saved#name} reads in a record: the answers, to the questions the form
    reads so, of the enumerator's own record of this form version finalized last (not this
    one; not one reopened and left a draft, whose answers were never finalized; not one
    purged). Another version's record is never read: the import checked only this version's
    privacy rules, and an earlier one may have marked the question identifying (a new
    version starts empty).
    A question in a repeat gives its first instance's answer, as in ODK. Nothing for a
    person without an account (the kiosk): never another person's answers."""
    names = form.last_saved_names
    if not names or enumerator_id is None:
        return {}
    rows = list(
        db.query(
            "SELECT uuid, answers FROM records WHERE form_id = ? AND form_version = ?"
            " AND enumerator_id = ? AND uuid != ? AND status IN ('finalized', 'synced')"
            " AND purged_at IS NULL"
            " ORDER BY finalized_at DESC, rowid DESC"
            " LIMIT 1",
            [form.form_id, form.version, enumerator_id, record_uuid],
        )
    )
    if not rows:
        return {}
    answers = record_answers(db, rows[0])
    found = {}
    for name in names:
        node: object = answers
        for repeat in form.lineage(name):
            items = node.get(repeat) if isinstance(node, dict) else None
            node = items[0] if isinstance(items, list) and items else None
        if isinstance(node, dict) and node.get(name) is not None:
            found[name] = node[name]
    return found


def record_answers(db, row: dict) -> dict:
    """A listed record's answers (list_records gives them as stored, sealed on a protected
    hub): opened only for what needs them, such as its name (collector.record_names)."""
    return open_json(db, row["answers"], "records", "answers", row["uuid"])


def replies_for_receipt(db, code: str) -> tuple[dict | None, list[dict]]:
    rows = list(
        db.query(
            "SELECT uuid, finalized_at, locale FROM records WHERE receipt_code = ?",
            [normalize_receipt_code(code)],
        )
    )
    if not rows:
        return None, []
    replies = [
        dict(reply, message=open_text(db, reply["message"], "replies", "message", reply.pop("id")))
        for reply in db.query(
            "SELECT id, message, locale, replied_at FROM replies"
            " WHERE record_uuid = ? ORDER BY replied_at",
            [rows[0]["uuid"]],
        )
    ]
    return rows[0], replies


def status_counts(db) -> dict:
    """What `collector status` and the hub page report."""
    counts = {status: 0 for status in ("draft", "finalized", "synced", "rejected")}
    counts.update(
        dict(db.execute("SELECT status, count(*) FROM records GROUP BY status").fetchall())
    )
    queued = db.execute("SELECT count(*) FROM outbox WHERE state = 'queued'").fetchone()[0]
    # Waiting for the operator's review before they leave (collector.review).
    held = db.execute("SELECT count(*) FROM outbox WHERE state = 'held'").fetchone()[0]
    state = {
        key: json.loads(value)
        for key, value in db.execute(
            "SELECT key, value FROM hub_state WHERE key IN ('last_sync', 'enrollment', 'reconcile',"
            " 'last_error', 'device_revoked')"
        ).fetchall()
    }
    return {
        "drafts": counts["draft"],
        "finalized": counts["finalized"],
        "queued": queued,
        "held": held,
        "synced": counts["synced"],
        "rejected": counts["rejected"],
        "last_sync": state.get("last_sync"),
        "server": (state.get("enrollment") or {}).get("server_url"),
        "device_revoked": state.get("device_revoked"),
        "last_error": state.get("last_error"),
        "reconcile": state.get("reconcile"),
    }


def _dump(db, answers: dict, record_uuid: str, revision: int | None = None) -> str:
    """Answers as stored: sealed to their row when the data folder is protected."""
    if revision is None:
        return seal_json(db, answers, "records", "answers", record_uuid)
    return seal_json(db, answers, "revisions", "answers", record_uuid, revision)
