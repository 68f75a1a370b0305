"""Storing pushed batches and USB bundles: each (uuid, revision) exactly once.

The API and `sync-server import-bundle` both call `ingest_batch`, so a record
arriving by either road is checked and stored the same way.

A batch is stored in one pass (sync_server.store.RecordWriter): its stored revisions read
with one query, its rows written with one statement per table, with the same result as
storing its records one after the other (tests/test_ingest_batches.py holds it to that).

A record's answers are its top-level questions' answers, plus each repeat's
instances as a list of objects under the repeat's name
(`{"members": [{"member_age": 30}, {}]}`); an instance holds only that repeat's
questions, at most `collector.forms.MAX_INSTANCES` of them per record.
"""

from __future__ import annotations

from datetime import date, timedelta

from collector import form_catalogue, protocol, security_log
from collector.anonymizer import metadata_rule
from collector.clock import utcnow
from collector.forms import MAX_INSTANCES, FormDefinition
from collector.protocol import (
    RESULT_DUPLICATE,
    RESULT_REJECTED,
    RESULT_STORED,
    ProtocolError,
    holds_nul,
    result,
)

from . import access, designs, indicators, retention
from .store import RecordWriter, Store, answers_json

# A collection date this many days after the server's, or before it, is flagged (the
# laptop's clock is probably wrong); the record is stored all the same.
CLOCK_FUTURE_DAYS, CLOCK_PAST_DAYS = 2, 400


def known_form(store: Store, form_id: str, version: str) -> FormDefinition | None:
    """That version of a form as the server knows it: published, else built in (the rule
    and the parsed forms are collector.form_catalogue's)."""
    return form_catalogue.form_version(form_id, version, store.form_definition(form_id, version))


def ingest_batch(store: Store, device: dict, message: dict, source: str) -> tuple[int, dict]:
    """Check and store a batch in one transaction; return (HTTP status, answer).

    The answer names every record: stored, duplicate, or rejected with a code.
    The transaction commits before the answer exists, so an answer is a promise.
    """
    # A 1.1 batch may come as columns: back to records before any check.
    batch = protocol.load(protocol.BatchSchema(), protocol.rows_of(message))
    protocol.check_version(batch["protocol"])
    batch_id = str(batch["batch_id"])
    records = [_plain(r) for r in batch["records"]]
    if not records:
        # A push that only asks for forms, replies or the digest (protocol 1.1): nothing to
        # store, so no batch to remember.
        with store.transaction():
            status = batch["device_status"]
            store.device_seen(device["id"], status["queued"], status["app_version"])
        return 200, {"protocol": protocol.PROTOCOL_VERSION, "batch_id": batch_id, "results": []}
    # A form version not parsed yet in this process (tens of milliseconds for a large one)
    # is parsed here, before the write lock is taken; inside, its lookup is one query.
    versions = {(r["form_id"], r["form_version"]) for r in records if not holds_nul(r)}
    for which in versions:
        known_form(store, *which)
    # Each record's answers as stored, written once: its size, its row, the duplicate check.
    texts = [answers_json(r["answers"]) for r in records]
    # Its indicator facts too: computed while no lock is held, written inside.
    facts = {(r["uuid"], r["revision"]): indicators.new_facts(r) for r in records}
    with store.transaction():
        if store.batch_seen(batch_id):
            raise ProtocolError(
                "replayed_batch",
                "This batch was already received; nothing was stored again. Send a new batch.",
                409,
            )
        store.add_batch(batch_id, device["id"], len(records), source)
        results = _store_records(store, device, batch_id, records, texts, versions, facts)
        status = batch["device_status"]
        store.device_seen(device["id"], status["queued"], status["app_version"])
    # A design whose build was interrupted goes on: one step (transaction) per batch.
    for form_id in designs.unfinished_builds(store.db):
        designs.build_design(store.db, form_id)
    for form_id in designs.unfinished_clears(store.db):  # and so does a clear
        designs.clear_step(store.db, form_id)
    answer: dict = {"protocol": protocol.PROTOCOL_VERSION, "batch_id": batch_id, "results": results}
    if results and all(r["status"] == RESULT_REJECTED for r in results):
        # Nothing in the batch was accepted: a client error, with every reason listed.
        answer["error"] = {
            "code": "all_rejected",
            "message": "No record in this batch was accepted; see results.",
        }
        return 422, answer
    return 200, answer


def _store_records(
    store: Store,
    device: dict,
    batch_id: str,
    records: list[dict],
    texts: list[str],
    versions: set,
    facts: dict,
) -> list[dict]:
    """Check and store a batch's records, inside its transaction; each one's result
    (`facts`: {(uuid, revision): indicators.NewFacts} of every record of the batch)."""
    uuids = [r["uuid"] for r in records]
    store.lock_records(uuids)  # several server processes
    # Looked up once per form version a batch holds, inside its transaction: a batch
    # of 500 records of one form reads and hashes the definition once, not 500 times.
    forms = {which: known_form(store, *which) for which in versions}
    writer = store.record_writer(device["id"], batch_id, uuids)
    limits = _clock_limits(utcnow().date())
    removed = store.tombstones(uuids)  # records removed for good (sync_server.retention)
    results = [
        _removed(store, writer, device, record, removed)
        or _ingest_record(store, writer, device, record, text, forms, limits)
        for record, text in zip(records, texts, strict=True)
    ]
    writer.flush()
    stored = [r["uuid"] for r in results if r["status"] == RESULT_STORED]
    newest = writer.latest_revisions
    store.after_change(stored, {uuid: facts[(uuid, newest[uuid])] for uuid in newest})
    return results


def _ingest_record(
    store: Store,
    writer: RecordWriter,
    device: dict,
    record: dict,
    text: str,
    forms: dict,
    limits: tuple[date, date],
) -> dict:
    """Check and add one record of a batch to its writer (`text`: its answers as stored;
    `forms`: the batch's forms; `limits`: the collection dates not flagged, _clock_limits)."""
    owner = writer.owner(record["uuid"])
    if owner is not None and owner != device["id"]:
        return _not_yours(store, writer, device, record)
    form = forms.get((record["form_id"], record["form_version"]))  # None: a NUL in its id
    problem = NUL_REJECTED if holds_nul(record) else check_record(store, record, form, text)
    if problem:
        writer.audit(
            f"device:{device['id']}",
            "record_rejected",
            record["uuid"],
            record["revision"],
            problem[0],
        )
        return result(record, RESULT_REJECTED, *problem)
    if writer.add(
        record,
        text,
        access.classify(form, record["answers"]),
        _clock_flag(record["collected"], limits),
    ):
        return result(record, RESULT_STORED)
    existing = writer.stored(record["uuid"], record["revision"])
    assert existing is not None  # nothing was added: this uuid and revision are stored
    if existing["device_id"] != device["id"] or existing["answers"] != text:
        return result(
            record,
            RESULT_REJECTED,
            "conflict",
            "Another record with this uuid and revision is already stored.",
        )
    return result(record, RESULT_DUPLICATE)


# PostgreSQL stores no NUL character in text, and no person types one: a record holding
# one anywhere (a form id, a name, an answer) is refused alone, on either database.
NUL_REJECTED = (
    "nul_character",
    "This record holds a NUL character (code 0), which the server does not store.",
)


def _removed(
    store: Store, writer: RecordWriter, device: dict, record: dict, removed: dict
) -> dict | None:
    """A revision of a record the server removed (sync_server.retention) is never stored
    again: acknowledged to its device, refused to another; None for any other record."""
    tombstone = removed.get(record["uuid"])
    if tombstone is None:
        return None
    answer = retention.acknowledge_removed(store, writer, device, record, tombstone)
    return answer or _not_yours(store, writer, device, record)


def _not_yours(store: Store, writer: RecordWriter, device: dict, record: dict) -> dict:
    """A record belongs to the device that first sent it: another's revision is refused,
    whatever its number, so no laptop can overwrite what another collected."""
    writer.audit(
        f"device:{device['id']}",
        "record_rejected",
        record["uuid"],
        record["revision"],
        "not_your_record",
    )
    security_log.log_event(
        store.db,
        "record_refused",
        security_log.device_account(device["id"]),
        f"not_your_record {record['uuid']} revision {record['revision']}",
    )
    return result(
        record,
        RESULT_REJECTED,
        "not_your_record",
        "Another device sent this record first; only that device can send its "
        "revisions. Nothing was stored.",
    )


def clock_flag(collected: str, today: date | None = None) -> str | None:
    """ "future" or "past" for a collection date far from the server's own, else None."""
    return _clock_flag(collected, _clock_limits(today or utcnow().date()))


def _clock_limits(today: date) -> tuple[date, date]:
    """The latest and the earliest collection dates not flagged, on the server's `today`."""
    return today + timedelta(days=CLOCK_FUTURE_DAYS), today - timedelta(days=CLOCK_PAST_DAYS)


def _clock_flag(collected: str, limits: tuple[date, date]) -> str | None:
    day = date.fromisoformat(str(collected)[:10])
    if day > limits[0]:
        return "future"
    if day < limits[1]:
        return "past"
    return None


def check_record(
    store: Store, record: dict, form: FormDefinition | None = None, text: str | None = None
) -> tuple[str, str] | None:
    """Why a record cannot be stored, as (code, message), or None (`form`: its form,
    when the caller has already looked it up; `text`: its answers_json, when known)."""
    form = form or known_form(store, record["form_id"], record["form_version"])
    if form is None:
        return (
            "unknown_form",
            f"The server has no form {record['form_id']} version {record['form_version']}.",
        )
    if text is None:
        text = answers_json(record["answers"])
    if len(text.encode()) > protocol.MAX_RECORD_BYTES:
        return "too_large", "This record is larger than the server accepts."
    answers = record["answers"]
    outer_repeats = form.children.get(None, [])
    unknown = sorted(
        name
        for name in answers
        if name not in form.top_questions
        and name not in outer_repeats
        and name not in form.metadata  # start, deviceid...: sent beside the answers
    )
    if unknown:
        # A repeat's question is answered inside its instances, never beside them.
        named = [
            f"{name} (asked in the repeat {form.questions[name].repeat})"
            if name in form.questions
            else f"{name} (a repeat inside {form.lineage(name)[-2]})"
            if name in form.repeats
            else name
            for name in unknown[:5]
        ]
        return "unknown_field", f"Not questions of this form: {', '.join(named)}."
    for name in outer_repeats:
        if name in answers:
            problem = _check_instances(form, name, answers[name])
            if problem:
                return problem
    for item in form.data.get("metadata", []):
        if item["type"] == "audit" and item["name"] in answers:
            if not _durations(form, item, answers[item["name"]]):
                # Defence in depth: never a time of day, a log, or more than its rule sends.
                return (
                    "invalid_audit",
                    f"{item['name']} must be whole seconds: a total and, by its rule, "
                    "the seconds of sections of this form.",
                )
    leaked = _leaked(form, answers)
    if leaked:
        # Defence in depth: the collector never sends these; refuse if one ever does.
        return "identifying_field", f"Identifying fields must not be sent: {', '.join(leaked)}."
    return None


def _durations(form: FormDefinition, item: dict, value) -> bool:
    """Whether an audit's value is what the collector sends: {"total": seconds} and, under
    generalize:section, {"sections": {section: seconds}}, whole seconds of at most a year."""

    def seconds(number) -> bool:
        return type(number) is int and 0 <= number <= 366 * 24 * 3600

    if not isinstance(value, dict) or not seconds(value.get("total")):
        return False
    sections = value.get("sections", {})
    names = {section["name"] for section in form.sections}
    return (
        set(value) <= {"total", "sections"}
        and isinstance(sections, dict)
        and (not sections or metadata_rule(item, form) == "generalize:section")
        and all(name in names and seconds(n) for name, n in sections.items())
    )


def _check_instances(
    form: FormDefinition, repeat: str, value, outer: str = ""
) -> tuple[str, str] | None:
    """Why a repeat's stored value is wrong, as (code, message), or None; the repeats
    inside its instances too (`outer`: the enclosing instances, as `2.` for member 2)."""
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        return (
            "invalid_repeat",
            f"The repeat {repeat} must be a list of instances (objects of answers).",
        )
    if len(value) > MAX_INSTANCES:
        return (
            "invalid_repeat",
            f"The repeat {repeat} has {len(value)} instances; "
            f"at most {MAX_INSTANCES} are accepted.",
        )
    inner = form.children.get(repeat, [])
    questions = {q.name for q in form.repeats[repeat]} | set(inner)
    for number, instance in enumerate(value, 1):
        position = f"{outer}{number}"
        unknown = sorted(set(instance) - questions)
        if unknown:
            return (
                "unknown_field",
                f"Not questions of the repeat {repeat} (instance "
                f"{position}): {', '.join(unknown[:5])}.",
            )
        leaked = _leaked(form, instance)
        if leaked:
            return (
                "identifying_field",
                f"Identifying fields must not be sent: "
                f"{', '.join(leaked)} (repeat {repeat}, instance {position}).",
            )
        for child in inner:
            if child in instance:
                problem = _check_instances(form, child, instance[child], f"{position}.")
                if problem:
                    return problem
    return None


def _leaked(form: FormDefinition, answers: dict) -> list[str]:
    """Identifying fields the form drops that are in `answers` all the same."""
    return [
        name
        for name in form.identifying_fields
        if name in answers and form.questions[name].get("privacy", "drop") == "drop"
    ]


def _plain(record: dict) -> dict:
    """Back to JSON types after marshmallow turned strings into UUIDs and dates (the only
    fields it converts: a JSON round trip of every record cost more than storing it)."""
    return dict(record, uuid=str(record["uuid"]), collected=record["collected"].isoformat())
