"""The `sync-server` command: serve, users, devices, forms, USB bundles, replies."""

from __future__ import annotations

import contextlib
import functools
import json
import sqlite3
import sys
import uuid as uuid_module
from collections import Counter
from pathlib import Path

import click

from collector import datadir, passwords, protocol
from collector.errors import is_disk_full
from collector.security_log import device_account, log_event
from collector.settings import SettingsError

from . import DATABASE_FILE, database_path, identity, owner_only_files
from .database import DatabaseUnavailable
from .enrollment import code_hash, expiry, new_code
from .ingest import ingest_batch
from .settings import load_settings
from .store import LastAdminError, Store

ROLES = ("admin", "analyst", "viewer")
DEMO_ADMIN, DEMO_PASSWORD = "admin", "demo passphrase"
DEMO_SURVEYS, DEMO_REPORTS = 1200, 90  # a round big enough that no indicator is suppressed
CLI_ACTOR = "command line"  # who made a change, in the security log


def data_dir_option(command):
    """Every command takes --data-dir (default: a per-user folder) and --database."""

    @click.option(
        "--data-dir",
        type=click.Path(file_okay=False, path_type=Path),
        envvar="SYNC_SERVER_DATA_DIR",
        show_envvar=True,
        help="Folder holding the database and secrets.  [default: a per-user folder]",
    )
    @click.option(
        "--database",
        envvar="SYNC_SERVER_DATABASE",
        help=f"Database: a SQLite path or sqlite:///path, or postgresql://user@host/"
        f"name.  [default: the `database` setting, else {DATABASE_FILE} "
        "in the data dir]",
    )
    @functools.wraps(command)
    def wrapped(*args, data_dir=None, database=None, **kwargs):
        owner_only_files()  # the database, secrets and exports: owner-only
        path = datadir.ensure_data_dir(data_dir or datadir.default_data_dir("sync-server"))
        try:
            database = database_path(database or load_settings(path)["database"], path)
        except (ValueError, SettingsError) as error:
            raise click.ClickException(str(error)) from error
        return command(*args, data_dir=path, database=database, **kwargs)

    return wrapped


def open_store(database: str) -> Store:
    """The server's store, closed when the command that opened it ends."""
    try:
        store = Store.create(database)
    except DatabaseUnavailable as error:
        raise click.ClickException(str(error)) from None
    except sqlite3.OperationalError as error:
        if not is_disk_full(error, Path(database).parent):
            raise
        raise click.ClickException(
            f"The disk holding {database} is full: nothing was "
            "changed. Free some space and try again."
        ) from None
    context = click.get_current_context(silent=True)
    if context is not None:
        context.call_on_close(store.close)
    return store


@click.group()
@click.version_option(package_name="community-feedback-collector")
def cli():
    """The central sync server: receives anonymized records from the collectors."""
    passwords.check_method_for_command_line()


@cli.command()
@data_dir_option
@click.option("--host", default="0.0.0.0", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    default=8000,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Port to listen on (0 picks a free one).",
)
@click.option("--threads", default=16, show_default=True, type=click.IntRange(1, 200))
@click.option(
    "--suppression-k",
    default=5,
    show_default=True,
    type=click.IntRange(2, 1000),
    envvar="SYNC_SERVER_SUPPRESSION_K",
    show_envvar=True,
    help="Indicator cells with fewer respondents than this are suppressed.",
)
@click.option(
    "--name",
    "name_label",
    envvar="SYNC_SERVER_NAME",
    show_envvar=True,
    default="",
    help="A name hubs show their operator beside the server's fingerprint.",
)
def serve(data_dir, database, host, port, threads, suppression_k, name_label):
    """Serve the sync API and the central workspace.

    Example: sync-server serve --port 8000 --suppression-k 10
    """
    from collector.serving import bind, make_server, serve_forever

    from . import create_app, logs

    logs.configure()  # one JSON line per request and event, on standard error
    try:
        app = create_app(
            {"SUPPRESSION_K": suppression_k, "SERVER_NAME_LABEL": name_label},
            data_dir=data_dir,
            database=database,
        )
    except (SettingsError, DatabaseUnavailable) as error:
        raise click.ClickException(str(error)) from error
    server = make_server(app, host, port, threads)
    bind(server)
    click.echo(f"Data folder: {data_dir}")
    click.echo(f"Listening on {host}:{server.bind_addr[1]} (Ctrl+C to stop)")
    serve_forever(server)


@cli.group()
def user():
    """Central team accounts."""


@user.command("add")
@data_dir_option
@click.argument("name")
@click.option(
    "--role",
    type=click.Choice(ROLES),
    required=True,
    help="admin: users, devices, forms; analyst: data, exports, replies; viewer: dashboards.",
)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def user_add(data_dir, database, name, role, password_stdin):
    """Add a central user. The password needs 12 characters or more and must be hard to
    guess (several unrelated words work well).

    Example: sync-server user add nadia --role analyst
    """
    password = _new_password(name, password_stdin)
    store = open_store(database)
    if store.user_exists(name):
        raise click.ClickException(f"There is already a user called {name}.")
    store.add_user(name, role, passwords.hash_secret(password), actor=CLI_ACTOR)
    click.echo(f"Added {role} {name}.")


@user.command("list")
@data_dir_option
def user_list(data_dir, database):
    """List users: name, role, enabled or disabled.

    Example: sync-server user list
    """
    for row in open_store(database).users():
        state = f"disabled {row['disabled_at']}" if row["disabled_at"] else "enabled"
        click.echo(f"{row['name']}  {row['role']}  {state}")


@user.command("disable")
@data_dir_option
@click.argument("name")
def user_disable(data_dir, database, name):
    """Disable an account: its sessions end, its API tokens are revoked, it cannot sign in.

    Example: sync-server user disable nadia
    """
    store = open_store(database)
    found = _existing_user(store, name)
    with _refused_last_admin():
        changed = store.set_disabled(found["id"], True, CLI_ACTOR)
    click.echo(
        f"Disabled {found['name']}." if changed else f"{found['name']} was already disabled."
    )


@user.command("enable")
@data_dir_option
@click.argument("name")
def user_enable(data_dir, database, name):
    """Let a disabled account sign in again (its old API tokens stay revoked).

    Example: sync-server user enable nadia
    """
    store = open_store(database)
    found = _existing_user(store, name)
    changed = store.set_disabled(found["id"], False, CLI_ACTOR)
    click.echo(f"Enabled {found['name']}." if changed else f"{found['name']} was already enabled.")


@user.command("role")
@data_dir_option
@click.argument("name")
@click.argument("role", type=click.Choice(ROLES))
def user_role(data_dir, database, name, role):
    """Change a user's role; their sessions end (a viewer's API tokens are revoked).

    Example: sync-server user role nadia viewer
    """
    store = open_store(database)
    found = _existing_user(store, name)
    with _refused_last_admin():
        changed = store.set_role(found["id"], role, CLI_ACTOR)
    click.echo(
        f"{found['name']} is now {role}." if changed else f"{found['name']} already is {role}."
    )


@user.command("password")
@data_dir_option
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def user_password(data_dir, database, name, password_stdin):
    """Set a new password for a user; their sessions end.

    Example: sync-server user password nadia
    """
    store = open_store(database)
    found = _existing_user(store, name)
    password = _new_password(found["name"], password_stdin)
    ended = store.set_password(found["id"], passwords.hash_secret(password), CLI_ACTOR)
    click.echo(f"Changed the password of {found['name']}; {ended} session(s) ended.")


@user.group("token")
def user_token():
    """Personal API tokens for scripts that read records (R, pandas).

    Example: sync-server user token create nadia --label "weekly R report"
    """


@user_token.command("create")
@data_dir_option
@click.argument("name")
@click.option(
    "--label",
    default="API token",
    show_default=True,
    help="What the token is for, e.g. 'weekly R report'.",
)
@click.option(
    "--expires-days",
    type=click.IntRange(1, 3650),
    default=None,
    help="Days until the token stops working.  [default: until revoked]",
)
def user_token_create(data_dir, database, name, label, expires_days):
    """Create an API token for an analyst or admin; the token is the last line printed and
    is shown only this once.

    Example: sync-server user token create nadia --label "weekly R report"
    """
    from .api_tokens import READ_ROLES, create

    store = open_store(database)
    found = _existing_user(store, name)
    if found["role"] not in READ_ROLES or found["disabled_at"]:
        raise click.ClickException(
            f"{found['name']} cannot read records: API tokens are for enabled analysts and admins."
        )
    expires_at = expiry(expires_days * 24) if expires_days else None
    token_id, token = create(store.db, found["id"], label, expires_at=expires_at, actor=CLI_ACTOR)
    until = f"until {expires_at}" if expires_at else "until revoked"
    click.echo(
        f"API token {token_id} for {found['name']} ({label}), {until}. "
        "Copy it now, it is not shown again:"
    )
    click.echo(token)


@user_token.command("list")
@data_dir_option
@click.argument("name")
def user_token_list(data_dir, database, name):
    """List a user's API tokens: id, label, created, last used, state (never the token).

    Example: sync-server user token list nadia
    """
    from .api_tokens import tokens_of

    store = open_store(database)
    for row in tokens_of(store.db, _existing_user(store, name)["id"]):
        expires = f"expires {row['expires_at']}" if row["expires_at"] else "no expiry"
        click.echo(
            f"{row['id']}  {row['label']}  created {row['created_at']}  last used "
            f"{row['last_used_at'] or 'never'}  {expires}  {row['state']}"
        )


@user_token.command("revoke")
@data_dir_option
@click.argument("token_id", metavar="ID", type=int)
def user_token_revoke(data_dir, database, token_id):
    """Revoke an API token by its id (see `sync-server user token list`).

    Example: sync-server user token revoke 3
    """
    from .api_tokens import revoke, token

    store = open_store(database)
    if token(store.db, token_id) is None:
        raise click.ClickException(f"No API token {token_id}.")
    if revoke(store.db, token_id, actor=CLI_ACTOR):
        click.echo(f"Revoked API token {token_id}.")
    else:
        click.echo(f"API token {token_id} was already revoked.")


def _new_password(name: str, password_stdin: bool) -> str:
    """A new password, read and checked against the rule (sync_server.accounts)."""
    from .accounts import password_problem

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    problem = password_problem(password, name)
    if problem:
        raise click.ClickException(problem)
    return password


def _existing_user(store: Store, name: str) -> dict:
    found = store.user_by_name(name)
    if found is None:
        raise click.ClickException(f"No user {name}; see `sync-server user list`.")
    return found


@contextlib.contextmanager
def _refused_last_admin():
    try:
        yield
    except LastAdminError as error:
        raise click.ClickException(str(error)) from error


@cli.group()
def device():
    """Collector laptops allowed to sync."""


@device.command("add")
@data_dir_option
@click.option("--label", required=True, help="Which laptop this is, e.g. 'Zone B laptop 2'.")
@click.option(
    "--expires-hours",
    default=72.0,
    show_default=True,
    type=click.FloatRange(0.01),
    help="How long the code can be used.",
)
def device_add(data_dir, database, label, expires_hours):
    """Create a one-time enrollment code for a laptop; the code is the last line printed.

    Example: sync-server device add --label "Zone B laptop 2"
    """
    code = new_code()
    expires_at = expiry(expires_hours)
    open_store(database).add_enrollment_code(code_hash(code), label, expires_at)
    # The operator of the hub confirms this fingerprint when enrolling: give both.
    click.echo(f"Server fingerprint: {identity.fingerprint(data_dir)}")
    click.echo(f"Enrollment code for {label}, valid until {expires_at}, usable once:")
    click.echo(code)


@cli.command("identity")
@data_dir_option
@click.option(
    "--name",
    "name_label",
    envvar="SYNC_SERVER_NAME",
    show_envvar=True,
    default="",
    help="The server's name, as `serve --name` shows it to hubs.",
)
def identity_command(data_dir, database, name_label):
    """Print this server's name and fingerprint, for hub operators to compare when enrolling.

    Example: sync-server identity
    """
    click.echo(f"Name: {name_label or '(none)'}")
    click.echo(f"Server fingerprint: {identity.fingerprint(data_dir)}")


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
        click.echo(
            f"{row['id']}  {row['label']}  last seen {row['last_seen'] or 'never'}  "
            f"received {row['received']}  queued {row['queued'] or 0}  {state}"
        )


@cli.group()
def forms():
    """Form versions the laptops download."""


def echo_prompts_stay(names: list[str]) -> None:
    """The form's prompt files that the laptops cannot get by sync (not given when it was
    published, sync_server.prompts.not_passed_on): say so, and how they get them."""
    from .prompts import not_passed_on_message

    if names:
        click.echo(not_passed_on_message(names), err=True)


@forms.command("publish")
@data_dir_option
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--media",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A file the form uses (a CSV file for select_one_from_file, external choices "
    "or pulldata; a recording, picture or video of its audio, image and video columns), "
    "when it is not in the form's folder. Repeat it for several files. The prompt files "
    "go to the laptops with the form, by sync.",
)
@click.option(
    "--dry-run",
    is_flag=True,
    help="Check the form and show its problems, its changes from the current "
    "version and what leaves the laptops, without publishing it.",
)
def forms_publish(data_dir, database, file, media, dry_run):
    """Publish a form version (JSON or XLSForm); laptops get it on their next sync.

    Every problem of an XLSForm is printed with its sheet, row and column, and nothing is
    published unless the whole form is right. The changes from the current version of the
    form are listed, with a warning for each field that would send more about people.

    Example: sync-server forms publish household_visit.xlsx --media villages.csv
    """
    from collector.cli import checked_form_result, echo_privacy_listing

    from .form_diff import diff_forms, plain_lines
    from .forms import VersionExists, current_version, publish, same_definition
    from .prompts import PromptRefused, not_passed_on

    result = checked_form_result(file, media)
    form = result.form
    store = open_store(database)
    try:
        current = current_version(form.form_id, store)
        for line in plain_lines(diff_forms(current, form)):
            click.echo(line)
        if dry_run:
            if store.form_definition(form.form_id, form.version) is not None:
                if not same_definition(store, form):
                    raise click.ClickException(version_clash(form))
                click.echo(f"{form.form_id} version {form.version} is already published.")
            echo_privacy_listing(form)
            click.echo("Dry run: nothing was published.")
            return
        try:
            form, created = publish(store, form.to_json(), "admin", result.prompt_files, data_dir)
        except VersionExists:
            raise click.ClickException(version_clash(form)) from None
        except PromptRefused as refused:
            raise click.ClickException(str(refused)) from None
        not_given = not_passed_on(store, form)
    finally:
        store.close()
    if created:
        click.echo(f"Published {form.form_id} version {form.version}.")
    else:
        click.echo(f"{form.form_id} version {form.version} is already published.")
    if result.prompt_files:
        click.echo(f"Prompt files the laptops get with it by sync: {len(result.prompt_files)}.")
    echo_privacy_listing(form)
    echo_prompts_stay(not_given)


def version_clash(form) -> str:
    return (
        f"{form.form_id} version {form.version} is already published with a different "
        "definition, and a published version never changes: give this one a new version "
        "number (the version column of the settings sheet)."
    )


@cli.group()
def design():
    """A form's survey design: strata, clusters and weights, for design-based indicators."""


@design.command("set")
@data_dir_option
@click.argument("form_id")
@click.option(
    "--stratum",
    metavar="QUESTION",
    help="The question (or _device) whose answer is the stratum, e.g. district.",
)
@click.option(
    "--cluster",
    metavar="QUESTION",
    help="The question (or _device) naming the cluster (primary sampling unit).",
)
@click.option("--weight", metavar="QUESTION", help="A number question holding the weight.")
@click.option(
    "--fpc",
    multiple=True,
    metavar="N | STRATUM=N",
    help="Clusters in the population (per stratum: repeat STRATUM=N).",
)
@click.option(
    "--poststratify",
    "poststratify",
    metavar="FILE",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Population totals of one variable (CSV: variable,category,total; or JSON).",
)
@click.option(
    "--rake",
    "rake",
    metavar="FILE",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Population totals of several variables, to rake the weights to.",
)
@click.option(
    "--lonely-psu",
    type=click.Choice(["adjust", "certainty"]),
    default="adjust",
    show_default=True,
    help="What a stratum with a single cluster adds to variances.",
)
def design_set(
    data_dir, database, form_id, stratum, cluster, weight, fpc, poststratify, rake, lonely_psu
):
    """Declare how FORM_ID's records were drawn; indicators then follow the design.

    Example: sync-server design set community_survey --stratum district --cluster village
    --weight weight --fpc north=120 --fpc south=80
    """
    from .data import newest_form
    from .designs import DesignError, parse_design, read_totals, save_design

    if poststratify and rake:
        raise click.UsageError("Give --poststratify or --rake, not both.")
    store = open_store(database)
    try:
        form = newest_form(form_id, store)
    except KeyError:
        raise click.ClickException(f"No form {form_id}; see the Forms page.") from None
    try:
        totals_file = poststratify or rake
        calibration = None
        if totals_file:
            text = totals_file.read_text(encoding="utf-8")
            calibration = {
                "method": "poststratify" if poststratify else "rake",
                "totals": read_totals(text),
            }
        definition = parse_design(
            form,
            stratum=stratum,
            cluster=cluster,
            weight=weight,
            fpc=_fpc_option(fpc),
            calibration=calibration,
            lonely_psu=lonely_psu,
        )
    except (DesignError, UnicodeDecodeError) as error:
        raise click.ClickException(f"{error} Nothing was changed.") from None
    save_design(store.db, form_id, definition, CLI_ACTOR)
    click.echo(f"Survey design of {form_id} saved; indicators follow it from now on.")
    _echo_design(store, form_id)


def _fpc_option(values: tuple):
    """--fpc 757, or --fpc north=120 --fpc south=80."""
    from .designs import DesignError

    if not values:
        return None
    if len(values) == 1 and "=" not in values[0]:
        return values[0]
    sizes = {}
    for value in values:
        name, sep, number = value.partition("=")
        if not sep or not name.strip():
            raise DesignError(f"--fpc {value!r}: give one number, or STRATUM=N for each stratum.")
        sizes[name.strip()] = number
    return sizes


def _echo_design(store, form_id: str) -> None:
    from .designs import describe

    definition = store.survey_design(form_id)
    for name, value in describe(definition):
        click.echo(f"  {name}: {value}")
    used, left_out = store.db.execute(
        "SELECT count(*) FILTER (WHERE stratum IS NOT NULL AND psu IS NOT NULL"
        " AND weight IS NOT NULL), count(*) FILTER (WHERE stratum IS NULL OR psu IS NULL"
        " OR weight IS NULL) FROM survey_units WHERE form_id = ?",
        [form_id],
    ).fetchone()
    click.echo(f"  records: {used} usable, {left_out} left out (a design value is missing)")


@design.command("show")
@data_dir_option
@click.argument("form_id")
@click.option("--json", "as_json", is_flag=True, help="Print the design as JSON.")
def design_show(data_dir, database, form_id, as_json):
    """Show FORM_ID's survey design (exit 1 when it has none).

    Example: sync-server design show community_survey --json
    """
    store = open_store(database)
    definition = store.survey_design(form_id)
    if definition is None:
        raise click.ClickException(
            f"{form_id} has no survey design: its indicators assume simple random sampling."
        )
    if as_json:
        click.echo(json.dumps(definition, indent=2, sort_keys=True))
        return
    click.echo(f"Survey design of {form_id}:")
    _echo_design(store, form_id)


@design.command("clear")
@data_dir_option
@click.argument("form_id")
def design_clear(data_dir, database, form_id):
    """Forget FORM_ID's survey design: its indicators assume simple random sampling again.

    Example: sync-server design clear community_survey
    """
    from .designs import clear_design

    if not clear_design(open_store(database).db, form_id, CLI_ACTOR):
        raise click.ClickException(f"{form_id} has no survey design; nothing was changed.")
    click.echo(f"Survey design of {form_id} cleared.")


@cli.command("import-bundle")
@data_dir_option
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_bundle(data_dir, database, file):
    """Ingest a USB bundle written by `collector export-bundle`, exactly once.

    Example: sync-server import-bundle /media/usb/zone-b-2024-03-15.bundle
    """
    store = open_store(database)
    try:
        found, batches = _verified_bundle(store, identity.opened(data_dir, file.read_bytes()))
        _check_batches(batches)
    except protocol.ProtocolError as error:
        _log(store, "bundle_refused", getattr(error, "device_id", None), error.code)
        raise click.ClickException(f"{file.name}: {error.message}") from None
    outcomes = [_import_batch(store, found, batch) for batch in batches]
    counts = Counter()
    for outcome in outcomes:
        counts.update(outcome["counts"])
    _log(
        store,
        "bundle_imported",
        found["id"],
        f"{counts['stored']} stored, "
        f"{counts['duplicate']} duplicate, {counts['rejected']} rejected",
    )
    if outcomes and all(o["refused"] == "replayed_batch" for o in outcomes):
        raise click.ClickException(f"{file.name} was already imported; nothing was stored again.")
    click.echo(
        f"Imported {file.name} from {found['label']}: {counts['stored']} stored, "
        f"{counts['duplicate']} already here, {counts['rejected']} rejected."
    )
    _import_bundle_files(store, found, file, data_dir)
    failed = []
    for number, outcome in enumerate(outcomes, 1):
        where = f"batch {number} of {len(outcomes)} ({outcome['batch_id']})"
        click.echo(f"  {where}: {_batch_summary(outcome)}")
        for item in outcome["results"]:
            if item["status"] == protocol.RESULT_REJECTED:
                click.echo(
                    f"    rejected {item['uuid']} revision {item['revision']}: {item['message']}"
                )
        if outcome["refused"] and outcome["refused"] != "replayed_batch":
            failed.append(where)
    if failed or counts["rejected"]:
        problems = [f"{counts['rejected']} records rejected"] if counts["rejected"] else []
        problems += [f"{where} not stored" for where in failed]
        raise click.ClickException(
            f"{file.name}: not everything was stored: "
            f"{'; '.join(problems)}. Everything else listed above is "
            "stored; importing the bundle again stores only what is "
            "missing."
        )


def _import_bundle_files(store: Store, device: dict, file: Path, data_dir) -> None:
    """The photos and files carried beside the bundle (sync_server.attachments), if any."""
    from .attachments import BUNDLE_FILES_SUFFIX, import_bundle_files

    beside = file.with_name(file.name + BUNDLE_FILES_SUFFIX)
    if beside.exists():
        try:
            data = identity.opened(data_dir, beside.read_bytes())
            counts = import_bundle_files(store, device, data, data_dir)
        except protocol.ProtocolError as error:
            raise click.ClickException(f"{beside.name}: {error.message}") from None
        click.echo(
            f"Files from {beside.name}: {counts['stored']} stored, "
            f"{counts['already']} already here, {counts['refused']} refused."
        )


def _log(store: Store, event: str, device_id: str | None, detail: str) -> None:
    """A security log entry; a full disk must not hide the import's own report."""
    try:
        with store.transaction():
            log_event(store.db, event, device_account(device_id), detail)
    except sqlite3.OperationalError as error:
        if not is_disk_full(error):
            raise
        if store.db.in_transaction:
            store.db.rollback()


def _check_batches(batches: list) -> None:
    """Every batch's shape, before any is stored: a bad one means nothing is stored."""
    for number, batch in enumerate(batches, 1):
        try:
            checked = protocol.load(protocol.BatchSchema(), batch)
            protocol.check_version(checked["protocol"])
        except protocol.ProtocolError as error:
            batch_id = batch.get("batch_id") if isinstance(batch, dict) else None
            named = f" ({batch_id})" if isinstance(batch_id, str) else ""
            raise protocol.ProtocolError(
                error.code,
                f"batch {number} of {len(batches)}{named} is malformed: "
                f"{error.message}. Nothing was stored.",
            ) from error


def _import_batch(store: Store, device: dict, batch: dict) -> dict:
    """Store one batch (its own transaction) and say what happened to it."""
    outcome = {
        "batch_id": batch["batch_id"],
        "results": [],
        "counts": Counter(),
        "refused": None,
        "message": None,
    }
    try:
        outcome["results"] = ingest_batch(store, device, batch, source="bundle")[1]["results"]
    except protocol.ProtocolError as error:
        outcome.update(refused=error.code, message=error.message)
    except sqlite3.OperationalError as error:
        if not is_disk_full(error):
            raise
        if store.db.in_transaction:  # a failed COMMIT can leave it open
            store.db.rollback()
        outcome.update(
            refused="server_disk_full",
            message="The server's disk is full; nothing of this batch was stored.",
        )
    outcome["counts"].update(r["status"] for r in outcome["results"])
    return outcome


def _batch_summary(outcome: dict) -> str:
    if outcome["refused"] == "replayed_batch":
        return "already imported before; nothing stored again."
    if outcome["refused"]:
        return f"NOT STORED: {outcome['message']}"
    counts = outcome["counts"]
    return (
        f"{counts['stored']} stored, {counts['duplicate']} already here, "
        f"{counts['rejected']} rejected."
    )


def _verified_bundle(store: Store, data: bytes) -> tuple[dict, list[dict]]:
    device_id, batches, payload, signature = protocol.read_bundle(data)
    found = store.device(device_id)
    if found is None:
        raise protocol.ProtocolError(
            "device_unknown", "The bundle comes from a device this server does not know."
        )
    public_key = store.device_public_key(device_id)
    if not public_key:
        raise _about(
            device_id,
            protocol.ProtocolError(
                "device_key_missing",
                f"The server has no signing key on record for "
                f"{found['label']}, so it cannot check this bundle. Enroll that hub again "
                "(sync-server device add, then collector enroll on the laptop) and export a new "
                "bundle.",
            ),
        )
    if not protocol.verify_bundle(public_key, payload, signature):
        raise _about(
            device_id,
            protocol.ProtocolError(
                "bad_signature",
                "The bundle's signature does not match its device: it was "
                "changed or is not genuine.",
            ),
        )
    if found["revoked_at"]:
        raise _about(
            device_id,
            protocol.ProtocolError("device_revoked", "The bundle comes from a revoked device."),
        )
    return found, batches


def _about(device_id: str, error: protocol.ProtocolError) -> protocol.ProtocolError:
    error.device_id = device_id  # for the security log
    return error


@cli.command("export")
@data_dir_option
@click.option("--form", "form_id", required=True, help="The form id, e.g. community_survey.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["jsonl", "csv", "xlsx", "dta", "sav", "parquet"]),
    required=True,
    help="File format; parquet without --repeat writes a ZIP of Parquet files, one per table.",
)
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="File to write.",
)
@click.option(
    "--lang",
    default="en",
    show_default=True,
    help="Language of variable and value labels (dta, sav, xlsx).",
)
@click.option(
    "--repeat",
    metavar="NAME",
    default=None,
    help="Export this repeat's long table instead: one row per instance, "
    "joined to the records by _parent_uuid.",
)
@click.option(
    "--access",
    "access_level",
    type=click.Choice(["standard", "all"]),
    default="all",
    show_default=True,
    help="Which records: all of them (the server's operator "
    "sees every access class), or only the standard ones an analyst may see.",
)
@click.option(
    "--raw",
    is_flag=True,
    help="CSV: write cells starting with = + - @ as stored "
    "instead of quoting them against spreadsheet formulas.",
)
@click.option(
    "--raw-records",
    is_flag=True,
    help="The records as stored, without the "
    "disclosure check (generalization, suppression); needs --reason, logged.",
)
@click.option(
    "--reason",
    default="",
    help="Why the records are needed without the disclosure check (with --raw-records).",
)
@click.option(
    "--codebook",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also write a codebook CSV here: each column's label and type, each "
    "code's label, in --lang.",
)
def export_command(
    data_dir,
    database,
    form_id,
    fmt,
    output,
    lang,
    repeat,
    access_level,
    raw,
    raw_records,
    reason,
    codebook,
):
    """Export one form's records: every version merged, corrections applied, one row each.

    Example: sync-server export --form community_survey --format dta --output survey.dta --lang fr

    A repeat's instances (e.g. household members) are a table of their own:
    sync-server export --form household_visit --repeat members --format csv --output members.csv

    Parquet holds every table in one ZIP (FORM.parquet, then FORM-REPEAT.parquet per repeat):
    sync-server export --form community_survey --format parquet --output survey.zip

    Sensitive records (reports of discrimination) are included unless --access standard.

    The records pass the disclosure check (k and l from settings.toml: release_k,
    release_l); its report is written beside the file (FILE.disclosure.json).
    --raw-records --reason TEXT gives them as stored instead, and the audit keeps the reason.
    """
    from . import disclosure
    from .access import ALL_CLASSES, STANDARD
    from .data import current_plan, form_history, form_ids
    from .designs import DesignError, export_design
    from .exports import ExportError, codebook as codebook_csv, export, export_columns

    reason = " ".join(reason.split())
    if raw_records and not reason:
        raise click.ClickException(
            "Say why you need the records without the disclosure check: add --reason TEXT."
        )
    if fmt == "parquet" and repeat is None and output.suffix.lower() != ".zip":
        raise click.ClickException(
            "A Parquet export is a ZIP of Parquet files, one per table "
            "(the records, then each repeat): name the output .zip, or "
            "export one table with --repeat NAME."
        )
    settings = load_settings(data_dir)
    store = open_store(database)
    if form_id not in form_ids(store):
        raise click.ClickException(f"No form {form_id}; known: {', '.join(form_ids(store))}.")
    classes = (STANDARD,) if access_level == "standard" else ALL_CLASSES
    partial = output.with_name(f".{output.name}.partial")
    plan = None
    try:
        with partial.open("wb") as out, store.snapshot():
            forms = form_history(form_id, store)
            design = export_design(store.db, form_id)
            if raw_records:
                count = export(
                    store.iter_latest(form_id, classes=classes),
                    forms,
                    fmt,
                    out,
                    lang,
                    repeat=repeat,
                    raw=raw,
                    design=design,
                )
            else:
                plan = current_plan(
                    form_id, classes, store, settings["release_k"], settings["release_l"]
                )
                # No design columns in a checked release: a cluster or stratum number
                # would name the village the check generalized (sync_server.designs).
                count = export(
                    store.iter_latest(form_id, classes=classes, by_uuid=True),
                    forms,
                    fmt,
                    out,
                    lang,
                    repeat=repeat,
                    raw=raw,
                    release=plan.release(),
                )
        if codebook is not None:
            release = plan.release() if plan is not None else None
            codebook.write_text(
                codebook_csv(
                    export_columns(forms, repeat, release, None if release else design), forms, lang
                ),
                "utf-8",
            )
    except (ExportError, disclosure.ReleaseError, DesignError) as error:
        partial.unlink(missing_ok=True)
        raise click.ClickException(str(error)) from error
    partial.replace(output)
    # The audit says when an export was not the default one.
    options = (" access standard" if access_level == "standard" else "") + (" raw" if raw else "")
    if plan is not None:
        release_id = store.save_release("cli", form_id, fmt, plan.report)
        report = output.with_name(output.name + ".disclosure.json")
        report.write_text(
            json.dumps(dict(plan.report, release=release_id), indent=1, ensure_ascii=False), "utf-8"
        )
        click.echo(
            f"Disclosure check: k={plan.report['k_required']}, "
            f"{plan.report['records_left_out']} records left out, "
            f"{plan.report['key_values_suppressed_percent']}% of key values suppressed; "
            f"report in {report}."
        )
    else:
        options += f" records as stored, reason: {reason}"
    if repeat is None:
        store.log("cli", "export", f"{form_id} {fmt}{options}")
        click.echo(f"Wrote {count} records to {output}.")
    else:
        store.log("cli", "export", f"{form_id} {fmt} repeat {repeat}{options}")
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
        open_store(database).add_reply(
            str(uuid_module.uuid4()), record_uuid, message, locale, author
        )
    except KeyError:
        raise click.ClickException(f"No record {record_uuid} has been received.") from None
    click.echo(f"Reply queued for the device that sent {record_uuid}.")


@cli.command()
@data_dir_option
@click.option(
    "--port",
    default=5000,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Port of the collector hub (phones connect here).",
)
@click.option(
    "--server-port",
    default=8000,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Port of the sync server, on 127.0.0.1.",
)
@click.option(
    "--empty",
    is_flag=True,
    help="Start with no data (by default a new demo holds a synthetic survey round).",
)
def demo(data_dir, database, port, server_port, empty):
    """Run a sync server and an enrolled collector hub together, to see the whole flow.

    The hub has a sample enumerator (name "demo", PIN 1234) and syncs in the background;
    the central workspace has an admin (name "admin", password "demo passphrase"). A new
    demo starts with a synthetic survey round already received from four laptops (1,200
    interviews, 90 discrimination reports, three districts, twelve weeks: invented people),
    so that every indicator shows something; --empty starts with nothing.

    Example: sync-server demo --data-dir demo-data
    """
    import threading

    from collector.cli import add_demo_user, install_demo_key, run_hub
    from collector.datadir import ensure_data_dir
    from collector.db import open_database
    from collector.serving import bind, make_server
    from collector.sync_client import enroll, load_credentials

    from . import create_app

    hub_dir = ensure_data_dir(data_dir / "collector")
    if not empty:
        fill_demo(data_dir, database)
    app = create_app(data_dir=data_dir, database=database)
    store = open_store(database)  # the admin exists before the first page is served
    if not store.user_exists(DEMO_ADMIN):
        store.add_user(DEMO_ADMIN, "admin", passwords.hash_secret(DEMO_PASSWORD))
    store.close()
    server = make_server(app, "127.0.0.1", server_port, 8)
    bind(server, "--server-port")
    threading.Thread(target=server.serve, daemon=True).start()
    url = f"http://127.0.0.1:{server.bind_addr[1]}"
    db = open_database(hub_dir / "collector.db")
    if load_credentials(db, hub_dir) is None:
        code = new_code()
        open_store(database).add_enrollment_code(code_hash(code), "demo laptop", expiry(1))
        enroll(db, hub_dir, url, code)
    db.close()
    click.echo(f"Central workspace: {url}/  (name {DEMO_ADMIN!r}, password {DEMO_PASSWORD!r})")
    add_demo_user(hub_dir)
    install_demo_key(hub_dir)  # the demo is its own data custodian
    try:
        run_hub(hub_dir, "0.0.0.0", port, 16)
    finally:
        server.stop()


def fill_demo(data_dir: Path, database: str) -> None:
    """A synthetic survey round (sync_server.demo_data) into a server that has no records."""
    from .demo_data import add_help_contacts, generate, load, publish_boundaries

    publish_boundaries(data_dir, database)  # the districts' outlines, for the dashboard's map
    add_help_contacts(database)  # invented, shown on the phone after a report
    store = open_store(database)
    try:
        if store.db.execute("SELECT count(*) FROM records").fetchone()[0]:
            return  # a demo started before: its data stays as it is
    finally:
        store.close()
    click.echo("Loading a synthetic survey round (invented people) for the demo...")
    load(
        generate(n_surveys=DEMO_SURVEYS, n_reports=DEMO_REPORTS, devices=4, seed=2026),
        data_dir,
        database,
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
def security_log_command(data_dir, database, limit, as_json):
    """Show the newest security events: sign-ins, enrollments, exports, role changes...

    Accounts are internal ids (user:3, device:...); the log holds no names or addresses.
    Admins see the same log, with names, at /security-log.

    Example: sync-server security-log --limit 20
    """
    from collector.security_log import events_text, recent_events

    store = open_store(database)
    try:
        click.echo(events_text(recent_events(store.db, limit), as_json))
    finally:
        store.close()


@cli.command("migrate-db")
@data_dir_option
@click.option(
    "--to",
    "target_url",
    required=True,
    metavar="DATABASE",
    help="The new database: postgresql://user@host/name (or a SQLite path). It must be empty.",
)
def migrate_db(data_dir, database, target_url):
    """Move the server's data into another database, and check the move.

    Every table is copied in one transaction (a failed move leaves the new database
    empty; the current one is only read), then the counts and every device's
    reconciliation digest are compared. Stop the server first, then set the `database`
    setting (or SYNC_SERVER_DATABASE) to the new database and start it again.

    Example: sync-server migrate-db --to postgresql://sync@db.internal/central
    """
    from .database import shown
    from .migrate import MoveError, move

    try:
        target_url = database_path(target_url, data_dir)
    except ValueError as error:
        raise click.ClickException(str(error)) from error
    if target_url == database:
        raise click.ClickException("The new database is the current one: nothing to move.")
    source, target = open_store(database), open_store(target_url)
    try:
        report = move(source, target)
    except MoveError as error:
        raise click.ClickException(f"{error} Nothing was moved.") from error
    finally:
        source.close()
        target.close()
    for table, count in report.counts.items():
        click.echo(f"  {table}: {count} rows")
    click.echo(
        f"Moved and checked: the same rows in every table, and the same records for "
        f'each of {report.devices} devices. Now set database = "{shown(target_url)}" in '
        "settings.toml (or SYNC_SERVER_DATABASE) and start the server again."
    )


# -- retention: records removed for good (sync_server.retention) --------------------------------


def _retention_error():
    """A RetentionError as the command's error (nothing was changed)."""
    from .retention import RetentionError

    @contextlib.contextmanager
    def refused():
        try:
            yield
        except RetentionError as error:
            raise click.ClickException(str(error)) from None

    return refused()


@forms.command("retention")
@data_dir_option
@click.argument("form_id", metavar="FORM", required=False)
@click.option(
    "--days",
    type=int,
    help="Remove the form's records the server last received anything of more than "
    "this many days ago (by `sync-server purge`, run daily).",
)
@click.option("--off", is_flag=True, help="Keep the form's records until removed by hand.")
def forms_retention(data_dir, database, form_id, days, off):
    """Set how long the server keeps a form's records; without FORM, list every period.

    The daily `sync-server purge` removes the records older than the period, with their
    files and their part of the indicators (docs/privacy.md).

    Example: sync-server forms retention community_feedback --days 365
    """
    from flask_babel import gettext

    from .retention import checked_days, checked_form

    store = open_store(database)
    with _retention_error():
        if form_id is None:
            if days is not None or off:
                raise click.UsageError(gettext("Name the form whose period to set."))
            _echo_retentions(store)
            return
        if days is not None and off:
            raise click.UsageError(gettext("Give either --days or --off, not both."))
        checked_form(store, form_id)
        if days is None and not off:
            _echo_retentions(store, form_id)
            return
        changed = store.set_form_retention(form_id, None if off else checked_days(days), CLI_ACTOR)
    if off:
        click.echo(
            gettext("%(form)s: records are kept until removed by hand.", form=form_id)
            if changed
            else gettext("%(form)s had no retention period.", form=form_id)
        )
    else:
        click.echo(
            gettext(
                "%(form)s: records are removed %(days)d days after the server last"
                " received them (sync-server purge).",
                form=form_id,
                days=days,
            )
        )


def _echo_retentions(store: Store, only: str | None = None) -> None:
    """Each known form (or `only`) with its retention period."""
    from flask_babel import gettext

    from .data import form_ids

    periods = store.form_retentions()
    for form_id in [only] if only else form_ids(store):
        row = periods.get(form_id)
        click.echo(
            f"{form_id}\t"
            + (
                gettext("%(days)d days (set %(at)s)", days=row["days"], at=row["updated_at"])
                if row
                else gettext("kept until removed by hand")
            )
        )


@cli.group()
def records():
    """Records on the server: removing them for good."""


@records.command("delete")
@data_dir_option
@click.option("--form", "form_id", help="The form whose records to remove.")
@click.option(
    "--received-before",
    metavar="DATE",
    help="With --form: the records the server last received anything of before this day "
    "(YYYY-MM-DD, UTC).",
)
@click.option(
    "--uuid",
    "uuids",
    multiple=True,
    metavar="UUID",
    help="A record to remove (repeat it for several).",
)
@click.option("--dry-run", is_flag=True, help="Show what would be removed; remove nothing.")
@click.option("--yes", is_flag=True, help="Remove without asking for confirmation.")
def records_delete(data_dir, database, form_id, received_before, uuids, dry_run, yes):
    """Remove records for good: every revision, corrections, files no other record holds,
    and their part of the indicators. A laptop that sends one again is told it is
    delivered, and it is not stored again. Exports already made keep them.

    Example: sync-server records delete --form community_survey --received-before 2026-01-01

    Or by id: sync-server records delete --uuid 6f1c0d9e-2b1a-4c55-9b7e-0a6c3f1d2e88
    """
    from flask_babel import gettext

    from .retention import checked_day, checked_form, checked_uuids, remove_records

    if (form_id or received_before) if uuids else not (form_id and received_before):
        raise click.UsageError(gettext("Give either --uuid, or --form with --received-before."))
    store = open_store(database)
    with _retention_error():
        if uuids:
            chosen, before = checked_uuids(store, uuids), None
            why = "removed by id"  # the audit entry, in the log's own language
        else:
            day = checked_day(received_before)
            chosen = store.uuids_received_before(checked_form(store, form_id), day)
            why, before = f"received before {day}", day
    if not _echo_plan(store, chosen):
        return
    if dry_run:
        click.echo(gettext("Dry run: nothing was removed."))
        return
    if not yes:
        click.confirm(gettext("Remove these records for good?"), abort=True)
    done = remove_records(store, chosen, CLI_ACTOR, why, data_dir, before)
    _echo_removal(done)


@cli.command("purge")
@data_dir_option
@click.option("--dry-run", is_flag=True, help="Show what would be removed; remove nothing.")
def purge_command(data_dir, database, dry_run):
    """Remove the records older than their form's retention period (run it daily).

    Each form's period is set with `sync-server forms retention FORM --days N`; forms
    without one are not touched. docs/deployment.md has a systemd timer that runs it.

    Example: sync-server purge
    """
    from flask_babel import gettext

    from .retention import due, empty_log, purge

    store = open_store(database)
    if dry_run:
        for item in due(store):
            click.echo(_due_line(item, len(item["uuids"]), dry_run=True))
        click.echo(gettext("Dry run: nothing was removed."))
        return
    passes = purge(store, data_dir)
    for item in passes:
        click.echo(_due_line(item, item["removed"]))
    if not empty_log(store):  # also what an earlier pass or deletion left in it
        _echo_log_kept()
    if not passes:
        click.echo(gettext("No form has a retention period: nothing to remove."))


def _due_line(item: dict, count: int, dry_run: bool = False) -> str:
    from flask_babel import ngettext

    if dry_run:
        return ngettext(
            "%(form)s (kept %(days)s days): %(num)d record to remove",
            "%(form)s (kept %(days)s days): %(num)d records to remove",
            count,
            form=item["form_id"],
            days=item["days"],
        )
    return ngettext(
        "%(form)s (kept %(days)s days): %(num)d record removed",
        "%(form)s (kept %(days)s days): %(num)d records removed",
        count,
        form=item["form_id"],
        days=item["days"],
    )


def _echo_plan(store: Store, uuids: list[str]) -> bool:
    """Print what removing these records takes away; False when there is nothing."""
    from flask_babel import gettext, ngettext

    plan = store.removal_plan(uuids)
    if not plan:
        click.echo(gettext("No record matches: nothing to remove."))
        return False
    for item in plan:
        click.echo(
            ngettext(
                "%(form)s: %(num)d record, received %(first)s to %(last)s; revisions"
                " stored: %(revisions)d; files no other record holds: %(files)d"
                " (%(bytes)d bytes)",
                "%(form)s: %(num)d records, received %(first)s to %(last)s; revisions"
                " stored: %(revisions)d; files no other record holds: %(files)d"
                " (%(bytes)d bytes)",
                item["records"],
                form=item["form_id"],
                revisions=item["revisions"],
                first=item["first"],
                last=item["last"],
                files=item["files"],
                bytes=item["bytes"],
            )
        )
    return True


def _echo_log_kept() -> None:
    from flask_babel import gettext

    click.echo(
        gettext(
            "Warning: another program kept the database open, so its write-ahead log may"
            " still hold copies of the removed records. Run sync-server purge again later."
        ),
        err=True,
    )


def _echo_removal(done) -> None:
    from flask_babel import ngettext

    if not done.log_emptied:
        _echo_log_kept()

    for form_id, count in sorted(done.records.items()):
        click.echo(
            ngettext(
                "Removed %(num)d record of %(form)s.",
                "Removed %(num)d records of %(form)s.",
                count,
                form=form_id,
            )
        )
    click.echo(
        ngettext(
            "%(num)d file deleted from the data dir.",
            "%(num)d files deleted from the data dir.",
            done.files,
        )
    )


@cli.group("data")
def data_group():
    """The data table of the central workspace."""


@data_group.command("keys")
@data_dir_option
@click.argument("form_id")
@click.argument("question")
def data_keys(data_dir, database, form_id, question):
    """Build the sort keys of QUESTION of FORM_ID now, so that the first sort or filter
    by it in the data table is fast. The keys are made a few thousand records per
    transaction: laptops keep syncing meanwhile. Stopped, it goes on where it stopped.

    A repeat's question is named REPEAT/QUESTION, for the sort of the repeat's table.

    Example: sync-server data keys community_survey life_satisfaction
    (a repeat's question: sync-server data keys household_visit members/age)
    """
    from flask_babel import gettext, ngettext

    from . import data, data_table, exports
    from .store import KeyColumn

    store = open_store(database)
    if form_id not in data.form_ids(store):
        raise click.UsageError(gettext("There is no form %(form)s.", form=form_id))
    forms = data.form_history(form_id, store)
    repeat, _, name = question.rpartition("/")
    if repeat and repeat not in dict(data.form_repeats(forms, "en")):
        raise click.UsageError(
            gettext("%(form)s has no repeat %(name)s.", form=form_id, name=repeat)
        )
    shown = [
        c for c in exports.export_columns(forms, repeat or None) if not c.meta and c.kind != "dummy"
    ]
    columns = data_table.table_columns(shown, forms, "en")
    column = next((c for c in columns if name in (c.name, c.source) and c.open), None)
    if column is None:
        raise click.UsageError(
            gettext("%(form)s has no question %(name)s to sort by.", form=form_id, name=question)
        )
    if repeat:  # a repeat inside another: its keys are made for the repeats it is in
        column = KeyColumn.item(repeat, column, exports.repeat_lineage(forms, repeat)[:-1])
    store.register_keys(form_id, [column])
    done = store.build_keys(form_id, column.source)
    click.echo(
        ngettext(
            "Sort keys of %(name)s ready (%(num)d record keyed now).",
            "Sort keys of %(name)s ready (%(num)d records keyed now).",
            done,
            name=column.source,
        )
    )


@cli.group("help-contacts")
def help_contacts_group():
    """Where people get help after a report, by area: the laptops show them."""


def _contact_line(contact: dict) -> str:
    from flask_babel import gettext

    area = contact["area"] or gettext("every area")
    cells = [contact["phone"], contact["hours"], ", ".join(contact["languages"])]
    details = " | ".join(cell for cell in cells if cell)
    return f"{contact['id']}  {area}: {contact['name']}" + (f" | {details}" if details else "")


@help_contacts_group.command("list")
@data_dir_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
def help_contacts_list(data_dir, database, as_json):
    """List the help contacts: id, area, name, phone, hours, languages.

    Example: sync-server help-contacts list
    """
    from flask_babel import gettext

    listed = open_store(database).help_contacts()
    if as_json:
        click.echo(json.dumps(listed, ensure_ascii=False, indent=1))
        return
    if not listed:
        click.echo(gettext("There are no help contacts yet."))
    for contact in listed:
        click.echo(_contact_line(contact))


@help_contacts_group.command("add")
@data_dir_option
@click.option("--name", required=True, help="Who they are, e.g. 'Legal aid desk'.")
@click.option(
    "--area",
    default="",
    help="An area code (e.g. CE01, or CE for all its areas); none: every area.",
)
@click.option("--description", default="", help="What they offer.")
@click.option("--phone", default="", help="A phone number, e.g. '+254 700 000111'.")
@click.option("--hours", default="", help="Opening hours, e.g. 'Mon-Fri 9-17'.")
@click.option("--languages", default="", help="Language codes, e.g. 'sw, en'.")
def help_contacts_add(data_dir, database, **fields):
    """Add a help contact; laptops get it at their next sync.

    Example: sync-server help-contacts add --name "Legal aid desk" --area CE01
    --phone "+254 700 000111" --hours "Mon-Fri 9-17" --languages "sw, en"
    """
    from flask_babel import gettext

    from collector.help_contacts import MAX_CONTACTS

    from .help_contacts import from_fields, problem_message, wrong_fields

    contact, wrong = wrong_fields(from_fields(fields))
    if wrong:
        raise click.UsageError("\n".join(f"--{field}: {problem_message(field)}" for field in wrong))
    store = open_store(database)
    if len(store.help_contacts()) >= MAX_CONTACTS:
        raise click.ClickException(
            gettext(
                "There can be at most %(max)s help contacts: remove one first.", max=MAX_CONTACTS
            )
        )
    assert contact is not None  # wrong_fields gives one or the fields to fix
    contact_id = store.add_help_contact(contact, CLI_ACTOR)
    click.echo(
        gettext(
            "Added %(name)s (id %(id)d). Hubs get it at their next sync.",
            name=contact["name"],
            id=contact_id,
        )
    )


@help_contacts_group.command("remove")
@data_dir_option
@click.argument("contact_id", metavar="ID", type=int)
def help_contacts_remove(data_dir, database, contact_id):
    """Remove the help contact ID (see `sync-server help-contacts list`).

    Example: sync-server help-contacts remove 3
    """
    from flask_babel import gettext

    store = open_store(database)
    found = store.help_contact(contact_id)
    if found is None or not store.remove_help_contact(contact_id, CLI_ACTOR):
        raise click.ClickException(
            gettext(
                "There is no help contact %(id)d; see `sync-server help-contacts list`.",
                id=contact_id,
            )
        )
    click.echo(
        gettext("Removed %(name)s. Hubs stop showing it at their next sync.", name=found["name"])
    )


@help_contacts_group.command("import")
@data_dir_option
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--replace",
    is_flag=True,
    help="Make the list exactly the file's contacts (those not in it are removed).",
)
@click.option("--dry-run", is_flag=True, help="Check the file and say what would change.")
def help_contacts_import(data_dir, database, file, replace, dry_run):
    """Add the help contacts of a CSV file (columns area, name, description, phone, hours,
    languages: as `export` writes them); with --replace, the list becomes the file's.
    A file with any problem changes nothing: each problem is told by row and column.

    Example: sync-server help-contacts import contacts.csv --replace
    """
    from flask_babel import gettext

    from collector.help_contacts import MAX_CONTACTS

    from .help_contacts import MAX_CSV_BYTES, ContactFileError, import_plan, read_csv

    with file.open("rb") as stream:
        data = stream.read(MAX_CSV_BYTES + 1)
    try:
        wanted = read_csv(data)
    except ContactFileError as error:
        raise click.ClickException(
            gettext("%(file)s was not imported: nothing was changed.", file=file)
            + "\n"
            + "\n".join(error.problems)
        ) from None
    store = open_store(database)
    listed = store.help_contacts()
    added, removed = import_plan(listed, wanted, replace)
    if len(listed) + len(added) - len(removed) > MAX_CONTACTS:
        raise click.ClickException(
            gettext(
                "There can be at most %(max)s help contacts: nothing was changed.",
                max=MAX_CONTACTS,
            )
        )
    if not dry_run:
        store.change_help_contacts(added, removed, CLI_ACTOR)
    message = (
        gettext(
            "Would add %(added)d help contacts and remove %(removed)d (a dry run: nothing "
            "was changed).",
            added=len(added),
            removed=len(removed),
        )
        if dry_run
        else gettext(
            "Added %(added)d help contacts and removed %(removed)d. Hubs get the list at "
            "their next sync.",
            added=len(added),
            removed=len(removed),
        )
    )
    click.echo(message)


@help_contacts_group.command("export")
@data_dir_option
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def help_contacts_export(data_dir, database, file):
    """Write the help contacts to a CSV file, to edit in a spreadsheet and import again.

    Example: sync-server help-contacts export contacts.csv
    """
    from flask_babel import ngettext

    from .help_contacts import write_csv

    listed = open_store(database).help_contacts()
    _write_whole(file, write_csv(listed))
    click.echo(
        ngettext(
            "Wrote %(num)d help contact to %(file)s.",
            "Wrote %(num)d help contacts to %(file)s.",
            len(listed),
            file=file,
        )
    )


@help_contacts_group.command("export-for-hubs")
@data_dir_option
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def help_contacts_export_for_hubs(data_dir, database, file):
    """Write the help contacts, signed with this server's identity key, for laptops that
    only exchange USB sticks: `collector help-contacts import FILE` on each of them keeps
    the list if it comes from the server that laptop is enrolled with.

    Example: sync-server help-contacts export-for-hubs /media/usb/help-contacts.signed
    """
    from flask_babel import ngettext

    from .help_contacts import file_for_hubs

    data, count = file_for_hubs(open_store(database), data_dir, CLI_ACTOR)
    _write_whole(file, data)
    click.echo(
        ngettext(
            "Wrote %(num)d help contact to %(file)s, signed by this server (fingerprint "
            "%(fingerprint)s).",
            "Wrote %(num)d help contacts to %(file)s, signed by this server (fingerprint "
            "%(fingerprint)s).",
            count,
            file=file,
            fingerprint=identity.fingerprint(data_dir),
        )
    )


def _write_whole(file: Path, data: bytes) -> None:
    """Write a file whole or not at all (a stick pulled out halfway leaves the old one)."""
    import os

    partial = file.with_name(f".{file.name}.partial")
    try:
        partial.write_bytes(data)
        os.replace(partial, file)
    except OSError as error:
        partial.unlink(missing_ok=True)
        raise click.ClickException(str(error)) from None
