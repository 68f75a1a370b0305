"""USB bundles sealed to the server the hub enrolled with: only that server can open one.

A bundle holds the device id, key answers, sensitive answers and reports; a lost stick must
not give them away. The hub encrypts it to the server's identity key (the Ed25519 key whose
fingerprint the operator confirmed), used as an X25519 key the way libsodium converts one:
the public key by the birational map from Edwards to Montgomery form, the private key from the
SHA-512 of the seed. So no new key has to be published, trusted or backed up.

A sealed file is MAGIC, the first 16 bytes of the server key's SHA-256 (which server it is
for), a fresh X25519 public key, then ChaCha20-Poly1305 of the plain bundle under a key
derived (HKDF-SHA-256) from the exchange; the header is authenticated too. The bundle inside
stays signed by the hub's own key: sealing hides it, the signature says who wrote it.
"""

from __future__ import annotations

import base64
import hashlib

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

from . import device_keys
from .protocol import ProtocolError

MAGIC = b"FCSEALED1\n"
_FOR, _EPHEMERAL = 16, 32
_HEADER = len(MAGIC) + _FOR + _EPHEMERAL
_INFO = b"feedback-collector sealed bundle"
_NONCE = bytes(12)  # each file has its own key (a fresh ephemeral key): one nonce is safe
_P = 2**255 - 19


def is_sealed(data: bytes) -> bool:
    return data[: len(MAGIC)] == MAGIC


def seal(data: bytes, server_public_key: str) -> bytes:
    """`data` encrypted so that only the holder of the server's identity key can read it."""
    raw = base64.b64decode(server_public_key, validate=True)
    recipient = X25519PublicKey.from_public_bytes(_montgomery(raw))
    ephemeral = X25519PrivateKey.generate()
    header = MAGIC + _server_id(raw) + _raw(ephemeral.public_key())
    key = _key(ephemeral.exchange(recipient), header, recipient)
    return header + ChaCha20Poly1305(key).encrypt(_NONCE, data, header)


def unseal(data: bytes, identity_key: Ed25519PrivateKey) -> bytes:
    """The plain bundle, or ProtocolError: sealed for another server, changed, or cut short."""
    header, ciphertext = data[:_HEADER], data[_HEADER:]
    if not is_sealed(data) or len(data) <= _HEADER:
        raise ProtocolError("not_a_bundle", "This file is not a sealed collector bundle.")
    own = device_keys.raw_public_key(identity_key)
    if header[len(MAGIC) : len(MAGIC) + _FOR] != _server_id(own):
        raise ProtocolError(
            "other_server",
            "This bundle is encrypted for another server (the one the laptop enrolled with), "
            "not this one: import it there, or enroll the laptop with this server and export "
            "it again.",
        )
    ephemeral = X25519PublicKey.from_public_bytes(header[-_EPHEMERAL:])
    private = X25519PrivateKey.from_private_bytes(
        hashlib.sha512(
            identity_key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        ).digest()[:32]
    )
    try:
        key = _key(private.exchange(ephemeral), header, private.public_key())
        return ChaCha20Poly1305(key).decrypt(_NONCE, ciphertext, header)
    except (InvalidTag, ValueError):  # ValueError: a low-order ephemeral key, a forged file
        pass
    raise ProtocolError(
        "bad_signature", "The bundle was changed or cut short after it was written."
    )


def _key(shared: bytes, header: bytes, recipient: X25519PublicKey) -> bytes:
    return HKDF(hashes.SHA256(), 32, salt=None, info=_INFO + header + _raw(recipient)).derive(
        shared
    )


def _raw(key) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def _server_id(raw_ed25519: bytes) -> bytes:
    return hashlib.sha256(raw_ed25519).digest()[:_FOR]


def _montgomery(raw_ed25519: bytes) -> bytes:
    """An Ed25519 public key as an X25519 one: u = (1 + y) / (1 - y) mod p."""
    if len(raw_ed25519) != 32:
        raise ValueError("not an Ed25519 public key")
    y = int.from_bytes(raw_ed25519, "little") & ((1 << 255) - 1)
    if y >= _P or (1 - y) % _P == 0:
        raise ValueError("not an Ed25519 public key")
    u = (1 + y) * pow(1 - y, _P - 2, _P) % _P
    return u.to_bytes(32, "little")
