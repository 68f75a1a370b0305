"""The sync server's storage: every query the server runs, behind one class.

The SQL is written once for both engines (sync_server.database): SQLite for a
laptop-sized server, PostgreSQL for a national one.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import re
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import current_app, g

from collector import sessions
from collector.clock import now_iso
from collector.forms import FEEDBACK_FORM
from collector.security_log import (
    EVENTS as SECURITY_EVENTS,
    device_account,
    log_event,
    user_account,
)

from .database import DatabaseUnavailable, Schema, ddl, open_database

_fast_loads: Callable[[str | bytes], Any]
try:  # the server extra's faster JSON: a million-row export parses a million answers
    from orjson import loads as _fast_loads
except ImportError:  # pragma: no cover - a collector-only install
    from json import loads as _fast_loads


def loads(text: str | bytes) -> Any:
    """Stored JSON, read as json.loads reads it: orjson first (faster), json for what
    orjson refuses (an integer past 64 bits, NaN), which json.dumps may have written."""
    try:
        return _fast_loads(text)
    except ValueError:  # orjson.JSONDecodeError is one
        return json.loads(text)


migrations = Schema("sync_server")


class LastAdminError(ValueError):
    """The change would leave no enabled admin to manage the server."""


def _by(detail: str | None, actor: str | None) -> str | None:
    """A security log detail with who made the change (`user:3`, `command line`)."""
    return ", ".join(part for part in (detail, f"by {actor}" if actor else None) if part) or None


class Store:
    """One connection to the server database and the queries on it."""

    def __init__(self, path: Path | str):
        # The same durable settings as the hub's database: WAL, synchronous=FULL, keys on.
        self.path = str(path)
        self.db = open_database(self.path)

    @classmethod
    def create(cls, path: Path | str) -> Store:
        from .indicators import FACTS_MIGRATIONS

        store = cls(path)
        try:
            # One transaction for both sets: several processes starting at once on one
            # database apply each step once (SQLite: the write lock; PostgreSQL: a lock).
            with store.db.transaction():
                migrations.apply(store.db)
                FACTS_MIGRATIONS.apply(store.db)
        except BaseException:
            store.close()
            raise
        return store

    def close(self) -> None:
        self.db.close()

    def transaction(self):
        """One write transaction (SQLite: it takes the lock at once, see collector.db)."""
        return self.db.transaction()

    def one(self, sql: str, params=()) -> dict | None:
        rows = list(self.db.query(sql, params))
        return rows[0] if rows else None

    # -- users -----------------------------------------------------------------------

    def add_user(self, name: str, role: str, password_hash: str, actor: str | None = None) -> int:
        with self.transaction():
            user_id = self.db.execute(
                "INSERT INTO users (name, role, password_hash, created_at) VALUES (?, ?, ?, ?)"
                " RETURNING id",
                [name, role, password_hash, now_iso()],
            ).fetchone()[0]
            log_event(self.db, "user_added", user_account(user_id), _by(role, actor))
        return user_id

    def user_exists(self, name: str) -> bool:
        return self.user_by_name(name) is not None

    def user_by_name(self, name: str) -> dict | None:
        """Any user, disabled ones too (sign-in checks `disabled_at` itself)."""
        return self.one("SELECT * FROM users WHERE lower(name) = lower(?)", [name])

    def user(self, user_id: int) -> dict | None:
        """The signed-in user of a session: a disabled account is no one."""
        return self.one(
            "SELECT id, name, role FROM users WHERE id = ? AND disabled_at IS NULL", [user_id]
        )

    def user_record(self, user_id: int) -> dict | None:
        """Everything about a user, disabled or not, password hash included."""
        return self.one("SELECT * FROM users WHERE id = ?", [user_id])

    def users(self) -> list[dict]:
        return list(
            self.db.query("SELECT id, name, role, created_at, disabled_at FROM users ORDER BY name")
        )

    def set_password(
        self,
        user_id: int,
        password_hash: str,
        actor: str | None = None,
        keep_session: str | None = None,
    ) -> int:
        """A new password; every session of the user but `keep_session` ends. Returns how
        many ended."""
        with self.transaction():
            self.db.execute(
                "UPDATE users SET password_hash = ? WHERE id = ?", [password_hash, user_id]
            )
            log_event(self.db, "password_changed", user_account(user_id), _by(None, actor))
            return self._end_sessions(user_id, keep_session)

    def set_role(self, user_id: int, role: str, actor: str | None = None) -> bool:
        """Change a role (False when it is already that one). Sessions end, so every page
        is asked again with the new role; a role that may not read records loses its
        API tokens. LastAdminError when no enabled admin would remain."""
        from .api_tokens import READ_ROLES, revoke_all

        with self.transaction():
            user = self.user_record(user_id)
            if user is None:
                raise KeyError(user_id)
            if user["role"] == role:
                return False
            if user["role"] == "admin":
                self._keep_an_admin(user_id)
            self.db.execute("UPDATE users SET role = ? WHERE id = ?", [role, user_id])
            log_event(
                self.db,
                "role_changed",
                user_account(user_id),
                _by(f"{user['role']} -> {role}", actor),
            )
            self._end_sessions(user_id)
            if role not in READ_ROLES:
                revoke_all(self.db, user_id, actor)
        return True

    def set_disabled(self, user_id: int, disabled: bool, actor: str | None = None) -> bool:
        """Disable (sessions end, API tokens are revoked) or enable an account; False when
        it already was. LastAdminError when no enabled admin would remain."""
        from .api_tokens import revoke_all

        with self.transaction():
            user = self.user_record(user_id)
            if user is None:
                raise KeyError(user_id)
            if bool(user["disabled_at"]) == disabled:
                return False
            if disabled and user["role"] == "admin":
                self._keep_an_admin(user_id)
            self.db.execute(
                "UPDATE users SET disabled_at = ? WHERE id = ?",
                [now_iso() if disabled else None, user_id],
            )
            log_event(
                self.db,
                "account_disabled" if disabled else "account_enabled",
                user_account(user_id),
                _by(None, actor),
            )
            if disabled:
                self._end_sessions(user_id)
                revoke_all(self.db, user_id, actor)
        return True

    def _keep_an_admin(self, leaving: int) -> None:
        others = self.db.execute(
            "SELECT count(*) FROM users WHERE role = 'admin' AND disabled_at IS NULL AND id != ?",
            [leaving],
        ).fetchone()[0]
        if not others:
            raise LastAdminError("At least one enabled admin must remain.")

    def _end_sessions(self, user_id: int, keep: str | None = None) -> int:
        ended = sessions.end_all(self.db, user_id, keep=keep)
        if ended:
            log_event(self.db, "sessions_ended", user_account(user_id), f"{ended}")
        return ended

    # -- devices and enrollment ------------------------------------------------------

    def add_enrollment_code(self, code_hash: str, label: str, expires_at: str) -> None:
        with self.transaction():
            self.db.execute(
                "INSERT INTO enrollment_codes (code_hash, label, created_at,"
                " expires_at) VALUES (?, ?, ?, ?)",
                [code_hash, label, now_iso(), expires_at],
            )

    def enrollment_code(self, code_hash: str) -> dict | None:
        return self.one("SELECT * FROM enrollment_codes WHERE code_hash = ?", [code_hash])

    def enroll_device(
        self,
        code_hash: str,
        device_id: str,
        label: str,
        token_hash: str,
        enrollment_id: str,
        app_version: str,
        public_key: str | None = None,
    ) -> None:
        now = now_iso()
        self.db.execute(
            "INSERT INTO devices (id, label, token_hash, enrollment_id, enrolled_at,"
            " app_version, public_key) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [device_id, label, token_hash, enrollment_id, now, app_version, public_key or None],
        )
        self.db.execute(
            "UPDATE enrollment_codes SET used_at = ?, device_id = ?, enrollment_id = ?"
            " WHERE code_hash = ?",
            [now, device_id, enrollment_id, code_hash],
        )
        self.audit(f"device:{device_id}", "enrolled", detail=label)

    def replace_token(self, device_id: str, token_hash: str, public_key: str | None = None) -> None:
        # A repeated enrollment keeps the signing key on record: only a missing one is filled.
        self.db.execute(
            "UPDATE devices SET token_hash = ?, public_key = coalesce(public_key, ?) WHERE id = ?",
            [token_hash, public_key or None, device_id],
        )
        self.audit(f"device:{device_id}", "enrollment_repeated")

    def device_by_token(self, token_hash: str) -> dict | None:
        return self.one("SELECT * FROM devices WHERE token_hash = ?", [token_hash])

    def device(self, device_id: str) -> dict | None:
        return self.one("SELECT * FROM devices WHERE id = ?", [device_id])

    def device_public_key(self, device_id: str) -> str | None:
        """The device's bundle-signing public key (base64), None when none is on record."""
        row = self.one("SELECT public_key FROM devices WHERE id = ?", [device_id])
        return row["public_key"] if row else None

    def devices(self) -> list[dict]:
        return list(
            self.db.query(
                "SELECT d.*, (SELECT count(*) FROM records r WHERE r.device_id = d.id) AS received"
                " FROM devices d ORDER BY enrolled_at"
            )
        )

    def revoke_device(
        self, device_id: str, actor: str = "admin", account: str | None = None
    ) -> bool:
        with self.transaction():
            cursor = self.db.execute(
                "UPDATE devices SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
                [now_iso(), device_id],
            )
            if cursor.rowcount:
                self.audit(actor, "device_revoked", detail=device_id)
                log_event(
                    self.db,
                    "device_revoked",
                    device_account(device_id),
                    f"by {account or 'the command line'}",
                )
        return bool(cursor.rowcount)

    def touch_device(self, device_id: str) -> None:
        with self.transaction():
            self.db.execute("UPDATE devices SET last_seen = ? WHERE id = ?", [now_iso(), device_id])

    def device_seen(self, device_id: str, queued: int, app_version: str) -> None:
        self.db.execute(
            "UPDATE devices SET last_seen = ?, queued = ?, app_version ="
            " coalesce(nullif(?, ''), app_version) WHERE id = ?",
            [now_iso(), queued, app_version, device_id],
        )

    # -- records ---------------------------------------------------------------------

    def batch_seen(self, batch_id: str) -> bool:
        """Inside the batch's transaction: the same batch arriving at two server processes at
        once is stored by one; the other waits here, then sees it."""
        self.db.lock(f"batch {batch_id}")
        return self.one("SELECT 1 AS x FROM batches WHERE batch_id = ?", [batch_id]) is not None

    def add_batch(self, batch_id: str, device_id: str, count: int, source: str) -> None:
        self.db.execute(
            "INSERT INTO batches (batch_id, device_id, received_at, records, source)"
            " VALUES (?, ?, ?, ?, ?)",
            [batch_id, device_id, now_iso(), count, source],
        )

    def lock_records(self, uuids) -> None:
        """Inside a write transaction: no other server process changes these records until
        it ends. Taken in one order (sorted), so two batches holding the same records
        cannot each wait for the other."""
        self.db.lock_many(f"record {record_uuid}" for record_uuid in sorted(set(uuids)))

    def stored_record(self, record_uuid: str, revision: int) -> dict | None:
        return self.one(
            "SELECT device_id, answers FROM records WHERE uuid = ? AND revision = ?",
            [record_uuid, revision],
        )

    def record_writer(self, device_id: str, batch_id: str, uuids) -> RecordWriter:
        """A batch's records, stored as `add_record` stores them one by one, written with
        one statement per table (inside a write transaction that locked the uuids)."""
        return RecordWriter(self, device_id, batch_id, uuids)

    def add_record(
        self,
        record: dict,
        device_id: str,
        batch_id: str,
        access_class: str | None = None,
        clock_flag: str | None = None,
    ) -> bool:
        """Store a record once; False when this (uuid, revision) is already here.

        Only the newest revision of a record is "latest": exports and indicators count
        each record once, whichever revisions arrived and in whatever order.
        `access_class` is this revision's (sync_server.access; classified from its form
        when not given); a record is sensitive on every row once any revision is.
        """
        if access_class is None:
            from . import access
            from .ingest import known_form

            access_class = access.classify(
                known_form(self, record["form_id"], record["form_version"]), record["answers"]
            )
        self.lock_records([record["uuid"]])  # the newest revision is read, then written
        writer = self.record_writer(device_id, batch_id, [record["uuid"]])
        stored = writer.add(record, answers_json(record["answers"]), access_class, clock_flag)
        writer.flush()
        return stored

    def iter_latest(
        self, form_id: str, since: str | None = None, classes=None, by_uuid: bool = False
    ):
        """The newest revision of each record of a form, corrections applied, streamed.

        `classes`: the access classes to include (sync_server.access.visible_classes);
        None is every class, for the server's operator on the command line. `by_uuid`:
        in the order of the (random) uuids, which says nothing of when records arrived
        (releases use it: rows side by side must not tell which came in together)."""
        from .access import ALL_CLASSES, sql_filter

        allowed, params = sql_filter(ALL_CLASSES if classes is None else classes)
        sql = (
            "SELECT uuid, revision, form_id, form_version, device_id, locale, collected,"
            " received_at, enumerator, coalesce(answers_current, answers) AS answers,"
            f" review FROM records WHERE form_id = ? AND is_latest = 1 AND {allowed}"
        )
        params = [form_id, *params]
        if since:
            sql += " AND received_at > ?"
            params.append(since)
        rows = self.db.stream(
            sql + (" ORDER BY uuid" if by_uuid else " ORDER BY received_at, uuid"), params
        )
        columns = next(rows)
        for row in rows:
            item = dict(zip(columns, row, strict=True))
            item["answers"] = loads(item["answers"])
            yield item

    # -- releases (sync_server.disclosure) -------------------------------------------

    def snapshot(self):
        """One read transaction: both passes of a release see the same records."""
        return self.db.snapshot()

    def data_version(self, form_id: str, classes) -> str:
        """A cheap token that changes when a form's released data could: records, their
        newest arrival, corrections."""
        from .access import sql_filter

        allowed, params = sql_filter(classes)
        count, newest = self.db.execute(
            f"SELECT count(*), max(received_at) FROM records WHERE form_id = ? AND"
            f" is_latest = 1 AND {allowed}",
            [form_id, *params],
        ).fetchone()
        fixes = self.db.execute(
            "SELECT count(*), max(c.id) FROM corrections c JOIN records r"
            " ON r.uuid = c.uuid AND r.revision = c.revision"
            " WHERE r.form_id = ?",
            [form_id],
        ).fetchone()
        return f"{count}|{newest}|{fixes[0]}|{fixes[1]}"

    def save_release(self, actor: str, form_id: str, fmt: str, report: dict) -> int:
        """Keep a release's disclosure report: who, when, which form and format."""
        with self.transaction():
            return self.db.execute(
                "INSERT INTO releases (at, actor, form_id, format, report) VALUES (?, ?, ?, ?, ?)"
                " RETURNING id",
                [now_iso(), actor, form_id, fmt, json.dumps(report, ensure_ascii=False)],
            ).fetchone()[0]

    def releases(self, form_id: str, limit: int = 20) -> list[dict]:
        rows = list(
            self.db.query(
                "SELECT * FROM releases WHERE form_id = ? ORDER BY id DESC LIMIT ?",
                [form_id, limit],
            )
        )
        for row in rows:
            row["report"] = json.loads(row["report"])
        return rows

    # -- the workspace ---------------------------------------------------------------

    BROWSE_FILTERS = ("device", "language", "version", "month", "review", "area", "clock")

    def _filter_sql(self, name: str) -> str:
        """The SQL of a browse filter: a column, or the `area` answer."""
        return {
            "device": "device_id",
            "language": "locale",
            "version": "form_version",
            "month": "substr(collected, 1, 7)",
            "review": "review",
            "area": self.db.dialect.json_text("coalesce(answers_current, answers)", "area"),
            "clock": "clock_flag",
        }[name]

    def _filter_clause(self, name: str, value) -> tuple[str, list]:
        """A browse filter's clause: one value, or any of a list (a release's range of
        form versions, sync_server.data.released_filters; an empty one matches nothing)."""
        if not isinstance(value, list):
            return f"{self._filter_sql(name)} = ?", [value]
        if not value:
            return "1 = 0", []
        return f"{self._filter_sql(name)} IN ({', '.join('?' * len(value))})", list(value)

    def browse(
        self,
        form_id: str,
        filters: dict,
        page: int,
        per_page: int = 50,
        *,
        classes,
        released: bool = False,
        answers: bool = False,
    ):
        """One page of a form's records (newest revision each) and the total, filtered;
        only records of the access `classes` given (sync_server.access). `released`: for
        a release (analysts): in uuid order, which says nothing of arrival, with the
        fields the release needs (answers, enumerator, form id); `answers`: with the
        answers (corrections applied) in arrival order too."""
        from .access import sql_filter

        allowed, allowed_params = sql_filter(classes)
        clauses, params = ["form_id = ?", "is_latest = 1", allowed], [form_id, *allowed_params]
        for name, value in filters.items():
            if (value or isinstance(value, list)) and name in self.BROWSE_FILTERS:
                sql, more = self._filter_clause(name, value)
                clauses.append(sql)
                params += more
        where = " AND ".join(clauses)
        total = self.db.execute(f"SELECT count(*) FROM records WHERE {where}", params).fetchone()[0]
        extra = (
            ", form_id, enumerator, coalesce(answers_current, answers) AS answers"
            if released or answers
            else ""
        )
        order = "uuid" if released else "received_at DESC, uuid"
        rows = list(
            self.db.query(
                f"SELECT uuid, revision, device_id, form_version, locale, collected, received_at,"
                f" review, clock_flag, answers_current IS NOT NULL AS corrected{extra} FROM records"
                f" WHERE {where}"
                f" ORDER BY {order} LIMIT ? OFFSET ?",
                params + [per_page, (page - 1) * per_page],
            )
        )
        for row in rows if released or answers else ():
            row["answers"] = loads(row["answers"])
        return rows, total

    def filter_values(self, form_id: str, *, classes) -> dict:
        """The values each filter can take for this form, for the filter menus: from the
        records of the access `classes` given only, so a menu reveals nothing else."""
        return self.table_menus(form_id, self.BROWSE_FILTERS, classes=classes)

    # -- the data table: sort and filter by answers (sync_server.data_table) -------------
    #
    # One SQL for both engines but for the JSON spellings below. Question names reach the
    # SQL as literals only after data_table.NAME checked them (letters, digits, _ . -).

    TABLE_DOC = "coalesce(answers_current, answers)"

    def _answer_sql(self, doc: str, name: str, kind: str) -> str:
        """A question's answer in the JSON `doc` as one SQL value, NULL when empty: a
        number (or a repeat's count), a date's text, the first code of a multiple choice,
        else the answer as text."""
        if self.db.dialect.name == "postgresql":
            node, text = f"(({doc})::jsonb -> '{name}')", f"(({doc})::jsonb ->> '{name}')"
            if kind == "number":
                return (
                    f"(CASE jsonb_typeof({node}) WHEN 'number' THEN ({text})::float8"
                    f" WHEN 'array' THEN jsonb_array_length({node}) END)"
                )
            if kind == "date":
                return f"(CASE jsonb_typeof({node}) WHEN 'string' THEN NULLIF({text}, '') END)"
            if kind == "choices":  # a code alone, not in a list, has no first code (SQLite)
                return f"(CASE jsonb_typeof({node}) WHEN 'array' THEN {node} ->> 0 END)"
            return f"NULLIF({text}, '')"
        path = f"'$.\"{name}\"'"
        if kind == "number":
            return (
                f"(CASE json_type({doc}, {path}) WHEN 'integer' THEN json_extract({doc}, {path})"
                f" WHEN 'real' THEN json_extract({doc}, {path})"
                f" WHEN 'array' THEN json_array_length({doc}, {path}) END)"
            )
        if kind == "date":
            return (
                f"(CASE json_type({doc}, {path}) WHEN 'text'"
                f" THEN NULLIF(json_extract({doc}, {path}), '') END)"
            )
        if kind == "choices":
            return f"CAST(json_extract({doc}, '$.\"{name}\"[0]') AS TEXT)"
        return f"NULLIF(CAST(json_extract({doc}, {path}) AS TEXT), '')"

    def _answer_filter(self, doc: str, item) -> tuple[str, list]:
        """The SQL condition of one data_table.Filter on the JSON `doc`."""
        value = self._answer_sql(doc, item.source, item.kind)
        if item.kind == "choices":
            if self.db.dialect.name == "postgresql":
                return f"jsonb_exists_any(({doc})::jsonb -> '{item.source}', ?::text[])", [
                    list(item.values)
                ]
            marks = ", ".join("?" * len(item.values))
            return (
                f"EXISTS (SELECT 1 FROM json_each({doc}, '$.\"{item.source}\"') AS picked"
                f" WHERE CAST(picked.value AS TEXT) IN ({marks}))",
                list(item.values),
            )
        if item.kind == "choice":
            return f"{value} IN ({', '.join('?' * len(item.values))})", list(item.values)
        if item.kind == "text":
            position = "strpos" if self.db.dialect.name == "postgresql" else "instr"
            return f"{position}(lower({value}), lower(?)) > 0", [item.words]
        if item.kind == "date":
            value = f"substr({value}, 1, 10)"
        clauses, params = [f"{value} IS NOT NULL"], []
        for bound, operator in ((item.low, ">="), (item.high, "<=")):
            if bound is not None:
                clauses.append(f"{value} {operator} ?")
                params.append(bound)
        return " AND ".join(clauses), params

    def _answer_order(self, doc: str, query, withheld=()) -> tuple[str, list]:
        """ORDER BY terms of a sort: empty answers last either way, choices in
        questionnaire order, text byte by byte on both engines. Records whose uuid is in
        `withheld` (a release leaves them out) sort as if they had no answer."""
        column = query.sort
        value, value_params = self._answer_sql(doc, column.source, column.kind), []
        if withheld:
            value = f"(CASE WHEN {self._uuid_in('uuid')} THEN NULL ELSE {value} END)"
            value_params = [json.dumps(list(withheld))]
        way = "DESC" if query.descending else "ASC"
        terms, params = [f"({value} IS NULL)"], list(value_params)
        if column.kind in ("choice", "choices"):
            ranks = " ".join(f"WHEN ? THEN {rank}" for rank in range(len(column.choices)))
            terms.append(f"(CASE {value} {ranks} ELSE {len(column.choices)} END) {way}")
            params += value_params + [code for code, _ in column.choices]
        collate = ' COLLATE "C"' if self.db.dialect.name == "postgresql" else ""
        terms.append(f"{value}{collate if column.kind != 'number' else ''} {way}")
        params += value_params
        return ", ".join(terms), params

    def _uuid_in(self, column: str) -> str:
        """`column` is one of a JSON list of uuids given as one parameter (any length)."""
        if self.db.dialect.name == "postgresql":
            return f"{column} IN (SELECT jsonb_array_elements_text(?::jsonb))"
        return f"{column} IN (SELECT value FROM json_each(?))"

    # -- the data table's answer keys (m016) ----------------------------------------------
    #
    # Sorting or filtering by an answer read every record's JSON: 16-42 s at a million
    # records. `answer_keys` holds one typed key per (record, question) for the questions
    # a table has been sorted or filtered by: `empty` (1 for no answer), `num` (a number,
    # or a choice's rank in questionnaire order) and `txt` (a date, text or choice code).
    # Its two indexes are in the table's order either way, so a sorted page reads its own
    # records only. `answer_key_columns` says which questions of which form have keys, and
    # with which kind and choice order (a new form version may change either: the keys of
    # that question are then made again). Keys are made by the JSON path's own SQL
    # (_answer_sql) on a question's first use, then kept up by `after_change` (ingest,
    # corrections), for the newest revision of each record only.
    #
    # A question's keys are made in steps of KEY_STEP records, each its own short write
    # transaction, in the order of the records' arrival (received_at, uuid: an index
    # range); `built_through` is the last record done ('' before the first step, NULL once
    # all are). Ingest waits for one step at most, never for a whole build. Until the last
    # step, pages read the JSON (the same rows in the same order); a question being built
    # counts as keyed for `after_change`, so a record stored or corrected between steps
    # has its key either way, and a step upserts: doing a record again changes nothing.

    KEY_LOCK = "answer keys"
    # Records keyed per step: 0.1-0.5 s of the write lock at 100,000 records, about what
    # storing a batch takes (benchmarks/table_bench.py times every step).
    KEY_STEP = 2000
    # Whether a page that finds a question's keys unfinished has them built by a thread of
    # this process (the server); else they are only registered, and built by whoever runs
    # the steps (`sync-server data keys`, a benchmark, a test).
    build_keys_in_background = True

    @staticmethod
    def _key_spec(column) -> str:
        """What a question's keys were made with: its kind and, for choices, their order;
        for a question of a repeat inside another, the repeats it is in (a record's question
        is a data_table column: no lineage)."""
        codes = [code for code, _ in column.choices] if column.kind in ("choice", "choices") else []
        lineage = list(getattr(column, "lineage", ()))
        return json.dumps([column.kind, codes] + ([lineage] if len(lineage) > 1 else []))

    def _key_values(self, column, doc: str | None = None) -> tuple[str, list]:
        """SQL of (empty, num, txt) of a data_table column from the records' JSON (or
        another JSON `doc`: a repeat's instance)."""
        value = self._answer_sql(doc or self.TABLE_DOC, column.source, column.kind)
        empty = f"CASE WHEN {value} IS NULL THEN 1 ELSE 0 END"
        if column.kind == "number":
            return f"{empty}, {value}, NULL", []
        if column.kind in ("choice", "choices"):
            codes = [code for code, _ in column.choices]
            ranks = " ".join(f"WHEN ? THEN {rank}" for rank in range(len(codes)))
            return f"{empty}, (CASE {value} {ranks} ELSE {len(codes)} END), {value}", codes
        return f"{empty}, NULL, {value}", []

    _KEY_UPSERT = (
        " ON CONFLICT (record_uuid, question) DO UPDATE SET form = excluded.form,"
        " empty = excluded.empty, num = excluded.num, txt = excluded.txt"
    )

    def _fill_keys(self, form_id: str, column, uuids) -> None:
        """Insert (or replace) the keys of one question for the form's newest revisions of
        `uuids`."""
        if "/" in column.source:  # a repeat's question: a key per instance
            self._fill_item_keys(form_id, column, uuids)
            return
        values, params = self._key_values(column)
        records = "records"
        if self.db.dialect.name == "sqlite":
            # These records by uuid: SQLite would rather scan the form's (see _joined).
            records += " INDEXED BY sqlite_autoindex_records_1"
        marks = ", ".join("?" * len(uuids))
        self.db.execute(
            "INSERT INTO answer_keys (record_uuid, question, form, empty, num, txt)"
            f" SELECT uuid, ?, form_id, {values} FROM {records}"
            f" WHERE form_id = ? AND is_latest = 1 AND uuid IN ({marks}) ORDER BY uuid"
            + self._KEY_UPSERT,
            [column.source, *params, form_id, *uuids],
        )
        if column.kind == "choices":
            self._fill_choice_keys(form_id, column.source, uuids)

    def _fill_choice_keys(self, form_id: str, question: str, uuids) -> None:
        """A row per code ticked (answer_choice_keys) of a multiple choice question, for
        the form's newest revisions of `uuids`: the codes the JSON path's filter reads
        (_answer_filter), so both give the same records."""
        marks = ", ".join("?" * len(uuids))
        self.db.execute(
            f"DELETE FROM answer_choice_keys WHERE question = ? AND record_uuid IN ({marks})",
            [question, *uuids],
        )
        doc, records = self.TABLE_DOC, "records"
        if self.db.dialect.name == "sqlite":
            records += " INDEXED BY sqlite_autoindex_records_1"
        picked, code, kept = self._ticked(f"({doc})::jsonb", doc, question)
        self.db.execute(
            "INSERT INTO answer_choice_keys (record_uuid, question, code, form)"
            f" SELECT DISTINCT uuid, ?, {code}, form_id FROM {records} {picked}"
            f" WHERE form_id = ? AND is_latest = 1 AND uuid IN ({marks}) AND {kept}"
            " ON CONFLICT DO NOTHING",
            [question, form_id, *uuids],
        )

    def _fill_item_keys(self, form_id: str, column, uuids) -> None:
        """The keys (answer_item_keys) of a repeat's question, `REPEAT/NAME`: one per
        instance of the form's newest revisions of `uuids`, as the JSON path reads them
        (repeat_page)."""
        name = column.source.partition("/")[2]
        marks = ", ".join("?" * len(uuids))
        self.db.execute(
            f"DELETE FROM answer_item_keys WHERE question = ? AND record_uuid IN ({marks})",
            [column.source, *uuids],
        )
        source, index, where = self._keyed_instances(column.lineage, marks)
        inner = KeyColumn(name, column.kind, [code for code, _ in column.choices])
        values, params = self._key_values(inner, "item.value")
        self.db.execute(
            "INSERT INTO answer_item_keys (record_uuid, question, item, form, empty, num, txt)"
            f" SELECT uuid, ?, {index}, form_id, {values} FROM {source} WHERE {where}",
            [column.source, *params, form_id, *uuids],
        )
        if column.kind == "choices":
            self._fill_item_choice_keys(form_id, column, uuids)

    def _fill_item_choice_keys(self, form_id: str, column, uuids) -> None:
        """A row per code ticked (answer_item_choice_keys) in each instance of a repeat's
        multiple choice question `REPEAT/NAME`: the codes the JSON path's filter reads in
        the instance (_answer_filter), so both give the same rows."""
        question, name = column.source, column.source.partition("/")[2]
        marks = ", ".join("?" * len(uuids))
        self.db.execute(
            f"DELETE FROM answer_item_choice_keys WHERE question = ? AND record_uuid IN ({marks})",
            [question, *uuids],
        )
        source, index, where = self._keyed_instances(column.lineage, marks)
        picked, code, kept = self._ticked("item.value", "item.value", name)
        self.db.execute(
            "INSERT INTO answer_item_choice_keys (record_uuid, question, item, code, form)"
            f" SELECT DISTINCT uuid, ?, {index}, {code}, form_id FROM {source} {picked}"
            f" WHERE {where} AND {kept} ON CONFLICT DO NOTHING",
            [question, form_id, *uuids],
        )

    def _keyed_instances(self, lineage, marks: str) -> tuple[str, str, str]:
        """(FROM, the instance's number in its keys, WHERE: form_id, then the uuids of
        `marks`) of the instances of the repeat at the end of `lineage` in the form's newest
        revisions of some records, each as `item.value`. An instance of a repeat inside
        another is numbered by its rank in its record (its outer instances' order, then its
        own): a number per instance, in the table's order, whichever list it is in."""
        by_uuid = self.db.dialect.name == "sqlite"  # these records by uuid (see _fill_keys)
        source, positions, shape, _ = self._instances(lineage, by_uuid)
        where = f"form_id = ? AND is_latest = 1 AND uuid IN ({marks}) AND {shape}"
        if len(positions) == 1:
            return source, positions[0], where
        rank = f"row_number() OVER (PARTITION BY uuid ORDER BY {', '.join(positions)})"
        return (
            f"(SELECT uuid, form_id, {rank} AS n, item.value AS value FROM {source}"
            f" WHERE {where}) AS item",
            "item.n",
            "1 = 1",
        )

    def _ticked(self, pg_json: str, sqlite_json: str, name: str) -> tuple[str, str, str]:
        """(a join giving a row `picked` per code ticked in the answer `name` of a JSON
        object, the code, the condition that keeps real codes): the object as PostgreSQL's
        `pg_json` (jsonb) or SQLite's `sqlite_json` names it. A lone code counts as ticked,
        as the JSON path's filter reads it."""
        if self.db.dialect.name == "postgresql":
            node = f"({pg_json} -> '{name}')"
            picked = (
                f"CROSS JOIN LATERAL jsonb_array_elements(CASE jsonb_typeof({node}) WHEN"
                f" 'array' THEN {node} WHEN 'string' THEN jsonb_build_array({node})"
                " ELSE '[]'::jsonb END) AS picked(value)"
            )
            return picked, "picked.value #>> '{}'", "jsonb_typeof(picked.value) = 'string'"
        code = "CAST(picked.value AS TEXT)"
        return f", json_each({sqlite_json}, '$.\"{name}\"') AS picked", code, f"{code} IS NOT NULL"

    def _key_columns(self, form_id: str | None = None) -> dict:
        """{(form, question): (spec, built_through)} of the questions that have keys, made
        or being made (of one form); built_through is None once they are complete."""
        sql, params = "SELECT form, question, spec, built_through FROM answer_key_columns", []
        if form_id is not None:
            sql, params = sql + " WHERE form = ?", [form_id]
        return {(r[0], r[1]): (r[2], r[3]) for r in self.db.execute(sql, params).fetchall()}

    def keyed_columns(
        self, form_id: str, query, repeat: str | None = None, within: tuple = ()
    ) -> frozenset:
        """The questions of a TableQuery's sort and filters that are read from answer_keys
        (their keys are complete); those not given are read from the JSON.

        A question without keys, or with keys of another kind or choice order, is set to
        be built (`register_keys`, on a connection of its own: this one may be in a read
        snapshot) and built step by step by a thread of this process (`build_in_background`).
        Pages read the JSON until the last step is done, then the keys. A `repeat`'s
        questions have a key per instance, named `REPEAT/NAME`; `within`: the repeats it
        sits in, outermost first."""
        if query is None:
            return frozenset()
        wanted = self._wanted_keys(query, repeat, within)
        if not wanted:
            return frozenset()
        have = self._key_columns(form_id)
        ready, unset = set(), []
        for column in wanted:
            spec, through = have.get((form_id, column.source), (None, ""))
            if spec != self._key_spec(column):
                unset.append(column)
            elif through is None:
                ready.add(column.source)
        if len(ready) < len(wanted):
            registered = not unset or self._registered_apart(form_id, unset)
            if registered and self.build_keys_in_background:
                build_in_background(self.path)
        return frozenset(ready)

    @staticmethod
    def _wanted_keys(query, repeat: str | None = None, within: tuple = ()) -> list:
        """The columns a TableQuery sorts and filters by, each once; in a `repeat`'s
        table, as `REPEAT/NAME` (a key per instance)."""
        if query is None:
            return []
        wanted = [query.sort] if query.sort is not None else []
        wanted += [item.column for item in query.filters]
        if repeat is not None:
            wanted = [KeyColumn.item(repeat, column, within) for column in wanted]
        return list({column.source: column for column in wanted}.values())

    def keys_pending(
        self, form_id: str, query, repeat: str | None = None, within: tuple = ()
    ) -> list:
        """The columns of a TableQuery whose keys are not complete (being built, or not
        registered yet): its pages read the JSON meanwhile, slower at many records. Read
        only: the page that asked registered them (keyed_columns)."""
        have = self._key_columns(form_id)
        return [
            column
            for column in self._wanted_keys(query, repeat, within)
            if have.get((form_id, column.source), (None, "")) != (self._key_spec(column), None)
        ]

    def _registered_apart(self, form_id: str, columns) -> bool:
        """register_keys on a connection of its own; False when the database stayed busy
        (another writer past the busy or lock timeout, no connection free): the page reads
        the JSON all the same, and a later one registers them."""
        busy: tuple[type[Exception], ...] = (sqlite3.OperationalError, DatabaseUnavailable)
        try:
            from psycopg import OperationalError
        except ImportError:  # a server without the PostgreSQL driver
            pass
        else:
            busy += (OperationalError,)
        try:
            other = Store(self.path)
        except busy:
            return False
        try:
            other.register_keys(form_id, columns)
        except busy:
            return False
        finally:
            other.close()
        return True

    def register_keys(self, form_id: str, columns) -> None:
        """Set these data_table columns' keys to be built (one short transaction): those
        with keys of this kind and choice order already, made or being made, stay as they
        are; the others start again from the first record (their old keys are overwritten
        step by step, and unused until the last)."""
        with self.transaction():
            self.db.lock(self.KEY_LOCK)
            have = self._key_columns(form_id)
            for column in columns:
                spec = self._key_spec(column)
                if have.get((form_id, column.source), (None,))[0] == spec:
                    continue
                self.db.execute(
                    "INSERT INTO answer_key_columns (form, question, spec, made_at,"
                    " built_through) VALUES (?, ?, ?, ?, '') ON CONFLICT (form, question)"
                    " DO UPDATE SET spec = excluded.spec, made_at = excluded.made_at,"
                    " built_through = ''",
                    [form_id, column.source, spec, now_iso()],
                )

    def unfinished_keys(self) -> list[tuple[str, str]]:
        """(form, question) of every question whose keys are being built."""
        return [
            (row[0], row[1])
            for row in self.db.execute(
                "SELECT form, question FROM answer_key_columns WHERE built_through IS NOT NULL"
                " ORDER BY form, question"
            ).fetchall()
        ]

    def key_step(self, form_id: str, question: str, chunk: int | None = None) -> int | None:
        """One step of a question's build, in its own write transaction: the keys of the
        next `chunk` (KEY_STEP) records after `built_through`, in arrival order; after the
        last, the question is complete. The records keyed, or None when there was nothing
        to do (complete, or never registered).

        Under KEY_LOCK, which ingest and corrections take to key their records: a step
        sees every record stored before it, and every record stored after it is keyed by
        `after_change`. Two builders at once take turns, each step after the other's."""
        chunk = chunk or self.KEY_STEP
        with self.transaction():
            self.db.lock(self.KEY_LOCK)
            row = self.db.execute(
                "SELECT spec, built_through FROM answer_key_columns WHERE form = ?"
                " AND question = ?",
                [form_id, question],
            ).fetchone()
            if row is None or row[1] is None:
                return None
            records = "records"
            if self.db.dialect.name == "sqlite":  # the form's newest revisions in arrival order
                records += " INDEXED BY records_latest"
            where, params = "form_id = ? AND is_latest = 1", [form_id]
            if row[1]:
                received_at, record_uuid = row[1].split("|", 1)
                where += " AND received_at >= ? AND NOT (received_at = ? AND uuid <= ?)"
                params += [received_at, received_at, record_uuid]
            rows = self.db.execute(
                f"SELECT received_at, uuid FROM {records} WHERE {where}"
                " ORDER BY received_at, uuid LIMIT ?",
                params + [chunk],
            ).fetchall()
            if rows:  # in uuid order, the keys' own: fewer pages of their table touched
                self._fill_keys(form_id, KeyColumn.of(question, row[0]), [r[1] for r in rows])
            last = rows[-1] if len(rows) == chunk else None  # else: the last step
            self.db.execute(
                "UPDATE answer_key_columns SET built_through = ?, made_at = ?"
                " WHERE form = ? AND question = ?",
                [f"{last[0]}|{last[1]}" if last else None, now_iso(), form_id, question],
            )
        return len(rows)

    def build_keys(self, form_id: str, question: str, steps: int | None = None) -> int:
        """Steps of a registered question's build until it is complete (or `steps` of
        them); the records keyed."""
        done, taken = 0, 0
        while steps is None or taken < steps:
            keyed = self.key_step(form_id, question)
            if keyed is None:
                break
            done, taken = done + keyed, taken + 1
        return done

    def _refresh_keys(self, uuids) -> None:
        """Inside a write transaction: the keys of these records follow their newest
        revision (a new revision, a correction, a record removed)."""
        self.db.lock(self.KEY_LOCK, shared=True)  # batches side by side; a build step alone
        tracked = self._key_columns()
        if not tracked:
            return
        for chunk in _chunks(list(uuids)):
            marks = ", ".join("?" * len(chunk))
            for table in (
                "answer_keys",
                "answer_choice_keys",
                "answer_item_keys",
                "answer_item_choice_keys",
            ):
                self.db.execute(f"DELETE FROM {table} WHERE record_uuid IN ({marks})", chunk)
            forms = {
                row[0]
                for row in self.db.execute(
                    f"SELECT DISTINCT form_id FROM records WHERE uuid IN ({marks})"
                    " AND is_latest = 1",
                    chunk,
                ).fetchall()
            }
            # Questions being built too: a step done before this record stays right.
            for (form_id, question), (spec, _) in tracked.items():
                if form_id in forms:
                    self._fill_keys(form_id, KeyColumn.of(question, spec), chunk)

    def _key_filter(self, alias: str, item) -> tuple[str, list]:
        """The condition of a data_table.Filter on its question's keys (table `alias`)."""
        if item.kind == "choices":
            return self._choices_filter(alias, item)
        head = f"{alias}.empty = 0"
        if item.kind == "choice":
            codes = [code for code, _ in item.column.choices]
            ranks = [codes.index(value) for value in item.values]
            return (
                f"{head} AND {alias}.num IN ({', '.join('?' * len(ranks))})",
                ranks,
            )
        if item.kind == "text":
            position = "strpos" if self.db.dialect.name == "postgresql" else "instr"
            return f"{head} AND {position}(lower({alias}.txt), lower(?)) > 0", [item.words]
        value = f"{alias}.num"
        clauses, params = [head], []
        if item.kind == "date":
            clauses.append(f"{alias}.num IS NULL")
            if item.low is not None:  # the same as the JSON path's substr(.., 1, 10) >= low
                clauses.append(f"{alias}.txt >= ?")
                params.append(item.low)
            value = f"substr({alias}.txt, 1, 10)"
        for bound, operator in ((item.low, ">="), (item.high, "<=")):
            if bound is not None:
                clauses.append(f"{value} {operator} ?")
                params.append(bound)
        return " AND ".join(clauses), params

    @staticmethod
    def _choices_filter(alias: str, item) -> tuple[str, list]:
        """A multiple choice filter on answer_choice_keys: the record's row of the first
        (smallest) code it ticked among those asked for, so that a record that ticked
        several of them is joined once."""
        marks = ", ".join("?" * len(item.values))
        sql, params = f"{alias}.code IN ({marks})", list(item.values)
        if len(item.values) > 1:
            sql += (
                f" AND NOT EXISTS (SELECT 1 FROM answer_choice_keys d WHERE d.record_uuid ="
                f" {alias}.record_uuid AND d.question = {alias}.question AND d.code IN"
                f" ({marks}) AND d.code < {alias}.code)"
            )
            params += list(item.values)
        return sql, params

    @staticmethod
    def _key_table(alias: str) -> str:
        """The keys table behind an alias of _key_joins: `c..` the codes ticked."""
        table = "answer_choice_keys" if alias.startswith("c") else "answer_keys"
        return f"{table} {alias}"

    def _joined(
        self, first: str, tables, records_at: int | None = None, with_records: bool = True
    ) -> str:
        """A FROM clause: `first`, then the keys `tables` (aliases) looked up by record,
        with `records` at position `records_at` (None: after all) looked up by uuid. On
        SQLite, CROSS JOIN keeps this order and the hints keep the look-ups on the primary
        keys (without statistics, SQLite would rather scan the form's index)."""
        sqlite = self.db.dialect.name == "sqlite"
        looked_up = [
            self._key_table(alias) + (" NOT INDEXED" if sqlite else "") for alias in tables
        ]
        records = "records" + (" INDEXED BY sqlite_autoindex_records_1" if sqlite else "")
        if with_records:
            looked_up.insert(len(looked_up) if records_at is None else records_at, records)
        return " CROSS JOIN ".join([first, *looked_up])

    def _key_joins(self, form_id: str, query, keyed, ref: str = "uuid") -> tuple[list, list, list]:
        """(aliases of answer_keys, WHERE clauses, parameters) of the filters read from
        answer_keys, the narrowest kinds first (a count starts from the first)."""
        tables, clauses, params = [], [], []
        items = query.filters if query is not None else []
        narrow = {"choice": 0, "choices": 0, "date": 1, "number": 1, "text": 2}
        for n, item in sorted(enumerate(items), key=lambda x: narrow.get(x[1].kind, 3)):
            if item.source not in keyed:
                continue
            alias = f"{'c' if item.kind == 'choices' else 'f'}{n}"
            tables.append(alias)
            sql, more = self._key_filter(alias, item)
            clauses.append(
                f"{alias}.record_uuid = {ref} AND {alias}.form = ? AND {alias}.question = ?"
                f" AND {sql}"
            )
            params += [form_id, item.source, *more]
        return tables, clauses, params

    def _table_where(
        self, form_id: str, filters: dict, classes, doc: str, query, keyed=frozenset()
    ):
        """WHERE clauses and parameters: the form's newest revisions of the access
        `classes`, the metadata filters (BROWSE_FILTERS) and the filters by answers but
        those on the `keyed` questions (see _key_joins)."""
        from .access import sql_filter

        allowed, allowed_params = sql_filter(classes)
        clauses, params = ["form_id = ?", "is_latest = 1", allowed], [form_id, *allowed_params]
        for name, value in filters.items():
            if (value or isinstance(value, list)) and name in self.BROWSE_FILTERS:
                sql, more = self._filter_clause(name, value)
                clauses.append(sql)
                params += more
        for item in query.filters if query is not None else ():
            if item.source in keyed:
                continue
            sql, more = self._answer_filter(doc, item)
            clauses.append(sql)
            params += more
        return clauses, params

    def table_token(self, form_id: str) -> str:
        """A token that changes whenever a form's table could (a record arrives, an answer
        is corrected, a review is set: each writes an audit entry): two index look-ups,
        cheap at any size, so counts and menus can be kept between requests."""
        newest = self.db.execute(
            "SELECT max(received_at) FROM records WHERE form_id = ?", [form_id]
        ).fetchone()[0]
        audited = self.db.execute("SELECT max(id) FROM audit").fetchone()[0]
        return f"{newest}|{audited}"

    def table_menus(self, form_id: str, names, *, classes) -> dict:
        """The values each of the metadata filters `names` can take (an analyst's are two),
        from the records of the access `classes` only."""
        from .access import sql_filter

        allowed, params = sql_filter(classes)
        values = {}
        for name in names:
            expression = self._filter_sql(name)
            values[name] = [
                row[0]
                for row in self.db.execute(
                    f"SELECT DISTINCT {expression} FROM records WHERE form_id = ? AND"
                    f" is_latest = 1 AND {allowed} AND {expression} IS NOT NULL"
                    " ORDER BY 1 LIMIT 200",
                    [form_id, *params],
                ).fetchall()
            ]
        return values

    def table_page(
        self,
        form_id: str,
        filters: dict,
        query,
        page: int,
        per_page: int = 50,
        *,
        classes,
        released: bool = False,
        withheld=(),
        total: int | None = None,
    ) -> tuple[list[dict], int]:
        """`browse` with a data_table.TableQuery: one page of the form's records (answers
        included) and the total, filtered and sorted by answers as stored. `withheld`:
        uuids of records a release leaves out, which no answer filter matches and which
        sort as empty, as if they had no answers (analysts; `released` also orders the
        unsorted table by uuid, which says nothing of arrival). `total`: the count, when
        the caller kept it from an earlier request (counting a million rows is the cost).

        Sorts and filters by answers read the questions' keys (answer_keys) when they
        have them, else the records' JSON: the same rows in the same order either way."""
        doc = self.TABLE_DOC
        keyed = self.keyed_columns(form_id, query)
        clauses, params = self._table_where(form_id, filters, classes, doc, query, keyed)
        tables, key_clauses, key_params = self._key_joins(form_id, query, keyed)
        clauses, params = clauses + key_clauses, params + key_params
        if withheld and query is not None and query.filters:
            clauses.append(f"NOT {self._uuid_in('uuid')}")
            params.append(json.dumps(list(withheld)))
        # Only the form's newest revisions of every class: the keys alone say which records
        # pass (they are kept for exactly those), so counts and skipped rows need no record.
        plain = clauses == ["form_id = ?", "is_latest = 1", "1 = 1", *key_clauses]
        if total is None:
            total = self._table_count(form_id, query, keyed, tables, clauses, params, plain)
        columns = (
            "SELECT uuid, revision, device_id, form_version, locale, collected, received_at,"
            " review, clock_flag, answers_current IS NOT NULL AS corrected, form_id,"
            f" enumerator, {doc} AS answers FROM "
        )
        offset = (page - 1) * per_page
        if query is not None and query.sort is not None and query.sort.source in keyed:
            rows = self._keyed_page(
                columns, tables, clauses, params, form_id, query, withheld, offset, per_page, plain
            )
        else:
            order, order_params = ("uuid" if released else "received_at DESC, uuid"), list[Any]()
            if query is not None and query.sort is not None:
                order, order_params = self._answer_order(doc, query, withheld)
                order += ", uuid"
            source = self._unsorted_source(tables, released, total)
            rows = list(
                self.db.query(
                    f"{columns}{source} WHERE {' AND '.join(clauses)}"
                    f" ORDER BY {order} LIMIT ? OFFSET ?",
                    params + order_params + [per_page, offset],
                )
            )
        for row in rows:
            row["answers"] = loads(row["answers"])
        return rows, total

    def _far_page(self, columns, head, order, offset, per_page) -> list[dict] | None:
        """A later page of a sort with no filter, for a user who sees every record: the
        rows before it are skipped in the keys' index alone, then the page's records are
        read. None when a key has no record (the caller then joins as usual)."""
        uuids = [
            row[0]
            for row in self.db.execute(
                "SELECT s.record_uuid FROM answer_keys s WHERE s.form = ? AND s.question = ?"
                f" ORDER BY {order} LIMIT ? OFFSET ?",
                head + [per_page, offset],
            ).fetchall()
        ]
        if not uuids:
            return []
        records = self._joined("records", [], with_records=False)
        if self.db.dialect.name == "sqlite":  # by uuid, not a scan of the form's records
            records += " INDEXED BY sqlite_autoindex_records_1"
        found = {
            row["uuid"]: row
            for row in self.db.query(
                f"{columns}{records} WHERE form_id = ? AND is_latest = 1"
                f" AND {self._uuid_in('uuid')}",
                [head[0], json.dumps(uuids)],
            )
        }
        return [found[u] for u in uuids] if len(found) == len(uuids) else None

    def _table_count(self, form_id, query, keyed, tables, clauses, params, plain) -> int:
        """How many records pass: from the first keyed filter's index range when there is
        one (its matches looked up in the other filters' keys, then in the records)."""
        if not tables:
            sql = f"SELECT count(*) FROM records WHERE {' AND '.join(clauses)}"
        elif plain:  # the keys alone: records are not read
            keys = self._joined(self._key_table(tables[0]), tables[1:], with_records=False)
            _, by_key, params = self._key_joins(form_id, query, keyed, f"{tables[0]}.record_uuid")
            sql = f"SELECT count(*) FROM {keys} WHERE {' AND '.join(by_key)}"
        else:
            source = self._joined(self._key_table(tables[0]), tables[1:])
            sql = f"SELECT count(*) FROM {source} WHERE {' AND '.join(clauses)}"
        return self.db.execute(sql, params).fetchone()[0]

    FEW = 5000  # matches few enough to read from the keys and sort

    def _unsorted_source(self, tables, released: bool, total: int) -> str:
        """FROM of a page in arrival (or uuid) order, with the filters read from keys:
        the records in that order, a page stopping at its 50th match; or, when few records
        match, the first filter's keys, their records then sorted."""
        if tables and total < self.FEW:
            return self._joined(self._key_table(tables[0]), tables[1:])
        first = "records"
        if released and total >= self.FEW and self.db.dialect.name == "sqlite":
            # In uuid order rather than all the form's records sorted by uuid.
            first += " INDEXED BY sqlite_autoindex_records_1"
        return self._joined(first, tables, with_records=False)

    def _keyed_page(
        self, columns, tables, clauses, params, form_id, query, withheld, offset, per_page, plain
    ) -> list[dict]:
        """A page sorted by a question's keys: read in the order of one of their indexes
        (answer_keys_asc or _desc), each record looked up as it comes, so page 1 reads 50
        records and page 200 ten thousand, however many the form has. Records a release
        leaves out (`withheld`) sort as empty: the answered ones first, then the empty."""
        way = "DESC" if query.descending else "ASC"
        source = self._joined("answer_keys s", tables, records_at=0)
        where = ["s.form = ?", "s.question = ?", "uuid = s.record_uuid", *clauses]
        head = [form_id, query.sort.source]
        order = f"s.empty, s.num {way}, s.txt {way}, s.record_uuid"
        if plain and not tables and not withheld and offset:
            rows = self._far_page(columns, head, order, offset, per_page)
            if rows is not None:
                return rows
        if not withheld:
            return list(
                self.db.query(
                    f"{columns}{source} WHERE {' AND '.join(where)} ORDER BY {order}"
                    " LIMIT ? OFFSET ?",
                    head + params + [per_page, offset],
                )
            )
        gone = json.dumps(list(withheld))
        answered = where + [f"s.empty = 0 AND NOT {self._uuid_in('s.record_uuid')}"]
        rows = list(
            self.db.query(
                f"{columns}{source} WHERE {' AND '.join(answered)} ORDER BY {order}"
                " LIMIT ? OFFSET ?",
                head + params + [gone, per_page, offset],
            )
        )
        if len(rows) == per_page:
            return rows
        if rows:
            before = offset + len(rows)
        else:  # the page starts among the empty ones: how many answered come first
            before = self.db.execute(
                f"SELECT count(*) FROM {source} WHERE {' AND '.join(answered)}",
                head + params + [gone],
            ).fetchone()[0]
        empty = where + [f"(s.empty = 1 OR {self._uuid_in('s.record_uuid')})"]
        rows += self.db.query(
            f"{columns}{source} WHERE {' AND '.join(empty)} ORDER BY s.record_uuid"
            " LIMIT ? OFFSET ?",
            head + params + [gone, per_page - len(rows), max(offset - before, 0)],
        )
        return rows

    def repeat_page(
        self,
        form_id: str,
        repeat: str,
        filters: dict,
        query,
        page: int,
        per_page: int = 50,
        *,
        classes,
        released: bool = False,
        hidden=(),
        total: int | None = None,
        within: tuple = (),
    ) -> tuple[list[dict], int]:
        """One page of a repeat's table, a row per instance (`uuid` its record's, `index`
        from 1, `positions` its own and those of the instances it is in, outermost first,
        `answers` the instance's), and the number of instances; filtered and sorted by the
        instances' answers, the records by metadata. `hidden`: uuids of records whose
        instances are not shown at all (a release leaves them out). `within`: the repeats
        the repeat sits in, outermost first; ties are in the order of the record, then of
        the positions.

        Sorted or filtered by questions whose keys are complete (answer_item_keys, a key
        per instance), a page is read from those keys (_keyed_repeat_page): the same rows
        in the same order. A repeat inside another reads them once every question of the
        view has them (its instances' JSON is not looked up by key)."""
        keyed = self.keyed_columns(form_id, query, repeat, within)
        names = frozenset(name.partition("/")[2] for name in keyed)
        used = (
            {i.source for i in query.filters} | ({query.sort.source} if query.sort else set())
            if query is not None
            else set()
        )
        if used & names and (not within or used <= names):
            return self._keyed_repeat_page(
                form_id,
                repeat,
                filters,
                query,
                page,
                per_page,
                classes,
                hidden,
                total,
                names,
                released,
                within,
            )
        lineage = (*within, repeat)
        source, positions, shape, text = self._instances(lineage)
        clauses, params = self._table_where(form_id, filters, classes, "item.value", query)
        if total is None and clauses == self._PLAIN and not hidden:
            total = self._instances_keyed(form_id, repeat, within=within)
        clauses.append(shape)
        if hidden:
            clauses.append(f"NOT {self._uuid_in('uuid')}")
            params.append(json.dumps(list(hidden)))
        where = " AND ".join(clauses)
        if total is None:
            count = f"SELECT count(*) FROM {source} WHERE {where}"
            total = self.db.execute(count, params).fetchone()[0]
        order, order_params = ("uuid" if released else "received_at DESC, uuid"), list[Any]()
        if query is not None and query.sort is not None:
            order, order_params = self._answer_order("item.value", query)
            order += ", uuid"
        places = ", ".join(f"{p} AS item_{n}" for n, p in enumerate(positions))
        rows = list(
            self.db.query(
                f"SELECT uuid, revision, form_version, {text} AS item, {places}"
                f" FROM {source} WHERE {where}"
                f" ORDER BY {order}, {', '.join(str(5 + n) for n in range(len(positions)))}"
                " LIMIT ? OFFSET ?",
                params + order_params + [per_page, (page - 1) * per_page],
            )
        )
        for row in rows:
            row["positions"] = tuple(int(row.pop(f"item_{n}")) for n in range(len(positions)))
            row["index"] = row["positions"][-1]
            row["answers"] = loads(row.pop("item"))
        return rows, total

    def _instances(self, lineage, by_uuid: bool = False) -> tuple[str, list[str], str, str]:
        """(FROM of the records joined to the instances of the repeat at the end of
        `lineage` (the repeats it sits in first), each instance's position from 1 in its
        own list and in those it sits in (outermost first), the condition that they are
        instances, the instance as JSON text): its value is `item.value`. `by_uuid`: the
        records looked up by uuid (SQLite)."""
        postgresql = self.db.dialect.name == "postgresql"
        if postgresql:
            parts, parent = ["records"], f"({self.TABLE_DOC})::jsonb"
        else:
            records = "records INDEXED BY sqlite_autoindex_records_1" if by_uuid else "records"
            parts, parent = [records], self.TABLE_DOC
        positions, shape = [], []
        for depth, name in enumerate(lineage, 1):
            alias = "item" if depth == len(lineage) else f"outer{depth}"
            if postgresql:
                node = f"({parent} -> '{name}')"
                parts.append(
                    f"CROSS JOIN LATERAL jsonb_array_elements(CASE jsonb_typeof({node})"
                    f" WHEN 'array' THEN {node} ELSE '[]'::jsonb END)"
                    f" WITH ORDINALITY AS {alias}(value, n)"
                )
                positions.append(f"{alias}.n")
                shape.append(f"jsonb_typeof({alias}.value) = 'object'")
            else:
                path = f"'$.\"{name}\"'"
                parts.append(f"json_each({parent}, {path}) AS {alias}")
                positions.append(f"CAST({alias}.key AS INTEGER) + 1")
                shape += [f"json_type({parent}, {path}) = 'array'", f"{alias}.type = 'object'"]
            # An instance that is no object holds no repeat (nor is JSON to SQLite).
            parent = (
                f"{alias}.value"
                if postgresql
                else f"(CASE {alias}.type WHEN 'object' THEN {alias}.value ELSE '{{}}' END)"
            )
        text = "item.value::text" if postgresql else "item.value"
        source = " ".join(parts) if postgresql else ", ".join(parts)
        return source, positions, " AND ".join(shape), text

    # The WHERE of the form's newest revisions of every class, with no other filter.
    _PLAIN = ["form_id = ?", "is_latest = 1", "1 = 1"]

    def _instances_keyed(
        self, form_id: str, repeat: str, question: str | None = None, within: tuple = ()
    ):
        """How many instances a repeat has in the form's newest revisions, from the keys of
        one of its questions (`question`, or any) when they are complete and made for the
        repeats it sits in, `within` (a key per instance, in the keys' index alone); else
        None."""
        lineage = (*within, repeat)
        done = [
            name
            for (_, name), (spec, through) in self._key_columns(form_id).items()
            if name.startswith(f"{repeat}/")
            and through is None
            and KeyColumn.of(name, spec).lineage == lineage
            and name == (question or name)
        ]
        if not done:
            return None
        question = done[0]
        return self.db.execute(
            "SELECT count(*) FROM answer_item_keys WHERE form = ? AND question = ?",
            [form_id, question],
        ).fetchone()[0]

    def _keyed_repeat_page(
        self,
        form_id,
        repeat,
        filters,
        query,
        page,
        per_page,
        classes,
        hidden,
        total,
        keyed,
        released=False,
        within=(),
    ) -> tuple[list[dict], int]:
        """A repeat's page read from the keys of its questions in `keyed` (answer_item_keys,
        and answer_item_choice_keys for multiple choice filters; complete): the first of
        them (`s`: the sort's, else the narrowest filter's) in the order of one of its
        indexes, the other filters' keys looked up by instance, the records by uuid; a
        filter without keys reads the instance's JSON. The page's rows are found first,
        then only their instances read (_with_instances).

        Unsorted, with many matches, the records are read in their own order instead and
        the keys looked up for each, so that a page stops at its last row."""
        instance, records = self._instance_at(repeat, within)
        by_key = [item for item in query.filters if item.source in keyed]
        clauses, params = self._table_where(
            form_id, filters, classes, instance, query, frozenset(i.source for i in by_key)
        )
        if hidden:
            clauses.append(f"NOT {self._uuid_in('uuid')}")
            params.append(json.dumps(list(hidden)))
        sort_keyed = query.sort is not None and query.sort.source in keyed
        if total is None:
            total = self._keyed_repeat_count(
                form_id, repeat, filters, query, classes, hidden, by_key, clauses, params, within
            )
        sort = query.sort if sort_keyed else None
        by_record = query.sort is None and total >= self.FEW
        _, keys, key_clauses, key_params = self._item_key_joins(
            form_id, repeat, sort, by_key, by_record
        )
        where = [*key_clauses, "uuid = s.record_uuid", *clauses]
        source = f"{keys} CROSS JOIN {records}"
        if sort_keyed:
            way = "DESC" if query.descending else "ASC"
            order, order_params = f"s.empty, s.num {way}, s.txt {way}, s.record_uuid", list[Any]()
        elif query.sort is not None:  # its keys are being made: read from the JSON
            order, order_params = self._answer_order(instance, query)
            order += ", uuid"
        else:
            order, order_params = ("uuid" if released else "received_at DESC, uuid"), []
            if by_record:
                # The records in that order, each one's keys looked up (by their primary
                # key): a page stops at its last row rather than sort every match.
                source = f"{self._records_in_order(released)} CROSS JOIN {keys}"
        found = list(
            self.db.query(
                f"SELECT uuid, revision, form_version, s.item AS item_index FROM {source}"
                f" WHERE {' AND '.join(where)} ORDER BY {order}, s.item LIMIT ? OFFSET ?",
                key_params + params + order_params + [per_page, (page - 1) * per_page],
            )
        )
        return self._with_instances(form_id, (*within, repeat), found), total

    def _keyed_repeat_count(
        self, form_id, repeat, filters, query, classes, hidden, by_key, clauses, params, within
    ) -> int:
        """The number of a repeat's instances that pass: from the narrowest keyed filter's
        keys and the others' (no record read when nothing else filters), or, with no
        filter keyed, from every instance's JSON once (the sort's keys keep every row)."""
        if not by_key:
            if clauses == self._PLAIN and not query.filters:
                question = f"{repeat}/{query.sort.source}"
                found = self._instances_keyed(form_id, repeat, question, within)
                if found is not None:
                    return found
            unsorted = dataclasses.replace(query, sort=None)
            return self.repeat_page(
                form_id,
                repeat,
                filters,
                unsorted,
                1,
                0,
                classes=classes,
                hidden=hidden,
                within=within,
            )[1]
        _, keys, where, more = self._item_key_joins(form_id, repeat, None, by_key)
        if clauses != self._PLAIN or len(by_key) < len(query.filters):
            _, records = self._instance_at(repeat, within)
            keys += f" CROSS JOIN {records}"
            where, more = [*where, "uuid = s.record_uuid", *clauses], more + params
        sql = f"SELECT count(*) FROM {keys} WHERE {' AND '.join(where)}"
        return self.db.execute(sql, more).fetchone()[0]

    def _instance_at(self, repeat: str, within: tuple = ()) -> tuple[str, str]:
        """(the JSON of instance `s.item` of a repeat, the records looked up by uuid). An
        instance of a repeat inside another (`within`) is numbered by its rank in its
        record, which no JSON path names: its pages read every column from keys
        (repeat_page), never this JSON."""
        postgresql = self.db.dialect.name == "postgresql"
        records = "records" if postgresql else "records INDEXED BY sqlite_autoindex_records_1"
        if within:
            return "NULL", records
        if postgresql:
            return f"(({self.TABLE_DOC})::jsonb -> '{repeat}' -> (s.item - 1)::int)", records
        return f"json_extract({self.TABLE_DOC}, '$.\"{repeat}\"[' || (s.item - 1) || ']')", records

    def _records_in_order(self, released: bool) -> str:
        """The form's records read in a page's own order (uuid, or arrival)."""
        if self.db.dialect.name != "sqlite":
            return "records"
        return "records INDEXED BY " + (
            "sqlite_autoindex_records_1" if released else "records_latest"
        )

    def _item_key_joins(self, form_id: str, repeat: str, sort, items, by_record=False):
        """(the question of `s`, FROM of the keys, WHERE clauses, parameters) of a repeat's
        page read from its keys: `s` the keys of the `sort` column, or of the narrowest
        filter of `items` (for a multiple choice, answer_item_choice_keys: the instance's
        row of its first code asked for); each other filter a key of the same instance
        looked up by its primary key. `by_record`: `s` too is looked up (records first)."""
        narrow = {"choice": 0, "date": 1, "number": 1, "text": 2, "choices": 3}
        items = sorted(items, key=lambda item: narrow.get(item.kind, 4))
        first = sort if sort is not None else items[0].column
        head = f"{repeat}/{first.source}"
        table = "answer_item_keys"
        if sort is None and first.kind == "choices":
            table = "answer_item_choice_keys"
        tables = [self._item_lookup("s", table) if by_record else f"{table} s"]
        clauses, params = ["s.form = ?", "s.question = ?"], [form_id, head]
        for n, item in enumerate(items):
            alias = "s" if item.source == first.source else f"f{n}"
            question = f"{repeat}/{item.source}"
            if item.kind == "choices":
                sql, more = self._item_choices_filter(
                    alias == "s" and table != "answer_item_keys", item, question
                )
            else:
                if alias != "s":
                    tables.append(self._item_lookup(alias))
                    clauses.append(
                        f"{alias}.record_uuid = s.record_uuid AND {alias}.question = ?"
                        f" AND {alias}.item = s.item AND {alias}.form = ?"
                    )
                    params += [question, form_id]
                sql, more = self._key_filter(alias, item)
            clauses.append(sql)
            params += more
        return head, " CROSS JOIN ".join(tables), clauses, params

    def _item_choices_filter(self, first: bool, item, question: str) -> tuple[str, list]:
        """A repeat's multiple choice filter on answer_item_choice_keys: when they are `s`
        (`first`), the instance's row of the first (smallest) code it ticked among those
        asked for, so that an instance is read once; else whether it ticked any of them."""
        marks = ", ".join("?" * len(item.values))
        lookup = self._item_lookup("c", "answer_item_choice_keys")
        same = "c.record_uuid = s.record_uuid AND c.question = ? AND c.item = s.item"
        if first:
            sql, params = f"s.code IN ({marks})", list(item.values)
            if len(item.values) > 1:
                sql += (
                    f" AND NOT EXISTS (SELECT 1 FROM {lookup} WHERE {same}"
                    f" AND c.code IN ({marks}) AND c.code < s.code)"
                )
                params += [question, *item.values]
            return sql, params
        return (
            f"EXISTS (SELECT 1 FROM {lookup} WHERE {same} AND c.code IN ({marks}))",
            [question, *item.values],
        )

    def _item_lookup(self, alias: str, table: str = "answer_item_keys") -> str:
        """A keys table as `alias`, looked up by its primary key (record, question,
        instance...): on SQLite, never by its other index, which it would rather scan."""
        if self.db.dialect.name == "sqlite":
            return f"{table} {alias} INDEXED BY sqlite_autoindex_{table}_1"
        return f"{table} {alias}"

    def _with_instances(self, form_id: str, lineage, found: list[dict]) -> list[dict]:
        """The rows of a page (uuid, revision, form_version, item_index) with their
        instance's answers (`index`, `positions`, `answers`: see repeat_page), read from
        those records only; the repeat at the end of `lineage` (the repeats it is in
        first)."""
        if not found:
            return found
        records = "records"
        if self.db.dialect.name == "sqlite":
            records += " INDEXED BY sqlite_autoindex_records_1"
        docs = {
            row[0]: row[1]
            for row in self.db.execute(
                f"SELECT uuid, {self.TABLE_DOC} FROM {records} WHERE form_id = ?"
                f" AND is_latest = 1 AND {self._uuid_in('uuid')}",
                [form_id, json.dumps(sorted({row["uuid"] for row in found}))],
            ).fetchall()
        }
        answers = {uuid: loads(doc) for uuid, doc in docs.items()}
        # An inner instance's number is its rank in the record (_keyed_instances).
        ranked = {
            u: nested_instances(doc, lineage) for u, doc in answers.items() if len(lineage) > 1
        }
        for row in found:
            item = row.pop("item_index")
            if len(lineage) > 1:
                row["positions"], row["answers"] = ranked[row["uuid"]][item - 1]
            else:
                row["positions"] = (item,)
                row["answers"] = answers[row["uuid"]][lineage[0]][item - 1]
            row["index"] = row["positions"][-1]
        return found

    def iter_table(self, form_id: str, filters: dict, *, classes, by_uuid: bool = False):
        """`iter_latest` with the table's metadata filters (BROWSE_FILTERS) applied in SQL:
        the rows of an export of a filtered view (answers are filtered after the release)."""
        clauses, params = self._table_where(form_id, filters, classes, self.TABLE_DOC, None)
        rows = self.db.stream(
            "SELECT uuid, revision, form_id, form_version, device_id, locale, collected,"
            f" received_at, enumerator, {self.TABLE_DOC} AS answers, review FROM records"
            f" WHERE {' AND '.join(clauses)}"
            + (" ORDER BY uuid" if by_uuid else " ORDER BY received_at, uuid"),
            params,
        )
        columns = next(rows)
        for row in rows:
            item = dict(zip(columns, row, strict=True))
            item["answers"] = loads(item["answers"])
            yield item

    # -- end of the data table -------------------------------------------------------------

    def record_revisions(self, record_uuid: str, *, classes) -> list[dict]:
        """Every revision of a record, oldest first; none when its access class is not
        among `classes` (a record is as sensitive as its most sensitive revision)."""
        rows = list(
            self.db.query("SELECT * FROM records WHERE uuid = ? ORDER BY revision", [record_uuid])
        )
        if any(row["access_class"] not in classes for row in rows):
            return []
        for row in rows:
            row["answers"] = json.loads(row["answers"])
            row["answers_current"] = json.loads(row["answers_current"] or "null")
        return rows

    def corrections(self, record_uuid: str) -> list[dict]:
        return list(
            self.db.query("SELECT * FROM corrections WHERE uuid = ? ORDER BY id", [record_uuid])
        )

    def record_audit(self, record_uuid: str) -> list[dict]:
        return list(self.db.query("SELECT * FROM audit WHERE uuid = ? ORDER BY id", [record_uuid]))

    def correct(
        self, record_uuid: str, field: str, value, author: str, published: bool = True
    ) -> None:
        """Change one answer of the newest revision; the original stays, the change is audited.

        A correction never moves a record between access classes: one after which its form
        would classify the answers differently raises access.AccessClassChange, and
        nothing changes. Without `published` (an analyst's), one that would change what the
        record adds to the indicators or survey estimates raises
        access.PublishedAnswerChange, and nothing changes."""
        from . import access
        from .ingest import known_form

        with self.transaction():
            self.lock_records([record_uuid])
            row = self.one(
                "SELECT revision, form_id, form_version, answers, answers_current, device_id,"
                " collected, locale FROM records WHERE uuid = ? AND is_latest = 1",
                [record_uuid],
            )
            if row is None:
                raise KeyError(record_uuid)
            current = json.loads(row["answers_current"] or row["answers"])
            form = known_form(self, row["form_id"], row["form_version"])
            before = access.classify(form, current)
            published_before = self._published_share(row, current)
            holder, name = answer_slot(current, field)
            old = holder.get(name)
            if value is None:
                holder.pop(name, None)
            else:
                holder[name] = value
            if access.classify(form, current) != before:
                raise access.AccessClassChange(record_uuid, field)
            if not published and self._published_share(row, current) != published_before:
                raise access.PublishedAnswerChange(record_uuid, field)
            self.db.execute(
                "UPDATE records SET answers_current = ? WHERE uuid = ? AND revision = ?",
                [answers_json(current), record_uuid, row["revision"]],
            )
            self.db.execute(
                "INSERT INTO corrections (uuid, revision, field, old_value, new_value,"
                " author, at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    record_uuid,
                    row["revision"],
                    field,
                    json.dumps(old),
                    json.dumps(value),
                    author,
                    now_iso(),
                ],
            )
            self.audit(
                author,
                "record_corrected",
                record_uuid,
                row["revision"],
                f"{field}: {json.dumps(old, ensure_ascii=False)} -> "
                f"{json.dumps(value, ensure_ascii=False)}",
            )
            self.after_change([record_uuid])

    def _published_share(self, row: dict, answers: dict) -> tuple:
        """What one record adds to the published numbers: its indicator facts, and its
        stratum, cluster, weight and calibration cells under the form's survey design."""
        from .designs import design_of, unit_values
        from .indicators import fact_values

        facts = fact_values("", row["form_id"], row["collected"], row["locale"], answers)
        design = design_of(self.db, row["form_id"], building=True)
        if design is None:
            return (facts,)
        totals = (design.get("calibration") or {}).get("totals") or {}
        cells = [answers.get(name) for name in sorted(totals)]
        return facts, unit_values(design, row["device_id"], answers), cells

    def set_review(self, record_uuid: str, review: str, note: str, author: str) -> None:
        with self.transaction():
            self.db.execute(
                "UPDATE records SET review = ?, review_note = ? WHERE uuid = ? AND is_latest = 1",
                [review, note or None, record_uuid],
            )
            self.audit(author, f"record_{review}", record_uuid, detail=note or None)

    def after_change(self, uuids, computed: dict | None = None) -> None:
        """Derived tables follow the records (indicators' facts); called inside transactions.
        `computed`: {uuid: indicators.NewFacts} of records whose newest revision was just
        stored (ingest), their facts computed before the transaction.
        The data table's answer keys follow too."""
        from .indicators import refresh_facts

        refresh_facts(self.db, uuids, computed)
        self._refresh_keys(list(dict.fromkeys(uuids)))

    # -- community feedback queue ------------------------------------------------------

    # A case's class is its record's, stored at ingest (sync_server.access), never its answers'.
    FEEDBACK_SQL = (
        "SELECT r.uuid, r.locale, r.collected, r.received_at, r.form_version,"
        " coalesce(r.answers_current, r.answers) AS answers,"
        " coalesce(c.status, 'new') AS status, r.access_class,"
        " r.access_class = 'sensitive' AS is_sensitive FROM records r"
        " LEFT JOIN feedback_cases c ON c.uuid = r.uuid"
        " WHERE r.form_id = ? AND r.is_latest = 1"
    )

    def feedback_queue(self, status: str | None, access_class: str) -> list[dict]:
        """The feedback of one access class (the view checks the user may see it)."""
        sql, params = self.FEEDBACK_SQL + " AND r.access_class = ?", [FEEDBACK_FORM, access_class]
        if status:
            sql += " AND coalesce(c.status, 'new') = ?"
            params.append(status)
        return [
            self._feedback(row) for row in self.db.query(sql + " ORDER BY r.received_at", params)
        ]

    def feedback_case(self, record_uuid: str) -> dict | None:
        row = self.one(self.FEEDBACK_SQL + " AND r.uuid = ?", [FEEDBACK_FORM, record_uuid])
        return self._feedback(row) if row else None

    @staticmethod
    def _feedback(row: dict) -> dict:
        return dict(row, answers=json.loads(row["answers"]), sensitive=bool(row["is_sensitive"]))

    def set_feedback_status(
        self, record_uuid: str, status: str, sensitive: bool, author: str
    ) -> None:
        with self.transaction():
            self.db.execute(
                "INSERT INTO feedback_cases (uuid, status, sensitive, updated_at)"
                " VALUES (?, ?, ?, ?) ON CONFLICT (uuid) DO UPDATE SET"
                " status = excluded.status, updated_at = excluded.updated_at",
                [record_uuid, status, int(sensitive), now_iso()],
            )
            self.audit(author, f"feedback_{status}", record_uuid)

    def replies_to(self, record_uuid: str) -> list[dict]:
        return list(
            self.db.query("SELECT * FROM replies WHERE record_uuid = ? ORDER BY seq", [record_uuid])
        )

    def records_after(
        self, form_id: str, since: str | None, after: str | None, limit: int, *, classes
    ) -> list[dict]:
        """Newest revisions in arrival order, after a `received_at|uuid` cursor; only
        records of the access `classes` given (sync_server.access)."""
        sql, params = self._newest_sql(form_id, classes)
        if since:
            sql += " AND received_at > ?"
            params.append(since)
        if after and "|" in after:
            received_at, record_uuid = after.split("|", 1)
            sql += " AND (received_at, uuid) > (?, ?)"
            params += [received_at, record_uuid]
        return self._page(sql + " ORDER BY received_at, uuid LIMIT ?", params + [limit])

    def _newest_sql(self, form_id: str, classes) -> tuple[str, list]:
        """The newest revisions of a form's records of the access `classes`, as SQL to extend."""
        from .access import sql_filter

        allowed, params = sql_filter(classes)
        return (
            "SELECT uuid, revision, form_id, form_version, device_id, locale, collected,"
            " received_at, enumerator, coalesce(answers_current, answers) AS answers, review"
            f" FROM records WHERE form_id = ? AND is_latest = 1 AND {allowed}",
            [form_id, *params],
        )

    def _page(self, sql: str, params: list) -> list[dict]:
        rows = list(self.db.query(sql, params))
        for row in rows:
            row["answers"] = json.loads(row["answers"])
        return rows

    def records_by_uuid(
        self, form_id: str, after: str | None, limit: int, *, classes
    ) -> list[dict]:
        """Newest revisions in uuid order after the uuid `after`: a release's pages, whose
        order says nothing about arrival."""
        sql, params = self._newest_sql(form_id, classes)
        if after:
            sql += " AND uuid > ?"
            params.append(after)
        return self._page(sql + " ORDER BY uuid LIMIT ?", params + [limit])

    def form_versions(self, form_id: str) -> list[str]:
        """Every version of a form that records arrived with, oldest first."""
        return [
            row[0]
            for row in self.db.execute(
                "SELECT form_version FROM records WHERE form_id = ? GROUP BY form_version"
                " ORDER BY min(received_at)",
                [form_id],
            ).fetchall()
        ]

    def record_pairs(
        self, device_id: str, after: tuple[str, int] = ("", 0), limit: int | None = None
    ) -> list[tuple[str, int]]:
        """The (uuid, revision) pairs held from a device, in order, after `after`: the
        stored ones and the removed ones (sync_server.retention), which the device must
        count as delivered. Each table is read in its index's order, then merged."""
        pairs = []
        for table in ("records", "record_tombstones"):
            sql = (
                f"SELECT uuid, revision FROM {table}"
                " WHERE device_id = ? AND (uuid, revision) > (?, ?) ORDER BY uuid, revision"
            )
            params = [device_id, after[0], after[1]]
            if limit:
                sql += " LIMIT ?"
                params.append(limit)
            pairs += [tuple(row) for row in self.db.execute(sql, params).fetchall()]
        pairs.sort()
        return pairs[:limit] if limit else pairs

    def count_records(self, **where) -> int:
        clauses = " AND ".join(f"{key} = ?" for key in where) or "1 = 1"
        return self.db.execute(
            f"SELECT count(*) FROM records WHERE {clauses}", list(where.values())
        ).fetchone()[0]

    def latest_audit_detail(self, action: str) -> str | None:
        """The greatest detail of the audit entries of `action` (a time, for some), or None."""
        row = self.one("SELECT max(detail) AS detail FROM audit WHERE action = ?", [action])
        return row["detail"] if row else None

    def log(
        self, actor: str, action: str, detail: str | None = None, account: str | None = None
    ) -> None:
        """An audit entry on its own (an export, say), committed at once; a security event
        too when the action is one (`account`: who, as collector.security_log names it)."""
        with self.transaction():
            self.audit(actor, action, detail=detail)
            if action in SECURITY_EVENTS:
                log_event(self.db, action, account, detail)

    def audit(
        self,
        actor: str,
        action: str,
        record_uuid: str | None = None,
        revision: int | None = None,
        detail: str | None = None,
    ) -> None:
        self.db.execute(
            "INSERT INTO audit (at, actor, action, uuid, revision, detail)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [now_iso(), actor, action, record_uuid, revision, detail],
        )

    # -- forms -----------------------------------------------------------------------

    def publish_form(
        self, form_id: str, version: str, definition: str, digest: str, actor: str = "admin"
    ) -> bool:
        with self.transaction():
            cursor = self.db.execute(
                "INSERT INTO forms (form_id, version, definition, hash, published_at)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                [form_id, version, definition, digest, now_iso()],
            )
            if cursor.rowcount:
                self.audit(actor, "form_published", detail=f"{form_id} {version}")
        return bool(cursor.rowcount)

    def form_definition(self, form_id: str, version: str) -> str | None:
        row = self.one(
            "SELECT definition FROM forms WHERE form_id = ? AND version = ?", [form_id, version]
        )
        return row["definition"] if row else None

    def survey_design(self, form_id: str) -> dict | None:
        """A form's declared survey design (sync_server.designs), or None."""
        from .designs import design_of

        return design_of(self.db, form_id, building=True)

    def survey_designs(self) -> list[dict]:
        return list(
            self.db.query(
                "SELECT form_id, definition, updated_at, updated_by"
                " FROM survey_designs ORDER BY form_id"
            )
        )

    def published_forms(self) -> list[dict]:
        return list(
            self.db.query(
                "SELECT form_id, version, hash, published_at FROM forms"
                " ORDER BY form_id, published_at"
            )
        )

    # -- replies to community feedback -----------------------------------------------

    def add_reply(
        self, reply_id: str, record_uuid: str, message: str, locale: str, author: str
    ) -> dict:
        with self.transaction():
            owner = self.one("SELECT device_id FROM records WHERE uuid = ? LIMIT 1", [record_uuid])
            if owner is None:
                raise KeyError(record_uuid)
            self.db.execute(
                "INSERT INTO replies (id, device_id, record_uuid, message, locale,"
                " created_at, author) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [reply_id, owner["device_id"], record_uuid, message, locale, now_iso(), author],
            )
            self.audit(author, "reply_added", record_uuid, detail=reply_id)
            self._answered_by_reply(record_uuid, author)
        reply = self.one("SELECT * FROM replies WHERE id = ?", [reply_id])
        assert reply is not None  # inserted just above
        return reply

    def _answered_by_reply(self, record_uuid: str, author: str) -> None:
        """A reply moves a new or in-progress feedback case to "answered", however it was
        written (the page, `sync-server reply`); a closed case stays closed."""
        row = self.one(
            "SELECT r.form_id, r.access_class, c.status FROM records r"
            " LEFT JOIN feedback_cases c ON c.uuid = r.uuid"
            " WHERE r.uuid = ? AND r.is_latest = 1",
            [record_uuid],
        )
        if (
            row is None
            or row["form_id"] != FEEDBACK_FORM
            or row["status"] in ("answered", "closed")
        ):
            return
        self.db.execute(
            "INSERT INTO feedback_cases (uuid, status, sensitive, updated_at)"
            " VALUES (?, 'answered', ?, ?) ON CONFLICT (uuid) DO UPDATE SET"
            " status = excluded.status, updated_at = excluded.updated_at",
            [record_uuid, int(row["access_class"] == "sensitive"), now_iso()],
        )
        self.audit(author, "feedback_answered", record_uuid)

    def replies_for_device(self, device_id: str, after: int, limit: int) -> list[dict]:
        return list(
            self.db.query(
                "SELECT seq, id, record_uuid, message, locale, created_at FROM replies"
                " WHERE device_id = ? AND seq > ? ORDER BY seq LIMIT ?",
                [device_id, after, limit],
            )
        )

    # -- forms checked in the browser, waiting for "Publish" (sync_server.forms) ----------
    # The definition the preview showed is kept here, so that "Publish" publishes exactly
    # it without a second upload; each waits for the person who uploaded it, for a while.

    PENDING_PER_ACTOR = 10  # the newest few a person uploaded; older ones are forgotten

    def add_pending_form(
        self, pending_id: str, actor: str, definition: str, notes: str, expires_at: str
    ) -> None:
        """Keep a checked definition (and its warnings, `notes`, as JSON) until expires_at;
        expired ones, and a person's oldest beyond PENDING_PER_ACTOR, go at the same time."""
        with self.transaction():
            self.db.execute("DELETE FROM pending_forms WHERE expires_at <= ?", [now_iso()])
            self.db.execute(
                "INSERT INTO pending_forms (id, actor, definition, notes,"
                " created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)",
                [pending_id, actor, definition, notes, now_iso(), expires_at],
            )
            self.db.execute(
                "DELETE FROM pending_forms WHERE actor = ? AND id NOT IN (SELECT id FROM"
                " pending_forms WHERE actor = ? ORDER BY created_at DESC, seq DESC LIMIT ?)",
                [actor, actor, self.PENDING_PER_ACTOR],
            )

    def pending_form(self, pending_id: str, actor: str) -> dict | None:
        """A definition waiting for `actor` (nobody else's), unless it has expired."""
        return self.one(
            "SELECT id, definition, notes, created_at, expires_at FROM"
            " pending_forms WHERE id = ? AND actor = ? AND expires_at > ?",
            [pending_id, actor, now_iso()],
        )

    def drop_pending_form(self, pending_id: str) -> None:
        with self.transaction():
            self.db.execute("DELETE FROM pending_forms WHERE id = ?", [pending_id])

    # == Attachments (sync_server.attachments) ==========================================
    # Each file once by its SHA-256 (`attachment_files`, the bytes in the data dir), and
    # which (record, revision, question) holds it (`attachment_links`). A file counts as
    # arrived only once `completed_at` is set: the SHA-256 of what came was checked.

    def attachment_file(self, sha256: str) -> dict | None:
        return self.one(
            "SELECT sha256, size, media_type, device_id, created_at, completed_at"
            " FROM attachment_files WHERE sha256 = ?",
            [sha256],
        )

    def declare_attachment(self, device_id: str, item: dict) -> dict:
        """Link a record's question to a file (inside a transaction), the file row made on
        its first announcement; the file's row."""
        self.db.execute(
            "INSERT INTO attachment_files (sha256, size, media_type, device_id, created_at)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (sha256) DO NOTHING",
            [item["sha256"], item["size"], item["media_type"], device_id, now_iso()],
        )
        self.db.execute(
            "INSERT INTO attachment_links (uuid, revision, question, sha256, device_id,"
            " linked_at) VALUES (?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (uuid, revision, question) DO UPDATE SET sha256 = excluded.sha256",
            [
                item["uuid"],
                item["revision"],
                item["question"],
                item["sha256"],
                device_id,
                now_iso(),
            ],
        )
        file = self.attachment_file(item["sha256"])
        assert file is not None  # inserted above, or there already
        return file

    def attachment_record(self, record_uuid: str, revision: int) -> dict | None:
        """The stored revision a file is announced for (its device, form and answers)."""
        row = self.one(
            "SELECT device_id, form_id, form_version, answers FROM records"
            " WHERE uuid = ? AND revision = ?",
            [record_uuid, revision],
        )
        return None if row is None else dict(row, answers=loads(row["answers"]))

    def attachment_bytes_since(self, device_id: str, since: str) -> int:
        """Bytes of the files this device was the first to announce since `since`."""
        return int(
            self.db.execute(
                "SELECT coalesce(sum(size), 0) FROM attachment_files"
                " WHERE device_id = ? AND created_at >= ?",
                [device_id, since],
            ).fetchone()[0]
        )

    def attachment_declared_by(self, device_id: str, sha256: str) -> bool:
        return (
            self.db.execute(
                "SELECT 1 FROM attachment_links WHERE device_id = ? AND sha256 = ? LIMIT 1",
                [device_id, sha256],
            ).fetchone()
            is not None
        )

    def complete_attachment(self, sha256: str) -> None:
        self.db.execute(
            "UPDATE attachment_files SET completed_at = ? WHERE sha256 = ?"
            " AND completed_at IS NULL",
            [now_iso(), sha256],
        )

    def attachment_links(
        self, device_id: str, after: int = 0, limit: int | None = None
    ) -> list[dict]:
        """The links of this device whose file arrived whole, in a stable order (`seq`)."""
        sql = (
            "SELECT l.seq, l.uuid, l.revision, l.question, l.sha256 FROM attachment_links l"
            " JOIN attachment_files f ON f.sha256 = l.sha256"
            " WHERE l.device_id = ? AND l.seq > ? AND f.completed_at IS NOT NULL"
            " ORDER BY l.seq"
        )
        params: list = [device_id, after]
        if limit:
            sql += " LIMIT ?"
            params.append(limit)
        return list(self.db.query(sql, params))

    def record_attachments(self, record_uuid: str, revision: int | None = None) -> list[dict]:
        """A record's files that arrived whole (of one revision, or of every one)."""
        sql = (
            "SELECT l.uuid, l.revision, l.question, l.sha256, f.size, f.media_type"
            " FROM attachment_links l JOIN attachment_files f ON f.sha256 = l.sha256"
            " WHERE l.uuid = ? AND f.completed_at IS NOT NULL"
        )
        params: list = [record_uuid]
        if revision is not None:
            sql += " AND l.revision = ?"
            params.append(revision)
        return list(self.db.query(sql + " ORDER BY l.revision, l.question", params))

    def remove_record_attachments(self, record_uuid: str) -> list[str]:
        """Remove a record's links (inside the caller's transaction, before the record
        itself goes) and the rows of files no other record uses; their hashes, whose
        bytes the caller deletes after the commit (sync_server.attachments)."""
        hashes = [
            row[0]
            for row in self.db.execute(
                "SELECT DISTINCT sha256 FROM attachment_links WHERE uuid = ?", [record_uuid]
            )
        ]
        self.db.execute("DELETE FROM attachment_links WHERE uuid = ?", [record_uuid])
        unused = []
        for sha256 in hashes:
            if (
                self.db.execute(
                    "SELECT 1 FROM attachment_links WHERE sha256 = ? LIMIT 1", [sha256]
                ).fetchone()
                is None
            ):
                self.db.execute("DELETE FROM attachment_files WHERE sha256 = ?", [sha256])
                unused.append(sha256)
        return unused

    # == Prompt files of published forms (sync_server.prompts) ============================
    # Each file once by its SHA-256 (`prompt_files`, the bytes in the data dir); which
    # form versions name it (`form_prompts`). A device may fetch a file that a published
    # version names.

    def add_prompt_files(self, files: list[tuple[str, str, int]]) -> None:
        """Rows of prompt files whose bytes are kept now: (sha256, extension, size); a
        file kept again counts from now (drop_unlinked_prompts)."""
        with self.transaction():
            self.db.executemany(
                "INSERT INTO prompt_files (sha256, extension, size, added_at)"
                " VALUES (?, ?, ?, ?)"
                " ON CONFLICT (sha256) DO UPDATE SET added_at = excluded.added_at",
                [[sha, extension, size, now_iso()] for sha, extension, size in files],
            )

    def held_prompts(self, hashes) -> set[str]:
        """Those of the hashes whose prompt file the server holds."""
        wanted = sorted(set(hashes))
        if not wanted:
            return set()
        return {
            row["sha256"]
            for row in self.db.query(
                f"SELECT sha256 FROM prompt_files WHERE sha256 IN ({', '.join('?' * len(wanted))})",
                wanted,
            )
        }

    def link_form_prompts(self, form_id: str, version: str, names) -> None:
        """Say which held prompt files a published version names: (file name, sha256)."""
        with self.transaction():
            self.db.executemany(
                "INSERT INTO form_prompts (form_id, version, name, sha256)"
                " VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                [[form_id, version, name, sha] for name, sha in names],
            )

    def form_prompt_hashes(self) -> dict[tuple[str, str], list[str]]:
        """(form_id, version) → the sorted hashes of the prompt files held for it."""
        held: dict[tuple[str, str], list[str]] = {}
        for row in self.db.query(
            "SELECT DISTINCT form_id, version, sha256 FROM form_prompts"
            " ORDER BY form_id, version, sha256"
        ):
            held.setdefault((row["form_id"], row["version"]), []).append(row["sha256"])
        return held

    def drop_unlinked_prompts(self, before: str) -> list[str]:
        """Forget the prompt files kept before `before` that no form version names (a
        checked upload never published); their hashes, whose bytes the caller deletes."""
        with self.transaction():
            return [
                row["sha256"]
                for row in self.db.query(
                    "DELETE FROM prompt_files WHERE added_at < ? AND sha256 NOT IN"
                    " (SELECT sha256 FROM form_prompts) RETURNING sha256",
                    [before],
                )
            ]

    def published_prompt(self, sha256: str) -> dict | None:
        """A held prompt file that a published form version names, else None."""
        return self.one(
            "SELECT p.sha256, p.extension, p.size FROM prompt_files p WHERE p.sha256 = ?"
            " AND EXISTS (SELECT 1 FROM form_prompts l JOIN forms f ON f.form_id = l.form_id"
            " AND f.version = l.version WHERE l.sha256 = p.sha256)",
            [sha256],
        )

    # == Retention (sync_server.retention) ==============================================
    # A form's retention period (`form_retention`), and a tombstone per removed revision
    # (`record_tombstones`: uuid, revision, form, the device that sent it, when it went):
    # no answer, no date of collection, nothing a person could be recognised by. The
    # device and revision are kept so that the device's reconciliation counts what it sent
    # as held, and it never sends it again.

    def form_retentions(self) -> dict[str, dict]:
        """{form_id: {"days", "updated_at", "updated_by"}} of the forms with a period."""
        return {
            row["form_id"]: row
            for row in self.db.query(
                "SELECT form_id, days, updated_at, updated_by FROM form_retention ORDER BY form_id"
            )
        }

    def set_form_retention(self, form_id: str, days: int | None, actor: str) -> bool:
        """Set (days) or turn off (None) a form's period, audited; False when unchanged."""
        with self.transaction():
            current = self.one("SELECT days FROM form_retention WHERE form_id = ?", [form_id])
            if (current["days"] if current else None) == days:
                return False
            if days is None:
                self.db.execute("DELETE FROM form_retention WHERE form_id = ?", [form_id])
            else:
                self.db.execute(
                    "INSERT INTO form_retention (form_id, days, updated_at, updated_by)"
                    " VALUES (?, ?, ?, ?) ON CONFLICT (form_id) DO UPDATE SET"
                    " days = excluded.days, updated_at = excluded.updated_at,"
                    " updated_by = excluded.updated_by",
                    [form_id, days, now_iso(), actor],
                )
            period = "off" if days is None else f"{days} days"
            self.audit(actor, "retention_set", detail=f"{form_id}: {period}")
        return True

    def records_by_form(self) -> dict[str, int]:
        """{form_id: records (not revisions)} of the forms with any record."""
        return {
            row[0]: row[1]
            for row in self.db.execute(
                "SELECT form_id, count(DISTINCT uuid) FROM records GROUP BY form_id"
            ).fetchall()
        }

    def count_received_before(self, form_id: str, before: str) -> int:
        """How many records `uuids_received_before` gives, without reading them."""
        return self.db.execute(
            "SELECT count(*) FROM (SELECT uuid FROM records WHERE form_id = ? GROUP BY uuid"
            " HAVING max(received_at) < ?) AS due",
            [form_id, before],
        ).fetchone()[0]

    def uuids_received_before(self, form_id: str, before: str) -> list[str]:
        """The records of a form the server last received anything of before `before`
        (an ISO date or time, UTC), oldest first."""
        return [
            row[0]
            for row in self.db.execute(
                "SELECT uuid FROM records WHERE form_id = ? GROUP BY uuid"
                " HAVING max(received_at) < ? ORDER BY max(received_at), uuid",
                [form_id, before],
            ).fetchall()
        ]

    def received_before(self, uuids: list[str], before: str) -> list[str]:
        """Those of these records (at most _PARAMETERS_PER_QUERY) last received before
        `before`, in uuid order."""
        return [
            row[0]
            for row in self.db.execute(
                f"SELECT uuid FROM records WHERE uuid IN ({', '.join('?' * len(uuids))})"
                " GROUP BY uuid HAVING max(received_at) < ? ORDER BY uuid",
                [*uuids, before],
            ).fetchall()
        ]

    def removal_plan(self, uuids) -> list[dict]:
        """Per form, what removing these records takes away: records, revisions, the
        first and last arrival, and the files no other record holds (count and bytes)."""
        plan: dict[str, dict] = {}
        files: dict[str, set] = {}
        wanted = sorted(set(uuids))
        for chunk in _chunks(wanted):
            marks = ", ".join("?" * len(chunk))
            for form_id, records, revisions, first, last in self.db.execute(
                "SELECT form_id, count(DISTINCT uuid), count(*), min(received_at),"
                f" max(received_at) FROM records WHERE uuid IN ({marks}) GROUP BY form_id",
                chunk,
            ).fetchall():
                item = plan.setdefault(
                    form_id,
                    dict(form_id=form_id, records=0, revisions=0, first=first, last=last),
                )
                item["records"] += records
                item["revisions"] += revisions
                item["first"], item["last"] = min(item["first"], first), max(item["last"], last)
            for form_id, sha256 in self.db.execute(
                "SELECT DISTINCT r.form_id, l.sha256 FROM attachment_links l JOIN records r"
                f" ON r.uuid = l.uuid AND r.revision = l.revision WHERE l.uuid IN ({marks})",
                chunk,
            ).fetchall():
                files.setdefault(form_id, set()).add(sha256)
        removed = set(wanted)
        for form_id, item in plan.items():
            unused = [
                sha256
                for sha256 in sorted(files.get(form_id, ()))
                if {
                    row[0]
                    for row in self.db.execute(
                        "SELECT DISTINCT uuid FROM attachment_links WHERE sha256 = ?", [sha256]
                    ).fetchall()
                }
                <= removed  # another record's file stays
            ]
            item["files"] = len(unused)
            item["bytes"] = sum(
                (self.attachment_file(sha256) or {"size": 0})["size"] for sha256 in unused
            )
        return sorted(plan.values(), key=lambda item: item["form_id"])

    def existing_uuids(self, uuids) -> set[str]:
        """Which of these uuids are records stored here."""
        found: set[str] = set()
        for chunk in _chunks(sorted(set(uuids))):
            found.update(
                row[0]
                for row in self.db.execute(
                    "SELECT DISTINCT uuid FROM records WHERE uuid IN"
                    f" ({', '.join('?' * len(chunk))})",
                    chunk,
                ).fetchall()
            )
        return found

    def uuids_with_files(self, uuids: list[str]) -> list[str]:
        """Which of these records (at most _PARAMETERS_PER_QUERY) have attachment links."""
        return [
            row[0]
            for row in self.db.execute(
                "SELECT DISTINCT uuid FROM attachment_links WHERE uuid IN"
                f" ({', '.join('?' * len(uuids))}) ORDER BY uuid",
                uuids,
            ).fetchall()
        ]

    def remove_record_rows(self, uuids: list[str]) -> dict[str, int]:
        """Inside the caller's transaction, which locked these records (at most
        _PARAMETERS_PER_QUERY) and removed their attachment links: a tombstone per revision,
        then every row about them goes (corrections, feedback case, replies, audit entries,
        every revision), and the indicators' facts follow. {form_id: records removed}."""
        marks = ", ".join("?" * len(uuids))
        forms = {
            row[0]: row[1]
            for row in self.db.execute(
                f"SELECT form_id, count(DISTINCT uuid) FROM records WHERE uuid IN ({marks})"
                " GROUP BY form_id",
                uuids,
            ).fetchall()
        }
        self.db.execute(
            "INSERT INTO record_tombstones (uuid, revision, device_id, form_id, removed_at)"
            f" SELECT uuid, revision, device_id, form_id, ? FROM records WHERE uuid IN ({marks})"
            " ON CONFLICT DO NOTHING",
            [now_iso(), *uuids],
        )
        for table, column in (
            ("corrections", "uuid"),
            ("feedback_cases", "uuid"),
            ("replies", "record_uuid"),
            ("audit", "uuid"),  # a correction's entry holds the answers it changed
            ("records", "uuid"),
        ):
            self.db.execute(f"DELETE FROM {table} WHERE {column} IN ({marks})", uuids)
        self.after_change(uuids)  # facts, cubes and survey units lose these records
        return forms

    def tombstones(self, uuids) -> dict[str, dict]:
        """{uuid: {"device_id", "form_id"}} of these uuids whose record was removed."""
        found: dict[str, dict] = {}
        for chunk in _chunks(sorted(set(uuids))):
            for row in self.db.query(
                "SELECT uuid, min(device_id) AS device_id, min(form_id) AS form_id"
                f" FROM record_tombstones WHERE uuid IN ({', '.join('?' * len(chunk))})"
                " GROUP BY uuid",
                chunk,
            ):
                found[row["uuid"]] = {"device_id": row["device_id"], "form_id": row["form_id"]}
        return found

    def add_tombstone(self, record_uuid: str, revision: int, device_id: str, form_id: str) -> None:
        """A revision of a removed record sent again (or edited on the laptop after the
        removal): acknowledged, never stored, counted as held (inside the batch's transaction)."""
        self.db.execute(
            "INSERT INTO record_tombstones (uuid, revision, device_id, form_id, removed_at)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            [record_uuid, revision, device_id, form_id, now_iso()],
        )

    # -- help contacts (sync_server.help_contacts) -------------------------------------------
    # Where people get help after a report, by area ('' for every area); every change is
    # audited. `languages` is a JSON list of language codes.

    _CONTACT_COLUMNS = ("area", "name", "description", "phone", "hours", "languages")

    def help_contacts(self) -> list[dict]:
        """Every contact: those for every area first, then by area, in the order added."""
        rows = self.db.query(
            "SELECT id, area, name, description, phone, hours, languages, updated_at,"
            " updated_by FROM help_contacts ORDER BY area, id"
        )
        return [dict(row, languages=json.loads(row["languages"])) for row in rows]

    def help_contact(self, contact_id: int) -> dict | None:
        row = self.one(
            "SELECT id, area, name, description, phone, hours, languages FROM help_contacts"
            " WHERE id = ?",
            [contact_id],
        )
        return None if row is None else dict(row, languages=json.loads(row["languages"]))

    def _contact_values(self, contact: dict) -> list:
        return [
            *(contact[key] for key in self._CONTACT_COLUMNS[:-1]),
            json.dumps(contact["languages"]),
        ]

    def add_help_contact(self, contact: dict, actor: str) -> int:
        with self.transaction():
            contact_id = self.db.execute(
                "INSERT INTO help_contacts (area, name, description, phone, hours, languages,"
                " updated_at, updated_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                [*self._contact_values(contact), now_iso(), actor],
            ).fetchone()[0]
            self.audit(actor, "help_contact_added", detail=_contact_detail(contact_id, contact))
        return contact_id

    def update_help_contact(self, contact_id: int, contact: dict, actor: str) -> bool:
        """False when there is no such contact (removed meanwhile)."""
        with self.transaction():
            changed = self.db.execute(
                "UPDATE help_contacts SET area = ?, name = ?, description = ?, phone = ?,"
                " hours = ?, languages = ?, updated_at = ?, updated_by = ? WHERE id = ?",
                [*self._contact_values(contact), now_iso(), actor, contact_id],
            ).rowcount
            if changed:
                self.audit(
                    actor, "help_contact_changed", detail=_contact_detail(contact_id, contact)
                )
        return bool(changed)

    def remove_help_contact(self, contact_id: int, actor: str) -> bool:
        """False when there is no such contact."""
        with self.transaction():
            contact = self.help_contact(contact_id)
            if contact is None:
                return False
            self.db.execute("DELETE FROM help_contacts WHERE id = ?", [contact_id])
            self.audit(actor, "help_contact_removed", detail=_contact_detail(contact_id, contact))
        return True

    def change_help_contacts(self, added: list[dict], removed: list[int], actor: str) -> None:
        """Add and remove several contacts in one transaction (an imported file), each
        audited as the page does."""
        with self.transaction():
            for contact_id in removed:
                contact = self.help_contact(contact_id)
                if contact is not None:
                    self.db.execute("DELETE FROM help_contacts WHERE id = ?", [contact_id])
                    self.audit(
                        actor, "help_contact_removed", detail=_contact_detail(contact_id, contact)
                    )
            for contact in added:
                contact_id = self.db.execute(
                    "INSERT INTO help_contacts (area, name, description, phone, hours,"
                    " languages, updated_at, updated_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                    " RETURNING id",
                    [*self._contact_values(contact), now_iso(), actor],
                ).fetchone()[0]
                self.audit(actor, "help_contact_added", detail=_contact_detail(contact_id, contact))


def _contact_detail(contact_id: int, contact: dict) -> str:
    """A help contact as the audit names it."""
    return f"{contact_id} {contact['area'] or '*'}: {contact['name']}"[:300]


def get_store() -> Store:
    """The request's store, opened on first use (like collector.db.get_db)."""
    if "store" not in g:
        g.store = Store(current_app.config["DATABASE"])
    return g.store


def close_store(exception=None) -> None:
    store = g.pop("store", None)
    if store is not None:
        store.close()


class KeyColumn:
    """A question with answer keys, as answer_key_columns records it: what `_key_values`
    needs of a data_table.TableColumn (its name, kind and choices in order) and, for a
    repeat's question, the repeats it is in (outermost first; its own last)."""

    def __init__(self, source: str, kind: str, codes, label: str | None = None, lineage=()):
        self.source, self.kind, self.label = source, kind, label or source
        self.choices = tuple((code, code) for code in codes)
        repeat = source.partition("/")[0] if "/" in source else None
        self.lineage = tuple(lineage) or ((repeat,) if repeat else ())

    @classmethod
    def item(cls, repeat: str, column, within: tuple = ()) -> KeyColumn:
        """A repeat's column, keyed per instance as `REPEAT/NAME` (no question name has
        a slash: data_table.NAME); `within`: the repeats it sits in."""
        codes = [code for code, _ in column.choices]
        source = f"{repeat}/{column.source}"
        return cls(source, column.kind, codes, column.label, (*within, repeat))

    @classmethod
    def of(cls, source: str, spec: str) -> KeyColumn:
        kind, codes, *lineage = json.loads(spec)
        return cls(source, kind, codes, lineage=lineage[0] if lineage else ())


# The threads building answer keys in this process, one per database (Store.keyed_columns).
_KEY_BUILDERS: dict[str, threading.Thread] = {}
_KEY_BUILDERS_LOCK = threading.Lock()


def build_in_background(path: str) -> None:
    """Build every unfinished question's keys of a database in a thread of this process,
    unless one already does. The thread ends when none is left; one that stops (the
    process ends, the database stays busy) leaves its steps done, and the next page that
    needs the keys starts another, which goes on from there (as does one whose question
    was registered just as the thread was ending).

    Why a thread: a page cannot wait for a build (minutes at a million records, past the
    60 s a worker or a browser waits), and one step per page would take 500 pages of the
    slow JSON path. The server runs as one process (cheroot) or several (gunicorn), each
    with its own thread: their steps take turns at the mark, so no record is done twice."""
    with _KEY_BUILDERS_LOCK:
        running = _KEY_BUILDERS.get(path)
        if running is not None and running.is_alive():
            return
        thread = threading.Thread(target=_build_keys, args=(path,), name="answer keys", daemon=True)
        _KEY_BUILDERS[path] = thread
        thread.start()


def _build_keys(path: str) -> None:
    """The builder thread: steps of each unfinished question until none is left. Several
    server processes may each run one: their steps take turns (Store.key_step)."""
    try:
        store = Store(path)
        try:
            while unfinished := store.unfinished_keys():
                for form_id, question in unfinished:
                    store.build_keys(form_id, question)
        finally:
            store.close()
    except Exception:  # noqa: BLE001 - logged; the steps done stay, a later page goes on
        logging.getLogger(__name__).exception("building the data table's keys stopped")
    finally:
        with _KEY_BUILDERS_LOCK:
            if _KEY_BUILDERS.get(path) is threading.current_thread():
                del _KEY_BUILDERS[path]


def wait_for_key_builder(path: str) -> None:
    """Return once this process's thread building keys of this database (if any) ends."""
    with _KEY_BUILDERS_LOCK:
        running = _KEY_BUILDERS.get(path)
    if running is not None:
        running.join()


def answer_slot(answers: dict, field: str) -> tuple[dict, str]:
    """Where an answer lives: (`answers`, "age"), or for `members.2.age` the second instance
    of the repeat `members` and "age". KeyError when there is no such instance."""
    repeat, _, rest = field.partition(".")
    if not rest:
        return answers, field
    position, _, name = rest.partition(".")
    instances = answers.get(repeat)
    index = int(position) - 1 if re.fullmatch(r"[0-9]{1,4}", position) else -1
    if (
        not name
        or not isinstance(instances, list)
        or not 0 <= index < len(instances)
        or not isinstance(instances[index], dict)
    ):
        raise KeyError(field)
    return instances[index], name


# As json.dumps(answers, ensure_ascii=False, sort_keys=True), without building an encoder
# for every record: the same bytes.
_ANSWERS_ENCODER = json.JSONEncoder(ensure_ascii=False, sort_keys=True)


def nested_instances(answers: dict, lineage) -> list[tuple[tuple[int, ...], dict]]:
    """(positions, answers) of each instance of the repeat at the end of `lineage` (the
    repeats it is in first) in a record's answers, in order: the instances the SQL of
    Store._instances finds (lists of objects), positions from 1, outermost first."""
    found: list[tuple[tuple[int, ...], dict]] = [((), answers)]
    for name in lineage:
        found = [
            ((*positions, n), item)
            for positions, scope in found
            if isinstance(scope.get(name), list)
            for n, item in enumerate(scope[name], 1)
            if isinstance(item, dict)
        ]
    return found


def answers_json(answers: dict) -> str:
    return _ANSWERS_ENCODER.encode(answers)


_RECORD_COLUMNS = (
    "uuid, revision, device_id, form_id, form_version, locale, collected,"
    " enumerator, answers, received_at, batch_id, is_latest, access_class,"
    " clock_flag"
)
_ROW_LATEST, _ROW_CLASS = 11, 12  # positions in a row of _RECORD_COLUMNS
_PARAMETERS_PER_QUERY = 500  # uuids per `IN (...)` list


def _chunks(items: list) -> list[list]:
    """`items` in lists of at most _PARAMETERS_PER_QUERY (one `IN (...)` each)."""
    return [
        items[start : start + _PARAMETERS_PER_QUERY]
        for start in range(0, len(items), _PARAMETERS_PER_QUERY)
    ]


class RecordWriter:
    """The records of one batch, stored exactly as `Store.add_record` would store them one
    after the other, but read with one query and written with one statement per table.

    The stored revisions of the batch's uuids are read once; every later decision (is this
    revision the newest, is the record sensitive, who owns it) is made on that and on the
    revisions added before in the batch. The caller holds a write transaction and the
    records' locks (Store.lock_records), so no other writer changes them meanwhile;
    `flush` checks that all the new rows went in all the same.
    """

    def __init__(self, store: Store, device_id: str, batch_id: str, uuids):
        self.store, self.device_id, self.batch_id = store, device_id, batch_id
        self.now = now_iso()  # a batch is received, and committed, at one time
        self.rows: dict[tuple[str, int], list] = {}  # new rows, in arrival order
        self.audits: list[list] = []
        self.superseded: dict[str, int] = {}  # stored rows below this revision: not latest
        self.made_sensitive: set[str] = set()  # records whose stored rows become sensitive
        # Per uuid: its revisions {revision: device}, owner, newest, whether any is sensitive.
        self._known: dict[str, dict] = {}
        self._stored: set[tuple[str, int]] = set()  # rows already in the database
        self._in_database: set[str] = set()  # uuids with rows already in the database
        wanted = sorted(set(uuids))
        for chunk in _chunks(wanted):
            rows = self.store.db.execute(
                "SELECT uuid, revision, device_id, access_class FROM records WHERE uuid IN"
                f" ({', '.join('?' * len(chunk))}) ORDER BY uuid, received_at, revision",
                chunk,
            ).fetchall()
            for record_uuid, revision, device_id, access_class in rows:
                self._remember(record_uuid, revision, device_id, access_class == "sensitive")
                self._stored.add((record_uuid, revision))
                self._in_database.add(record_uuid)

    def _remember(self, record_uuid: str, revision: int, device_id: str, sensitive: bool) -> None:
        known = self._known.setdefault(
            record_uuid,
            {"owner": device_id, "newest": revision, "sensitive": False, "revisions": {}},
        )
        known["revisions"][revision] = device_id
        known["newest"] = max(known["newest"], revision)
        known["sensitive"] = known["sensitive"] or sensitive

    def owner(self, record_uuid: str) -> str | None:
        """The device that first sent this record (its revision received first), None if it
        is new: every revision must come from that device."""
        known = self._known.get(record_uuid)
        return known["owner"] if known else None

    def stored(self, record_uuid: str, revision: int) -> dict | None:
        """The device and answers JSON of a stored (or just added) revision, or None."""
        row = self.rows.get((record_uuid, revision))
        if row is not None:
            return {"device_id": row[2], "answers": row[8]}
        if (record_uuid, revision) in self._stored:
            return self.store.stored_record(record_uuid, revision)
        return None

    def add(
        self, record: dict, answers_text: str, access_class: str, clock_flag: str | None
    ) -> bool:
        """Add one revision (its answers as `answers_json`); False when this (uuid,
        revision) is stored already, or was added before in the batch."""
        from . import access

        record_uuid, revision = record["uuid"], record["revision"]
        known = self._known.get(record_uuid)
        if known is not None and revision in known["revisions"]:
            return False
        latest = known is None or revision > known["newest"]
        prior = (
            None if known is None else (access.SENSITIVE if known["sensitive"] else access.STANDARD)
        )
        access_class = access.strictest(access_class, prior)
        self.rows[(record_uuid, revision)] = [
            record_uuid,
            revision,
            self.device_id,
            record["form_id"],
            record["form_version"],
            record["locale"],
            record["collected"],
            record["enumerator"],
            answers_text,
            self.now,
            self.batch_id,
            int(latest),
            access_class,
            clock_flag,
        ]
        in_database = record_uuid in self._in_database
        if known is not None and latest:
            self._mark(record_uuid, known, revision, _ROW_LATEST, 0)
            if in_database:
                self.superseded[record_uuid] = revision
        if prior is not None and access_class != prior:
            # A sensitive revision makes the whole record sensitive (fail closed).
            self._mark(record_uuid, known, None, _ROW_CLASS, access_class)
            if in_database:
                self.made_sensitive.add(record_uuid)
        self._remember(record_uuid, revision, self.device_id, access_class == access.SENSITIVE)
        self.audit(f"device:{self.device_id}", "record_stored", record_uuid, revision)
        return True

    def _mark(
        self, record_uuid: str, known: dict | None, below: int | None, column: int, value
    ) -> None:
        """Set `column` of the rows of this record added in the batch (below a revision)."""
        for revision in (known or {}).get("revisions", ()):
            row = self.rows.get((record_uuid, revision))
            if row is not None and (below is None or revision < below):
                row[column] = value

    def audit(
        self,
        actor: str,
        action: str,
        record_uuid: str | None = None,
        revision: int | None = None,
        detail: str | None = None,
    ) -> None:
        """An audit entry, written with the records (in this order)."""
        self.audits.append([self.now, actor, action, record_uuid, revision, detail])

    @property
    def latest_revisions(self) -> dict[str, int]:
        """{uuid: revision} of the records whose newest revision is one added here."""
        return {row[0]: row[1] for row in self.rows.values() if row[_ROW_LATEST]}

    def flush(self) -> None:
        """Write the batch: records, then the changes to stored rows, then the audit
        (once: call it at the end of the batch)."""
        db = self.store.db
        if self.rows:
            inserted = db.executemany(
                f"INSERT INTO records ({_RECORD_COLUMNS}) VALUES"
                f" ({', '.join('?' * 14)}) ON CONFLICT DO NOTHING",
                list(self.rows.values()),
            )
            if inserted != len(self.rows):
                # Only a writer that ignored the records' locks can do this: store nothing.
                raise RuntimeError(
                    f"{len(self.rows) - inserted} records of batch "
                    f"{self.batch_id} were stored meanwhile by another writer"
                )
        if self.superseded:
            db.executemany(
                "UPDATE records SET is_latest = 0 WHERE uuid = ? AND revision < ?",
                [
                    [record_uuid, self.superseded[record_uuid]]
                    for record_uuid in sorted(self.superseded)
                ],
            )
        if self.made_sensitive:
            db.executemany(
                "UPDATE records SET access_class = 'sensitive' WHERE uuid = ?",
                [[record_uuid] for record_uuid in sorted(self.made_sensitive)],
            )
        if self.audits:
            db.executemany(
                "INSERT INTO audit (at, actor, action, uuid, revision, detail)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                self.audits,
            )


@migrations()
def m001_initial(db):
    ddl(
        db,
        """CREATE TABLE users (
        id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE COLLATE NOCASE,
        role TEXT NOT NULL CHECK (role IN ('admin', 'analyst', 'viewer')),
        password_hash TEXT NOT NULL, created_at TEXT NOT NULL)""",
    )
    ddl(
        db,
        """CREATE TABLE devices (
        id TEXT PRIMARY KEY, label TEXT NOT NULL, token_hash TEXT NOT NULL UNIQUE,
        enrollment_id TEXT NOT NULL, enrolled_at TEXT NOT NULL, last_seen TEXT,
        queued INTEGER, app_version TEXT, revoked_at TEXT)""",
    )
    ddl(
        db,
        """CREATE TABLE enrollment_codes (
        code_hash TEXT PRIMARY KEY, label TEXT NOT NULL, created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL, used_at TEXT, device_id TEXT, enrollment_id TEXT)""",
    )
    ddl(
        db,
        """CREATE TABLE batches (
        batch_id TEXT PRIMARY KEY, device_id TEXT NOT NULL REFERENCES devices(id),
        received_at TEXT NOT NULL, records INTEGER NOT NULL, source TEXT NOT NULL)""",
    )
    ddl(
        db,
        """CREATE TABLE records (
        uuid TEXT NOT NULL, revision INTEGER NOT NULL,
        device_id TEXT NOT NULL REFERENCES devices(id),
        form_id TEXT NOT NULL, form_version TEXT NOT NULL, locale TEXT NOT NULL,
        collected TEXT NOT NULL, enumerator TEXT, answers TEXT NOT NULL,
        received_at TEXT NOT NULL, batch_id TEXT NOT NULL REFERENCES batches(batch_id),
        PRIMARY KEY (uuid, revision))""",
    )
    ddl(db, "CREATE INDEX records_by_device ON records (device_id, uuid, revision)")
    ddl(db, "CREATE INDEX records_by_form ON records (form_id, received_at)")
    ddl(
        db,
        """CREATE TABLE audit (
        id INTEGER PRIMARY KEY, at TEXT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL,
        uuid TEXT, revision INTEGER, detail TEXT)""",
    )
    ddl(
        db,
        """CREATE TABLE forms (
        form_id TEXT NOT NULL, version TEXT NOT NULL, definition TEXT NOT NULL,
        hash TEXT NOT NULL, published_at TEXT NOT NULL, PRIMARY KEY (form_id, version))""",
    )
    ddl(
        db,
        """CREATE TABLE replies (
        seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE,
        device_id TEXT NOT NULL REFERENCES devices(id), record_uuid TEXT NOT NULL,
        message TEXT NOT NULL, locale TEXT, created_at TEXT NOT NULL, author TEXT NOT NULL)""",
    )
    ddl(db, "CREATE INDEX replies_by_device ON replies (device_id, seq)")


@migrations()
def m002_workspace(db):
    ddl(db, "ALTER TABLE records ADD COLUMN is_latest INTEGER NOT NULL DEFAULT 1")
    # Analysts' corrections: the original `answers` is never changed.
    ddl(db, "ALTER TABLE records ADD COLUMN answers_current TEXT")
    ddl(
        db,
        "ALTER TABLE records ADD COLUMN review TEXT NOT NULL DEFAULT 'new'"
        " CHECK (review IN ('new', 'approved', 'flagged'))",
    )
    ddl(db, "ALTER TABLE records ADD COLUMN review_note TEXT")
    ddl(db, "CREATE INDEX records_latest ON records (form_id, is_latest, received_at)")
    ddl(
        db,
        """CREATE TABLE corrections (
        id INTEGER PRIMARY KEY, uuid TEXT NOT NULL, revision INTEGER NOT NULL,
        field TEXT NOT NULL, old_value TEXT, new_value TEXT, author TEXT NOT NULL,
        at TEXT NOT NULL, FOREIGN KEY (uuid, revision) REFERENCES records(uuid, revision))""",
    )
    ddl(
        db,
        """CREATE TABLE feedback_cases (
        uuid TEXT PRIMARY KEY, status TEXT NOT NULL DEFAULT 'new'
        CHECK (status IN ('new', 'in_progress', 'answered', 'closed')),
        sensitive INTEGER NOT NULL DEFAULT 0, updated_at TEXT NOT NULL)""",
    )


@migrations()
def m003_export_order(db):
    # Exports and the records API read in (received_at, uuid) order: with uuid in the
    # index, SQLite streams them without sorting a million rows first.
    ddl(db, "DROP INDEX records_latest")
    ddl(db, "CREATE INDEX records_latest ON records (form_id, is_latest, received_at, uuid)")


@migrations()
def m004_security_log_and_sessions(db):
    from collector import security_log, sessions

    ddl(db, security_log.TABLE_SQL)
    ddl(db, sessions.TABLE_SQL)
    ddl(db, sessions.INDEX_SQL)


@migrations()
def m007_device_keys(db):
    # Each device's own Ed25519 public key: USB bundles are verified with it, so nothing
    # the server stores is enough to sign one.
    ddl(db, "ALTER TABLE devices ADD COLUMN public_key TEXT")


@migrations()
def m005_accounts_and_tokens(db):
    ddl(db, "ALTER TABLE users ADD COLUMN disabled_at TEXT")
    # Personal API tokens: only a SHA-256 of each is kept; the token is shown once.
    ddl(
        db,
        """CREATE TABLE api_tokens (
        id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users(id),
        label TEXT NOT NULL, token_hash TEXT NOT NULL UNIQUE, scope TEXT NOT NULL,
        created_at TEXT NOT NULL, last_used_at TEXT, revoked_at TEXT, expires_at TEXT)""",
    )
    ddl(db, "CREATE INDEX api_tokens_by_user ON api_tokens (user_id)")


@migrations()
def m008_releases(db):
    # The disclosure report of every record-level release (sync_server.disclosure).
    ddl(
        db,
        """CREATE TABLE releases (
        id INTEGER PRIMARY KEY, at TEXT NOT NULL, actor TEXT NOT NULL, form_id TEXT NOT NULL,
        format TEXT NOT NULL, report TEXT NOT NULL)""",
    )
    ddl(db, "CREATE INDEX releases_by_form ON releases (form_id, id)")


@migrations()
def m006_access_classes(db):
    # Who may see a record (sync_server.access): sensitive unless classified otherwise,
    # so a row stored without a class is admins-only (fail closed).
    ddl(
        db,
        "ALTER TABLE records ADD COLUMN access_class TEXT NOT NULL DEFAULT 'sensitive'"
        " CHECK (access_class IN ('standard', 'sensitive'))",
    )
    # A collection date far from the server's ("future", "past"): the laptop's clock.
    ddl(
        db,
        "ALTER TABLE records ADD COLUMN clock_flag TEXT CHECK (clock_flag IN ('future', 'past'))",
    )
    _classify_stored_records(db)
    if db.dialect.name == "sqlite":  # a PostgreSQL database never held unflagged records
        _flag_stored_clocks(db)


def _classify_stored_records(db) -> None:
    """Records stored before access classes, classified by their forms as at ingest."""
    from collector import form_catalogue

    from . import access

    versions = db.execute("SELECT DISTINCT form_id, form_version FROM records").fetchall()
    for form_id, version in versions:
        stored = db.execute(
            "SELECT definition FROM forms WHERE form_id = ? AND version = ?", [form_id, version]
        ).fetchone()
        form = form_catalogue.form_version(form_id, version, stored[0] if stored else None)
        rule = form.data.get("access") if form is not None else None
        where, params = "form_id = ? AND form_version = ?", [form_id, version]
        if form is not None and not rule:
            db.execute(f"UPDATE records SET access_class = 'standard' WHERE {where}", params)
            continue
        for uuid, revision, answers in db.execute(
            f"SELECT uuid, revision, answers FROM records WHERE {where}", params
        ).fetchall():
            db.execute(
                "UPDATE records SET access_class = ? WHERE uuid = ? AND revision = ?",
                [access.classify(form, json.loads(answers)), uuid, revision],
            )
    # A record is as sensitive as its most sensitive revision.
    db.execute(
        "UPDATE records SET access_class = 'sensitive' WHERE access_class = 'standard'"
        " AND uuid IN (SELECT uuid FROM records WHERE access_class = 'sensitive')"
    )


def _flag_stored_clocks(db) -> None:
    """Records stored before clock flags, flagged against the day the server received them."""
    from .ingest import CLOCK_FUTURE_DAYS, CLOCK_PAST_DAYS

    db.execute(
        "UPDATE records SET clock_flag = CASE"
        " WHEN julianday(substr(collected, 1, 10)) > julianday(substr(received_at, 1, 10))"
        " + ? THEN 'future'"
        " WHEN julianday(substr(collected, 1, 10)) < julianday(substr(received_at, 1, 10))"
        " - ? THEN 'past' END",
        [CLOCK_FUTURE_DAYS, CLOCK_PAST_DAYS],
    )


@migrations()
def m009_user_names_ignore_case(db):
    # One account per name whatever its case, on both engines (SQLite's NOCASE column
    # already did this; PostgreSQL needs the index).
    ddl(db, "CREATE UNIQUE INDEX users_by_name ON users (lower(name))")


@migrations()
def m010_survey_designs(db):
    # A form's survey design (sync_server.designs): stratum, cluster, weights, population
    # totals, as checked JSON. Each record's values are in the facts' survey_units.
    ddl(
        db,
        """CREATE TABLE survey_designs (
        form_id TEXT PRIMARY KEY, definition TEXT NOT NULL,
        updated_at TEXT NOT NULL, updated_by TEXT NOT NULL)""",
    )


@migrations()
def m011_pending_forms(db):
    # Forms checked on the Forms page and shown in preview, until "Publish" (Store above).
    ddl(
        db,
        """CREATE TABLE pending_forms (
        seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, actor TEXT NOT NULL,
        definition TEXT NOT NULL, notes TEXT NOT NULL, created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL)""",
    )


@migrations()
def m012_design_builds(db):
    # A design is declared, then its units computed a few thousand records per transaction:
    # the last uuid done, NULL once every record is (sync_server.designs.build_design).
    ddl(db, "ALTER TABLE survey_designs ADD COLUMN built_through TEXT")


@migrations()
def m013_attachments(db):
    # Attachments (Store's attachment block, sync_server.attachments): each file once by
    # its SHA-256, its bytes in the data dir; the links say which record's question holds it.
    ddl(
        db,
        """CREATE TABLE attachment_files (
        sha256 TEXT PRIMARY KEY, size INTEGER NOT NULL, media_type TEXT NOT NULL,
        device_id TEXT NOT NULL REFERENCES devices(id), created_at TEXT NOT NULL,
        completed_at TEXT)""",
    )
    ddl(db, "CREATE INDEX attachment_files_by_device ON attachment_files (device_id, created_at)")
    ddl(
        db,
        """CREATE TABLE attachment_links (
        seq INTEGER PRIMARY KEY AUTOINCREMENT, uuid TEXT NOT NULL, revision INTEGER NOT NULL,
        question TEXT NOT NULL, sha256 TEXT NOT NULL REFERENCES attachment_files(sha256),
        device_id TEXT NOT NULL REFERENCES devices(id), linked_at TEXT NOT NULL,
        UNIQUE (uuid, revision, question),
        FOREIGN KEY (uuid, revision) REFERENCES records(uuid, revision))""",
    )
    ddl(db, "CREATE INDEX attachment_links_by_device ON attachment_links (device_id, seq)")
    ddl(db, "CREATE INDEX attachment_links_by_hash ON attachment_links (sha256)")


@migrations()
def m014_prompt_files(db):
    # Prompt files of published forms (Store's prompt block, sync_server.prompts): each once
    # by its SHA-256, its bytes in the data dir; form_prompts says which version names it.
    ddl(
        db,
        """CREATE TABLE prompt_files (
        sha256 TEXT PRIMARY KEY, extension TEXT NOT NULL, size INTEGER NOT NULL,
        added_at TEXT NOT NULL)""",
    )
    ddl(
        db,
        """CREATE TABLE form_prompts (
        form_id TEXT NOT NULL, version TEXT NOT NULL, name TEXT NOT NULL,
        sha256 TEXT NOT NULL REFERENCES prompt_files(sha256),
        PRIMARY KEY (form_id, version, name),
        FOREIGN KEY (form_id, version) REFERENCES forms(form_id, version))""",
    )
    ddl(db, "CREATE INDEX form_prompts_by_hash ON form_prompts (sha256)")


@migrations()
def m015_retention(db):
    # Retention on the central server (sync_server.retention): a form's period in days, and
    # a tombstone per removed revision so that no laptop brings a removed record back.
    ddl(
        db,
        """CREATE TABLE form_retention (
        form_id TEXT PRIMARY KEY, days INTEGER NOT NULL CHECK (days > 0),
        updated_at TEXT NOT NULL, updated_by TEXT NOT NULL)""",
    )
    ddl(
        db,
        """CREATE TABLE record_tombstones (
        uuid TEXT NOT NULL, revision INTEGER NOT NULL,
        device_id TEXT NOT NULL REFERENCES devices(id), form_id TEXT NOT NULL,
        removed_at TEXT NOT NULL, PRIMARY KEY (uuid, revision))""",
    )
    ddl(
        db,
        "CREATE INDEX record_tombstones_by_device ON record_tombstones (device_id, uuid, revision)",
    )


@migrations()
def m016_answer_keys(db):
    # The data table's sort and filter keys (Store.keyed_columns): a row per record and
    # question sorted or filtered by, made on first use; two indexes in the table's order,
    # one per direction, each with empty answers last and ties by record.
    text = 'TEXT COLLATE "C"' if db.dialect.name == "postgresql" else "TEXT"  # byte order
    ddl(
        db,
        f"""CREATE TABLE answer_keys (
        record_uuid TEXT NOT NULL, question TEXT NOT NULL, form TEXT NOT NULL,
        empty INTEGER NOT NULL, num REAL, txt {text},
        PRIMARY KEY (record_uuid, question)) WITHOUT ROWID""",
    )
    ddl(
        db,
        "CREATE INDEX answer_keys_asc ON answer_keys"
        " (form, question, empty, num, txt, record_uuid)",
    )
    ddl(
        db,
        "CREATE INDEX answer_keys_desc ON answer_keys"
        " (form, question, empty, num DESC, txt DESC, record_uuid)",
    )
    ddl(
        db,
        """CREATE TABLE answer_key_columns (
        form TEXT NOT NULL, question TEXT NOT NULL, spec TEXT NOT NULL,
        made_at TEXT NOT NULL, PRIMARY KEY (form, question))""",
    )


@migrations()
def m017_answer_key_builds(db):
    # A question's keys are made a few thousand records per transaction (Store.key_step):
    # the last record done ("received_at|uuid", '' before the first), NULL once all are.
    # Keys made before this were made in one go: complete.
    ddl(db, "ALTER TABLE answer_key_columns ADD COLUMN built_through TEXT")


@migrations()
def m018_help_contacts(db):
    # Help and referral contacts by area (sync_server.help_contacts), '' for every area:
    # the hubs get them with the form list. `languages`: a JSON list of language codes.
    ddl(
        db,
        """CREATE TABLE help_contacts (
        id INTEGER PRIMARY KEY, area TEXT NOT NULL, name TEXT NOT NULL,
        description TEXT NOT NULL, phone TEXT NOT NULL, hours TEXT NOT NULL,
        languages TEXT NOT NULL, updated_at TEXT NOT NULL, updated_by TEXT NOT NULL)""",
    )


@migrations()
def m019_more_answer_keys(db):
    # Multiple choice filters read keys too (Store._fill_choice_keys): a row per record,
    # question and code ticked, indexed by code. Questions keyed before this (sorted by
    # their first code) have no such rows yet: they are built again, step by step.
    ddl(
        db,
        """CREATE TABLE answer_choice_keys (
        record_uuid TEXT NOT NULL, question TEXT NOT NULL, code TEXT NOT NULL,
        form TEXT NOT NULL, PRIMARY KEY (record_uuid, question, code)) WITHOUT ROWID""",
    )
    ddl(
        db,
        "CREATE INDEX answer_choice_keys_by_code ON answer_choice_keys"
        " (form, question, code, record_uuid)",
    )
    db.execute(
        "UPDATE answer_key_columns SET built_through = '' WHERE spec LIKE ?", ['["choices"%']
    )
    # A repeat's table sorts by keys too (Store._fill_item_keys): answer_keys' columns for
    # each instance (`item`, from 1) of a question named REPEAT/NAME, in the same orders.
    text = 'TEXT COLLATE "C"' if db.dialect.name == "postgresql" else "TEXT"  # byte order
    ddl(
        db,
        f"""CREATE TABLE answer_item_keys (
        record_uuid TEXT NOT NULL, question TEXT NOT NULL, item INTEGER NOT NULL,
        form TEXT NOT NULL, empty INTEGER NOT NULL, num REAL, txt {text},
        PRIMARY KEY (record_uuid, question, item)) WITHOUT ROWID""",
    )
    for name, way in (("asc", ""), ("desc", " DESC")):
        ddl(
            db,
            f"CREATE INDEX answer_item_keys_{name} ON answer_item_keys"
            f" (form, question, empty, num{way}, txt{way}, record_uuid, item)",
        )


@migrations()
def m020_item_choice_keys(db):
    # A repeat's multiple choice filters read keys too (Store._fill_item_choice_keys): a
    # row per record, instance, question (REPEAT/NAME) and code ticked, indexed by code.
    # A repeat's multiple choice questions keyed before this (sorted by their first code)
    # have no such rows yet: they are built again, step by step.
    ddl(
        db,
        """CREATE TABLE answer_item_choice_keys (
        record_uuid TEXT NOT NULL, question TEXT NOT NULL, item INTEGER NOT NULL,
        code TEXT NOT NULL, form TEXT NOT NULL,
        PRIMARY KEY (record_uuid, question, item, code)) WITHOUT ROWID""",
    )
    ddl(
        db,
        "CREATE INDEX answer_item_choice_keys_by_code ON answer_item_choice_keys"
        " (form, question, code, record_uuid, item)",
    )
    db.execute(
        "UPDATE answer_key_columns SET built_through = '' WHERE spec LIKE ? AND question LIKE ?",
        ['["choices"%', "%/%"],
    )
