"""Free text held for the operator's review before it leaves the laptop.

A finalized revision of a form listed in the `hold_free_text_for_review` setting that has
free text to send waits in the outbox as 'held' (not 'queued'): neither a sync nor a USB
bundle takes it. The operator reads it with what the scrubber removes highlighted, may name
more words to remove, and releases it: it is queued again with those words kept beside it,
and the anonymizer replaces them with [removed] in what is sent.
"""

from __future__ import annotations

import functools

from . import repeats, scrubbing
from .anonymizer import rule_for, text_names
from .clock import now_iso
from .db import write_transaction
from .protection import seal_json
from .security_log import log_event
from .sync_client import REVISION_SQL, refresh_record_status, revision_answers, revision_redactions

# The longest list of words one release may remove, and the longest word: a form post.
MAX_REDACTIONS, MAX_REDACTION_LENGTH = 50, 200


def free_texts(form, answers: dict) -> list[tuple]:
    """(question, instance number or None, text) for each non-empty answer that leaves the
    laptop as scrubbed free text."""
    texts = []
    for name, question in form.questions.items():
        if not question.holds_value or rule_for(question, form) != "scrub":
            continue
        scopes = (
            [(None, answers)]
            if not question.repeat
            else [
                (positions[0] if len(positions) == 1 else ".".join(map(str, positions)), item)
                for positions, item in repeats.each_instance(form, answers, question.repeat)
            ]
        )
        for number, scope in scopes:
            value = scope.get(name) if isinstance(scope, dict) else None
            if isinstance(value, str) and value.strip():
                texts.append((question, number, value))
    return texts


def hold_pending(db, form_ids, record_uuid: str | None = None) -> int:
    """`hold_new` with the hub's own forms (built-in and imported): what every caller wants."""
    from .form_library import form_version
    from .forms import builtin_forms

    builtins = builtin_forms()
    # Each form version read and parsed once per call, however many rows share it.
    load = functools.lru_cache(maxsize=None)(
        lambda form_id, version: form_version(db, builtins, form_id, version)
    )
    return hold_new(db, form_ids, load, record_uuid)


def hold_new(db, form_ids, load_form, record_uuid: str | None = None) -> int:
    """Hold each queued, never released revision of the listed forms that has free text;
    return how many were held now. `load_form(form_id, version)` gives the form or None;
    `record_uuid` looks at that record only (one just sent: the rest were looked at before).

    Run before anything reads the outbox (a sync, a bundle, the Sync page, `collector
    status`), so a message written a moment ago is never sent, nor counted as queued."""
    form_ids = list(form_ids or [])
    if not form_ids:
        return 0
    marks = ", ".join("?" * len(form_ids))
    sql = (
        REVISION_SQL + " WHERE o.state = 'queued' AND o.released_at IS NULL"
        f" AND v.form_id IN ({marks})"
    )
    params = list(form_ids)
    if record_uuid is not None:
        sql, params = sql + " AND o.uuid = ?", params + [record_uuid]
    rows = list(db.query(sql, params))
    held = [row for row in rows if _needs_review(db, row, load_form)]
    if held:
        with write_transaction(db):
            for row in held:
                db.execute(
                    "UPDATE outbox SET state = 'held' WHERE uuid = ? AND revision = ?"
                    " AND state = 'queued'",
                    [row["uuid"], row["revision"]],
                )
    return len(held)


def _needs_review(db, row: dict, load_form) -> bool:
    form = load_form(row["form_id"], row["form_version"])
    # A form no longer on the hub is held too: the operator decides, not a silent default.
    return form is None or bool(free_texts(form, revision_answers(db, row)))


def held_count(db) -> int:
    return db.execute("SELECT count(*) FROM outbox WHERE state = 'held'").fetchone()[0]


def held_revisions(db) -> list[dict]:
    """Every held revision, oldest first, with its answers and enumerator's name."""
    rows = db.query(
        REVISION_SQL + " WHERE o.state = 'held' ORDER BY o.queued_at, o.uuid, o.revision"
    )
    return [dict(row, answers=revision_answers(db, row)) for row in rows]


def highlighted(form, row: dict) -> list[tuple]:
    """(question, instance number, pieces) of a held revision's free text, as the preview
    shows them: what the scrubber removes is marked (scrubbing.segments)."""
    names = text_names(form, row["answers"], row["enumerator"])
    return [
        (question, number, scrubbing.segments(text, names))
        for question, number, text in free_texts(form, row["answers"])
    ]


def parse_redactions(text: str) -> list[str]:
    """The words or phrases an operator typed, one per line or separated by commas;
    ValueError when there are too many or one is too long."""
    words: list[str] = []
    for line in (text or "").replace(",", "\n").replace("،", "\n").splitlines():
        word = " ".join(line.split())
        if word and word.casefold() not in {w.casefold() for w in words}:
            words.append(word)
    if len(words) > MAX_REDACTIONS or any(len(w) > MAX_REDACTION_LENGTH for w in words):
        raise ValueError("too_many_redactions")
    return words


def release(db, releases: dict, account: str | None) -> int:
    """Queue each held revision {(uuid, revision): [words to remove]} with its words, in one
    transaction with its security log entry; return how many were released (a revision no
    longer held, released by someone else a moment ago, is left as it is)."""
    released = 0
    now = now_iso()
    with write_transaction(db):
        for (record_uuid, revision), words in releases.items():
            changed = db.execute(
                "UPDATE outbox SET state = 'queued', redactions = ?, released_at = ?"
                " WHERE uuid = ? AND revision = ? AND state = 'held'",
                [
                    seal_json(db, words, "outbox", "redactions", record_uuid, revision)
                    if words
                    else None,
                    now,
                    record_uuid,
                    revision,
                ],
            ).rowcount
            if changed:
                released += 1
                # The words themselves are personal data: the log says only how many.
                log_event(
                    db,
                    "free_text_released",
                    account,
                    f"{record_uuid} revision {revision}; {len(words)} more removed",
                )
        refresh_record_status(db, {record_uuid for record_uuid, _ in releases})
    return released


def redactions_of(db, row: dict) -> list[str]:
    """The operator's words kept with an outbox row (REVISION_SQL selects them)."""
    return revision_redactions(db, row)
