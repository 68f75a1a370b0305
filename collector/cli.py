"""The `collector` command: serve the hub, manage enumerators, status, backup, forms."""

from __future__ import annotations

import functools
import json
import os
import sqlite3
import tempfile
from pathlib import Path

import click

from . import datadir
from .db import connect, open_database
from .forms import FormError, load_form_json
from .records import status_counts
from .settings import SettingsError, load_settings
from .users import UserError, add_user, list_users

DEMO_USER, DEMO_PIN = "demo", "1234"


def data_dir_option(command):
    """Every command takes --data-dir; the default is a per-user data folder."""

    @click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path),
                  envvar="COLLECTOR_DATA_DIR", show_envvar=True,
                  help="Folder holding the database and secrets.  [default: a per-user folder]")
    @functools.wraps(command)
    def wrapped(*args, data_dir=None, **kwargs):
        path = datadir.ensure_data_dir(data_dir or datadir.default_data_dir())
        try:
            load_settings(path)
        except SettingsError as error:
            raise click.ClickException(str(error)) from error
        return command(*args, data_dir=path, **kwargs)

    return wrapped


def database(data_dir: Path):
    return open_database(data_dir / datadir.DATABASE_FILE)


@click.group()
@click.version_option(package_name="community-feedback-collector")
def cli():
    """The field collector: a laptop hub for interviews and community feedback, offline."""


@cli.command()
@data_dir_option
@click.option("--host", default="0.0.0.0", show_default=True,
              help="Address to listen on; 0.0.0.0 lets phones on the Wi-Fi connect.")
@click.option("--port", default=5000, show_default=True, type=click.IntRange(0, 65535),
              help="Port to listen on (0 picks a free one).")
@click.option("--threads", default=16, show_default=True, type=click.IntRange(1, 200),
              help="Requests served at the same time.")
def serve(data_dir, host, port, threads):
    """Serve the hub to phones on the laptop's network.

    Example: collector serve --port 5000
    """
    from .serving import run

    run(data_dir, host, port, threads)


@cli.command()
@data_dir_option
@click.option("--host", default="0.0.0.0", show_default=True, help="Address to listen on.")
@click.option("--port", default=5000, show_default=True, type=click.IntRange(0, 65535))
def demo(data_dir, host, port):
    """Serve the hub with a sample enumerator (name "demo", PIN 1234).

    Example: collector demo --data-dir demo-data
    """
    from .serving import run

    db = database(data_dir)
    try:
        add_user(db, DEMO_USER, DEMO_PIN)
    except UserError:
        pass  # already there from an earlier demo
    db.close()
    click.echo(f'Sample enumerator: name "{DEMO_USER}", PIN {DEMO_PIN}')
    run(data_dir, host, port, 16)


@cli.group()
def user():
    """Enumerator accounts."""


@user.command("add")
@data_dir_option
@click.argument("name")
@click.option("--pin", help="4 to 12 digits; asked for when not given.")
def user_add(data_dir, name, pin):
    """Add an enumerator who signs in with NAME and a PIN.

    Example: collector user add Amina --pin 4821
    """
    if pin is None:
        pin = click.prompt("PIN", hide_input=True, confirmation_prompt=True)
    try:
        add_user(database(data_dir), name, pin)
    except UserError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Added enumerator {name.strip()}.")


@user.command("list")
@data_dir_option
def user_list(data_dir):
    """List enumerators.

    Example: collector user list
    """
    for row in list_users(database(data_dir)):
        locked = f"  (locked until {row['locked_until']})" if row["locked_until"] else ""
        click.echo(f"{row['name']}{locked}")


@cli.command()
@data_dir_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
def status(data_dir, as_json):
    """Counts of drafts, finalized, queued, synced and rejected records, and the last sync.

    Example: collector status --json
    """
    counts = status_counts(database(data_dir))
    if as_json:
        click.echo(json.dumps(counts, indent=2))
        return
    for key in ("drafts", "finalized", "queued", "synced", "rejected"):
        click.echo(f"{key:<10} {counts[key]}")
    click.echo(f"{'last sync':<10} {counts['last_sync'] or 'never'}")


@cli.command()
@data_dir_option
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def backup(data_dir, file):
    """Write a consistent copy of the database to FILE, even while the hub is serving.

    Example: collector backup /media/usb/hub-backup.db
    """
    source = connect(data_dir / datadir.DATABASE_FILE)
    file = file.resolve()
    # Copy to a temporary file beside the target, then rename: a pulled USB stick
    # leaves either the old backup or the new one, never half of one.
    handle, partial = tempfile.mkstemp(dir=file.parent, prefix=".backup-", suffix=".db")
    os.close(handle)
    try:
        target = sqlite3.connect(partial)
        with target:
            source.conn.backup(target)
        check = target.execute("PRAGMA integrity_check").fetchone()[0]
        records = target.execute("SELECT count(*) FROM records").fetchone()[0]
        target.close()
        if check != "ok":
            raise click.ClickException(f"The copy failed its integrity check: {check}")
        os.chmod(partial, 0o600)
        os.replace(partial, file)
    finally:
        if os.path.exists(partial):
            os.remove(partial)
    click.echo(f"Backed up {records} records to {file}")


@cli.group()
def forms():
    """Form definitions on this hub."""


@forms.command("import")
@data_dir_option
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def forms_import(data_dir, file):
    """Add a form version from a JSON form definition.

    Example: collector forms import household_visit.json
    """
    from .form_library import import_form

    if file.suffix.lower() != ".json":
        raise click.ClickException(f"{file.name}: only JSON form definitions can be imported.")
    try:
        form = load_form_json(file.read_text("utf-8"))
    except (FormError, UnicodeDecodeError) as error:
        raise click.ClickException(f"{file.name} is not a valid form definition:\n{error}") from error
    if import_form(database(data_dir), form, file.name):
        click.echo(f"Imported {form.form_id} version {form.version}.")
    else:
        click.echo(f"{form.form_id} version {form.version} is already on this hub.")
