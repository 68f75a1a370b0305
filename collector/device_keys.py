"""The hub's own signing key pair (Ed25519): it signs USB bundles, the server verifies them.

The private key is made on first use and kept in the data dir's secrets folder, readable by
the owner only; the server holds only the public key, sent when the hub enrolls. Nothing in
the server's database is therefore enough to sign a bundle in the hub's name.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from .datadir import read_or_create_secret

KEY_NAME = "device_signing_key"
RAW_KEY_BYTES = 32


def load_private_key(data_dir: Path, name: str = KEY_NAME) -> Ed25519PrivateKey:
    """The key pair kept under `name` in the secrets folder, created owner-only on first use.

    The file holds the 32 random bytes of the private key in hex, like every other secret.
    """
    seed = read_or_create_secret(Path(data_dir), name, RAW_KEY_BYTES)
    return Ed25519PrivateKey.from_private_bytes(bytes.fromhex(seed))


def raw_public_key(private_key: Ed25519PrivateKey) -> bytes:
    return private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def public_key_text(data_dir: Path) -> str:
    """Base64 of the raw public key: what the server stores for this device."""
    return base64.b64encode(raw_public_key(load_private_key(data_dir))).decode("ascii")


def sign_with(private_key: Ed25519PrivateKey, payload: bytes) -> str:
    return base64.b64encode(private_key.sign(payload)).decode("ascii")


def sign(data_dir: Path, payload: bytes) -> str:
    """Base64 Ed25519 signature of `payload` by this hub's key."""
    return sign_with(load_private_key(data_dir), payload)


def parse_public_key(text) -> Ed25519PublicKey | None:
    """A public key from its base64 text, or None when it is not one."""
    try:
        raw = base64.b64decode(str(text), validate=True)
        if len(raw) != RAW_KEY_BYTES:
            return None
        return Ed25519PublicKey.from_public_bytes(raw)
    except (binascii.Error, ValueError, TypeError):
        return None


def verify(public_key_text, payload: bytes, signature) -> bool:
    """True only for a valid signature of `payload` by that key; False on any bad input."""
    key = parse_public_key(public_key_text) if public_key_text else None
    if key is None or not isinstance(payload, (bytes, bytearray)):
        return False
    try:
        key.verify(base64.b64decode(str(signature), validate=True), bytes(payload))
    except (InvalidSignature, binascii.Error, ValueError, TypeError):
        return False
    return True


def fingerprint_of(public_key_text) -> str | None:
    """What a person compares: the first 128 bits of SHA-256 of the raw public key, as
    8 groups of 4 upper-case hex digits ("3F2A 9C01 ..."); None for a bad key."""
    key = parse_public_key(public_key_text)
    if key is None:
        return None
    digest = hashlib.sha256(key.public_bytes(Encoding.Raw, PublicFormat.Raw)).hexdigest()
    return " ".join(digest[i : i + 4] for i in range(0, 32, 4)).upper()
