"""Help and referral contacts: where a person can get help after a report, by area.

The central team keeps them on its Help contacts page (sync_server.help_contacts); they
reach every hub with the form list (`help_contacts`, docs/protocol.md), and the hub shows
those of the record's area, then those for every area, then its own `referral_contacts`
setting, on the page after a report (a form with `show_referrals`).

One definition of a contact for both apps: HelpContactSchema, with its limits.
"""

from __future__ import annotations

import base64
import json
import logging
import re
from datetime import datetime

from babel import Locale, UnknownLocaleError
from flask_babel import gettext
from marshmallow import EXCLUDE, Schema, ValidationError, fields, pre_load, validate

from .clock import parse_iso
from .db import write_transaction
from .forms import LOCALE_PATTERN
from .security_log import log_event

LOG = logging.getLogger(__name__)
MAX_NAME, MAX_DESCRIPTION, MAX_PHONE, MAX_HOURS = 100, 500, 40, 100
MAX_AREA, MAX_LANGUAGES = 64, 10  # an area: a choice's name (collector.forms)
# The most the central team may list: the form list carries them all to every hub.
MAX_CONTACTS = 200
EVERY_AREA = ""  # the area of a contact for every area
# Digits with the usual separators and a leading +; at least 3 digits (a short code: 116).
PHONE = re.compile(r"^\+?[0-9 ().\-]+$")
MIN_PHONE_DIGITS = 3
ONE_LINE = re.compile(r"^[^\x00-\x1f\x7f]*$")
PLAIN_TEXT = re.compile(r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$")  # line breaks allowed
# The question that says where a report happened, when a form marks none by its hierarchy.
AREA_QUESTION_NAMES = ("incident_area", "area")


def _phone(value: str) -> None:
    if value and (not PHONE.fullmatch(value) or sum(c.isdigit() for c in value) < MIN_PHONE_DIGITS):
        raise ValidationError("Not a phone number.")


class HelpContactSchema(Schema):
    """One contact: as the central team enters it, and as a hub receives it."""

    class Meta:
        unknown = EXCLUDE  # a newer server may say more; this hub reads what it knows

    area = fields.String(
        load_default=EVERY_AREA, validate=[validate.Length(max=MAX_AREA), validate.Regexp(ONE_LINE)]
    )
    name = fields.String(
        required=True,
        validate=[validate.Length(min=1, max=MAX_NAME), validate.Regexp(ONE_LINE)],
    )
    description = fields.String(
        load_default="",
        validate=[validate.Length(max=MAX_DESCRIPTION), validate.Regexp(PLAIN_TEXT)],
    )
    phone = fields.String(load_default="", validate=[validate.Length(max=MAX_PHONE), _phone])
    hours = fields.String(
        load_default="", validate=[validate.Length(max=MAX_HOURS), validate.Regexp(ONE_LINE)]
    )
    languages = fields.List(
        fields.String(validate=validate.Regexp(LOCALE_PATTERN)),
        load_default=list,
        validate=validate.Length(max=MAX_LANGUAGES),
    )

    @pre_load
    def trim(self, data, **kwargs):
        """Spaces around a value are not part of it; None is no value."""
        if not isinstance(data, dict):
            return data
        return {
            key: (value.strip() if isinstance(value, str) else value)
            for key, value in data.items()
            if value is not None
        }


SCHEMA = HelpContactSchema()


def wire(contact: dict) -> dict:
    """A contact as the form list carries it: only the fields it has (fewer bytes)."""
    out = {"area": contact["area"], "name": contact["name"]}
    for key in ("description", "phone", "hours"):
        if contact.get(key):
            out[key] = contact[key]
    if contact.get("languages"):
        out["languages"] = list(contact["languages"])
    return out


def tel_uri(phone: str) -> str:
    """The `tel:` address of a number as people write it: its digits and a leading +."""
    digits = "".join(c for c in phone if c.isdigit())
    return "tel:" + ("+" if phone.startswith("+") else "") + digits


# -- the hub's copy ---------------------------------------------------------------------------


def store_synced(db, listing) -> int:
    """Replace the hub's copy with the contacts of a form list (call it in the caller's
    write transaction). A contact the hub cannot read is left out and logged: the others
    are still shown. Returns how many are kept."""
    kept = []
    for item in (listing if isinstance(listing, list) else [])[:MAX_CONTACTS]:
        try:
            kept.append(SCHEMA.load(item))
        except (ValidationError, TypeError, ValueError) as error:
            LOG.warning("A help contact from the server was left out: %s", error)
    db.execute("DELETE FROM help_contacts")
    for position, contact in enumerate(kept):
        db.execute(
            "INSERT INTO help_contacts (position, area, name, description, phone, hours,"
            " languages) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                position,
                contact["area"],
                contact["name"],
                contact["description"],
                contact["phone"],
                contact["hours"],
                json.dumps(contact["languages"]),
            ],
        )
    return len(kept)


def synced_contacts(db) -> list[dict]:
    """The contacts the hub last received, in the central team's order."""
    rows = db.execute(
        "SELECT area, name, description, phone, hours, languages FROM help_contacts"
        " ORDER BY position"
    ).fetchall()
    keys = ("area", "name", "description", "phone", "hours", "languages")
    return [dict(zip(keys, row[:5], strict=False), languages=json.loads(row[5])) for row in rows]


def area_question(form):
    """The question saying where a report happened: the one-choice question whose
    hierarchy is "area", else one named incident_area or area; None when there is none."""
    questions = form.top_questions
    for question in questions.values():
        if question.type == "select_one" and question.get("hierarchy") == "area":
            return question
    for name in AREA_QUESTION_NAMES:
        if name in questions and questions[name].type == "select_one":
            return questions[name]
    return None


def record_areas(form, answers: dict) -> list[str]:
    """The area codes a record's contacts are chosen by: its answer, then the larger area
    that answer belongs to (a district for a ward), when the form's choices say so."""
    question = area_question(form)
    answer = answers.get(question.name) if question is not None else None
    if not isinstance(answer, str) or not answer:
        return []
    areas = [answer]
    for choice in form.choices(question):
        if choice["name"] == answer and choice.get("parent"):
            areas.append(choice["parent"])
    return areas


def for_record(db, form, answers: dict, local: list | None = None) -> list[dict]:
    """What the page after a report lists: the central contacts of the record's area (its
    own, then its larger area's), those for every area, then the hub's own
    `referral_contacts`. A local contact with the name and phone of a central one is
    shown once, as the central team wrote it."""
    synced = synced_contacts(db)
    chosen = [c for area in record_areas(form, answers) for c in synced if c["area"] == area]
    chosen += [c for c in synced if c["area"] == EVERY_AREA]
    seen = {_same(c) for c in chosen}
    for contact in local or []:
        if isinstance(contact, dict) and contact.get("name") and _same(contact) not in seen:
            seen.add(_same(contact))
            chosen.append({**contact, "languages": []})
    return [_shown(c) for c in chosen]


def _same(contact: dict) -> tuple[str, str]:
    phone = str(contact.get("phone") or "")
    return str(contact.get("name", "")).casefold(), "".join(c for c in phone if c.isdigit())


def _shown(contact: dict) -> dict:
    phone = str(contact.get("phone") or "")
    return {
        "name": contact.get("name", ""),
        "description": contact.get("description") or "",
        "phone": phone,
        "tel": tel_uri(phone) if phone else "",
        "hours": contact.get("hours") or "",
        "languages": contact.get("languages") or [],
    }


def language_names(codes: list[str], locale: str) -> str:
    """Languages by their names in the reader's language ("Kiswahili, English")."""
    names = []
    for code in codes:
        try:
            names.append(Locale.parse(code).get_display_name(locale) or code)
        except (UnknownLocaleError, ValueError):
            names.append(code)
    return ", ".join(names)


# -- the signed file, for laptops that only exchange USB sticks -------------------------------
# `sync-server help-contacts export-for-hubs FILE` writes the list signed with the server's
# identity key (sync_server.identity); `collector help-contacts import FILE` keeps it only
# when that key's fingerprint is the one the operator confirmed when enrolling, the
# signature holds, and it is not older than the last file kept (docs/protocol.md).

FILE_KIND = "feedback-collector-help-contacts"
FILE_FORMAT = 1
SIGNATURE_ALGORITHM = "ed25519"
MAX_FILE_BYTES = 1024 * 1024  # 200 of the longest contacts, in any script, take about half
FILE_STATE = "help_contacts_file"  # hub_state: the fingerprint and time of the last file kept
_SIGNED = ("kind", "format", "server_fingerprint", "issued_at", "help_contacts")


class ContactsFileRefused(Exception):
    """A help contacts file that is not kept, and why, in plain words: nothing changed."""

    def __init__(self, message: str, event: bool = True):
        super().__init__(message)
        self.message = message
        self.event = event  # whether the security log notes it (a file not ours, altered, old)


def file_payload(envelope: dict) -> bytes:
    """The bytes a help contacts file's signature covers."""
    from .protocol import dumps

    return dumps({key: envelope.get(key) for key in _SIGNED})


def make_file(contacts: list[dict], private_key, issued_at: str) -> bytes:
    """The signed file of `contacts` (as the form list carries them: `wire`), issued at
    `issued_at` (the server's time, ISO 8601 UTC with microseconds: a later file has a
    later time)."""
    from . import device_keys
    from .protocol import dumps

    public_key = base64.b64encode(device_keys.raw_public_key(private_key)).decode("ascii")
    envelope = {
        "kind": FILE_KIND,
        "format": FILE_FORMAT,
        "server_fingerprint": device_keys.fingerprint_of(public_key),
        "server_public_key": public_key,
        "issued_at": issued_at,
        "help_contacts": [wire(contact) for contact in contacts],
    }
    envelope["signature_algorithm"] = SIGNATURE_ALGORITHM
    envelope["signature"] = device_keys.sign_with(private_key, file_payload(envelope))
    return dumps(envelope)


def _time(text) -> datetime | None:
    try:
        found = parse_iso(str(text))
    except ValueError:
        return None
    return found if found.tzinfo is not None else None


def verified_file(data: bytes, enrolled_fingerprint: str | None) -> dict:
    """The envelope of a help contacts file signed by the server this hub is enrolled
    with (`enrolled_fingerprint`, confirmed by its operator); ContactsFileRefused else."""
    from . import device_keys
    from .protocol import ProtocolError, loads_json
    from .sync_client import same_fingerprint

    if not enrolled_fingerprint:
        raise ContactsFileRefused(
            gettext(
                "This laptop is not enrolled with a sync server, so it cannot check who wrote "
                "this file: nothing was changed. Enroll it once with `collector enroll "
                "--server URL --code CODE` (the central team gives both), then import the "
                "file again."
            ),
            event=False,
        )
    try:
        envelope = loads_json(data.decode("utf-8")) if len(data) <= MAX_FILE_BYTES else None
    except (UnicodeDecodeError, ValueError, ProtocolError):
        envelope = None
    if not isinstance(envelope, dict) or envelope.get("kind") != FILE_KIND:
        raise ContactsFileRefused(
            gettext(
                "This is not a help contacts file from `sync-server help-contacts "
                "export-for-hubs`: nothing was changed."
            ),
            event=False,
        )
    if envelope.get("signature_algorithm") != SIGNATURE_ALGORITHM or not envelope.get("signature"):
        raise ContactsFileRefused(
            gettext("This help contacts file is not signed: nothing was changed.")
        )
    found = device_keys.fingerprint_of(envelope.get("server_public_key"))
    if found is None or not same_fingerprint(found, enrolled_fingerprint):
        raise ContactsFileRefused(
            gettext(
                "This help contacts file was written by another server (fingerprint "
                "%(found)s), not by the server this laptop is enrolled with (fingerprint "
                "%(ours)s): nothing was changed.",
                found=found or "?",
                ours=enrolled_fingerprint,
            )
        )
    if envelope.get("server_fingerprint") != found or not device_keys.verify(
        envelope["server_public_key"], file_payload(envelope), envelope["signature"]
    ):
        raise ContactsFileRefused(
            gettext(
                "This help contacts file was changed after the server signed it, or is "
                "damaged: nothing was changed. Ask the central team for a new file."
            )
        )
    if _time(envelope.get("issued_at")) is None or not isinstance(
        envelope.get("help_contacts"), list
    ):
        raise ContactsFileRefused(
            gettext("This help contacts file cannot be read: nothing was changed.")
        )
    return envelope


def import_file(db, data: bytes, enrolled_fingerprint: str | None) -> int | None:
    """Keep the contacts of a signed file (verified_file) in place of the hub's, unless the
    hub already kept a later file of that server (a file carried again, or an older one):
    ContactsFileRefused. None when the hub already has this very file. Else the number of
    contacts kept. The next sync with the server reads its list whole again (its
    newest), so a laptop that also syncs never keeps a file's list over a newer one."""
    from .sync_client import get_state, set_state

    envelope = verified_file(data, enrolled_fingerprint)
    issued = _time(envelope["issued_at"])
    assert issued is not None  # verified_file refuses a file without a time
    with write_transaction(db):
        kept = get_state(db, FILE_STATE) or {}
        before = (
            _time(kept.get("issued_at"))
            if kept.get("fingerprint") == envelope["server_fingerprint"]
            else None
        )
        if before is not None and issued < before:
            raise ContactsFileRefused(
                gettext(
                    "This help contacts file was written on %(file)s, before the one this "
                    "laptop already has (written on %(kept)s): nothing was changed. Ask the "
                    "central team for a new file.",
                    file=envelope["issued_at"],
                    kept=kept["issued_at"],
                )
            )
        if before is not None and issued == before:
            return None
        count = store_synced(db, envelope["help_contacts"])
        set_state(
            db,
            FILE_STATE,
            {"fingerprint": envelope["server_fingerprint"], "issued_at": envelope["issued_at"]},
        )
        set_state(db, "forms_etag", None)  # the next sync reads the server's list whole
        log_event(db, "help_contacts_imported", None, f"{count} from {envelope['issued_at']}")
    return count


def log_refusal(db, refused: ContactsFileRefused) -> None:
    """Note a refused file in the security log (a forged, altered or old file)."""
    if refused.event:
        with write_transaction(db):
            log_event(db, "help_contacts_refused", None, refused.message)
