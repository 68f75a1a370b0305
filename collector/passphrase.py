"""A key sealed with a passphrase: the one format of the pseudonym key file
(`collector.keyfile`) and of a protected data folder's data key (`collector.protection`).

scrypt derives a key from the passphrase (its salt and cost are stored with the header);
AES-256-GCM seals the key with it, every header field authenticated, so that none can be
changed unnoticed. Nothing here is our own cryptography: both come from `cryptography`.
"""

from __future__ import annotations

import base64
import binascii
import json
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

# scrypt's cost: about 128 MiB and half a second per guess on a laptop. COST_ENV may name
# another N for new sealings (each header keeps its own, so older files still open).
COST_ENV = "COLLECTOR_PASSPHRASE_COST"
SCRYPT = {"n": 2**17, "r": 8, "p": 1}
# What a file may ask for: a damaged or hostile file cannot make us spend gigabytes.
_MAX_N, _MAX_R, _MAX_P = 2**20, 16, 4
# Below 16 MiB a stolen file's passphrase gets cheap to guess on a graphics card.
_MIN_CHOSEN_N = 2**14


class CostError(ValueError):
    """A scrypt cost in the environment that we do not accept."""


def cost() -> dict:
    """scrypt's parameters for a new sealing: SCRYPT, or the N that COST_ENV names."""
    chosen = os.environ.get(COST_ENV, "").strip()
    if not chosen:
        return dict(SCRYPT)
    n = int(chosen) if chosen.isascii() and chosen.isdigit() else 0
    if not _MIN_CHOSEN_N <= n <= _MAX_N or n & (n - 1):
        raise CostError(
            f"{COST_ENV}={chosen!r}: use a power of two from {_MIN_CHOSEN_N} to {_MAX_N} "
            f"(default {SCRYPT['n']})."
        )
    return {**SCRYPT, "n": n}


_NONCE_BYTES, _SALT_BYTES, _KEY_BYTES = 12, 16, 32


class WrongPassphrase(ValueError):
    """The passphrase does not open the sealed key (or the header was changed)."""


def new_header(**fields) -> dict:
    """`fields` (format, version...) with a fresh salt and nonce."""
    return {
        **fields,
        "kdf": {"name": "scrypt", **cost(), "salt": b64(os.urandom(_SALT_BYTES))},
        "cipher": {"name": "AES-256-GCM", "nonce": b64(os.urandom(_NONCE_BYTES))},
    }


def seal(key: bytes, passphrase: str, header: dict) -> str:
    """`key` sealed under `passphrase`, bound to every field of `header`, as base64."""
    return b64(
        _aead(passphrase, header).encrypt(
            unb64(header["cipher"]["nonce"]), key, _associated(header)
        )
    )


def unseal(sealed: str, passphrase: str, header: dict) -> bytes:
    try:
        return _aead(passphrase, header).decrypt(
            unb64(header["cipher"]["nonce"]), unb64(sealed), _associated(header)
        )
    except InvalidTag:
        raise WrongPassphrase from None


def header_ok(kdf, cipher) -> bool:
    """Whether the stored key derivation and cipher are ours and within bounds, before any
    work. Raises KeyError, TypeError or binascii.Error for fields missing or malformed."""
    return (
        kdf["name"] == "scrypt"
        and cipher["name"] == "AES-256-GCM"
        and all(type(kdf[k]) is int for k in ("n", "r", "p"))
        and 2 <= kdf["n"] <= _MAX_N
        and kdf["n"] & (kdf["n"] - 1) == 0
        and 1 <= kdf["r"] <= _MAX_R
        and 1 <= kdf["p"] <= _MAX_P
        and len(unb64(kdf["salt"])) >= _SALT_BYTES
        and len(unb64(cipher["nonce"])) == _NONCE_BYTES
    )


MALFORMED = (KeyError, TypeError, binascii.Error)


def _aead(passphrase: str, header: dict) -> AESGCM:
    kdf = header["kdf"]
    return AESGCM(
        Scrypt(
            salt=unb64(kdf["salt"]), length=_KEY_BYTES, n=kdf["n"], r=kdf["r"], p=kdf["p"]
        ).derive(passphrase.encode("utf-8"))
    )


def _associated(header: dict) -> bytes:
    """Every field but the sealed key, canonical."""
    return json.dumps(header, sort_keys=True, separators=(",", ":")).encode("utf-8")


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def unb64(text) -> bytes:
    if not isinstance(text, str):
        raise TypeError("not base64 text")
    return base64.b64decode(text, validate=True)
