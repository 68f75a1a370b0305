"""The `sync-server` command: serve, users, devices, forms, USB bundles, replies."""

from __future__ import annotations

import functools
import uuid as uuid_module
from collections import Counter
from pathlib import Path

import click
from werkzeug.security import generate_password_hash

from collector import datadir, protocol

from . import DATABASE_FILE, database_path
from .enrollment import code_hash, expiry, new_code
from .ingest import ingest_batch
from .store import Store

ROLES = ("admin", "analyst", "viewer")
DEMO_ADMIN, DEMO_PASSWORD = "admin", "demo passphrase"


def data_dir_option(command):
    """Every command takes --data-dir (default: a per-user folder) and --database."""

    @click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path),
                  envvar="SYNC_SERVER_DATA_DIR", show_envvar=True,
                  help="Folder holding the database and secrets.  [default: a per-user folder]")
    @click.option("--database", envvar="SYNC_SERVER_DATABASE",
                  help=f"Database: a SQLite path or sqlite:///path.  [default: {DATABASE_FILE} "
                       "in the data dir]")
    @functools.wraps(command)
    def wrapped(*args, data_dir=None, database=None, **kwargs):
        path = datadir.ensure_data_dir(data_dir or datadir.default_data_dir("sync-server"))
        try:
            database = database_path(database, path)
        except ValueError as error:
            raise click.ClickException(str(error)) from error
        return command(*args, data_dir=path, database=database, **kwargs)

    return wrapped


def open_store(database: str) -> Store:
    return Store.create(database)


@click.group()
@click.version_option(package_name="community-feedback-collector")
def cli():
    """The central sync server: receives anonymized records from the collectors."""


@cli.command()
@data_dir_option
@click.option("--host", default="0.0.0.0", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535),
              help="Port to listen on (0 picks a free one).")
@click.option("--threads", default=16, show_default=True, type=click.IntRange(1, 200))
@click.option("--suppression-k", default=5, show_default=True, type=click.IntRange(2, 1000),
              envvar="SYNC_SERVER_SUPPRESSION_K", show_envvar=True,
              help="Indicator cells with fewer respondents than this are suppressed.")
def serve(data_dir, database, host, port, threads, suppression_k):
    """Serve the sync API and the central workspace.

    Example: sync-server serve --port 8000 --suppression-k 10
    """
    from collector.serving import make_server, serve_forever

    from . import create_app

    app = create_app({"SUPPRESSION_K": suppression_k}, data_dir=data_dir, database=database)
    server = make_server(app, host, port, threads)
    server.prepare()
    click.echo(f"Data folder: {data_dir}")
    click.echo(f"Listening on {host}:{server.bind_addr[1]} (Ctrl+C to stop)")
    serve_forever(server)


@cli.group()
def user():
    """Central team accounts."""


@user.command("add")
@data_dir_option
@click.argument("name")
@click.option("--role", type=click.Choice(ROLES), required=True,
              help="admin: users, devices, forms; analyst: data, exports, replies; "
                   "viewer: dashboards.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def user_add(data_dir, database, name, role, password_stdin):
    """Add a central user.

    Example: echo 'long passphrase' | sync-server user add nadia --role analyst --password-stdin
    """
    if password_stdin:
        password = click.get_text_stream("stdin").readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    if len(password) < 10:
        raise click.ClickException("A password needs at least 10 characters.")
    store = open_store(database)
    if store.user_exists(name):
        raise click.ClickException(f"There is already a user called {name}.")
    store.add_user(name, role, generate_password_hash(password))
    click.echo(f"Added {role} {name}.")


@cli.group()
def device():
    """Collector laptops allowed to sync."""


@device.command("add")
@data_dir_option
@click.option("--label", required=True, help="Which laptop this is, e.g. 'Zone B laptop 2'.")
@click.option("--expires-hours", default=72.0, show_default=True, type=click.FloatRange(0.01),
              help="How long the code can be used.")
def device_add(data_dir, database, label, expires_hours):
    """Create a one-time enrollment code for a laptop; the code is the last line printed.

    Example: sync-server device add --label "Zone B laptop 2"
    """
    code = new_code()
    expires_at = expiry(expires_hours)
    open_store(database).add_enrollment_code(code_hash(code), label, expires_at)
    click.echo(f"Enrollment code for {label}, valid until {expires_at}, usable once:")
    click.echo(code)


@device.command("revoke")
@data_dir_option
@click.argument("device_id", metavar="DEVICE")
def device_revoke(data_dir, database, device_id):
    """Revoke a device: it keeps its data but can no longer sync.

    Example: sync-server device revoke 3f2c9c1e-...
    """
    store = open_store(database)
    if store.device(device_id) is None:
        raise click.ClickException(f"No device {device_id}; see `sync-server device list`.")
    if store.revoke_device(device_id):
        click.echo(f"Revoked {device_id}.")
    else:
        click.echo(f"{device_id} was already revoked.")


@device.command("list")
@data_dir_option
def device_list(data_dir, database):
    """List devices: id, label, last seen, records received, queued, revoked.

    Example: sync-server device list
    """
    for row in open_store(database).devices():
        state = f"revoked {row['revoked_at']}" if row["revoked_at"] else "active"
        click.echo(f"{row['id']}  {row['label']}  last seen {row['last_seen'] or 'never'}  "
                   f"received {row['received']}  queued {row['queued'] or 0}  {state}")


@cli.group()
def forms():
    """Form versions the laptops download."""


@forms.command("publish")
@data_dir_option
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def forms_publish(data_dir, database, file):
    """Publish a form version (JSON or XLSForm); laptops get it on their next sync.

    Example: sync-server forms publish household_visit.xlsx
    """
    from collector.cli import checked_form_file

    from .forms import publish

    form = checked_form_file(file)
    form, created = publish(open_store(database), form.to_json(), "admin")
    if created:
        click.echo(f"Published {form.form_id} version {form.version}.")
    else:
        click.echo(f"{form.form_id} version {form.version} is already published.")


@cli.command("import-bundle")
@data_dir_option
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_bundle(data_dir, database, file):
    """Ingest a USB bundle written by `collector export-bundle`, exactly once.

    Example: sync-server import-bundle /media/usb/zone-b-2024-03-15.bundle
    """
    store = open_store(database)
    try:
        found, batches = _verified_bundle(store, file.read_bytes())
    except protocol.ProtocolError as error:
        raise click.ClickException(f"{file.name}: {error.message}") from error
    results, replayed = [], 0
    for batch in batches:
        try:
            results += ingest_batch(store, found, batch, source="bundle")[1]["results"]
        except protocol.ProtocolError as error:
            if error.code != "replayed_batch":
                raise click.ClickException(f"{file.name}: {error.message}") from error
            replayed += 1
    if batches and replayed == len(batches):
        raise click.ClickException(f"{file.name} was already imported; nothing was stored again.")
    counts = Counter(r["status"] for r in results)
    click.echo(f"Imported {file.name} from {found['label']}: {counts['stored']} stored, "
               f"{counts['duplicate']} already here, {counts['rejected']} rejected.")
    for item in results:
        if item["status"] == protocol.RESULT_REJECTED:
            click.echo(f"  rejected {item['uuid']} revision {item['revision']}: "
                       f"{item['message']}")


def _verified_bundle(store: Store, data: bytes) -> tuple[dict, list[dict]]:
    device_id, batches, payload, signature = protocol.read_bundle(data)
    found = store.device(device_id)
    if found is None:
        raise protocol.ProtocolError("device_unknown",
                                     "The bundle comes from a device this server does not know.")
    if not protocol.verify(payload, found["token_hash"], signature):
        raise protocol.ProtocolError("bad_signature", "The bundle's signature does not match "
                                     "its device: it was changed or is not genuine.")
    if found["revoked_at"]:
        raise protocol.ProtocolError("device_revoked", "The bundle comes from a revoked device.")
    return found, batches


@cli.command("export")
@data_dir_option
@click.option("--form", "form_id", required=True, help="The form id, e.g. community_survey.")
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv", "xlsx", "dta", "sav"]),
              required=True, help="File format.")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="File to write.")
@click.option("--lang", default="en", show_default=True,
              help="Language of variable and value labels (dta, sav, xlsx).")
@click.option("--repeat", metavar="NAME", default=None,
              help="Export this repeat's long table instead: one row per instance, "
                   "joined to the records by _parent_uuid.")
def export_command(data_dir, database, form_id, fmt, output, lang, repeat):
    """Export one form's records: every version merged, corrections applied, one row each.

    Example: sync-server export --form community_survey --format dta --output survey.dta --lang fr

    A repeat's instances (e.g. household members) are a table of their own:
    sync-server export --form household_visit --repeat members --format csv --output members.csv
    """
    from .data import form_history, form_ids
    from .exports import ExportError, export

    store = open_store(database)
    if form_id not in form_ids(store):
        raise click.ClickException(f"No form {form_id}; known: {', '.join(form_ids(store))}.")
    partial = output.with_name(f".{output.name}.partial")
    try:
        with partial.open("wb") as out:
            count = export(store.iter_latest(form_id), form_history(form_id, store), fmt, out,
                           lang, repeat=repeat)
    except ExportError as error:
        partial.unlink(missing_ok=True)
        raise click.ClickException(str(error)) from error
    partial.replace(output)
    if repeat is None:
        store.log("cli", "export", f"{form_id} {fmt}")
        click.echo(f"Wrote {count} records to {output}.")
    else:
        store.log("cli", "export", f"{form_id} {fmt} repeat {repeat}")
        click.echo(f"Wrote {count} instances of the repeat {repeat} to {output}.")


@cli.command()
@data_dir_option
@click.argument("record_uuid", metavar="RECORD")
@click.argument("message")
@click.option("--locale", default="en", show_default=True, help="Language of the reply.")
@click.option("--author", default="central team", show_default=True)
def reply(data_dir, database, record_uuid, message, locale, author):
    """Reply to a community feedback record; the laptop gets it on its next sync.

    Example: sync-server reply 6f1f8e9e-... "The water point will be repaired on Monday."
    """
    try:
        open_store(database).add_reply(str(uuid_module.uuid4()), record_uuid, message, locale,
                                       author)
    except KeyError:
        raise click.ClickException(f"No record {record_uuid} has been received.") from None
    click.echo(f"Reply queued for the device that sent {record_uuid}.")



@cli.command()
@data_dir_option
@click.option("--port", default=5000, show_default=True, type=click.IntRange(0, 65535),
              help="Port of the collector hub (phones connect here).")
@click.option("--server-port", default=8000, show_default=True, type=click.IntRange(0, 65535),
              help="Port of the sync server, on 127.0.0.1.")
def demo(data_dir, database, port, server_port):
    """Run a sync server and an enrolled collector hub together, to see the whole flow.

    The hub has a sample enumerator (name "demo", PIN 1234) and syncs in the background;
    the central workspace has an admin (name "admin", password "demo passphrase").

    Example: sync-server demo --data-dir demo-data
    """
    import threading

    from collector.cli import add_demo_user, run_hub
    from collector.datadir import ensure_data_dir
    from collector.db import open_database
    from collector.serving import make_server
    from collector.sync_client import enroll, load_credentials

    from . import create_app

    hub_dir = ensure_data_dir(data_dir / "collector")
    app = create_app(data_dir=data_dir, database=database)
    server = make_server(app, "127.0.0.1", server_port, 8)
    server.prepare()
    threading.Thread(target=server.serve, daemon=True).start()
    url = f"http://127.0.0.1:{server.bind_addr[1]}"
    db = open_database(hub_dir / "collector.db")
    if load_credentials(db, hub_dir) is None:
        code = new_code()
        open_store(database).add_enrollment_code(code_hash(code), "demo laptop", expiry(1))
        enroll(db, hub_dir, url, code)
    db.close()
    store = open_store(database)
    if not store.user_exists(DEMO_ADMIN):
        store.add_user(DEMO_ADMIN, "admin", generate_password_hash(DEMO_PASSWORD))
    store.close()
    click.echo(f"Central workspace: {url}/  (name {DEMO_ADMIN!r}, password {DEMO_PASSWORD!r})")
    add_demo_user(hub_dir)
    try:
        run_hub(hub_dir, "0.0.0.0", port, 16)
    finally:
        server.stop()
