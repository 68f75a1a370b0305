"""Encryption at rest: a data folder protected by the operator's passphrase.

`collector serve --protect` (or `collector protect`) turns it on. Then:

- `protection.json` in the data folder holds a random 256-bit *data key*, sealed with
  AES-256-GCM by a key that scrypt derives from the passphrase (salt and cost stored with
  it; every field authenticated). The passphrase itself is never stored.
- The answers of records, revisions and drafts, the words an operator redacted and the
  replies from the central team are stored as envelopes ``enc1:<base64>``: a random 96-bit
  nonce, then AES-256-GCM ciphertext and tag under the data key. "enc1" names the format
  (version 1: AES-256-GCM, 12-byte nonce). The associated data is the value's place
  (table, column, record id, revision), so a ciphertext copied into another row does not
  open.
- The secrets (session key, device signing key, device token, pseudonym key) are sealed
  the same way, bound to their file name; the TLS private keys are PKCS#8 PEM encrypted
  with a password derived from the data key (HKDF), which cheroot and OpenSSL read.

The unlocked data key lives only in this process's memory (`unlock` keeps it per data
folder, the hub's app config holds it too) and is never written anywhere. Every database
connection to a protected folder carries it (`collector.db.connect`); without it the
connection is refused, so a command without the passphrase changes nothing.
"""

from __future__ import annotations

import binascii
import json
import os
import secrets
import threading
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from . import passphrase as sealing

PROTECTION_FILE = "protection.json"
FORMAT, VERSION = "collector-protection", 1
PREFIX = "enc1:"  # a sealed value: version 1, AES-256-GCM, nonce first
PASSPHRASE_ENV = "COLLECTOR_PASSPHRASE"
NEW_PASSPHRASE_ENV = "COLLECTOR_NEW_PASSPHRASE"
MIN_PASSPHRASE = 12
_KEY_BYTES, _NONCE_BYTES = 32, 12
_SECRETS_DIR, _TLS_DIR = "secrets", "tls"  # as collector.datadir and collector.certificates

_unlocked: dict[str, Vault] = {}
_registry_lock = threading.Lock()


class ProtectionError(Exception):
    """The protected data folder cannot be opened or changed; the message says why."""


class Locked(ProtectionError):
    """A protected folder was opened without its passphrase."""


class WrongPassphrase(ProtectionError):
    """The passphrase does not open this folder's data key."""


class DamagedValue(ProtectionError):
    """A sealed value does not open: changed, or moved from another place."""


# -- The data key -----------------------------------------------------------------------------


class Vault:
    """The unlocked data key: seals and opens values bound to their place."""

    def __init__(self, data_key: bytes):
        if len(data_key) != _KEY_BYTES:
            raise ValueError("a data key has 32 bytes")
        self._aead = AESGCM(data_key)
        # Derived once, for the TLS keys' PEM encryption: not the data key itself.
        self._tls_password = HKDF(
            hashes.SHA256(), 32, salt=None, info=b"collector tls private keys"
        ).derive(data_key)

    def __repr__(self) -> str:  # never the key, even in a log or an error page
        return "<Vault (unlocked)>"

    def seal(self, data: bytes, place: str) -> str:
        nonce = os.urandom(_NONCE_BYTES)
        return PREFIX + sealing.b64(nonce + self._aead.encrypt(nonce, data, _place(place)))

    def open(self, text: str, place: str) -> bytes:
        try:
            raw = sealing.unb64(text[len(PREFIX) :])
            return self._aead.decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], _place(place))
        except (InvalidTag, binascii.Error, TypeError, ValueError):
            raise DamagedValue(
                f"A protected value ({place}) does not open: it was changed "
                "or moved from another record."
            ) from None

    @property
    def tls_password(self) -> bytes:
        return sealing.b64(self._tls_password).encode("ascii")


def _place(place: str) -> bytes:
    return b"collector enc1\x00" + place.encode("utf-8")


def is_sealed(text) -> bool:
    return isinstance(text, str) and text.startswith(PREFIX)


# -- The folder's protection file -------------------------------------------------------------


def protection_path(data_dir) -> Path:
    return Path(data_dir) / PROTECTION_FILE


def is_protected(data_dir) -> bool:
    return protection_path(data_dir).exists()


def check_passphrase(passphrase: str) -> None:
    if not isinstance(passphrase, str) or len(passphrase) < MIN_PASSPHRASE:
        raise ProtectionError(f"The passphrase must have at least {MIN_PASSPHRASE} characters.")


def turn_on(data_dir, passphrase: str) -> Vault:
    """Make a data key, seal it with `passphrase` into protection.json, and unlock it.

    Nothing else changes here: `seal_folder` then encrypts what the folder holds.
    """
    check_passphrase(passphrase)
    if is_protected(data_dir):
        raise ProtectionError("This data folder is protected already.")
    data_key = secrets.token_bytes(_KEY_BYTES)
    _write_protection_file(data_dir, _wrap(data_key, passphrase))
    return _register(data_dir, Vault(data_key))


def unlock(data_dir, passphrase: str) -> Vault:
    """The folder's data key, opened with `passphrase` and kept in memory for this process."""
    return _register(data_dir, Vault(_unwrap(_read_protection_file(data_dir), passphrase)))


def change_passphrase(data_dir, old: str, new: str) -> None:
    """Seal the same data key with a new passphrase: no value is encrypted again."""
    check_passphrase(new)
    data_key = _unwrap(_read_protection_file(data_dir), old)
    _write_protection_file(data_dir, _wrap(data_key, new), replace=True)


def vault_for(data_dir) -> Vault | None:
    """The unlocked key of a protected folder; None for a folder that is not protected.

    Locked when the folder is protected and this process has not been given the passphrase.
    """
    if not is_protected(data_dir):
        return None
    with _registry_lock:
        vault = _unlocked.get(_registry_key(data_dir))
    if vault is None:
        raise Locked(
            "This data folder is protected: its passphrase is needed to open it "
            f"(asked for at the keyboard, or in {PASSPHRASE_ENV}). Nothing was "
            "changed."
        )
    return vault


def forget(data_dir) -> None:
    """Drop this process's unlocked key of the folder (a stopped hub, a test)."""
    with _registry_lock:
        _unlocked.pop(_registry_key(data_dir), None)


def tls_password(data_dir) -> bytes | None:
    """The password of the hub's TLS private keys; None when the folder is not protected."""
    vault = vault_for(data_dir)
    return vault.tls_password if vault else None


def _registry_key(data_dir) -> str:
    return os.path.realpath(data_dir)


def _register(data_dir, vault: Vault) -> Vault:
    with _registry_lock:
        _unlocked[_registry_key(data_dir)] = vault
    return vault


def _wrap(data_key: bytes, passphrase: str) -> dict:
    header = sealing.new_header(format=FORMAT, version=VERSION)
    return {**header, "wrapped_key": sealing.seal(data_key, passphrase, header)}


def _unwrap(content: dict, passphrase: str) -> bytes:
    header = _checked_header(content)
    if not isinstance(passphrase, str) or not passphrase:
        raise Locked("No passphrase was given for this protected data folder: nothing was changed.")
    try:
        data_key = sealing.unseal(content["wrapped_key"], passphrase, header)
    except sealing.WrongPassphrase:
        raise WrongPassphrase(
            "Wrong passphrase for this data folder (or its "
            f"{PROTECTION_FILE} was changed): nothing was opened or "
            "changed."
        ) from None
    if len(data_key) != _KEY_BYTES:
        raise ProtectionError(f"{PROTECTION_FILE} is damaged.")
    return data_key


def _checked_header(content) -> dict:
    """The fields that must be there, of the right kind and in bounds, before any work."""
    damaged = ProtectionError(
        f"{PROTECTION_FILE} is damaged: without it the protected "
        "data cannot be opened. Put back a copy of it."
    )
    try:
        if content["format"] != FORMAT or content["version"] != VERSION:
            raise ProtectionError(
                f"{PROTECTION_FILE} has a format this collector does not "
                "read. Update the collector."
            )
        kdf, cipher = content["kdf"], content["cipher"]
        params_ok = sealing.header_ok(kdf, cipher) and isinstance(content["wrapped_key"], str)
    except sealing.MALFORMED:
        raise damaged from None
    if not params_ok:
        raise damaged
    return {name: content[name] for name in ("format", "version", "kdf", "cipher")}


def _read_protection_file(data_dir) -> dict:
    try:
        return json.loads(protection_path(data_dir).read_text("utf-8"))
    except FileNotFoundError:
        raise ProtectionError("This data folder is not protected.") from None
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise ProtectionError(
            f"{PROTECTION_FILE} cannot be read ({type(error).__name__})."
        ) from None


def _write_protection_file(data_dir, content: dict, replace: bool = False) -> None:
    """Written whole or not at all (a temporary file, then a rename), owner-only."""
    path = protection_path(data_dir)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(content, handle, indent=2)
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
        if not replace and path.exists():
            raise ProtectionError("This data folder is protected already.")
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


# -- Values in the database ----------------------------------------------------------------
# A connection to a protected folder carries its Vault as `db.vault` (collector.db.connect);
# one to a folder that is not protected carries None, and values stay as they always were.


def _vault_of(db) -> Vault | None:
    return getattr(db, "vault", None)


def place_of(table: str, column: str, *ids) -> str:
    """Where a value lives, e.g. "revisions.answers:<uuid>/2": what its ciphertext is bound to."""
    return f"{table}.{column}:" + "/".join(str(part) for part in ids)


def seal_text(db, text: str, table: str, column: str, *ids) -> str:
    vault = _vault_of(db)
    if vault is None:
        return text
    return vault.seal(text.encode("utf-8"), place_of(table, column, *ids))


def open_text(db, text, table: str, column: str, *ids):
    """The stored text as written. A value from before protection was turned on (only
    until `seal_folder` has finished) is read as it is."""
    vault = _vault_of(db)
    if vault is None or not is_sealed(text):
        return text
    return vault.open(text, place_of(table, column, *ids)).decode("utf-8")


def dump_json(value) -> str:
    """Answers as the hub has always stored them: UTF-8 JSON with sorted keys."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def seal_json(db, value, table: str, column: str, *ids) -> str:
    return seal_text(db, dump_json(value), table, column, *ids)


def open_json(db, text, table: str, column: str, *ids):
    return json.loads(open_text(db, text, table, column, *ids))


# -- Secret files ------------------------------------------------------------------------------


def seal_secret(data_dir, name: str, value: str) -> str:
    """What a secret file holds: the value, sealed when the folder is protected."""
    vault = vault_for(data_dir)
    if vault is None:
        return value
    return vault.seal(value.encode("utf-8"), f"{_SECRETS_DIR}/{name}")


def open_secret(data_dir, name: str, stored: str) -> str:
    vault = vault_for(data_dir)
    if vault is None or not is_sealed(stored):
        return stored
    return vault.open(stored, f"{_SECRETS_DIR}/{name}").decode("utf-8")


# -- Protecting what a folder holds -------------------------------------------------------------

# (table, column, key columns): every value that may identify someone.
SEALED_COLUMNS = (
    ("records", "answers", ("uuid",)),
    ("revisions", "answers", ("uuid", "revision")),
    ("outbox", "redactions", ("uuid", "revision")),
    ("replies", "message", ("id",)),
    # Entity lists (collector.entities): a label often names a person.
    ("entities", "label", ("list_name", "uuid")),
    ("entities", "properties", ("list_name", "uuid")),
)


@dataclass(frozen=True)
class SealReport:
    values: int  # database values sealed now
    files: int  # secret files and TLS keys sealed now
    log_cleared: bool  # the write-ahead log was emptied: no plaintext page is left in it


def seal_folder(data_dir) -> SealReport:
    """Encrypt whatever the protected folder still holds in clear, then rewrite the database
    (VACUUM) and empty its write-ahead log so no page of plaintext remains in its files.

    Safe to run again: what is sealed already is left alone (an interrupted run finishes).
    """
    from .datadir import DATABASE_FILE
    from .db import connect, truncate_wal

    vault = vault_for(data_dir)
    if vault is None:
        raise ProtectionError("This data folder is not protected.")
    files = _seal_secret_files(data_dir) + _seal_tls_keys(data_dir, vault)
    database = Path(data_dir) / DATABASE_FILE
    if not database.exists():
        return SealReport(0, files, True)
    db = connect(database)
    try:
        values = _seal_database(db)
        # secure_delete zeroes what is freed; VACUUM rewrites every page of the file.
        db.execute("VACUUM")
        cleared = truncate_wal(db)
    finally:
        db.close()
    return SealReport(values, files, cleared)


def _seal_database(db) -> int:
    from .db import write_transaction

    sealed = 0
    with write_transaction(db):
        for table, column, keys in SEALED_COLUMNS:
            rows = db.execute(
                f"SELECT {', '.join(keys)}, {column} FROM {table} WHERE {column} IS NOT NULL"
                f" AND {column} NOT LIKE '{PREFIX}%'"
            ).fetchall()
            where = " AND ".join(f"{key} = ?" for key in keys)
            for *ids, value in rows:
                db.execute(
                    f"UPDATE {table} SET {column} = ? WHERE {where}",
                    [seal_text(db, value, table, column, *ids), *ids],
                )
            sealed += len(rows)
    return sealed


def _seal_secret_files(data_dir) -> int:
    folder = Path(data_dir) / _SECRETS_DIR
    sealed = 0
    for path in sorted(folder.glob("*")) if folder.is_dir() else []:
        if not path.is_file() or path.name.endswith((".new", ".tmp")):
            continue
        text = path.read_text("utf-8").strip()
        if is_sealed(text):
            continue
        replace_file(path, seal_secret(data_dir, path.name, text).encode("ascii"))
        sealed += 1
    return sealed


def _seal_tls_keys(data_dir, vault: Vault) -> int:
    """The hub's TLS private keys, PEM encrypted with the vault's TLS password."""
    from cryptography.hazmat.primitives import serialization

    sealed = 0
    for path in sorted((Path(data_dir) / _TLS_DIR).glob("*-key.pem")):
        try:
            key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        except TypeError:
            continue  # encrypted already
        replace_file(
            path,
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.BestAvailableEncryption(vault.tls_password),
            ),
        )
        sealed += 1
    return sealed


def replace_file(path: Path, data: bytes) -> None:
    """Write owner-only, whole or not at all: a temporary file, then a rename."""
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(
        temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600
    )
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
