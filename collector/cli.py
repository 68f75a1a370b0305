"""The `collector` command: serve the hub, manage enumerators, status, backup, forms."""

from __future__ import annotations

import functools
import json
import os
import sqlite3
import tempfile
from pathlib import Path

import click

from . import datadir, passphrase as sealing, passwords, protection
from .db import connect, open_database, write_transaction
from .records import status_counts
from .settings import SettingsError, load_settings
from .users import UserError, add_user, list_users, set_pin, set_role

DEMO_USER, DEMO_PIN = "demo", "1234"


def data_dir_option(command=None, *, unlock: bool = True):
    """Every command takes --data-dir; the default is a per-user data folder.

    On a protected data folder (collector.protection) the passphrase is asked for first,
    unless `unlock` is False (a command that opens neither the database nor a secret).
    A missing or wrong passphrase ends the command before anything is opened.
    """
    if command is None:
        return functools.partial(data_dir_option, unlock=unlock)

    @click.option(
        "--data-dir",
        type=click.Path(file_okay=False, path_type=Path),
        envvar="COLLECTOR_DATA_DIR",
        show_envvar=True,
        help="Folder holding the database and secrets.  [default: a per-user folder]",
    )
    @functools.wraps(command)
    def wrapped(*args, data_dir=None, **kwargs):
        datadir.owner_only_files()  # the database, its log, secrets, backups: owner-only
        path = datadir.ensure_data_dir(data_dir or datadir.default_data_dir())
        try:
            load_settings(path)
        except SettingsError as error:
            raise click.ClickException(str(error)) from error
        try:
            if unlock and protection.is_protected(path):
                protection.unlock(path, ask_passphrase())
            return command(*args, data_dir=path, **kwargs)
        except protection.ProtectionError as error:
            raise click.ClickException(str(error)) from None

    return wrapped


def ask_passphrase(prompt: str = "Passphrase of this data folder") -> str:
    """The data folder's passphrase: COLLECTOR_PASSPHRASE when set (automation), else asked
    for without echo. No answer at all (no keyboard, nothing piped in) is a clear error."""
    given = os.environ.get(protection.PASSPHRASE_ENV)
    if given:
        return given
    try:
        return click.prompt(prompt, hide_input=True)
    except click.Abort:
        raise protection.Locked(
            "This data folder is protected and no passphrase was given: type it when "
            f"asked, or set {protection.PASSPHRASE_ENV}. Nothing was changed."
        ) from None


def new_passphrase(env: str) -> str:
    """A new passphrase: from the environment variable `env` when set, else asked twice."""
    given = os.environ.get(env)
    if not given:
        try:
            given = click.prompt(
                "New passphrase (12 characters or more)", hide_input=True, confirmation_prompt=True
            )
        except click.Abort:
            raise protection.ProtectionError(
                "No new passphrase was given: nothing was changed."
            ) from None
    protection.check_passphrase(given)
    return given


def database(data_dir: Path):
    """The hub's database, closed when the command that opened it ends."""
    db = open_database(data_dir / datadir.DATABASE_FILE)
    # One made by an older version (or another program) with the usual 0644 is closed too.
    datadir.owner_only_database(data_dir / datadir.DATABASE_FILE)
    context = click.get_current_context(silent=True)
    if context is not None:
        context.call_on_close(db.close)
    return db


@click.group()
@click.version_option(package_name="community-feedback-collector")
def cli():
    """The field collector: a laptop hub for interviews and community feedback, offline."""
    passwords.check_method_for_command_line()
    try:
        sealing.cost()  # a mistyped cost stops here, not halfway through protecting
    except sealing.CostError as error:
        raise click.ClickException(str(error)) from None


@cli.command()
@data_dir_option
@click.option(
    "--host",
    default="0.0.0.0",
    show_default=True,
    help="Address to listen on; 0.0.0.0 lets phones on the Wi-Fi connect.",
)
@click.option(
    "--port",
    default=5000,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Port to listen on (0 picks a free one).",
)
@click.option(
    "--threads",
    default=16,
    show_default=True,
    type=click.IntRange(1, 200),
    help="Requests served at the same time.",
)
@click.option(
    "--https",
    "https",
    is_flag=True,
    help="Also serve HTTPS with the hub's own certificate authority (made on first use).",
)
@click.option(
    "--https-port",
    default=5443,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Port for HTTPS, with --https.",
)
@click.option(
    "--protect",
    is_flag=True,
    help="Encrypt the data folder with a passphrase first (asked for twice when the "
    "folder is not protected yet; a protected folder always asks for it).",
)
def serve(data_dir, host, port, threads, https, https_port, protect):
    """Serve the hub to phones on the laptop's network.

    Example: collector serve --port 5000 --https --protect
    """
    if protect:
        protect_folder(data_dir)
    run_hub(data_dir, host, port, threads, https_port=https_port if https else None)


@cli.command()
@data_dir_option(unlock=False)
@click.option(
    "--change-passphrase",
    is_flag=True,
    help="Give a protected data folder a new passphrase (the current one is asked for first).",
)
def protect(data_dir, change_passphrase):
    """Encrypt this laptop's data folder with a passphrase, or change the passphrase.

    Answers, drafts, the operator's redactions, replies and every secret are encrypted;
    from then on every command asks for the passphrase. Without it the data cannot be
    read, by anyone: a lost passphrase cannot be recovered. Stop the hub first.

    Example: collector protect
    """
    if change_passphrase:
        if not protection.is_protected(data_dir):
            raise click.ClickException(
                "This data folder is not protected: run `collector protect` to protect it."
            )
        old = ask_passphrase("Current passphrase")
        protection.change_passphrase(data_dir, old, new_passphrase(protection.NEW_PASSPHRASE_ENV))
        click.echo(
            "The passphrase was changed; the old one no longer opens this data folder. "
            "Backups made before still need the old passphrase."
        )
        return
    if protection.is_protected(data_dir):
        protection.unlock(data_dir, ask_passphrase())
    protect_folder(data_dir)


def protect_folder(data_dir: Path) -> None:
    """Turn protection on (a new passphrase, asked twice) unless it is on, then encrypt
    whatever is still in clear and leave no plaintext page in the database files."""
    if not protection.is_protected(data_dir):
        protection.turn_on(data_dir, new_passphrase(protection.PASSPHRASE_ENV))
        click.echo(
            "This data folder is now protected. Every command will ask for the "
            "passphrase. Without it nobody, you included, can read the data again."
        )
    report = protection.seal_folder(data_dir)
    if report.values or report.files:
        click.echo(
            f"Encrypted {report.values} stored answers and messages and "
            f"{report.files} secret files."
        )
    if not report.log_cleared:
        raise click.ClickException(
            f"Everything is encrypted, but the database's write-ahead log "
            f"({datadir.DATABASE_FILE}-wal) still holds old copies: another program kept it "
            "open. Close it (or stop the hub) and run `collector protect` again."
        )


@cli.command()
@data_dir_option
@click.option("--host", default="0.0.0.0", show_default=True, help="Address to listen on.")
@click.option("--port", default=5000, show_default=True, type=click.IntRange(0, 65535))
def demo(data_dir, host, port):
    """Serve the hub with a sample operator (name "demo", PIN 1234), who may also enroll it.

    Example: collector demo --data-dir demo-data
    """
    add_demo_user(data_dir)
    install_demo_key(data_dir)
    run_hub(data_dir, host, port, 16)


DEMO_KEY_FILE, DEMO_KEY_PASSPHRASE = "demo-pseudonym-key.json", "demo key passphrase"


def install_demo_key(data_dir: Path) -> None:
    """The demo plays the data custodian too: it makes a key file and imports it, once."""
    from . import keyfile

    if keyfile.installed_key(data_dir) is not None:
        return
    path = data_dir / DEMO_KEY_FILE
    if path.exists():
        key = keyfile.read_key_file(path, DEMO_KEY_PASSPHRASE)
    else:
        key = keyfile.new_key()
        keyfile.write_key_file(path, key, DEMO_KEY_PASSPHRASE)
    keyfile.install(data_dir, key)
    click.echo(f"Demo pseudonym key file: {path} (passphrase {DEMO_KEY_PASSPHRASE!r})")


def add_demo_user(data_dir: Path) -> None:
    """The demo's one account is the laptop's operator, so the demo can enroll from the page."""
    db = database(data_dir)
    try:
        add_user(db, DEMO_USER, DEMO_PIN, "operator")
    except UserError:
        pass  # already there from an earlier demo
    db.close()
    click.echo(f'Sample operator: name "{DEMO_USER}", PIN {DEMO_PIN}')


def run_hub(
    data_dir: Path, host: str, port: int, threads: int, ready=None, https_port: int | None = None
) -> None:
    """Serve the hub with its background sync and purge until stopped."""
    from . import create_app
    from .background import BackgroundWork
    from .lan import hub_urls
    from .serving import bind, make_server, serve_forever, start_https

    app = create_app(data_dir=data_dir)
    server = make_server(app, host, port, threads)
    bind(server)  # binds now, so port 0 becomes a real port before it is printed
    app.config["PUBLIC_HOST"] = None if host in ("0.0.0.0", "::") else host
    try:
        secure = start_https(app, host, https_port, threads) if https_port is not None else None
    except click.ClickException:
        server.stop()  # its worker threads would keep the process alive
        raise
    hub = app.config["HUB"]
    work = BackgroundWork(
        app.config["DATABASE"],
        data_dir,
        hub["purge_after_days"],
        purge_drafts_after_days=hub["purge_drafts_after_days"],
    )
    app.extensions["background"] = work
    work.start()
    click.echo(f"Data folder: {data_dir}")
    click.echo("Open the hub on a phone connected to this laptop's network:")
    for url in hub_urls(server.bind_addr[1], "http", app.config["PUBLIC_HOST"]):
        click.echo(f"  {url}")
    if secure is not None:
        click.echo("Secure addresses, for phones that trust the hub's certificate (see /connect):")
        for url in hub_urls(secure.bind_addr[1], "https", app.config["PUBLIC_HOST"]):
            click.echo(f"  {url}")
        from .certificates import ca_fingerprint

        # Compared by a person with what the phone shows before it trusts the certificate.
        click.echo("The hub's certificate (CA) SHA-256 fingerprint:")
        click.echo(f"  {ca_fingerprint(app.extensions['certificates'])}")
    click.echo(f"Listening on {host}:{server.bind_addr[1]} (Ctrl+C to stop)")
    if ready:
        ready(server)

    def stop():
        work.stop()
        if secure is not None:
            secure.stop()

    serve_forever(server, on_stop=stop)
    click.echo("Stopped.")


@cli.group()
def user():
    """Enumerator accounts."""


@user.command("add")
@data_dir_option
@click.argument("name")
@click.option("--pin", help="4 to 12 digits; asked for when not given.")
@click.option(
    "--operator",
    is_flag=True,
    help="The laptop's operator: may also enroll the hub and change its server.",
)
def user_add(data_dir, name, pin, operator):
    """Add an enumerator (or, with --operator, the laptop's operator) who signs in with
    NAME and a PIN.

    Example: collector user add Amina --pin 4821
    """
    if pin is None:
        pin = click.prompt("PIN", hide_input=True, confirmation_prompt=True)
    role = "operator" if operator else "enumerator"
    try:
        add_user(database(data_dir), name, pin, role)
    except UserError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Added {role} {name.strip()}.")


@user.command("pin")
@data_dir_option
@click.argument("name")
@click.option("--pin", help="4 to 12 digits; asked for when not given.")
def user_pin(data_dir, name, pin):
    """Give an account a new PIN; it is signed out on every phone.

    Example: collector user pin Amina
    """
    if pin is None:
        pin = click.prompt("New PIN", hide_input=True, confirmation_prompt=True)
    try:
        set_pin(database(data_dir), name, pin)
    except UserError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"New PIN for {name.strip()}; signed out everywhere.")


@user.command("role")
@data_dir_option
@click.argument("name")
@click.argument("role", type=click.Choice(["enumerator", "operator"]))
def user_role(data_dir, name, role):
    """Make an account an enumerator or the laptop's operator; it is signed out.

    Example: collector user role Amina operator
    """
    try:
        set_role(database(data_dir), name, role)
    except UserError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"{name.strip()} is now {role}; signed out everywhere.")


@user.command("list")
@data_dir_option
def user_list(data_dir):
    """List enumerators and operators.

    Example: collector user list
    """
    for row in list_users(database(data_dir)):
        # Enumerators are the default; the operator is marked.
        role = "  (operator)" if row["role"] == "operator" else ""
        click.echo(f"{row['name']}{role}")


@cli.command()
@data_dir_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
def status(data_dir, as_json):
    """Counts of drafts, finalized, queued, held, synced and rejected records, and the last sync.

    Example: collector status --json
    """
    db = database(data_dir)
    _hold_for_review(db, data_dir)
    counts = status_counts(db)
    # Photos and files of records the server has, still to be sent (collector.sync_client).
    waiting, waiting_bytes = db.execute(
        "SELECT count(*), coalesce(sum(size), 0) FROM attachment_outbox WHERE state = 'queued'"
    ).fetchone()
    counts.update(attachments_waiting=waiting, attachments_waiting_bytes=waiting_bytes)
    if as_json:
        click.echo(json.dumps(counts, indent=2))
        return
    for key in ("drafts", "finalized", "queued", "held", "synced", "rejected"):
        click.echo(f"{key:<10} {counts[key]}")
    if counts["held"]:
        click.echo(f"{'':<10} (held: waiting for the operator's review on the hub's Sync page)")
    if waiting:
        click.echo(
            f"{'files':<10} {waiting} waiting to be sent ({waiting_bytes / 1024 / 1024:.1f} MB)"
        )
    click.echo(f"{'last sync':<10} {counts['last_sync'] or 'never'}")
    click.echo(f"{'server':<10} {counts['server'] or 'not enrolled'}")
    if counts["device_revoked"]:
        click.echo(f"{'revoked':<10} {counts['device_revoked']} (this laptop can no longer sync)")
    if counts["last_error"]:
        click.echo(f"{'error':<10} {counts['last_error']['message']}")
    reconcile = counts["reconcile"]
    if reconcile:
        state = "agree" if reconcile["agree"] else "DISAGREE (missing records re-queued)"
        click.echo(
            f"{'reconcile':<10} {state}: {reconcile['local_count']} sent here, "
            f"{reconcile['server_count']} held by the server"
        )


def _hold_for_review(db, data_dir: Path) -> None:
    """Hold what the operator must read before it leaves, so the counts are true now."""
    from .review import hold_pending

    hold_pending(db, load_settings(data_dir)["hold_free_text_for_review"])


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
    if protection.is_protected(data_dir):
        _copy_protection_file(data_dir, file)


def _copy_protection_file(data_dir: Path, backup_file: Path) -> None:
    """A protected hub's backup stays encrypted; beside it goes the (passphrase-sealed) data
    key, without which it could never be restored."""
    target = backup_file.with_name(backup_file.name + "." + protection.PROTECTION_FILE)
    protection.replace_file(target, protection.protection_path(data_dir).read_bytes())
    click.echo(
        f"The backup is encrypted. To restore it you need {target.name} and the "
        "passphrase (see the field guide)."
    )


@cli.group()
def forms():
    """Form definitions on this hub."""


def checked_form_file(file: Path, media=()):
    """The form in a JSON or XLSForm file (and its choice files, `media`); warnings printed,
    problems a ClickException."""
    return checked_form_result(file, media).form


def checked_form_result(file: Path, media=(), entity_lists=None):
    """checked_form_file's ImportResult: the form and the prompt files it came with.
    `entity_lists`: on a hub, its entity lists, which a select_one_from_file may choose from
    (collector.xlsform.read_xlsform)."""
    from flask_babel import gettext

    from .xlsform import read_form_file

    result = read_form_file(file, media, entity_lists)
    for warning in result.warnings:
        click.echo(gettext("Warning: %(problem)s", problem=warning), err=True)
    if result.errors or result.form is None:
        lines = "\n".join(str(error) for error in result.errors)
        if file.suffix.lower() in (".xlsx", ".xlsm", ".xls"):
            lines = gettext(
                "%(file)s is not a valid XLSForm (%(count)s problems):\n%(lines)s",
                file=file.name,
                count=len(result.errors),
                lines=lines,
            )
        raise click.ClickException(lines)
    return result


# What each kind of identifier is called in the listings of `forms import` and `forms publish`.
IDENTIFIER_WORDS = {
    "name": "a person's name",
    "phone": "a phone number",
    "national_id": "an ID number",
    "date_of_birth": "a date of birth",
    "address": "an address",
    "location": "a location (GPS)",
    "email": "an e-mail address",
}


# A derived question's disclosure role (FormDefinition.derived_roles), in the same listings.
ROLE_WORDS = {"key": "key", "sensitive": "sensitive", "withheld": "key and sensitive: not released"}


def echo_privacy_listing(form) -> None:
    """Tell the person adding a form what leaves the laptop as it is, which fields the
    safe defaults hold back because they look like identifiers (a rule sends them), and
    which take a disclosure role from the questions their value is taken from."""
    from .anonymizer import privacy_listing

    listing = privacy_listing(form)
    if listing["keep"]:
        click.echo(f"Leave the laptop unchanged (keep): {', '.join(listing['keep'])}.")
    else:
        click.echo("No field leaves the laptop unchanged.")
    if listing.get("exact_locations"):
        click.echo(
            "Locations that leave the laptop exact (keep): "
            f"{', '.join(listing['exact_locations'])}."
        )
    if listing["identifiers"]:
        click.echo(
            "Look like identifiers, so they stay on the laptop unless the form gives "
            "them a privacy rule:"
        )
    for name, kind in listing["identifiers"]:
        outcome = "sent as the year only" if kind == "date_of_birth" else "not sent"
        click.echo(f"  {name}: {IDENTIFIER_WORDS.get(kind, kind)}, {outcome}")
    if form.derived_roles:
        click.echo(
            "In the central server's releases, these take the disclosure role of what their "
            "value is taken from (a disclosure role of their own cannot weaken it):"
        )
    for name, (role, sources) in form.derived_roles.items():
        taken = ", ".join(origin_words(form, source) for source in sources)
        click.echo(f"  {name} takes the role of {taken} ({ROLE_WORDS[role]})")
    if form.role_conflicts:
        click.echo("These have a disclosure role that differs from what they are computed from:")
    for name in form.role_conflicts:
        click.echo(f"  {role_conflict_line(form, name)}")


def role_conflict_line(form, name: str) -> str:
    """Why a question marked key or sensitive is not released (FormDefinition.role_conflicts):
    "birth_year is marked sensitive but is computed from age (key): not released"."""
    own, sources = form.role_conflicts[name]
    taken = ", ".join(f"{origin_words(form, s)} ({form.origin_role(s)})" for s in sources)
    return f"{name} is marked {own} but is computed from {taken}: not released"


def origin_words(form, origin: str) -> str:
    """What a derived role is taken from: a question's name, or a repeat's count."""
    return f"the count of {origin}" if origin in form.repeats else origin


@forms.command("import")
@data_dir_option
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--media",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A file the form uses (a CSV file for select_one_from_file or pulldata, a "
    "recording, picture or video of its audio, image and video columns), when it is not "
    "in the form's folder. Repeat it for several files.",
)
def forms_import(data_dir, file, media):
    """Add a form version from a JSON form definition or an XLSForm (.xlsx, .xls).

    Every problem of an XLSForm is printed with its sheet, row and column, and nothing
    is stored unless the whole form is right. Choice files (select_one_from_file
    places.csv) and the data files pulldata() reads (pulldata('products', ...) reads
    products.csv) are read from the form's folder, or given with --media; they are stored
    with the form. So are the recordings, pictures and videos its audio, image, big-image
    and video columns name (prompts shown beside a question or a choice).

    Example: collector forms import household_visit.xlsx
    """
    from .entities import declared_lists
    from .form_library import import_form, weaker_than_installed
    from .forms import builtin_forms

    db = database(data_dir)
    result = checked_form_result(file, media, declared_lists(db))
    form = result.form
    weaker = weaker_than_installed(db, builtin_forms(), form)
    if weaker:
        # The operator decides for this laptop; the server could not (see `collector sync`).
        click.echo(
            f"Warning: {form.form_id} version {form.version} sends more about people "
            f"than the version on this hub, for: {', '.join(weaker)}.",
            err=True,
        )
    store_prompts(db, result.prompt_files)
    if import_form(db, form, file.name):
        click.echo(f"Imported {form.form_id} version {form.version}.")
    else:
        click.echo(f"{form.form_id} version {form.version} is already on this hub.")
    echo_privacy_listing(form)


def write_prompt_files(db, form, folder: Path) -> None:
    """The form's prompt files beside its exported XLSForm, as an import finds them."""
    from flask_babel import ngettext

    from .prompts import prompt_bytes

    written = 0
    for name in form.data.get("media_files") or {}:
        content = prompt_bytes(db, form, name)
        if content is not None:
            (folder / name).write_bytes(content)
            written += 1
    if written:
        click.echo(
            ngettext(
                "Wrote %(num)s prompt file beside the form.",
                "Wrote %(num)s prompt files beside the form.",
                written,
            )
        )


def store_prompts(db, files: dict) -> None:
    """Keep the form's prompt files on the hub (before the form, so its pages find them)."""
    from flask_babel import ngettext

    from .prompts import store_prompt_files

    if files:
        store_prompt_files(db, files)
        click.echo(
            ngettext(
                "Kept %(num)s prompt file with the form.",
                "Kept %(num)s prompt files with the form.",
                len(files),
            )
        )


@forms.command("accept")
@data_dir_option
@click.argument("form_id", metavar="FORM")
@click.argument("version")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def forms_accept(data_dir, form_id, version, yes):
    """Install a form version the server sent that this hub refused because it would send
    more about people (listed on the Sync page).

    A decision for this laptop only, kept in the security log.

    Example: collector forms accept household_visit 3
    """
    from .form_library import accept_refused_form, refused_forms
    from .forms import builtin_forms

    db = database(data_dir)
    refusal = next(
        (r for r in refused_forms(db) if (r["form_id"], r["version"]) == (form_id, version)), None
    )
    if refusal is None or not refusal.get("kept"):
        raise click.ClickException(
            f"No refused version {version} of form {form_id} is waiting "
            "on this hub; the Sync page lists the refused versions."
        )
    click.echo(f"{form_id} version {version} would send more about people than this hub does:")
    for field, old_rule, new_rule in refusal["changes"]:
        click.echo(f"  {field}: {old_rule} -> {new_rule}")
    if not yes:
        click.confirm("Install it on this laptop anyway?", abort=True)
    try:
        form, _ = accept_refused_form(db, builtin_forms(), form_id, version)
    except LookupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Installed {form.form_id} version {form.version}.")


@forms.command("export-xlsform")
@data_dir_option
@click.argument("form_id", metavar="FORM")
@click.argument("file", type=click.Path(dir_okay=False, writable=True, path_type=Path))
def forms_export_xlsform(data_dir, form_id, file):
    """Write the newest version of FORM (built-in or imported) as an XLSForm .xlsx.

    ODK, KoboToolbox and SurveyCTO open the file; the privacy and identifying columns
    are ours and other tools ignore them.

    Example: collector forms export-xlsform community_survey community_survey.xlsx
    """
    from flask_babel import gettext

    from .form_library import newest_form
    from .forms import builtin_forms
    from .xlsform import to_xlsform

    db = database(data_dir)
    builtins = builtin_forms()
    form = newest_form(db, builtins, form_id)
    if form is None:
        known = sorted(
            set(builtins)
            | {r[0] for r in db.execute("SELECT DISTINCT form_id FROM forms").fetchall()}
        )
        raise click.ClickException(
            f"There is no form '{form_id}' on this hub. Forms: {', '.join(known)}."
        )
    if file.suffix.lower() != ".xlsx":
        raise click.ClickException(f"{file.name}: an XLSForm is written as an .xlsx file.")
    written = to_xlsform(form, file)
    click.echo(f"Wrote {form.form_id} version {form.version} to {file}.")
    write_prompt_files(db, form, file.parent)
    for written_file in written[1:]:  # choice and pulldata() files, beside the form
        if written_file.name in form.data.get("data", {}):
            click.echo(gettext("Wrote the data file %(file)s.", file=written_file))
        else:
            click.echo(gettext("Wrote the choice file %(file)s.", file=written_file))


@cli.group()
def keys():
    """The project's pseudonym key: made and kept by the data custodian, never the server."""


def read_passphrase(from_stdin: bool, twice: bool) -> str:
    """The key file's passphrase: one line of standard input, or asked (twice for a new one)."""
    if from_stdin:
        import sys

        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt("Key file passphrase", hide_input=True, confirmation_prompt=twice)


passphrase_stdin_option = click.option(
    "--passphrase-stdin", is_flag=True, help="Read the passphrase from standard input (scripts)."
)


@keys.command("create")
@data_dir_option(unlock=False)
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--from-hex-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Wrap an existing key (an older server's secrets/pseudonym_key) instead of "
    "making a new one, so the project keeps its pseudonyms.",
)
@passphrase_stdin_option
def keys_create(data_dir, file, from_hex_file, passphrase_stdin):
    """Make the project's pseudonym key file, protected by a passphrase (12+ characters).

    Example: collector keys create project-key.json
    """
    from . import keyfile

    if file.exists():
        raise click.ClickException(f"{file} exists already: choose another name.")
    try:
        key = keyfile.read_hex_key(from_hex_file) if from_hex_file else keyfile.new_key()
        passphrase = read_passphrase(passphrase_stdin, twice=True)
        content = keyfile.write_key_file(file, key, passphrase)
    except keyfile.KeyFileError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Wrote the pseudonym key {content['key_id']} to {file}.")
    click.echo(
        "Keep the file and its passphrase apart; without both, no laptop can make "
        "pseudonyms that link to this project's."
    )


@keys.command("import")
@data_dir_option
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--replace", is_flag=True, help="Replace another key already on this laptop.")
@passphrase_stdin_option
def keys_import(data_dir, file, replace, passphrase_stdin):
    """Install the project's pseudonym key from the custodian's key file.

    Example: collector keys import project-key.json
    """
    from . import keyfile

    try:
        key = keyfile.read_key_file(file, read_passphrase(passphrase_stdin, twice=False))
    except keyfile.KeyFileError as error:
        raise click.ClickException(f"{error} Nothing was changed.") from None
    try:
        previous = keyfile.installed_key(data_dir)
    except keyfile.KeyFileError:
        previous = None  # damaged: replaced only with --replace, below
    try:
        changed = keyfile.install(data_dir, key, replace=replace)
    except keyfile.KeyFileError as error:
        raise click.ClickException(str(error)) from None
    if not changed:
        click.echo(f"The pseudonym key {keyfile.key_id(key)} is already installed.")
        return
    _log_key_change(data_dir, key, previous)
    if previous is not None:
        click.echo(
            f"Replaced the pseudonym key {keyfile.key_id(previous)}: pseudonyms made "
            "with it will not link to those made with the new key."
        )
    click.echo(f"Installed the pseudonym key {keyfile.key_id(key)}.")


def _log_key_change(data_dir: Path, key: bytes, previous: bytes | None) -> None:
    from . import keyfile
    from .security_log import log_event

    db = database(data_dir)
    detail = keyfile.key_id(key) + (f" replacing {keyfile.key_id(previous)}" if previous else "")
    with write_transaction(db):
        log_event(db, "pseudonym_key_installed", detail=detail)


@keys.command("show")
@data_dir_option
def keys_show(data_dir):
    """Print the installed pseudonym key's fingerprint (never the key).

    Example: collector keys show
    """
    from . import keyfile

    try:
        key = keyfile.installed_key(data_dir)
    except keyfile.KeyFileError as error:
        raise click.ClickException(str(error)) from None
    if key is None:
        raise click.ClickException(
            "No pseudonym key is installed: ask the data custodian for "
            "the key file and run collector keys import FILE."
        )
    click.echo(keyfile.key_id(key))


@cli.command()
@data_dir_option
@click.option("--server", "server_url", required=True, help="The sync server's URL.")
@click.option("--code", required=True, help="The one-time code from `sync-server device add`.")
@click.option(
    "--fingerprint",
    help="The server's fingerprint from the central team: enroll "
    "only if the server shows this one, without asking.",
)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation (for scripts).")
def enroll(data_dir, server_url, code, fingerprint, yes):
    """Exchange a one-time enrollment code for this laptop's device token.

    The server's name and fingerprint are shown first: compare the fingerprint with the one
    the central team gave you before you answer.

    Example: collector enroll --server https://sync.example.org --code ABCD-EFGH-JKMN
    """
    from .sync_client import (
        SyncError,
        current_server,
        enroll as enroll_device,
        same_fingerprint,
        server_identity,
    )

    db = database(data_dir)
    try:
        server = server_identity(server_url)
    except SyncError as error:
        raise click.ClickException(f"Enrollment failed: {error.message}") from error
    click.echo(f"Server:      {server.url}")
    click.echo(f"Name:        {server.name or '(no name given)'}")
    click.echo(f"Fingerprint: {server.fingerprint}")
    if not server.https:
        click.echo(
            "Warning: plain HTTP, what this laptop sends is not encrypted on the way. "
            "Use an https:// address if the central team has one."
        )
    echo_change_of_server(current_server(db), server)
    if fingerprint is not None and not same_fingerprint(fingerprint, server.fingerprint):
        raise click.ClickException(
            "The server's fingerprint is not the one given with --fingerprint: nothing was changed."
        )
    if fingerprint is None and not yes:
        click.confirm("Enroll with this server?", default=False, abort=True)
    try:
        credentials = enroll_device(
            db, data_dir, server.url, code, expected_fingerprint=server.fingerprint
        )
    except SyncError as error:
        raise click.ClickException(f"Enrollment failed: {error.message}") from error
    click.echo(f"Enrolled as device {credentials.device_id} with {credentials.server_url}.")


def echo_change_of_server(current: dict | None, server) -> None:
    """The same warning as the hub's confirmation page, when the server changes."""
    from .sync_client import same_fingerprint

    if current is None:
        return
    if current.get("server_url") == server.url and same_fingerprint(
        current.get("server_fingerprint"), server.fingerprint
    ):
        click.echo(
            "This is the server this laptop is enrolled with now. Records already sent "
            "are not sent again."
        )
        return
    click.echo(
        f"Warning: this changes the laptop's server. It is enrolled with "
        f"{current.get('server_url')} (fingerprint "
        f"{current.get('server_fingerprint') or 'unknown'})."
    )
    click.echo(
        "  Records already sent to that server stay there: they are NOT sent to the new server."
    )
    click.echo("  Only records not sent yet, and new records, will go to the new server.")
    click.echo(
        "  The laptop keeps its own pseudonym key, so the codes that replace names do not change."
    )


@cli.command()
@data_dir_option
def sync(data_dir):
    """Sync now, with a progress bar; exit 0 only if everything queued was accepted.

    Example: collector sync
    """
    from .sync_client import SyncClient, SyncError, load_credentials

    db = database(data_dir)
    credentials = load_credentials(db, data_dir)
    if credentials is None:
        raise click.ClickException("This laptop is not enrolled: run `collector enroll` first.")
    client = SyncClient(db, credentials)
    client.hold_for_review()
    held = status_counts(db)["held"]
    if held:
        click.echo(
            f"{held} records wait for the operator's review on the hub's Sync page; "
            "they are not sent until released."
        )
    queued = set(db.execute("SELECT uuid, revision FROM outbox WHERE state = 'queued'").fetchall())
    try:
        with click.progressbar(length=len(queued), label="Sending records", show_pos=True) as bar:
            report = client.sync(progress=bar.update)
    except SyncError as error:
        raise click.ClickException(f"Sync failed: {error.message}") from error
    click.echo(
        f"Stored {report.stored}, already there {report.duplicate}, "
        f"rejected {report.rejected}; {len(report.forms_added)} new form versions, "
        f"{report.replies_added} new replies."
    )
    reconcile = report.reconcile or {}
    click.echo(
        f"Reconciliation: {'in agreement' if reconcile.get('agree') else 'DISAGREE'} "
        f"({reconcile.get('server_count', 0)} records held by the server)."
    )
    if reconcile.get("requeued"):
        click.echo(f"The server was missing {reconcile['requeued']} records: they were sent again.")
    if report.prompts_fetched or report.prompts_waiting:
        from flask_babel import gettext

        click.echo(
            gettext(
                "Recordings and pictures of the forms: %(fetched)d arrived, %(waiting)d to "
                "fetch at the next sync.",
                fetched=report.prompts_fetched,
                waiting=report.prompts_waiting,
            )
        )
    accepted = set(db.execute("SELECT uuid, revision FROM outbox WHERE state = 'sent'").fetchall())
    left = queued - accepted
    if left or not reconcile.get("agree"):
        raise click.ClickException(
            f"{len(left)} of the {len(queued)} queued records were not "
            "accepted; the hub's Sync page and record list say why."
        )


@cli.command("export-bundle")
@data_dir_option
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def export_bundle_command(data_dir, file):
    """Write every queued record, anonymized, signed and encrypted for the enrolled server,
    to FILE for a USB stick (only that server can read it).

    Example: collector export-bundle /media/usb/zone-b.bundle
    """
    from .sync_client import (
        BUNDLE_FILES_SUFFIX,
        SyncError,
        export_bundle,
        export_bundle_attachments,
        load_credentials,
    )

    db = database(data_dir)
    credentials = load_credentials(db, data_dir)
    if credentials is None:
        raise click.ClickException(
            "This laptop is not enrolled: run `collector enroll` first "
            "(the server must know the key that signs the bundle)."
        )
    try:
        data, count = export_bundle(db, credentials, data_dir)
    except SyncError as error:
        raise click.ClickException(error.message) from error
    partial = file.with_name(f".{file.name}.partial")
    partial.write_bytes(data)
    os.replace(partial, file)
    click.echo(
        f"Wrote {count} records to {file}, encrypted for the enrolled server. They stay "
        "queued until the server confirms them on a later sync; delete the file from the "
        "stick once the central team has imported it."
    )
    # Their photos and files that may leave go beside it (sync-server import-bundle reads it).
    files = export_bundle_attachments(db, credentials, data_dir)
    if files is not None:
        beside = file.with_name(file.name + BUNDLE_FILES_SUFFIX)
        partial.write_bytes(files)
        os.replace(partial, beside)
        click.echo(f"Wrote their photos and files to {beside}: copy it with the bundle.")


@cli.group("help-contacts")
def help_contacts_group():
    """The central team's help contacts, shown after a report (by area)."""


@help_contacts_group.command("import")
@data_dir_option
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def help_contacts_import(data_dir, file):
    """Keep the help contacts of FILE, written by `sync-server help-contacts export-for-hubs`
    (for a laptop that only exchanges USB sticks). The file must be signed by the server
    this laptop is enrolled with, and not older than the last file imported; otherwise
    nothing changes.

    Example: collector help-contacts import /media/usb/help-contacts.signed
    """
    from flask_babel import gettext, ngettext

    from . import help_contacts
    from .sync_client import current_server

    db = database(data_dir)
    enrolled = current_server(db) or {}
    with file.open("rb") as stream:  # a file far too large is not read whole
        data = stream.read(help_contacts.MAX_FILE_BYTES + 1)
    try:
        count = help_contacts.import_file(db, data, enrolled.get("server_fingerprint"))
    except help_contacts.ContactsFileRefused as refused:
        help_contacts.log_refusal(db, refused)
        raise click.ClickException(refused.message) from None
    if count is None:
        click.echo(gettext("This laptop already has the help contacts of this file."))
        return
    click.echo(
        ngettext(
            "Kept %(num)d help contact: phones show it after a report from now on.",
            "Kept %(num)d help contacts: phones show them after a report from now on.",
            count,
        )
    )


@help_contacts_group.command("list")
@data_dir_option
def help_contacts_list(data_dir):
    """List the central team's help contacts this laptop has (from a sync or a file).

    Example: collector help-contacts list
    """
    from flask_babel import gettext

    from .help_contacts import synced_contacts

    contacts = synced_contacts(database(data_dir))
    if not contacts:
        click.echo(gettext("This laptop has no help contacts from the central team yet."))
    for contact in contacts:
        area = contact["area"] or gettext("every area")
        details = " | ".join(v for v in (contact["phone"], contact["hours"]) if v)
        click.echo(f"{area}: {contact['name']}" + (f" | {details}" if details else ""))


@cli.command()
@data_dir_option
@click.option(
    "--days",
    type=click.IntRange(0),
    default=None,
    help="Synced more than this many days ago.  [default: the purge_after_days setting]",
)
@click.option(
    "--drafts-days",
    type=click.IntRange(0),
    default=None,
    help="Drafts not changed for this many days.  [default: the purge_drafts_after_days setting]",
)
@click.option(
    "--wait",
    type=click.FloatRange(0),
    default=10.0,
    show_default=True,
    help="Seconds to wait for other programs reading the database.",
)
def purge(data_dir, days, drafts_days, wait):
    """Remove identifying answers (inside repeats too, and names, phone numbers and e-mails
    in free text) of records synced long enough ago and of drafts left unfinished, and
    leave no trace of them in the database files. Exits non-zero if a trace may be left.

    Example: collector purge --days 30
    """
    from .purge import purge_report

    settings = load_settings(data_dir)
    days = settings["purge_after_days"] if days is None else days
    drafts_days = settings["purge_drafts_after_days"] if drafts_days is None else drafts_days
    db = database(data_dir)
    try:
        report = purge_report(db, days, drafts_days, wait_seconds=wait)
    finally:
        db.close()
    click.echo(
        f"Removed identifying fields from {report.synced} records synced more than {days} days ago."
    )
    click.echo(
        f"Removed identifying fields from {report.drafts} drafts not changed for "
        f"{drafts_days} days."
    )
    if not report.log_cleared:
        raise click.ClickException(
            "The removed answers are gone from the records, but the database's write-ahead "
            f"log ({datadir.DATABASE_FILE}-wal) still holds old copies: another program kept "
            "it open. Close it (or stop the hub) and run `collector purge` again."
        )


@cli.command("security-log")
@data_dir_option
@click.option(
    "--limit",
    default=50,
    show_default=True,
    type=click.IntRange(1, 100_000),
    help="How many of the newest events to show.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
def security_log_command(data_dir, limit, as_json):
    """Show the newest security events: sign-ins, failed sign-ins, enrollments...

    Accounts are internal ids (user:3, device:...); the log holds no names or addresses.

    Example: collector security-log --limit 20
    """
    from .security_log import events_text, recent_events

    db = database(data_dir)
    try:
        click.echo(events_text(recent_events(db, limit), as_json))
    finally:
        db.close()
