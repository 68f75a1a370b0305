"""The sync server's long-term identity: an Ed25519 key pair and the fingerprint people compare.

A hub's operator confirms the fingerprint (shown with each enrollment code) before enrolling;
the enroll answer is signed with this key, so the hub knows it reached the server the
fingerprint belongs to. The private key is made on first run, owner-only, in the secrets folder.
"""

from __future__ import annotations

import base64
import functools
from pathlib import Path

from collector import device_keys, protocol, sealed_bundles

KEY_NAME = "server_identity_key"


@functools.lru_cache(maxsize=16)
def _private_key(data_dir: str):
    # Read once per process: hubs ask /health often, and the key never changes once made.
    return device_keys.load_private_key(Path(data_dir), KEY_NAME)


def public_key_text(data_dir: Path | str) -> str:
    private_key = _private_key(str(Path(data_dir).resolve()))
    return base64.b64encode(device_keys.raw_public_key(private_key)).decode("ascii")


def fingerprint(data_dir: Path | str) -> str:
    """The server's fingerprint, e.g. "3F2A 9C01 77B0 ..." (8 groups of 4 hex digits)."""
    found = device_keys.fingerprint_of(public_key_text(data_dir))
    assert found is not None  # None only for a malformed key; ours is made by us
    return found


def server_name(app) -> str:
    """The name the central team gave this server (config SERVER_NAME_LABEL), or ""."""
    return str(app.config.get("SERVER_NAME_LABEL") or "")


def describe(app) -> dict:
    """The server part of the health and enroll answers."""
    data_dir = app.config["DATA_DIR"]
    return {
        "name": server_name(app),
        "fingerprint": fingerprint(data_dir),
        "public_key": public_key_text(data_dir),
    }


def sign_enrollment(app, device_id: str, enrollment_id: str, device_token: str) -> str:
    """The identity key's signature binding this answer to this hub's request."""
    private_key = _private_key(str(Path(app.config["DATA_DIR"]).resolve()))
    payload = protocol.enrollment_proof(
        device_id, enrollment_id, fingerprint(app.config["DATA_DIR"]), device_token
    )
    return device_keys.sign_with(private_key, payload)


def sign_challenge(app, nonce: str) -> str:
    """The identity key's signature of a hub's fresh nonce: proof, before the hub sends its
    token or any record, that this is the server it enrolled with."""
    private_key = _private_key(str(Path(app.config["DATA_DIR"]).resolve()))
    return device_keys.sign_with(
        private_key, protocol.identity_proof(nonce, fingerprint(app.config["DATA_DIR"]))
    )


def opened(data_dir: Path | str, data: bytes) -> bytes:
    """A USB bundle (or the files beside it) as written: sealed ones are opened with the
    identity key (collector.sealed_bundles); older collectors' plain ones pass as they are."""
    if not sealed_bundles.is_sealed(data):
        return data
    return sealed_bundles.unseal(data, _private_key(str(Path(data_dir).resolve())))
