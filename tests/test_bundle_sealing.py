"""USB bundles are sealed to the server the hub enrolled with: a lost stick shows nothing, and
only that server's identity key opens the file."""

from __future__ import annotations

import base64
import hashlib

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

from collector import device_keys, sealing
from collector.db import open_database, write_transaction
from collector.sync_client import get_state, set_state
from support import Central, query
from test_sync import collector, enrolled, fill_everything, server_command  # noqa: F401 - fixture

SERVER_ENGINES = ("sqlite",)


def test_the_x25519_key_is_the_one_its_identity_key_gives():
    """The hub's conversion of the public key meets the server's of the private key."""
    for _ in range(20):
        key = Ed25519PrivateKey.generate()
        seed = key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        private = X25519PrivateKey.from_private_bytes(hashlib.sha512(seed).digest()[:32])
        public = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        assert sealing._montgomery(device_keys.raw_public_key(key)) == public
        text = base64.b64encode(device_keys.raw_public_key(key)).decode()
        assert sealing.unseal(sealing.seal(b"answers", text), key) == b"answers"


def test_a_bundle_for_one_server_cannot_be_read_by_another(enrolled, central, data_dir, tmp_path):
    fill_everything(enrolled, surveys=1)
    bundle = tmp_path / "zone-b.bundle"
    assert collector("export-bundle", bundle, data_dir=data_dir).exit_code == 0
    other = Central(tmp_path / "other-central")
    try:
        result = server_command("import-bundle", bundle, central=other)
    finally:
        other.stop()
    assert result.exit_code == 1 and "encrypted for another server" in result.output
    assert query(other.database, "SELECT count(*) AS n FROM records")[0]["n"] == 0
    imported = server_command("import-bundle", bundle, central=central)
    assert imported.exit_code == 0 and "stored" in imported.output, imported.output


def test_a_hub_enrolled_before_the_key_was_kept_learns_it_at_its_next_sync(
    enrolled, central, data_dir, db_path, tmp_path
):
    db = open_database(db_path)
    enrollment = get_state(db, "enrollment")
    del enrollment["server_public_key"]  # as an older collector kept it
    with write_transaction(db):
        set_state(db, "enrollment", enrollment)
    db.close()
    fill_everything(enrolled, surveys=1)
    bundle = tmp_path / "zone-b.bundle"
    refused = collector("export-bundle", bundle, data_dir=data_dir)
    assert refused.exit_code == 1 and "sync once" in refused.output
    assert not bundle.exists()
    assert collector("sync", data_dir=data_dir).exit_code == 0  # the server proves its key
    fill_everything(enrolled, surveys=1)
    assert collector("export-bundle", bundle, data_dir=data_dir).exit_code == 0
    assert bundle.read_bytes().startswith(sealing.MAGIC)
    imported = server_command("import-bundle", bundle, central=central)
    assert imported.exit_code == 0, imported.output
