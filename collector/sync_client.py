"""The collector's side of sync: enroll, push the outbox, pull forms and replies, reconcile.

A record is marked sent only from the server's answer, in one transaction, and
nothing is ever assumed delivered: reconciliation compares what both sides hold.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import time
import uuid as uuid_module
from dataclasses import dataclass, field
from pathlib import Path

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from . import (
    attachments,
    device_keys,
    help_contacts,
    keyfile,
    paradata,
    prompts,
    protocol,
    sealed_bundles,
)
from .anonymizer import AnonymizerError, anonymize
from .clock import now_iso
from .datadir import read_secret, write_secret
from .db import write_transaction
from .form_library import (
    FormRefused,
    form_version,
    import_server_form,
    refuse_unreadable,
    was_refused,
)
from .forms import FEEDBACK_FORM, FormError, builtin_forms, load_form_json
from .protection import open_json, seal_json, seal_text
from .protocol import API_PREFIX, RESULT_DUPLICATE, RESULT_REJECTED, RESULT_STORED
from .security_log import log_event
from .settings import load_settings
from .version import __version__

LOG = logging.getLogger(__name__)
TIMEOUT = (10, 60)  # connect, read: a satellite link is slow but must not hang for ever
MIN_BATCH_BYTES, START_BATCH_BYTES = 8 * 1024, 32 * 1024
# A batch that took less than this grows, one that took more than twice this shrinks:
# a slow link sends small batches, each confirmed on its own; a good one sends few.
SECONDS_PER_BATCH = 8
# Compressed size / plain size of a batch's records, until measured. Columns and zstd make a
# survey batch about 1/30 of its records' JSON; a lower guess would only send more batches.
START_COMPRESSION = 1 / 16
# hub_state: the hashes of the prompt files the server offers with its forms (the form
# list's `prompt_files`, docs/protocol.md); absent until a form list has been read whole.
PROMPTS_OFFERED = "prompts_offered"
# Queued revisions anonymized ahead of a sync per round of the hub's background work, and
# per write transaction: about 2 ms each, so a page waits at most a tenth of a second.
PREPARE_LIMIT, PREPARE_CHUNK = 500, 50
_BUILTINS = builtin_forms()
# A queued revision with what the anonymizer needs: its answers and its enumerator's name.
REVISION_SQL = (
    "SELECT o.uuid, o.revision, v.form_id, v.form_version, v.locale, v.answers, v.finalized_at,"
    " v.started_at, v.paradata, o.redactions, o.payload, o.payload_basis,"
    " u.name AS enumerator FROM outbox o"
    " JOIN revisions v ON v.uuid = o.uuid AND v.revision = o.revision"
    " LEFT JOIN users u ON u.id = v.enumerator_id"
)


def _offered_prompts(listing) -> list[str]:
    """The hashes of the prompt files a form list offers (a 1.0 or 1.1 server's list, or an
    older one, offers none: nothing is fetched)."""
    offered = set()
    for item in listing if isinstance(listing, list) else []:
        files = item.get("prompt_files") if isinstance(item, dict) else None
        for sha in files if isinstance(files, list) else []:
            if isinstance(sha, str) and attachments.SHA256.fullmatch(sha):
                offered.add(sha)
    return sorted(offered)


def revision_answers(db, row: dict) -> dict:
    """The answers of a REVISION_SQL row, opened when the data folder is protected."""
    return open_json(db, row["answers"], "revisions", "answers", row["uuid"], row["revision"])


def revision_redactions(db, row: dict) -> list[str]:
    """The words the operator removed from a REVISION_SQL row (collector.review)."""
    if not row.get("redactions"):
        return []
    return open_json(db, row["redactions"], "outbox", "redactions", row["uuid"], row["revision"])


class SyncError(Exception):
    """Sync could not finish; `message` says why in plain words."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


class DeviceRevoked(SyncError):
    """The central team revoked this laptop: stop trying, keep every record."""


class ServerNotProven(SyncError):
    """The server at the enrolled address did not prove it is the one enrolled with:
    nothing was sent, not even the token."""

    def __init__(self, code: str, message: str, enrolled: str | None, found: str | None):
        super().__init__(code, message)
        self.enrolled, self.found = enrolled or "", found or ""


def no_key_error() -> SyncError:
    """Records cannot leave without pseudonyms, and only the data custodian has the key."""
    return SyncError(
        "no_pseudonym_key",
        "The project's pseudonym key is not installed on "
        "this laptop: ask the data custodian for the key file and run collector "
        "keys import.",
    )


@dataclass
class Credentials:
    server_url: str
    device_id: str
    token: str
    # The custodian's key as the hub keeps it (hex text), None until `collector keys import`.
    pseudonym_key: str | None
    # The hub's phone_region setting: how phone numbers without a country code are read.
    phone_region: str = ""
    # The hub's hold_free_text_for_review setting: forms whose free text the operator
    # releases before it leaves (collector.review).
    hold_for_review: tuple = (FEEDBACK_FORM,)


@dataclass
class SyncReport:
    stored: int = 0
    duplicate: int = 0
    rejected: int = 0
    forms_added: list = field(default_factory=list)
    replies_added: int = 0
    reconcile: dict | None = None
    attachments_sent: int = 0  # photos, recordings and files the server now holds whole
    attachments_waiting: int = 0  # still to go (the server's daily allowance, a refusal)
    prompts_fetched: int = 0  # forms' recordings and pictures that arrived from the server
    prompts_waiting: int = 0  # offered but not arrived (a cut link, a wrong hash): next sync


# -- hub_state ----------------------------------------------------------------------------


def get_state(db, key: str, default=None):
    row = db.execute("SELECT value FROM hub_state WHERE key = ?", [key]).fetchone()
    return json.loads(row[0]) if row else default


def set_state(db, key: str, value) -> None:
    db.execute(
        "INSERT OR REPLACE INTO hub_state (key, value) VALUES (?, ?)", [key, json.dumps(value)]
    )


# -- enrollment ---------------------------------------------------------------------------


def load_credentials(db, data_dir: Path) -> Credentials | None:
    enrolled = get_state(db, "enrollment")
    token = read_secret(data_dir, "device_token")
    if not enrolled or token is None:
        return None
    settings = load_settings(data_dir)
    return Credentials(
        enrolled["server_url"],
        enrolled["device_id"],
        token,
        _installed_key_text(data_dir),
        settings["phone_region"],
        tuple(settings["hold_free_text_for_review"]),
    )


def _installed_key_text(data_dir: Path) -> str | None:
    """The pseudonym key as pseudonyms are keyed with it; None when none (or a damaged one)
    is installed: the hub then syncs nothing and says why."""
    try:
        key = keyfile.installed_key(data_dir)
    except keyfile.KeyFileError:
        return None
    return keyfile.hmac_key(key).decode("ascii") if key else None


@dataclass
class ServerIdentity:
    """Who a server says it is, shown to the operator before anything changes."""

    url: str
    name: str
    fingerprint: str

    @property
    def https(self) -> bool:
        return self.url.startswith("https://")


def server_identity(server_url: str, session=None) -> ServerIdentity:
    """Step 1 of an enrollment: ask the server who it is. Sends no code, changes nothing."""
    server_url = server_url.rstrip("/")
    answer = _call(session or make_session(), "GET", server_url + API_PREFIX + "/health")
    server = answer.get("server") if isinstance(answer, dict) else None
    if not isinstance(server, dict) or not isinstance(server.get("fingerprint"), str):
        raise SyncError(
            "no_server_identity",
            "The server did not say who it is: it is not a sync server, or too old to enroll with.",
        )
    return ServerIdentity(server_url, str(server.get("name") or ""), server["fingerprint"])


def same_fingerprint(one: str | None, other: str | None) -> bool:
    """Fingerprints compared as a person reads them: spaces and case do not matter."""

    def plain(text):
        return "".join(str(text or "").split()).upper()

    return bool(plain(one)) and plain(one) == plain(other)


def current_server(db) -> dict | None:
    """The enrollment in force (server_url, device_id, server_fingerprint...), or None."""
    return get_state(db, "enrollment")


def enroll(
    db,
    data_dir: Path,
    server_url: str,
    code: str,
    session=None,
    expected_fingerprint: str | None = None,
    account: str | None = None,
) -> Credentials:
    """Exchange a one-time code for a device token (step 2 of an enrollment).

    The answer must be signed by the server's identity key and, when the operator
    confirmed a fingerprint, come from that key; otherwise nothing changes. The pseudonym
    key is not the server's to give: it comes from the data custodian (collector.keyfile),
    and an older server's key in the answer is ignored.
    """
    server_url = server_url.rstrip("/")
    session = session or make_session()
    if expected_fingerprint is not None:
        # Checked again before the code leaves: the address may now lead elsewhere.
        _check_fingerprint(server_identity(server_url, session).fingerprint, expected_fingerprint)
    pending = get_state(db, "pending_enrollment") or {}
    if pending.get("code") != code.strip().upper():
        # Kept before asking, so a retry after a lost answer is recognised by the server.
        pending = {"code": code.strip().upper(), "enrollment_id": str(uuid_module.uuid4())}
        with write_transaction(db):
            set_state(db, "pending_enrollment", pending)
    message = {
        "protocol": protocol.PROTOCOL_VERSION,
        "code": pending["code"],
        "enrollment_id": pending["enrollment_id"],
        "app_version": __version__,
        "device_public_key": device_keys.public_key_text(data_dir),
    }
    answer = _call(session, "POST", server_url + API_PREFIX + "/enroll", json_body=message)
    server = _checked_answer(answer, pending["enrollment_id"], expected_fingerprint)
    previous = current_server(db)
    write_secret(data_dir, "device_token", answer["device_token"])
    with write_transaction(db):
        set_state(
            db,
            "enrollment",
            {
                "server_url": server_url,
                "device_id": answer["device_id"],
                "server_name": str(server.get("name") or ""),
                "server_fingerprint": server["fingerprint"],
                "server_public_key": str(server.get("public_key") or ""),
                "enrolled_at": now_iso(),
            },
        )
        db.execute(
            "DELETE FROM hub_state WHERE key IN ('pending_enrollment', 'device_revoked',"
            " 'forms_etag', 'replies_after', 'reconcile', 'last_error')"
        )
        # What the server speaks decides how the first push is written (SyncClient.modern).
        set_state(db, "server_protocol", str(answer.get("protocol") or ""))
        log_event(
            db,
            "server_changed" if _is_change(previous, server_url, server) else "device_enrolled",
            account,
            server["fingerprint"],
        )
    credentials = load_credentials(db, data_dir)
    assert credentials is not None  # the enrollment and token were written just above
    return credentials


def _check_fingerprint(found: str, expected: str) -> None:
    if not same_fingerprint(found, expected):
        raise SyncError(
            "fingerprint_mismatch",
            "The server's fingerprint is not the one you "
            "confirmed: nothing was changed. Check the address with the central "
            "team.",
        )


def _checked_answer(answer, enrollment_id: str, expected_fingerprint: str | None) -> dict:
    """The server part of an enroll answer that is signed, complete and, when one was
    confirmed, from the expected fingerprint; SyncError otherwise."""
    if not protocol.verify_server_answer(answer, enrollment_id):
        raise SyncError(
            "bad_server_signature",
            "The server's answer is not signed by its identity key: nothing was changed.",
        )
    if not all(
        isinstance(answer.get(key), str) and answer[key] for key in ("device_id", "device_token")
    ):
        raise SyncError("bad_answer", "The server's answer was not understood.")
    if expected_fingerprint is not None:
        _check_fingerprint(answer["server"]["fingerprint"], expected_fingerprint)
    return answer["server"]


def _is_change(previous: dict | None, server_url: str, server: dict) -> bool:
    if previous is None:
        return False
    return previous.get("server_url") != server_url or not same_fingerprint(
        previous.get("server_fingerprint"), server["fingerprint"]
    )


def _not_enrolled(enrolled: str, found: str | None, shown: str) -> ServerNotProven:
    # A fingerprint merely claimed, without a valid signature, is shown as such.
    this_server = found or (f"{shown}, not proven" if shown else "no proof")
    return ServerNotProven(
        "server_not_enrolled",
        "The server at this address is not the one this laptop enrolled with "
        f"(enrolled: {enrolled or 'unknown'}; this server: {this_server}). "
        "Nothing was sent. Check the address with the central team; if they moved or "
        "rebuilt the server, enroll again with a new code.",
        enrolled,
        found or shown,
    )


def _cannot_prove(enrolled: str) -> ServerNotProven:
    return ServerNotProven(
        "server_cannot_prove",
        "The server did not prove it is the one this laptop enrolled with "
        f"(fingerprint {enrolled or 'unknown'}): it is too old to be asked, or it is "
        "another server. Nothing was sent. Ask the central team to update the sync server.",
        enrolled,
        None,
    )


# -- HTTP ---------------------------------------------------------------------------------


def make_session(methods=("GET",)) -> requests.Session:
    """GETs retried by urllib3 with backoff; POSTs never are: a push is retried as a new batch.

    `methods`: what else may be retried; an attachment piece (PUT with its offset) may, as
    a piece the server already holds is answered with the server's offset."""
    session = requests.Session()
    retry = Retry(
        total=3,
        backoff_factor=0.5,
        backoff_jitter=0.5,
        allowed_methods=frozenset(methods),
        status_forcelist=(502, 503, 504),
        raise_on_status=False,
    )
    session.mount("http://", HTTPAdapter(max_retries=retry))
    session.mount("https://", HTTPAdapter(max_retries=retry))
    session.headers[protocol.VERSION_HEADER] = protocol.PROTOCOL_VERSION
    session.headers["User-Agent"] = f"feedback-collector/{__version__}"
    return session


def _call(
    session,
    method,
    url,
    token=None,
    json_body=None,
    data=None,
    headers=None,
    accept=(200,),
    timeout=TIMEOUT,
    params=None,
):
    headers = dict(headers or {})
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if json_body is not None:
        data, headers["Content-Type"] = protocol.dumps(json_body), "application/json"
    response = _send(
        session, method, url, data=data, headers=headers, timeout=timeout, params=params
    )
    if response.status_code in accept:
        return _json(response)
    _raise_for(response)


def _send(session, method, url, timeout=TIMEOUT, **kwargs) -> requests.Response:
    try:
        return session.request(method, url, timeout=timeout, **kwargs)
    except requests.RequestException as error:
        raise SyncError(
            "unreachable", f"The server cannot be reached ({type(error).__name__})."
        ) from error


def _json(response):
    try:
        return protocol.loads_json(response.content.decode("utf-8"))
    except (protocol.ProtocolError, UnicodeDecodeError):
        raise SyncError("bad_answer", "The server's answer was not understood.") from None


def _raise_for(response):
    try:
        error = response.json()["error"]
        code, message = error["code"], error["message"]
    except (ValueError, KeyError, TypeError):
        code = f"http_{response.status_code}"
        message = f"The server answered {response.status_code}."
    if code == "device_revoked":
        raise DeviceRevoked(code, message)
    raise SyncError(code, message)


# -- one sync -----------------------------------------------------------------------------


class SyncClient:
    """Sync one hub's database with its server; safe to interrupt at any point."""

    def __init__(self, db, credentials: Credentials, session=None, timeout=TIMEOUT):
        self.db, self.creds = db, credentials
        self.session = session or make_session()
        self.upload_session = session or make_session(("GET", "PUT"))
        self.timeout = timeout
        key = credentials.pseudonym_key
        self.key = key.encode("ascii") if key else None
        self.batch_bytes = START_BATCH_BYTES
        self.compression = START_COMPRESSION
        # What the last push's answer carried of forms, replies and the digest (protocol 1.1).
        self.extras: dict = {}
        self.server_protocol = str(get_state(db, "server_protocol", "") or "")
        self.proven = False  # the server answered this client's challenge (prove_server)

    @property
    def modern(self) -> bool:
        """The server speaks 1.1: batches go as columns with zstd, and a push with nothing
        to send still brings forms, replies and the digest. Unknown (a hub enrolled by an
        older collector) counts as 1.0 until a push's answer says otherwise."""
        return protocol.version_at_least(self.server_protocol, 1)

    def _note_server(self, version) -> None:
        if isinstance(version, str) and version != self.server_protocol and len(version) < 20:
            self.server_protocol = version
            with write_transaction(self.db):
                set_state(self.db, "server_protocol", version)

    def url(self, path: str) -> str:
        return self.creds.server_url + API_PREFIX + path

    def call(self, method, path, **kwargs):
        return _call(
            self.session,
            method,
            self.url(path),
            token=self.token(),
            timeout=self.timeout,
            **kwargs,
        )

    def token(self) -> str:
        """The device token, only once the server proved it is the one enrolled with."""
        self.prove_server()
        return self.creds.token

    def prove_server(self) -> None:
        """The server signs a fresh nonce with its identity key, and that key must be the
        one enrolled with: /health's fingerprint is public, anyone at the address could
        repeat it. Asked once per client, before the token or any record leaves."""
        if self.proven:
            return
        enrolled = str((current_server(self.db) or {}).get("server_fingerprint") or "")
        nonce = secrets.token_urlsafe(32)
        try:
            answer = _call(
                self.session,
                "POST",
                self.url("/identity"),
                json_body={"nonce": nonce},
                timeout=self.timeout,
            )
        except SyncError as error:
            if error.code not in ("http_404", "http_405", "not_found", "bad_answer"):
                raise  # unreachable, busy: no verdict on who answers
            self._refuse_server(_cannot_prove(enrolled))
        found = protocol.identity_answer_fingerprint(answer, nonce)
        if found is None or not same_fingerprint(found, enrolled):
            claimed = answer.get("server") if isinstance(answer, dict) else None
            shown = found or (claimed.get("fingerprint") if isinstance(claimed, dict) else None)
            self._refuse_server(_not_enrolled(enrolled, found, str(shown or "")))
        self.proven = True
        self._keep_server_key(answer["server"]["public_key"])

    def _keep_server_key(self, public_key: str) -> None:
        """A hub enrolled before the key was kept learns it from its first proof: USB
        bundles are sealed to it (collector.sealed_bundles)."""
        enrollment = current_server(self.db) or {}
        if enrollment and not enrollment.get("server_public_key"):
            with write_transaction(self.db):
                set_state(self.db, "enrollment", dict(enrollment, server_public_key=public_key))

    def _refuse_server(self, error: ServerNotProven):
        """Kept for the Sync page; in the security log once, not at every retry."""
        last = get_state(self.db, "last_error") or {}
        if last.get("code") != error.code or last.get("found") != error.found:
            with write_transaction(self.db):
                log_event(
                    self.db,
                    "server_refused",
                    None,
                    f"{error.code}: enrolled {error.enrolled}; found {error.found or 'none'}",
                )
        raise error

    def probe(self) -> bool:
        """A cheap check that the server answers; no token, no records."""
        try:
            response = self.session.get(self.url("/health"), timeout=(5, 10))
            return response.status_code == 200
        except requests.RequestException:
            return False

    def sync(self, progress=None) -> SyncReport:
        """Push, then pull, then reconcile; the outcome is kept for `collector status`.

        The last push asks for the forms, replies and digest in its answer: against a 1.1
        server a sync whose records fit one batch is one round trip. What the answer lacks
        (a 1.0 server, a new form version, more replies than a page) is fetched as before."""
        report = SyncReport()
        self.hold_for_review()
        try:
            if self.key is None:
                # Forms and replies need no pseudonyms; records wait for the key.
                report.forms_added = self.pull_forms()
                report.replies_added = self.pull_replies()
                self.fetch_prompts(report)
                raise no_key_error()
            self.push(report, progress)
            uploaded = self.upload_attachments(report)
            report.forms_added = self.pull_forms(self.extras.get("forms"))
            report.replies_added = self.pull_replies(self.extras.get("replies"))
            # The push's digest was taken before the files went: ask again after uploads.
            report.reconcile = self.reconcile(
                server=None if uploaded else self.extras.get("reconcile")
            )
            if report.reconcile["requeued"]:
                # What the server turned out to lack goes again now, then both sides re-check.
                self.push(report, progress, wants=("reconcile",))
                uploaded = self.upload_attachments(report)
                report.reconcile = self.reconcile(
                    requeued=report.reconcile["requeued"],
                    server=None if uploaded else self.extras.get("reconcile"),
                )
            self.fetch_prompts(report)
        except SyncError as error:
            self._remember(error)
            raise
        with write_transaction(self.db):
            set_state(self.db, "last_sync", now_iso())
            self.db.execute("DELETE FROM hub_state WHERE key = 'last_error'")
        return report

    def _remember(self, error: SyncError) -> None:
        kept = {"code": error.code, "message": error.message, "at": now_iso()}
        if isinstance(error, ServerNotProven):
            kept.update(enrolled=error.enrolled, found=error.found)
        with write_transaction(self.db):
            set_state(self.db, "last_error", kept)
            if isinstance(error, DeviceRevoked):
                set_state(self.db, "device_revoked", now_iso())

    # push

    def push(self, report: SyncReport, progress=None, wants=protocol.PUSH_WANTS) -> None:
        """Send every queued revision; the batch that empties the queue asks for `wants`.

        When no batch could ask (nothing queued, or the queue grew meanwhile) a 1.1 server
        gets an empty batch that only asks; a 1.0 server's answer has none of them, and
        sync() fetches them with GETs."""
        self.extras = {}
        while True:
            batch, pairs, body, last = self.next_batch()
            if batch is None:
                break
            self._push_batch(batch, pairs, body, report, progress, wants if last else ())
        if wants and not self.extras and self.modern:
            batch = protocol.batch_message(
                str(uuid_module.uuid4()), [], self._waiting(), __version__
            )
            self._push_batch(batch, [], self._encode(batch), report, progress, wants)

    def _push_batch(self, batch, pairs, body, report, progress, wants) -> None:
        started = time.monotonic()
        try:
            answer = self._post(body, wants)
        except SyncError as error:
            if not (self.modern and error.code in ("malformed_json", "bad_gzip")):
                raise
            # A server that went back to 1.0 cannot read columns or zstd: say so and send
            # the same records again as 1.0 (a new batch, as every retry is).
            self._note_server("1.0")
            batch = dict(batch, batch_id=str(uuid_module.uuid4()))
            body = self._encode(batch)
            answer = self._post(body, wants)
        self._adapt(time.monotonic() - started)
        self._note_server(answer.get("protocol"))
        try:
            results = protocol.expand_results(answer, pairs)
        except protocol.ProtocolError:
            raise SyncError("bad_answer", "The server's answer was not understood.") from None
        counts = self.apply_results(results, pairs)
        report.stored += counts[RESULT_STORED]
        report.duplicate += counts[RESULT_DUPLICATE]
        report.rejected += counts[RESULT_REJECTED]
        if progress and pairs:
            progress(len(pairs))
        if pairs and not any(counts.values()):
            raise SyncError("no_results", "The server answered without results.")
        # Only an answer to the batch that emptied the queue holds an up-to-date digest.
        self.extras = {want: answer[want] for want in wants if isinstance(answer.get(want), dict)}

    def _post(self, body: bytes, wants) -> dict:
        return self.call(
            "POST",
            "/records",
            data=body,
            accept=(200, 422),
            params=self._want_params(wants),
            headers={
                "Content-Type": "application/json",
                "Content-Encoding": "zstd" if self.modern else "gzip",
            },
        )

    def _want_params(self, wants) -> dict | None:
        """The push's query: what its answer should carry (a 1.0 server ignores it)."""
        if not wants:
            return None
        params = {"want": ",".join(wants)}
        if "forms" in wants:
            params["forms_etag"] = self._forms_etag() or ""
        if "replies" in wants:
            params["replies_after"] = str(get_state(self.db, "replies_after", 0))
        return params

    def _encode(self, batch: dict) -> bytes:
        """A batch as sent: columns with zstd to a 1.1 server, records with gzip to 1.0."""
        if self.modern:
            return protocol.encode_body(protocol.columns_of(batch), "zstd")
        return protocol.encode_body(batch, "gzip")

    def _adapt(self, seconds: float) -> None:
        """Double the batch after a quick answer, halve it after a slow one.

        Time, not bandwidth, is measured: on a satellite link most of a small
        batch's time is latency, which a larger batch does not make worse.
        """
        if seconds < SECONDS_PER_BATCH:
            self.batch_bytes *= 2
        elif seconds > 2 * SECONDS_PER_BATCH:
            self.batch_bytes //= 2
        self.batch_bytes = min(
            protocol.MAX_BATCH_BYTES // 2, max(MIN_BATCH_BYTES, self.batch_bytes)
        )

    def hold_for_review(self) -> int:
        """Hold what the operator must read first (collector.review): it is not queued."""
        from .review import hold_pending

        return hold_pending(self.db, self.creds.hold_for_review)

    def next_batch(self):
        """(batch, pairs, body, last): the next queued revisions, anonymized, as large as the
        current batch size allows once compressed; `last` when nothing queued is left out.
        (None, [], b"", True) when nothing is queued."""
        records, pairs, plain = self._candidates()
        if not records:
            return None, [], b"", True
        waiting = self._waiting()
        taken = len(records)
        while True:
            # What will still wait on this laptop once this batch is in (held for the
            # operator's review too): the central team sees it.
            batch = protocol.batch_message(
                str(uuid_module.uuid4()), records[:taken], waiting - taken, __version__
            )
            body = self._encode(batch)
            if len(body) <= self.batch_bytes or taken == 1:
                break
            # Too large: keep the share that fits, with a margin, and measure again.
            taken = max(1, min(taken - 1, int(taken * self.batch_bytes / len(body) * 0.95)))
        self.compression = len(body) / max(1, sum(plain[:taken]))
        queued = self.db.execute("SELECT count(*) FROM outbox WHERE state = 'queued'").fetchone()[0]
        return batch, pairs[:taken], body, queued == taken

    def _candidates(self):
        """Queued revisions, anonymized, about twice what the batch size should hold (at
        most a batch's limit), with each one's JSON size."""
        records, pairs, plain, estimate = [], [], [], 0
        rows = self.db.query(
            REVISION_SQL + " WHERE o.state = 'queued' ORDER BY o.queued_at, o.uuid, o.revision"
            " LIMIT ?",
            [protocol.MAX_RECORDS_PER_BATCH],
        )
        for row in rows:
            try:
                record = self.sync_form(row)
            except AnonymizerError as error:
                self._reject_locally(row, str(error))
                continue
            plain.append(len(protocol.dumps(record)))
            estimate += plain[-1] * self.compression
            if records and estimate > 2 * self.batch_bytes:
                break
            records.append(record)
            pairs.append((row["uuid"], row["revision"]))
        return records, pairs, plain

    def _waiting(self) -> int:
        """Revisions still to leave this laptop: queued, or held for the operator's review."""
        return self.db.execute(
            "SELECT count(*) FROM outbox WHERE state IN ('queued', 'held')"
        ).fetchone()[0]

    def sync_form(self, row: dict) -> dict:
        """A queued revision as it leaves the laptop: prepared ahead when it could be
        (prepare_payloads), else anonymized now."""
        if self.key is None:
            raise no_key_error()
        if row.get("payload") and row.get("payload_basis") == self._basis(row):
            place = ("outbox", "payload", row["uuid"], row["revision"])
            return open_json(self.db, row["payload"], *place)
        return self._anonymized(row)

    def _basis(self, row: dict) -> str:
        """What a revision's anonymized form depends on besides its answers: the key, the
        hub's phone region, its enrolment, the anonymizer's version and the operator's
        removals. Keyed by the pseudonym key, so the value says nothing of it."""
        parts = (
            self.creds.phone_region,
            self.creds.device_id,
            __version__,
            row.get("redactions") or "",
        )
        message = json.dumps(parts).encode("utf-8")
        return hmac.new(self.key or b"", message, hashlib.sha256).hexdigest()

    def prepare_payloads(self, limit: int = PREPARE_LIMIT) -> int:
        """Anonymize queued revisions before there is a link, a few at a time (each write
        short, so pages are not kept waiting), so that a sync sends at once: how many."""
        if self.key is None:
            return 0
        self.hold_for_review()  # what the operator must read first is not prepared
        # Which ones, from the outbox alone: the answers are read only for those.
        marks = self.db.query(
            "SELECT uuid, revision, redactions, payload_basis FROM outbox WHERE state = 'queued'"
            " ORDER BY queued_at, uuid, revision"
        )
        waiting = [m for m in marks if m["payload_basis"] != self._basis(m)][:limit]
        for start in range(0, len(waiting), PREPARE_CHUNK):
            rows = [
                row
                for m in waiting[start : start + PREPARE_CHUNK]
                for row in self.db.query(
                    REVISION_SQL + " WHERE o.uuid = ? AND o.revision = ?",
                    [m["uuid"], m["revision"]],
                )
            ]
            self._store_payloads(rows)
        return len(waiting)

    def _store_payloads(self, rows: list[dict]) -> None:
        made = []
        for row in rows:
            try:
                made.append((row, self._anonymized(row)))
            except AnonymizerError:
                continue  # said when the sync meets it (_reject_locally)
        with write_transaction(self.db):
            for row, record in made:
                key = (row["uuid"], row["revision"])
                self.db.execute(
                    "UPDATE outbox SET payload = ?, payload_basis = ?"
                    " WHERE uuid = ? AND revision = ? AND state = 'queued'",
                    [seal_json(self.db, record, "outbox", "payload", *key), self._basis(row), *key],
                )

    def _anonymized(self, row: dict) -> dict:
        if self.key is None:
            raise no_key_error()
        form = form_version(self.db, _BUILTINS, row["form_id"], row["form_version"])
        if form is None:
            raise AnonymizerError(
                f"The form {row['form_id']} version {row['form_version']} is no longer on this hub."
            )
        record = dict(
            row, answers=revision_answers(self.db, row), paradata=paradata.loads(row["paradata"])
        )
        # The words the operator removed on the review page (collector.review).
        extra = revision_redactions(self.db, row)
        return anonymize(
            record, form, self.key, self.creds.phone_region, extra, self.creds.device_id
        )

    def _reject_locally(self, row: dict, message: str) -> None:
        """A revision that cannot be anonymized is never sent, and never blocks the others."""
        with write_transaction(self.db):
            self.db.execute(
                "UPDATE outbox SET state = 'rejected', error_code = 'not_anonymized',"
                " error_message = ? WHERE uuid = ? AND revision = ?",
                [message, row["uuid"], row["revision"]],
            )
            refresh_record_status(self.db, {row["uuid"]})

    def apply_results(self, results: list, pairs: list) -> dict:
        """Mark each revision from the server's answer, in one transaction."""
        sent = set(pairs)
        counts = {RESULT_STORED: 0, RESULT_DUPLICATE: 0, RESULT_REJECTED: 0}
        now = now_iso()
        with write_transaction(self.db):
            for item in results:
                key = (item.get("uuid"), item.get("revision"))
                if key not in sent or item.get("status") not in counts:
                    continue
                counts[item["status"]] += 1
                if item["status"] == RESULT_REJECTED:
                    self.db.execute(
                        "UPDATE outbox SET state = 'rejected', error_code = ?,"
                        " error_message = ?, payload = NULL, payload_basis = NULL"
                        " WHERE uuid = ? AND revision = ?",
                        [item.get("code"), item.get("message"), *key],
                    )
                else:
                    self.db.execute(
                        "UPDATE outbox SET state = 'sent', sent_at = ?, sent_to = ?,"
                        " error_code = NULL, error_message = NULL, payload = NULL,"
                        " payload_basis = NULL WHERE uuid = ? AND revision = ?",
                        [now, self.creds.device_id, *key],
                    )
                    self.queue_attachments(*key)
            refresh_record_status(self.db, {uuid for uuid, _ in sent})
        return counts

    # pull

    def pull_forms(self, given: dict | None = None) -> list[str]:
        """New form versions; an unchanged list costs one small request (ETag, 304), or
        none when the push's answer carried it (`given`).

        A version that would send more about people than the newest one on this hub is
        not installed (form_library.import_server_form): the server cannot weaken a rule.
        """
        if given is not None and isinstance(given.get("etag"), str):
            if given.get("unchanged"):
                return []
            return self._install_forms(given, given["etag"])
        etag = self._forms_etag()
        response = self.get("/forms", {"If-None-Match": etag} if etag else {})
        if response.status_code == 304:
            return []
        return self._install_forms(_json(response), response.headers.get("ETag"))

    def _install_forms(self, answer: dict, etag: str | None) -> list[str]:
        """Fetch and install the listed versions this hub lacks; then keep the list's help
        contacts (none listed: none) and remember the ETag."""
        listing = answer.get("forms")
        added = []
        for item in listing if isinstance(listing, list) else []:
            if form_version(
                self.db, _BUILTINS, item["form_id"], item["version"]
            ) is not None or was_refused(self.db, item["form_id"], item["version"]):
                continue
            definition = self.get(f"/forms/{item['form_id']}/{item['version']}")
            try:
                if import_server_form(self.db, _BUILTINS, load_form_json(definition.text)):
                    added.append(f"{item['form_id']} {item['version']}")
            except FormError:
                refuse_unreadable(self.db, item["form_id"], item["version"])
            except FormRefused:
                continue  # kept in hub_state and the security log, shown on the Sync page
        with write_transaction(self.db):
            help_contacts.store_synced(self.db, answer.get("help_contacts"))
            set_state(self.db, "forms_etag", etag)
            set_state(self.db, PROMPTS_OFFERED, _offered_prompts(listing))
        return added

    def _forms_etag(self) -> str | None:
        """The last form list's ETag, once that list's prompt files are known: a hub that
        read lists before it knew of them reads the next one whole."""
        if get_state(self.db, PROMPTS_OFFERED) is None:
            return None
        return get_state(self.db, "forms_etag")

    # prompts in sound and picture

    def fetch_prompts(self, report: SyncReport) -> None:
        """The prompt files that this hub's forms name, that the server offers and the hub
        lacks (collector.prompts.missing_prompts), each checked against its SHA-256 before
        it is kept. Nothing is asked for when nothing is missing. A file that does not
        arrive (a cut link, a wrong hash) is asked for again at the next sync; meanwhile
        the form works without it."""
        missing = prompts.missing_prompts(self.db, get_state(self.db, PROMPTS_OFFERED) or [])
        for sha, extension in missing.items():
            try:
                prompts.store_fetched_prompt(self.db, sha, extension, self._prompt_bytes(sha))
            except prompts.PromptMismatch as refused:
                LOG.warning("%s Not kept; asked for again at the next sync.", refused)
                continue
            except DeviceRevoked:
                raise
            except SyncError as error:
                if error.code == "unreachable":
                    break  # the link is down: the rest waits for the next sync too
                continue
            report.prompts_fetched += 1
        report.prompts_waiting = len(missing) - report.prompts_fetched

    def _prompt_bytes(self, sha: str) -> bytes:
        """One prompt file from the server (GET retried by the session's urllib3 Retry),
        read no further than the limit of one."""
        headers = {"Authorization": f"Bearer {self.token()}"}
        url = self.url(f"/prompts/{sha}")
        with _send(
            self.session, "GET", url, headers=headers, timeout=self.timeout, stream=True
        ) as response:
            if response.status_code != 200:
                _raise_for(response)
            content = bytearray()
            try:
                for piece in response.iter_content(64 * 1024):
                    content += piece
                    if len(content) > prompts.MAX_PROMPT_FILE_BYTES:
                        raise prompts.PromptMismatch(f"The prompt file {sha[:12]}… is too large.")
            except requests.RequestException as error:
                raise SyncError(
                    "unreachable", f"The server cannot be reached ({type(error).__name__})."
                ) from error
        return bytes(content)

    def get(self, path: str, headers: dict | None = None) -> requests.Response:
        """A GET whose response object is needed (headers, raw text)."""
        headers = dict(headers or {}, Authorization=f"Bearer {self.token()}")
        response = _send(self.session, "GET", self.url(path), headers=headers, timeout=self.timeout)
        if response.status_code not in (200, 304):
            _raise_for(response)
        return response

    def pull_replies(self, given: dict | None = None) -> int:
        """Replies to this hub's feedback, page by page until one says it is the last (a
        1.0 server: until one is empty). `given`: the first page, from the push's answer."""
        added = 0
        while True:
            after = get_state(self.db, "replies_after", 0)
            answer = (
                given if isinstance(given, dict) else self.call("GET", f"/replies?after={after}")
            )
            given = None
            with write_transaction(self.db):
                for reply in answer.get("replies", []):
                    added += self.db.execute(
                        "INSERT OR IGNORE INTO replies (id, record_uuid, message, locale,"
                        " replied_at) VALUES (?, ?, ?, ?, ?)",
                        [
                            reply["id"],
                            reply["record_uuid"],
                            seal_text(self.db, reply["message"], "replies", "message", reply["id"]),
                            reply["locale"],
                            reply["created_at"],
                        ],
                    ).rowcount
                set_state(self.db, "replies_after", answer.get("after", after))
            if not answer.get("replies") or answer.get("complete"):
                return added

    # reconciliation

    def reconcile(self, requeued: int = 0, server: dict | None = None) -> dict:
        """Compare what the server holds from this device with what we think we sent.

        `requeued` carries over what an earlier pass of the same sync sent again; `server`
        is the count and digest when the push's answer carried them.
        """
        if not (isinstance(server, dict) and isinstance(server.get("digest"), str)):
            server = self.call("GET", "/reconcile")
        local = self._sent_here()
        count, digest = protocol.record_set_digest(local)
        outcome = {
            "at": now_iso(),
            "local_count": count,
            "server_count": server["count"],
            "agree": digest == server["digest"],
            "requeued": requeued,
            "confirmed": 0,
        }
        if not outcome["agree"]:
            held = self._server_pairs()
            repaired = self._repair(local, held)
            outcome.update(
                requeued=requeued + repaired["requeued"], confirmed=repaired["confirmed"]
            )
            count, digest = protocol.record_set_digest(self._sent_here())
            outcome["agree"] = digest == protocol.record_set_digest(held)[1]
        if isinstance(server.get("attachments"), dict):
            files = outcome["attachments"] = self.reconcile_attachments(server["attachments"])
            outcome["requeued"] += files["requeued"]
            outcome["agree"] = outcome["agree"] and files["agree"]
        with write_transaction(self.db):
            set_state(self.db, "reconcile", outcome)
        return outcome

    def _sent_here(self) -> set:
        """The revisions this enrollment's server accepted. What an earlier server holds is
        never compared with this one, so it is never queued again: it stays there."""
        return set(
            map(
                tuple,
                self.db.execute(
                    "SELECT uuid, revision FROM outbox WHERE state = 'sent' AND sent_to = ?",
                    [self.creds.device_id],
                ).fetchall(),
            )
        )

    def _server_pairs(self) -> set:
        held, after = set(), ("", 0)
        while True:
            page = self.call(
                "GET", f"/reconcile/records?after_uuid={after[0]}&after_revision={after[1]}"
            )
            pairs = [(r["uuid"], r["revision"]) for r in page["records"]]
            held.update(pairs)
            if page.get("complete", True) or not pairs:
                return held
            after = pairs[-1]

    def _repair(self, local: set, held: set) -> dict:
        """Re-queue what the server lacks; confirm what it has that we thought unsent.

        `local` holds only revisions sent to this enrollment, and the re-queue says so
        again, so nothing sent to an earlier server is ever sent to this one.
        """
        missing, unconfirmed = local - held, held - local
        device_id = self.creds.device_id
        with write_transaction(self.db):
            for uuid, revision in missing:
                self.db.execute(
                    "UPDATE outbox SET state = 'queued', sent_at = NULL,"
                    " sent_to = NULL WHERE uuid = ? AND revision = ?"
                    " AND state = 'sent' AND sent_to = ?",
                    [uuid, revision, device_id],
                )
            confirmed = 0
            for uuid, revision in unconfirmed:
                changed = self.db.execute(
                    "UPDATE outbox SET state = 'sent', sent_at = ?, sent_to = ? WHERE uuid = ?"
                    " AND revision = ? AND state != 'sent'",
                    [now_iso(), device_id, uuid, revision],
                ).rowcount
                if changed:
                    self.queue_attachments(uuid, revision)
                confirmed += changed
            refresh_record_status(self.db, {uuid for uuid, _ in missing | unconfirmed})
        return {"requeued": len(missing), "confirmed": confirmed}

    # attachments (collector.attachments)

    def queue_attachments(self, record_uuid: str, revision: int) -> int:
        """Inside the transaction that marks a revision sent: queue the files its answers
        refer to whose question lets them leave."""
        row = next(
            self.db.query(
                REVISION_SQL + " WHERE o.uuid = ? AND o.revision = ?", [record_uuid, revision]
            ),
            None,
        )
        if (
            row is None
            or not self.db.execute(
                "SELECT 1 FROM attachments WHERE record_uuid = ? LIMIT 1", [record_uuid]
            ).fetchone()
        ):
            return 0
        form = form_version(self.db, _BUILTINS, row["form_id"], row["form_version"])
        return attachments.queue_uploads(
            self.db, record_uuid, revision, form, revision_answers(self.db, row)
        )

    def upload_attachments(self, report: SyncReport) -> int:
        """Send the queued files: a manifest says what the server holds, then the missing
        bytes go in pieces from the server's offset. Returns how many became whole on the
        server now. A cut link raises SyncError; the next sync resumes where it stopped."""
        sent = 0
        data_dir = attachments.data_dir_of(self.db)
        while True:
            rows = list(
                self.db.query(
                    "SELECT * FROM attachment_outbox WHERE state = 'queued'"
                    " ORDER BY queued_at, record_uuid, question LIMIT ?",
                    [protocol.MAX_ATTACHMENTS_PER_MANIFEST],
                )
            )
            if not rows:
                break
            try:
                results = self._declare(rows)
            except SyncError as error:
                if error.code not in ("http_404", "http_405", "not_found"):
                    raise
                break  # a server without attachments (older): the files wait on the laptop
            progressed = False
            for row, outcome in zip(rows, results, strict=True):
                status = outcome.get("status")
                if status == protocol.ATTACHMENT_PARTIAL:
                    self._upload_file(data_dir, row, int(outcome.get("offset") or 0))
                    status = protocol.ATTACHMENT_COMPLETE
                if status == protocol.ATTACHMENT_COMPLETE:
                    self._mark_attachment(row, "sent")
                    sent, progressed = sent + 1, True
                elif status == protocol.ATTACHMENT_REFUSED:
                    self._mark_attachment(row, "refused", outcome)
                    progressed = True
            if not progressed:
                break  # the rest waits for another day (the server's daily allowance)
        report.attachments_sent += sent
        report.attachments_waiting = self.db.execute(
            "SELECT count(*) FROM attachment_outbox WHERE state = 'queued'"
        ).fetchone()[0]
        return sent

    def _declare(self, rows: list[dict]) -> list[dict]:
        """The server's outcome for each queued file, in order (links them to records)."""
        manifest = {
            "attachments": [
                {
                    "uuid": r["record_uuid"],
                    "revision": r["revision"],
                    "question": r["question"],
                    "sha256": r["sha256"],
                    "size": r["size"],
                    "media_type": r["media_type"],
                }
                for r in rows
            ]
        }
        answer = self.call("POST", "/attachments", json_body=manifest)
        results = answer.get("attachments") if isinstance(answer, dict) else None
        if (
            not isinstance(results, list)
            or len(results) != len(rows)
            or not all(isinstance(item, dict) for item in results)
        ):
            raise SyncError("bad_answer", "The server's answer was not understood.")
        return results

    def _upload_file(self, data_dir, row: dict, offset: int) -> None:
        """The file's bytes from `offset` on, piece by piece; each answer gives the offset
        the server holds, which the next piece starts from."""
        data = attachments.read_attachment(self.db, data_dir, row["sha256"])
        url = self.url(f"/attachments/{row['sha256']}")
        headers = {
            "Authorization": f"Bearer {self.token()}",
            "Content-Type": "application/octet-stream",
        }
        restarted = False
        while True:
            piece = data[offset : offset + protocol.ATTACHMENT_PIECE_BYTES]
            response = _send(
                self.upload_session,
                "PUT",
                url,
                data=piece,
                headers=headers,
                params={"offset": str(offset)},
                timeout=self.timeout,
            )
            if response.status_code == 422 and not restarted:
                offset, restarted = 0, True  # the server threw away a damaged copy: once more
                continue
            if response.status_code not in (200, 409):
                _raise_for(response)
            answer = _json(response)
            if not isinstance(answer, dict):
                raise SyncError("bad_answer", "The server's answer was not understood.")
            if answer.get("complete"):
                return
            held = answer.get("offset")
            if not isinstance(held, int) or not 0 <= held < len(data):
                raise SyncError("bad_answer", "The server's answer was not understood.")
            offset = held

    def _mark_attachment(self, row: dict, state: str, outcome: dict | None = None) -> None:
        outcome = outcome or {}
        with write_transaction(self.db):
            self.db.execute(
                "UPDATE attachment_outbox SET state = ?, sent_at = ?, sent_to = ?,"
                " error_code = ?, error_message = ? WHERE record_uuid = ? AND revision = ?"
                " AND question = ? AND sha256 = ?",
                [
                    state,
                    now_iso() if state == "sent" else None,
                    self.creds.device_id if state == "sent" else None,
                    str(outcome.get("code") or "")[:100] or None,
                    str(outcome.get("message") or "")[:500] or None,
                    row["record_uuid"],
                    row["revision"],
                    row["question"],
                    row["sha256"],
                ],
            )

    def reconcile_attachments(self, server: dict) -> dict:
        """Compare the files the server holds whole from this device with those this hub
        marked sent; queue again what it lacks, confirm what it has."""
        local = self._attachments_sent_here()
        agree = protocol.attachment_set_digest(local)[1] == server.get("digest")
        outcome = {
            "local_count": len(local),
            "server_count": server.get("count"),
            "agree": agree,
            "requeued": 0,
            "confirmed": 0,
        }
        if agree:
            return outcome
        held = self._server_attachments()
        with write_transaction(self.db):
            for link in local - held:
                outcome["requeued"] += self.db.execute(
                    "UPDATE attachment_outbox SET state = 'queued', sent_at = NULL,"
                    " sent_to = NULL WHERE record_uuid = ? AND revision = ? AND question = ?"
                    " AND sha256 = ? AND state = 'sent'",
                    list(link),
                ).rowcount
            for link in held - local:
                outcome["confirmed"] += self.db.execute(
                    "UPDATE attachment_outbox SET state = 'sent', sent_at = ?, sent_to = ?"
                    " WHERE record_uuid = ? AND revision = ? AND question = ? AND sha256 = ?"
                    " AND state = 'queued'",
                    [now_iso(), self.creds.device_id, *link],
                ).rowcount
        outcome["agree"] = (
            protocol.attachment_set_digest(self._attachments_sent_here())[1]
            == protocol.attachment_set_digest(held)[1]
        )
        return outcome

    def _attachments_sent_here(self) -> set:
        return set(
            map(
                tuple,
                self.db.execute(
                    "SELECT record_uuid, revision, question, sha256 FROM attachment_outbox"
                    " WHERE state = 'sent' AND sent_to = ?",
                    [self.creds.device_id],
                ).fetchall(),
            )
        )

    def _server_attachments(self) -> set:
        held: set[tuple] = set()
        after = 0
        while True:
            page = self.call("GET", f"/attachments/held?after={after}")
            items = page.get("attachments") if isinstance(page, dict) else None
            if not isinstance(items, list):
                raise SyncError("bad_answer", "The server's answer was not understood.")
            held.update((i["uuid"], i["revision"], i["question"], i["sha256"]) for i in items)
            if page.get("complete", True) or not items:
                return held
            after = page["after"]


def server_seal_key(db) -> str:
    """The enrolled server's identity key, which USB bundles are sealed to; SyncError when
    the hub does not hold it yet (enrolled by an older collector, never synced since)."""
    enrollment = current_server(db) or {}
    key = str(enrollment.get("server_public_key") or "")
    if not key or not same_fingerprint(
        device_keys.fingerprint_of(key), enrollment.get("server_fingerprint")
    ):
        raise SyncError(
            "no_server_key",
            "This laptop does not hold the server's key yet, which USB bundles are "
            "encrypted to: sync once (any connection will do) or enroll again, then export.",
        )
    return key


def export_bundle(db, credentials: Credentials, data_dir: Path) -> tuple[bytes, int]:
    """Every queued revision, anonymized as for a push, in a file for a USB stick signed
    with this hub's own key (collector.device_keys), which the server knows from enrollment,
    and sealed to the enrolled server's key (collector.sealed_bundles): only it can read the file.

    Nothing is marked sent: the records stay queued until the server confirms them
    (a later push answers "duplicate", or reconciliation finds them).
    """
    client = SyncClient(db, credentials, session=requests.Session())
    if client.key is None:
        raise no_key_error()  # said at once, even when every record waits for review
    seal_key = server_seal_key(db)
    client.hold_for_review()  # what waits for the operator's review stays off the stick too
    batches, count = [], 0
    rows = db.execute(
        "SELECT uuid, revision FROM outbox WHERE state = 'queued'"
        " ORDER BY queued_at, uuid, revision"
    ).fetchall()
    for start in range(0, len(rows), protocol.MAX_RECORDS_PER_BATCH):
        chunk = rows[start : start + protocol.MAX_RECORDS_PER_BATCH]
        records = [client.sync_form(row) for row in _revisions(db, chunk)]
        batches.append(
            protocol.batch_message(str(uuid_module.uuid4()), records, len(rows), __version__)
        )
        count += len(records)
    signed = protocol.make_bundle(
        batches, credentials.device_id, device_keys.load_private_key(data_dir)
    )
    return sealed_bundles.seal(signed, seal_key), count


BUNDLE_FILES_SUFFIX = ".attachments.zip"


def export_bundle_attachments(db, credentials: Credentials, data_dir: Path) -> bytes | None:
    """The files of the queued revisions that may leave (collector.attachments.leaves), as a
    zip to carry beside a USB bundle (``<bundle>.attachments.zip``): `manifest.json` links
    each file to its record and question, and each file is named by its SHA-256, which the
    server checks. Sealed to the server like the bundle. None when no queued revision has
    one."""
    import zipfile
    from io import BytesIO

    items, seen = [], set()
    buffer = BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for row in db.query(
            REVISION_SQL + " WHERE o.state = 'queued' ORDER BY o.queued_at, o.uuid, o.revision"
        ):
            form = form_version(db, _BUILTINS, row["form_id"], row["form_version"])
            names = attachments.referenced_names(revision_answers(db, row))
            for stored in attachments.attachments_of(db, row["uuid"]):
                question = form.questions.get(stored["question"]) if form is not None else None
                if stored["name"] not in names.get(
                    stored["question"], ()
                ) or not attachments.leaves(question, form):
                    continue
                items.append(
                    {
                        "uuid": row["uuid"],
                        "revision": row["revision"],
                        "question": stored["question"],
                        "sha256": stored["sha256"],
                        "size": stored["size"],
                        "media_type": stored["media_type"],
                    }
                )
                if stored["sha256"] not in seen:
                    seen.add(stored["sha256"])
                    archive.writestr(
                        stored["sha256"],
                        attachments.read_attachment(db, data_dir, stored["sha256"]),
                    )
        archive.writestr(
            "manifest.json",
            protocol.dumps({"device_id": credentials.device_id, "attachments": items}),
        )
    return sealed_bundles.seal(buffer.getvalue(), server_seal_key(db)) if items else None


def _revisions(db, pairs) -> list[dict]:
    return [
        next(db.query(REVISION_SQL + " WHERE o.uuid = ? AND o.revision = ?", list(pair)))
        for pair in pairs
    ]


def refresh_record_status(db, uuids) -> None:
    """A finalized record follows the outbox state of its latest revision."""
    for record_uuid in uuids:
        db.execute(
            "UPDATE records SET status = CASE (SELECT state FROM outbox o WHERE o.uuid ="
            " records.uuid AND o.revision = records.revision)"
            " WHEN 'sent' THEN 'synced' WHEN 'rejected' THEN 'rejected' ELSE 'finalized' END"
            " WHERE uuid = ? AND status != 'draft'",
            [record_uuid],
        )
