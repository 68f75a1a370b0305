"""Retention on the central server: records removed for good, by a form's period or on
an admin's request, with everything derived from them.

An admin gives a form a retention period in days (`sync-server forms retention FORM
--days N`); `sync-server purge`, run daily by a timer, removes the records of that form
the server last received anything of more than N days ago. `sync-server records delete`
removes chosen records at once. Both go through `remove_records`:

- a few hundred records per transaction, each record's uuids locked as ingest locks them;
- every revision, its corrections, feedback case, replies and audit entries go; the
  indicators' facts, cubes and survey units follow (Store.after_change), so they equal a
  recomputation over the records that remain;
- the record's attachment links go, and the bytes of files no other record holds are
  deleted from the data dir once the transaction has committed;
- a tombstone per revision (uuid, revision, form, device, when) stays: a laptop that sends
  the record again is answered `duplicate` (it marks it delivered and never sends it
  again), its reconciliation counts it as held, and its files are refused
  (`record_removed`). Nothing of the record comes back;
- one audit entry per form and transaction says how many records went, why and by whom.

What was already exported or released cannot be recalled (docs/privacy.md).
"""

from __future__ import annotations

import uuid as uuid_module
from dataclasses import dataclass, field
from datetime import date, timedelta

from flask_babel import gettext

from collector.clock import utcnow
from collector.db import truncate_wal
from collector.protocol import RESULT_DUPLICATE, result

from .store import Store

CHUNK = 500  # records per transaction: the locks of one ingest batch at most
MAX_DAYS = 100 * 366  # a century: anything longer is a typing mistake


class RetentionError(ValueError):
    """Bad input (unknown form, bad date, bad number of days); nothing was changed."""


@dataclass
class Removal:
    """What a removal took away: {form_id: records}, and the files whose bytes went."""

    records: dict[str, int] = field(default_factory=dict)
    files: int = 0
    log_emptied: bool = True  # SQLite: no copy of a removed row left in the write-ahead log

    @property
    def total(self) -> int:
        return sum(self.records.values())


# -- checking what an admin typed ----------------------------------------------------------


def checked_form(store: Store, form_id: str) -> str:
    """`form_id` when the server knows the form (built in or published); RetentionError."""
    from .data import form_ids

    if form_id not in form_ids(store):
        raise RetentionError(
            gettext("The server has no form '%(form)s': nothing was changed.", form=form_id)
        )
    return form_id


def checked_days(days: int) -> int:
    if not 1 <= days <= MAX_DAYS:
        raise RetentionError(
            gettext(
                "The number of days must be between 1 and %(most)d: nothing was changed.",
                most=MAX_DAYS,
            )
        )
    return days


def checked_day(text: str) -> str:
    """A day as YYYY-MM-DD (the start of that day, UTC); RetentionError otherwise."""
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        day = None
    if day is None or len(text.strip()) != 10:
        raise RetentionError(
            gettext(
                "'%(text)s' is not a date: write it as YYYY-MM-DD (2026-01-31). Nothing was"
                " changed.",
                text=text,
            )
        )
    return day.isoformat()


def checked_uuids(store: Store, texts) -> list[str]:
    """The records named, every one stored here; RetentionError naming the first that
    is not a uuid or not a record (nothing is removed then)."""
    uuids = []
    for text in texts:
        try:
            uuids.append(str(uuid_module.UUID(text.strip())))
        except ValueError:
            raise RetentionError(
                gettext("'%(text)s' is not a record id: nothing was changed.", text=text)
            ) from None
    missing = sorted(set(uuids) - store.existing_uuids(uuids))
    if missing:
        raise RetentionError(
            gettext("No record %(uuid)s on this server: nothing was changed.", uuid=missing[0])
        )
    return list(dict.fromkeys(uuids))


# -- the retention pass --------------------------------------------------------------------


def cutoff(days: int, now=None) -> str:
    """The time before which a record's last arrival makes it older than `days` days."""
    moment = (now or utcnow()) - timedelta(days=days)
    return moment.isoformat().replace("+00:00", "Z")


def due(store: Store, now=None) -> list[dict]:
    """Per form with a period: {"form_id", "days", "before", "uuids"}: the records last
    received before `before`, now too old."""
    passes = []
    for form_id, row in store.form_retentions().items():
        before = cutoff(row["days"], now)
        passes.append(
            dict(
                form_id=form_id,
                days=row["days"],
                before=before,
                uuids=store.uuids_received_before(form_id, before),
            )
        )
    return passes


def purge(store: Store, data_dir, now=None) -> list[dict]:
    """Apply every form's period: remove what is too old. Per form, what `due` found and
    how many records went ("removed")."""
    passes = due(store, now)
    for item in passes:
        why = f"older than {item['days']} days"
        done = remove_records(store, item["uuids"], "retention", why, data_dir, item["before"])
        item["removed"] = done.total
    return passes


def empty_log(store: Store) -> bool:
    """SQLite: copy the write-ahead log into the database and empty it (removed rows are
    zeroed in the file by secure_delete, but the log keeps old pages until then); True
    once done. PostgreSQL: nothing to do here (its own VACUUM reuses the space)."""
    return store.db.dialect.name != "sqlite" or truncate_wal(store.db)


# -- removing records ------------------------------------------------------------------------


def remove_records(
    store: Store, uuids, actor: str, why: str, data_dir, before: str | None = None
) -> Removal:
    """Remove these records for good (see the module's docstring), CHUNK per transaction.
    `before`: only those still last received before then (a laptop may have sent a new
    revision since they were chosen)."""
    from .attachments import remove_record

    removal = Removal()
    wanted = list(dict.fromkeys(uuids))
    for start in range(0, len(wanted), CHUNK):
        chunk = sorted(wanted[start : start + CHUNK])
        with store.transaction():
            store.lock_records(chunk)  # as ingest: no batch stores a revision meanwhile
            if before is not None:
                chunk = store.received_before(chunk, before)
            if not chunk:
                continue
            unused: list[str] = []
            for record_uuid in store.uuids_with_files(chunk):
                unused += remove_record(store, record_uuid)
            forms = store.remove_record_rows(chunk)
            for form_id, count in sorted(forms.items()):
                store.audit(actor, "records_removed", detail=f"{count} records of {form_id}, {why}")
                removal.records[form_id] = removal.records.get(form_id, 0) + count
        removal.files += remove_unused_files(store, unused, data_dir)
    if removal.records:
        removal.log_emptied = empty_log(store)
    return removal


def remove_unused_files(store: Store, hashes, data_dir) -> int:
    """After the commit: delete the bytes of these files, each unless a device announced
    it again meanwhile (its row is back: the upload under way keeps its bytes)."""
    from .attachments import remove_files

    removed = 0
    for sha256 in hashes:
        with store.transaction():
            store.db.lock(f"attachment {sha256}")  # as an upload's piece takes it
            if store.attachment_file(sha256) is None:
                remove_files([sha256], data_dir)
                removed += 1
    return removed


# -- a removed record sent again (sync_server.ingest) ------------------------------------------


def acknowledge_removed(store: Store, writer, device: dict, record: dict, tombstone: dict):
    """A revision of a removed record, pushed again or edited on the laptop since: its
    sender is answered `duplicate` (it stops sending it) and nothing is stored but its
    tombstone, so that reconciliation counts it as held. Another device's is refused, as
    for a stored record. The result, or None when it is another device's."""
    if tombstone["device_id"] != device["id"]:
        return None
    store.add_tombstone(record["uuid"], record["revision"], device["id"], tombstone["form_id"])
    writer.audit(
        f"device:{device['id']}", "removed_record_sent", record["uuid"], record["revision"]
    )
    return result(record, RESULT_DUPLICATE)
