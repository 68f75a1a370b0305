"""USB bundles are sealed to the server the hub enrolled with: a lost stick shows nothing, and
only that server's identity key opens the file."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from collector import device_keys, sealed_bundles
from collector.db import open_database, write_transaction
from collector.protocol import ProtocolError
from collector.sync_client import get_state, set_state
from support import Central, query
from test_sync import collector, enrolled, fill_everything, server_command  # noqa: F401 - fixture

SERVER_ENGINES = ("sqlite",)


def test_only_the_identity_key_sealed_to_opens_a_bundle_and_a_changed_byte_is_refused():
    for _ in range(10):
        key, other = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
        text = base64.b64encode(device_keys.raw_public_key(key)).decode()
        sealed = sealed_bundles.seal(b"answers", text)
        assert b"answers" not in sealed and sealed_bundles.unseal(sealed, key) == b"answers"
        with pytest.raises(ProtocolError, match="another server"):
            sealed_bundles.unseal(sealed, other)
        changed = sealed[:-1] + bytes([sealed[-1] ^ 1])
        with pytest.raises(ProtocolError, match="changed or cut short"):
            sealed_bundles.unseal(changed, key)
        with pytest.raises(ProtocolError, match="changed or cut short"):
            sealed_bundles.unseal(sealed[:-5], key)


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
    assert bundle.read_bytes().startswith(sealed_bundles.MAGIC)
    imported = server_command("import-bundle", bundle, central=central)
    assert imported.exit_code == 0, imported.output
