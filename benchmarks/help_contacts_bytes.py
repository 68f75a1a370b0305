"""Bytes on the wire that help contacts add to a sync, with and without a change.

    . .venv/bin/activate
    python benchmarks/help_contacts_bytes.py              # 20 contacts
    python benchmarks/help_contacts_bytes.py --contacts 200

A real sync server (cheroot, SQLite) and a real hub database on 127.0.0.1, the real
SyncClient, and the tests' FaultProxy in front of the server counting the bytes each way
(HTTP headers included). Syncs with nothing to send: one before the central team lists any
contact, one that brings the contacts, then one with nothing changed.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from collector import create_app as create_hub  # noqa: E402
from collector.db import connect  # noqa: E402
from collector.sync_client import SyncClient, enroll  # noqa: E402
from faultproxy import FaultProxy  # noqa: E402  (tests/faultproxy.py)
from support import Central, install_key  # noqa: E402  (tests/support.py)
from sync_server.store import Store  # noqa: E402


def contact(number: int) -> dict:
    """A realistic contact: a ward's legal aid desk, a district's, or a national line."""
    return {
        "area": ("", "NR", "CE01", "SR02")[number % 4],
        "name": f"Legal aid and protection desk {number}",
        "description": "Free advice and accompaniment after discrimination or violence.",
        "phone": f"+254 700 {number:06d}",
        "hours": "Mon-Fri 8:30-17:00",
        "languages": ["sw", "en"],
    }


def measured(proxy: FaultProxy, client: SyncClient) -> int:
    """Bytes up and down of one sync."""
    before = proxy.stats
    client.sync()
    after = proxy.stats
    return sum(after[k] - before[k] for k in ("bytes_up", "bytes_down"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        central = Central(Path(folder) / "central")
        proxy = FaultProxy(upstream=("127.0.0.1", int(central.url.rsplit(":", 1)[1]))).start()
        hub_dir = install_key(Path(folder) / "hub")
        hub = create_hub(data_dir=hub_dir)
        db = connect(hub.config["DATABASE"])
        client = SyncClient(db, enroll(db, hub_dir, proxy.url, central.enrollment_code()))
        try:
            client.sync()  # enrolled: the first list of forms
            quiet_before = measured(proxy, client)
            store = Store(central.database)
            for number in range(args.contacts):
                store.add_help_contact(contact(number), "benchmark")
            store.close()
            bringing = measured(proxy, client)
            quiet_after = measured(proxy, client)
            kept = db.execute("SELECT count(*) FROM help_contacts").fetchone()[0]
        finally:
            db.close()
            proxy.stop()
            central.stop()
    print(f"contacts listed centrally, then kept on the hub: {args.contacts}, {kept}")
    print(f"sync with nothing changed, before any contact: {quiet_before:,} bytes")
    print(f"sync that brings the contacts:                 {bringing:,} bytes")
    print(f"sync with nothing changed, with the contacts:  {quiet_after:,} bytes")
    print(f"bytes the contacts add to a no-change sync:    {quiet_after - quiet_before:+,}")


if __name__ == "__main__":
    main()
