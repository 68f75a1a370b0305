"""Removing identifying answers from records the laptop no longer needs them for.

The anonymized copy is on the server; after `purge_after_days` the laptop no
longer needs names and phone numbers, and a lost laptop then exposes less. A
draft nobody touched for `purge_drafts_after_days` loses them too: it was never
finalized, so its names would otherwise stay for ever.

What a purge removes, in the working copy (`records`) and in every revision (and the
photos and files those answers named, collector.attachments):
- answers to identifying questions, and to questions the privacy rules never let
  leave as they are because they look like identifiers (drop, pseudonymize);
- exact locations that left coarsened (a grid cell, an area's name) or not at all;
- inside each instance of a repeat as well (a household member's name);
- from free text (the `scrub` rule, text by default), whatever `scrub_text` finds:
  phone numbers, e-mails, ID-like numbers and the record's own names;
- from the entities the record created or last changed (collector.entities): the
  properties saved from the questions above, the record's names in the label.

Removed values must not survive in the file either: the connection deletes with
`secure_delete` (freed space is zeroed) and the purge ends by checkpointing the
write-ahead log into the database and truncating it, so the log keeps no old page.

Field laptops often have wrong clocks. A record sent while the clock was ahead has a
`sent_at` in the future once the clock is corrected; waiting for the clock to catch up
would keep names for as long as the clock was wrong. So each purge first brings such
times back to now: those records are purged `after_days` from then.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from . import attachments, entities, repeats
from .anonymizer import IDENTIFYING_RULES, rule_for, scrub_text
from .clock import now_iso, utcnow
from .db import CHECKPOINT_WAIT_SECONDS, truncate_wal, write_transaction
from .form_library import form_version
from .forms import builtin_forms
from .locations import LOCATION_TYPES
from .protection import open_json, seal_json
from .settings import DEFAULTS

log = logging.getLogger(__name__)
_BUILTINS = builtin_forms()
_REMOVE = object()  # what `_purged_value` answers for "this answer goes"
# A record is looked at again only if it may have changed since its last purge (a purged
# draft taken up again, then left or synced). Times are to the second: one changed in the
# second of its purge is looked at again, and counted only if something was removed.
_NOT_PURGED_SINCE_CHANGE = "(r.purged_at IS NULL OR r.purged_at <= r.updated_at)"


@dataclass(frozen=True)
class PurgeReport:
    synced: int  # synced records that lost answers now
    drafts: int  # stale drafts that lost answers now
    log_cleared: bool  # the write-ahead log was emptied: no removed value is left in it

    @property
    def records(self) -> int:
        return self.synced + self.drafts


def purge(db, after_days: int, drafts_after_days: int | None = None) -> int:
    """Purge synced records and stale drafts; return how many lost identifying answers.

    A write-ahead log that could not be emptied is logged; `purge_report` says so."""
    report = purge_report(db, after_days, drafts_after_days)
    if not report.log_cleared:
        log.warning(
            "The database's write-ahead log could not be emptied after the purge: "
            "another program holds it open. Removed values stay in it until then."
        )
    return report.records


def purge_report(
    db,
    after_days: int,
    drafts_after_days: int | None = None,
    wait_seconds: float = CHECKPOINT_WAIT_SECONDS,
) -> PurgeReport:
    """Strip identifying answers of records synced more than `after_days` ago and of drafts
    left alone for `drafts_after_days` (default: the setting's default), then empty the
    write-ahead log, waiting up to `wait_seconds` for readers."""
    if drafts_after_days is None:
        drafts_after_days = DEFAULTS["purge_drafts_after_days"]
    now = utcnow()
    _bring_back_future_sent_times(db, now)
    synced = _purge_rows(db, _synced_before(db, _iso(now - timedelta(days=after_days))))
    drafts = _purge_rows(db, _drafts_before(db, _iso(now - timedelta(days=drafts_after_days))))
    return PurgeReport(synced, drafts, truncate_wal(db, wait_seconds))


def _iso(moment) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _synced_before(db, cutoff: str) -> list[dict]:
    return list(
        db.query(
            "SELECT r.uuid, r.form_id, r.form_version, r.purged_at FROM records r JOIN outbox o"
            " ON o.uuid = r.uuid AND o.revision = r.revision"
            f" WHERE r.status = 'synced' AND {_NOT_PURGED_SINCE_CHANGE} AND o.state = 'sent'"
            " AND o.sent_at <= ?",
            [cutoff],
        )
    )


def _drafts_before(db, cutoff: str) -> list[dict]:
    return list(
        db.query(
            "SELECT r.uuid, r.form_id, r.form_version, r.purged_at FROM records r"
            f" WHERE r.status = 'draft' AND {_NOT_PURGED_SINCE_CHANGE} AND r.updated_at <= ?",
            [cutoff],
        )
    )


def _bring_back_future_sent_times(db, now) -> None:
    now_text = _iso(now)
    with write_transaction(db):
        db.execute(
            "UPDATE outbox SET sent_at = ? WHERE state = 'sent' AND sent_at > ?",
            [now_text, now_text],
        )


def _purge_rows(db, rows: list[dict]) -> int:
    """Purge each record in its own transaction; return how many lost anything.

    A photo or file goes with the answer that named it (collector.attachments): its row in
    the transaction, its bytes once that has committed and no other record uses them."""
    changed = 0
    for row in rows:
        with write_transaction(db):
            changed += _purge_record(db, row)
            gone = _prune_attachments(db, row["uuid"])
        if gone:
            attachments.remove_unused_files(db, attachments.data_dir_of(db), gone)
    return changed


def _prune_attachments(db, record_uuid: str) -> set[str]:
    """Remove the record's files that no answer of it names any more (working copy or any
    revision, queued ones included); the hashes they used."""
    names = set()
    for table, revision in [
        ("records", None),
        *(
            ("revisions", number)
            for (number,) in db.execute(
                "SELECT revision FROM revisions WHERE uuid = ?", [record_uuid]
            )
        ),
    ]:
        answers = _answers(db, table, record_uuid, *([] if revision is None else [revision]))
        for found in attachments.referenced_names(answers).values():
            names |= found
    return attachments.remove_attachments(db, record_uuid, keep_names=names)


def _purge_record(db, row: dict) -> bool:
    """The working copy and every revision the server holds, in one transaction; whether
    anything was removed. Nothing is written when nothing changes.

    A draft's revisions still waiting in the outbox are left whole: they have yet to be
    sent, and the anonymizer needs their pseudonymized answers."""
    record_uuid = row["uuid"]
    working = _answers(db, "records", record_uuid)
    revisions = {
        number: (_answers(db, "revisions", record_uuid, number), version)
        for number, version in db.execute(
            "SELECT v.revision, v.form_version FROM revisions v JOIN outbox o"
            " ON o.uuid = v.uuid AND o.revision = v.revision"
            " WHERE v.uuid = ? AND o.state NOT IN ('queued', 'held')",
            [record_uuid],
        ).fetchall()
    }
    # Every name the record ever held, so a name corrected in a later revision is
    # scrubbed from the earlier one's free text too.
    names = _identifying_values(_form(db, row["form_id"], row["form_version"]), working)
    for answers, version in revisions.values():
        names += _identifying_values(_form(db, row["form_id"], version), answers)
    changed = False
    purged = _purged(_form(db, row["form_id"], row["form_version"]), working, names)
    if purged != working:
        db.execute(
            "UPDATE records SET answers = ?, purged_at = ? WHERE uuid = ?",
            [seal_json(db, purged, "records", "answers", record_uuid), now_iso(), record_uuid],
        )
        changed = True
    elif row["purged_at"] is None:
        db.execute("UPDATE records SET purged_at = ? WHERE uuid = ?", [now_iso(), record_uuid])
    for number, (answers, version) in revisions.items():
        purged = _purged(_form(db, row["form_id"], version), answers, names)
        if purged != answers:
            db.execute(
                "UPDATE revisions SET answers = ? WHERE uuid = ? AND revision = ?",
                [
                    seal_json(db, purged, "revisions", "answers", record_uuid, number),
                    record_uuid,
                    number,
                ],
            )
            changed = True
    form = _form(db, row["form_id"], row["form_version"])
    return _purge_entities(db, record_uuid, form, names) or changed


def _purge_entities(db, record_uuid: str, form, names: list[str]) -> bool:
    """The entities the record created or last changed lose what its answers lost: a
    property saved from a removed question, the record's names in the others and in the
    label (collector.entities)."""
    removed = _removed_questions(form)

    def purged_value(question: str | None, value):
        if question is None or form is None:
            kept = _scrubbed(value, names)
        else:
            kept = _purged_value(form, removed, question, value, names)
        return None if kept is _REMOVE else kept

    return entities.purge_record_entities(db, record_uuid, form, purged_value)


def _form(db, form_id: str, version: str):
    return form_version(db, _BUILTINS, form_id, version)


def _answers(db, table: str, record_uuid: str, *revision) -> dict:
    """The stored answers of a record (`records`) or of one revision, opened if sealed."""
    where = "uuid = ? AND revision = ?" if revision else "uuid = ?"
    stored = db.execute(
        f"SELECT answers FROM {table} WHERE {where}", [record_uuid, *revision]
    ).fetchone()[0]
    answers = open_json(db, stored, table, "answers", record_uuid, *revision)
    return answers if isinstance(answers, dict) else {}


# -- What stays of one set of answers -------------------------------------------------------


def _removed_questions(form) -> set[str]:
    """Questions whose answers never leave as they are because they identify someone."""
    if form is None:
        return set()
    return {
        name
        for name, q in form.questions.items()
        if q.get("identifying")
        or (q.get("type") != "calculate" and rule_for(q, form) in IDENTIFYING_RULES)
        # An exact place that left only as a grid cell or an area's name: the laptop
        # keeps no more of it than the server got.
        or (q.get("type") in LOCATION_TYPES and rule_for(q, form) != "keep")
    }


def _identifying_values(form, answers: dict) -> list[str]:
    """The text of the answers a purge removes, at the top and in every repeat instance."""
    removed, values = _removed_questions(form), []
    for scope in [answers, *_instances(form, answers)]:
        for name in removed & set(scope):
            items = scope[name] if isinstance(scope[name], list) else [scope[name]]
            values += [
                str(item)
                for item in items
                if isinstance(item, (str, int)) and not isinstance(item, bool)
            ]
    return values


def _instances(form, answers: dict) -> list[dict]:
    if form is None:
        return []
    return [item for repeat in form.repeats for item in repeats.scopes(form, answers, repeat)]


def _purged(form, answers: dict, names: list[str]) -> dict:
    """The answers without identifying ones, free text scrubbed, repeats included.

    A form this hub does not have (never the case for its own records) leaves nothing but
    answers that cannot hold a name: numbers that are not ID-like and choices."""
    if form is None:
        return {
            key: value
            for key, value in answers.items()
            if _scrubbed(value, names) is not _REMOVE and not isinstance(value, str)
        }
    removed = _removed_questions(form)
    return repeats.rebuild(
        form, answers, lambda _repeat, scope: _purged_scope(form, removed, scope, names)
    )


def _purged_scope(form, removed: set[str], scope: dict, names: list[str]) -> dict:
    kept = {}
    for name, value in scope.items():
        if name in form.repeats:
            continue  # the caller purges each instance
        value = _purged_value(form, removed, name, value, names)
        if value is not _REMOVE:
            kept[name] = value
    return kept


def _purged_value(form, removed: set[str], name: str, value, names: list[str]):
    question = form.questions.get(name)
    if name in removed:
        return _REMOVE
    if question is None or question.get("type") == "calculate":
        # A calculation can copy a name or a phone number (`concat(${name})`).
        return _scrubbed(value, names)
    if rule_for(question, form) == "scrub":
        return _scrubbed(value, names)
    return value


def _scrubbed(value, names: list[str]):
    """Text scrubbed; a number kept only if it could not be an ID or a phone number."""
    if isinstance(value, str):
        return scrub_text(value, names)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value if scrub_text(str(value), names) == str(value) else _REMOVE
    if isinstance(value, list):
        return [item for item in (_scrubbed(item, names) for item in value) if item is not _REMOVE]
    return value
