"""The project's pseudonym key: the custodian's passphrase-protected key file, and the copy
installed in a hub's secrets.

The central server never holds this key. The data custodian makes it once
(`collector keys create FILE`) and carries the file to each laptop
(`collector keys import FILE`). The file is JSON:

    {"format": "pseudonym-key", "version": 1,
     "key_id": "3F2A 9C01 77B0 5D1E",                 # the fingerprint people compare
     "kdf": {"name": "scrypt", "n": 131072, "r": 8, "p": 1, "salt": "<base64>"},
     "cipher": {"name": "AES-256-GCM", "nonce": "<base64>"},
     "encrypted_key": "<base64: the 32-byte key and the GCM tag>"}

The passphrase gives, through scrypt, the AES-GCM key that seals the pseudonym key; the
other fields are authenticated too (associated data), so a file whose key id or KDF
parameters were changed does not open. A hub keeps the key as hex text in
`secrets/pseudonym_key`, owner-only, as hubs always have: pseudonyms are an HMAC keyed
with that text, so a key carried over from an older server keeps its pseudonyms. On a
protected data folder that text is sealed with the folder's data key (collector.protection).
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
from pathlib import Path

from . import passphrase as sealing
from .datadir import SECRETS_DIR, read_secret, write_secret

FORMAT, VERSION = "pseudonym-key", 1
KEY_BYTES = 32
SECRET_NAME = "pseudonym_key"
MIN_PASSPHRASE = 12


class KeyFileError(ValueError):
    """The key file, passphrase or installed key cannot be used; the message says why."""


def new_key() -> bytes:
    return secrets.token_bytes(KEY_BYTES)


def key_id(key: bytes) -> str:
    """The key's fingerprint, e.g. "3F2A 9C01 77B0 5D1E": safe to show, reveals nothing."""
    digest = hashlib.sha256(b"pseudonym key id\x00" + key).hexdigest()[:16].upper()
    return " ".join(digest[i : i + 4] for i in range(0, 16, 4))


def check_passphrase(passphrase: str) -> None:
    if len(passphrase) < MIN_PASSPHRASE:
        raise KeyFileError(f"The passphrase must have at least {MIN_PASSPHRASE} characters.")


# -- The key file -----------------------------------------------------------------------------


def seal(key: bytes, passphrase: str) -> dict:
    """The key file's content for `key`, sealed with `passphrase`."""
    check_passphrase(passphrase)
    _check_length(key)
    header = sealing.new_header(format=FORMAT, version=VERSION, key_id=key_id(key))
    return {**header, "encrypted_key": sealing.seal(key, passphrase, header)}


def unseal(content: dict, passphrase: str) -> bytes:
    """The key inside a key file's content; KeyFileError for a wrong passphrase or damage."""
    header = _checked_header(content)
    try:
        key = sealing.unseal(content["encrypted_key"], passphrase, header)
    except sealing.WrongPassphrase:
        raise KeyFileError("Wrong passphrase, or the key file was changed.") from None
    if len(key) != KEY_BYTES or key_id(key) != header["key_id"]:
        raise KeyFileError("The key file is damaged.")
    return key


def write_key_file(path: Path, key: bytes, passphrase: str) -> dict:
    """Write a new key file (never over an existing one: it may be the only copy)."""
    content = seal(key, passphrase)
    with open(path, "x", encoding="utf-8") as handle:
        json.dump(content, handle, indent=2)
        handle.write("\n")
    _owner_only(Path(path))
    return content


def read_key_file(path: Path, passphrase: str) -> bytes:
    try:
        content = json.loads(Path(path).read_text("utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise KeyFileError(f"The key file cannot be read ({type(error).__name__}).") from None
    return unseal(content, passphrase)


def read_hex_key(path: Path) -> bytes:
    """A key written as hex text, as older sync servers kept it in secrets/pseudonym_key."""
    try:
        key = bytes.fromhex(Path(path).read_text("ascii").strip())
    except (OSError, UnicodeDecodeError, ValueError):
        raise KeyFileError(f"{Path(path).name} does not hold a key written in hex.") from None
    _check_length(key)
    return key


def _checked_header(content) -> dict:
    """The fields that must be there, of the right kind and in bounds, before any work."""
    try:
        if content["format"] != FORMAT:
            raise KeyFileError("This is not a pseudonym key file.")
        if content["version"] != VERSION:
            raise KeyFileError(
                f"This key file has version {content['version']!r}: this "
                "collector reads version 1. Update the collector."
            )
        kdf, cipher = content["kdf"], content["cipher"]
        params_ok = (
            sealing.header_ok(kdf, cipher)
            and isinstance(content["key_id"], str)
            and isinstance(content["encrypted_key"], str)
        )
    except sealing.MALFORMED as error:
        raise KeyFileError("The key file is damaged.") from error
    if not params_ok:
        raise KeyFileError("The key file is damaged.")
    return {name: content[name] for name in ("format", "version", "key_id", "kdf", "cipher")}


def _check_length(key: bytes) -> None:
    if len(key) != KEY_BYTES:
        raise KeyFileError(f"A pseudonym key has {KEY_BYTES} bytes, not {len(key)}.")


# -- The key installed on a hub ------------------------------------------------------------


def secret_path(data_dir: Path) -> Path:
    return Path(data_dir) / SECRETS_DIR / SECRET_NAME


def installed_key(data_dir: Path) -> bytes | None:
    """The hub's pseudonym key, or None when the custodian's key was never imported."""
    text = read_secret(data_dir, SECRET_NAME)  # opened with the data key if protected
    if text is None:
        return None
    try:
        return bytes.fromhex(text)
    except ValueError:
        raise KeyFileError(
            "The installed pseudonym key is damaged: import the key file "
            "again with collector keys import --replace."
        ) from None


def hmac_key(key: bytes) -> bytes:
    """What pseudonyms are keyed with: the key's hex text, as hubs have always used it."""
    return key.hex().encode("ascii")


def install(data_dir: Path, key: bytes, replace: bool = False) -> bool:
    """Put `key` in the hub's secrets, owner-only; False if that key was there already.

    A different key already installed is kept unless `replace`: pseudonyms made with
    the old key will not link to those made with the new one.
    """
    _check_length(key)
    try:
        current = installed_key(data_dir)
    except KeyFileError:
        if not replace:
            raise
        current = None  # a damaged key is replaced on request
    if current == key:
        return False
    if current is not None and not replace:
        raise KeyFileError(
            f"This laptop already has another pseudonym key "
            f"({key_id(current)}); nothing was changed. Pseudonyms made with "
            "it would not link to those made with the new key: run again "
            "with --replace to use the new key anyway."
        )
    # All at once (a temporary file, then a rename): a crash leaves the old key or the new.
    write_secret(data_dir, SECRET_NAME, key.hex())
    return True


def _owner_only(path: Path) -> None:
    if os.name == "posix":
        os.chmod(path, 0o600)
