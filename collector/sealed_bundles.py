"""USB bundles sealed to the server the hub enrolled with: only that server can open one.

A bundle holds the device id, key answers, sensitive answers and reports; a lost stick must
not give them away. The hub seals it with libsodium's sealed box (PyNaCl) to the server's
identity key, the Ed25519 key whose fingerprint the operator confirmed, turned into its
X25519 key by libsodium's own conversion. So no new key has to be published, trusted or
backed up, and no cryptography is written here.

A sealed file is MAGIC, the first 16 bytes of the server key's SHA-256 (which server it is
for, so that the wrong server can say so), then the sealed box. The bundle inside stays signed
by the hub's own key: sealing hides it, the signature says who wrote it.
"""

from __future__ import annotations

import base64
import hashlib

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from nacl.bindings import (
    crypto_sign_ed25519_pk_to_curve25519,
    crypto_sign_ed25519_sk_to_curve25519,
)
from nacl.exceptions import CryptoError
from nacl.public import PrivateKey, PublicKey, SealedBox

from . import device_keys
from .protocol import ProtocolError

MAGIC = b"FCSEALED1\n"
_FOR = 16
_HEADER = len(MAGIC) + _FOR


def is_sealed(data: bytes) -> bool:
    return data[: len(MAGIC)] == MAGIC


def seal(data: bytes, server_public_key: str) -> bytes:
    """`data` encrypted so that only the holder of the server's identity key can read it."""
    raw = base64.b64decode(server_public_key, validate=True)
    box = SealedBox(PublicKey(crypto_sign_ed25519_pk_to_curve25519(raw)))
    return MAGIC + _server_id(raw) + box.encrypt(data)


def unseal(data: bytes, identity_key: Ed25519PrivateKey) -> bytes:
    """The plain bundle, or ProtocolError: sealed for another server, changed, or cut short."""
    if not is_sealed(data) or len(data) <= _HEADER:
        raise ProtocolError("not_a_bundle", "This file is not a sealed collector bundle.")
    own = device_keys.raw_public_key(identity_key)
    if data[len(MAGIC) : _HEADER] != _server_id(own):
        raise ProtocolError(
            "other_server",
            "This bundle is encrypted for another server (the one the laptop enrolled with), "
            "not this one: import it there, or enroll the laptop with this server and export "
            "it again.",
        )
    seed = identity_key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    private = PrivateKey(crypto_sign_ed25519_sk_to_curve25519(seed + own))  # libsodium's form
    try:
        return SealedBox(private).decrypt(data[_HEADER:])
    except CryptoError:
        raise ProtocolError(
            "bad_signature", "The bundle was changed or cut short after it was written."
        ) from None


def _server_id(raw_ed25519: bytes) -> bytes:
    return hashlib.sha256(raw_ed25519).digest()[:_FOR]
