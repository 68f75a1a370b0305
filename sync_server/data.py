"""Records: browse per form with filters, open one, review and correct it, export.

Every change is an audit entry; the original answers are never lost, and
exports use the corrected values.
"""

from __future__ import annotations

import json
import os
import tempfile

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext

from collector import form_catalogue
from collector.forms import builtin_forms
from collector.i18n import current_locale
from collector.security_log import user_account

from . import access, disclosure, exports, labels, logs
from .attachments import file_urls, shown_attachments
from .auth import role_required
from .designs import DesignError, export_design
from .ingest import known_form
from .store import get_store

bp = Blueprint("data", __name__, url_prefix="/data")
REVIEWS = ("new", "approved", "flagged")
MIME = {
    "csv": "text/csv; charset=utf-8",
    "jsonl": "application/x-ndjson",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "dta": "application/x-stata-dta",
    "sav": "application/x-spss-sav",
    "parquet": "application/vnd.apache.parquet",
    "zip": "application/zip",
}


def review_label(review: str) -> str:
    return {
        "new": gettext("Not reviewed"),
        "approved": gettext("Approved"),
        "flagged": gettext("Flagged"),
    }[review]


@bp.app_context_processor
def helpers():
    return {"review_label": review_label}


# One date format per language, and languages by name, on every page of the workspace.
bp.add_app_template_filter(labels.when, "when")
bp.add_app_template_filter(labels.language_name, "language_name")


def form_ids(store=None) -> list[str]:
    store = store or get_store()
    ids = list(builtin_forms())
    ids += [f["form_id"] for f in store.published_forms() if f["form_id"] not in ids]
    return ids


def form_history(form_id: str, store=None):
    """Every version of a form that records arrived with, oldest first."""
    store = store or get_store()
    forms = [known_form(store, form_id, v) for v in store.form_versions(form_id)]
    forms = [f for f in forms if f is not None]
    if not forms:
        # No record yet: the version new records would arrive with.
        try:
            forms = [newest_form(form_id, store)]
        except KeyError:
            forms = []
    return forms


def newest_form(form_id: str, store=None):
    """The current version of a form: the newest published, else the built-in one (the
    rule is collector.form_catalogue's). KeyError for a form the server does not know."""
    store = store or get_store()
    published = [
        (f["version"], f["published_at"])
        for f in store.published_forms()
        if f["form_id"] == form_id
    ]
    form = form_catalogue.current_form(
        form_id, published, lambda version: store.form_definition(form_id, version)
    )
    if form is None:
        raise KeyError(form_id)
    return form


def form_repeats(forms, locale: str) -> list[tuple[str, str]]:
    """Each repeat of a form over its versions (the newest's first): (name, its label)."""
    found: dict[str, str] = {}
    for form in reversed(forms):
        for section in form.sections:
            if section.get("repeat") and section["name"] not in found:
                found[section["name"]] = form.text(section["label"], locale)
    return list(found.items())


@bp.route("")
@role_required("analyst")
def index():
    return redirect(url_for("data.browse", form_id=form_ids()[0]))


@bp.route("/<form_id>")
@role_required("analyst")
def browse(form_id: str):
    if form_id not in form_ids():
        abort(404)
    page = max(request.args.get("page", 1, type=int), 1)
    raw = is_admin()
    # Filters on key variables would count small groups: analysts filter by what is no key.
    names = get_store().BROWSE_FILTERS if raw else RELEASED_FILTERS
    filters = {k: request.args.get(k, "") for k in names}
    classes = access.visible_classes(g.user)
    store = get_store()
    plan = None if raw else current_plan(form_id, classes)
    rows, total = store.browse(
        form_id, filters, page, classes=classes, released=not raw, answers=True
    )
    forms = form_history(form_id)
    codes = request.args.get("codes") == "1"
    columns, cells = answer_table(forms, rows, plan, codes)
    if plan is not None:
        rows = [browse_row(plan, row) for row in rows]
    values = store.filter_values(form_id, classes=classes)
    devices = device_labels(store) if raw else {}
    return render_template(
        "data_browse.html",
        form_id=form_id,
        tabs=form_tabs(store),
        rows=rows,
        total=total,
        page=page,
        filters=filters,
        raw=raw,
        choices={name: filter_menu(name, values[name], forms, devices) for name in names},
        devices=devices,
        report=plan.report if plan is not None else None,
        columns=columns,
        cells=cells,
        codes=codes,
        formats=exports.FORMATS,
        repeats=form_repeats(forms, current_locale()),
    )


def answer_table(forms, rows: list[dict], plan, codes: bool) -> tuple[list[dict], list]:
    """The answers of a page of records: columns merged over the form's versions, in
    questionnaire order (a select_multiple once, not as its 0/1 columns), and each row's
    cells as labels in the page's language or as codes. Analysts see what the release
    gives them (None for a record left out of it), admins the records as stored."""
    locale = current_locale()
    release = plan.release() if plan is not None else None
    shown = [
        c for c in exports.export_columns(forms, None, release) if not c.meta and c.kind != "dummy"
    ]
    columns, questions = [], []
    for column in shown:
        question, form = exports.question_of(column, forms)
        label = form.text(question.get("label"), locale) if question is not None else ""
        columns.append({"name": column.name, "label": label or column.name})
        questions.append((question, form))
    cells: list[list[dict] | None] = []
    for row in rows:
        record = release.row(row) if release is not None else row
        if record is None:
            cells.append(None)
            continue
        values = exports.flatten(record, shown)
        cells.append(
            [
                _cell(values[c["name"]], question, form, codes, locale)
                for c, (question, form) in zip(columns, questions, strict=True)
            ]
        )
    return columns, cells


def _cell(value, question, form, codes: bool, locale: str) -> dict:
    """A table cell: what it reads, and the code behind it for the hover."""
    stored = labels.code(value)
    if codes or question is None:
        return {"text": stored, "code": stored}
    return {"text": labels.shown(form, question, value, locale), "code": stored}


def form_tabs(store) -> list[tuple[str, str]]:
    """Each form as (id, title in the page's language), for the tabs of the records pages."""
    locale, tabs = current_locale(), []
    for form_id in form_ids(store):
        try:
            tabs.append((form_id, labels.form_title(newest_form(form_id, store), locale)))
        except KeyError:  # a published definition the catalogue cannot read: its id
            tabs.append((form_id, form_id))
    return tabs


def device_labels(store) -> dict[str, str]:
    """Each device's label, by its id (admins see which laptop sent a record)."""
    return {
        row["id"]: row["label"] or row["id"][:8]
        for row in store.db.query("SELECT id, label FROM devices")
    }


def filter_menu(name: str, values: list, forms, devices: dict) -> list[tuple[str, str]]:
    """A filter's menu as (value, what it reads): areas by their choice labels, months and
    languages in words, devices by label, reviews as the page names them."""
    locale = current_locale()
    if name == "area":
        form = forms[-1] if forms else None
        question = form.questions.get("area") if form is not None else None
        return [
            (str(v), labels.shown(form, question, v, locale) if question is not None else str(v))
            for v in values
        ]
    readers = {
        "month": labels.when,
        "language": labels.language_name,
        "device": lambda v: devices.get(v, str(v)[:8]),
        "review": lambda v: review_label(v) if v in REVIEWS else str(v),
    }
    read = readers.get(name, str)
    return [(str(v), read(v)) for v in values]


RELEASED_FILTERS = ("version", "review")


def is_admin() -> bool:
    return bool(g.get("user")) and g.user.get("role") == "admin"


def browse_row(plan, row: dict) -> dict:
    """A browse row as an analyst sees it: the release's metadata, or withheld."""
    released = plan.release().row(row)
    if released is None:
        return dict(
            row, withheld=True, collected=None, received_at=None, locale=None, device_id=None
        )
    return dict(
        row,
        withheld=False,
        collected=released["collected"],
        received_at=released["received_at"],
        locale=released["locale"],
        device_id=None,
    )


# -- releases (sync_server.disclosure) ------------------------------------------------------

_PLANS: dict = {}  # (form, classes, k, l, data version) -> Plan; a few, newest last
PLAN_CACHE_SIZE = 16


def release_parameters() -> tuple[int, int]:
    return (
        current_app.config.get("RELEASE_K", disclosure.DEFAULT_K),
        current_app.config.get("RELEASE_L", disclosure.DEFAULT_L),
    )


def current_plan(form_id: str, classes, store=None, k: int | None = None, l: int | None = None):
    """The release plan of a form's records of `classes`, made once per data version."""
    store = store or get_store()
    if k is None or l is None:
        k, l = release_parameters()
    with store.snapshot():
        # The database too: two servers in one process (tests) can hold look-alike data.
        key = (store.path, form_id, tuple(classes), k, l, store.data_version(form_id, classes))
        plan = _PLANS.get(key)
        if plan is None:
            forms = form_history(form_id, store)
            plan = disclosure.make_plan(
                forms,
                lambda: store.iter_latest(form_id, classes=classes, by_uuid=True),
                k,
                l,
                form_id=form_id,
            )
            plan.report["data_version"] = key[-1]
            _PLANS[key] = plan
            while len(_PLANS) > PLAN_CACHE_SIZE:
                _PLANS.pop(next(iter(_PLANS)))
    return plan


def saved_release(plan, actor: str, fmt: str) -> int:
    """The id of the plan's report in the releases table, saved once per user and format."""
    if (actor, fmt) not in plan.saved:
        plan.saved[(actor, fmt)] = get_store().save_release(
            actor, plan.report["form_id"], fmt, plan.report
        )
    return plan.saved[(actor, fmt)]


def raw_reason(args) -> tuple[bool, str | None, str | None]:
    """Whether the raw records are asked for, the reason given, and what is wrong if any.

    Raw (anonymized but not released) records are for admins who say why; it is logged."""
    if args.get("release", "release") != "raw":
        return False, None, None
    reason = " ".join(args.get("reason", "").split())[:500]
    if not reason:
        return True, None, "reason_missing"
    return True, reason, None


@bp.route("/record/<record_uuid>")
@role_required("analyst")
def record(record_uuid: str):
    store = get_store()
    revisions = visible_revisions(record_uuid)
    latest = revisions[-1]
    form = known_form(store, latest["form_id"], latest["form_version"])
    current = latest["answers_current"] or latest["answers"]
    received, audit = latest["answers"], store.record_audit(record_uuid)
    protected = set() if is_admin() else protected_fields(form_history(latest["form_id"]))
    if not is_admin():
        # An analyst sees the record as the release gives it, and no value as received.
        released = released_record(latest)
        latest = dict(
            latest,
            collected=released["collected"],
            locale=released["locale"],
            received_at=released["received_at"],
            device_id=None,
            clock_flag=None,
        )
        current = received = released["answers"]
        audit = [
            entry
            for entry in audit
            if not entry["actor"].startswith("device:") and not _about(entry, protected)
        ]
    codes = request.args.get("codes") == "1"
    files = shown_attachments(store, latest, current)
    return render_template(
        "data_record.html",
        revisions=revisions,
        latest=latest,
        form=form,
        attachments=files,
        fields=correctable_fields(form, current, protected) if form else {},
        blocks=labels.answer_blocks(form, current, received, current_locale()),
        raw=is_admin(),
        audit=audit,
        reviews=REVIEWS,
        codes=codes,
        title=labels.form_title(form, current_locale()) if form else None,
        device=(device_labels(store).get(latest["device_id"]) if latest.get("device_id") else None),
    )


# -- attachments (sync_server.attachments) --------------------------------------------------


def record_answers_shown(record_uuid: str) -> tuple[dict, dict]:
    """(newest revision, its answers) as the record page shows them to the signed-in
    user: as stored (corrections applied) for an admin, as released for an analyst; 404
    for a record the user may not see or the release leaves out."""
    latest = visible_revisions(record_uuid)[-1]
    if is_admin():
        return latest, latest["answers_current"] or latest["answers"]
    return latest, released_record(latest)["answers"]


def records_shown(form_id: str):
    """(record, answers) of each newest revision of the form the user may see, as the
    record page shows them: released for an analyst (withheld records left out)."""
    store, classes = get_store(), access.visible_classes(g.user)
    if is_admin():
        for row in store.iter_latest(form_id, classes=classes):
            yield row, row["answers"]
        return
    release = current_plan(form_id, classes).release()
    for row in store.iter_latest(form_id, classes=classes, by_uuid=True):
        released = release.row(row)
        if released is not None:
            yield row, released["answers"]


def released_record(row: dict) -> dict:
    """One record as the current release gives it to the signed-in analyst; 404 when the
    release leaves it out (the same answer as for a record that does not exist)."""
    plan = current_plan(row["form_id"], access.visible_classes(g.user))
    stored = dict(row, answers=row["answers_current"] or row["answers"])
    released = plan.release().row(stored)
    if released is None:
        abort(404)
    return released


def protected_fields(forms) -> set[str]:
    """Questions only an admin may correct or see corrected: key and sensitive ones."""
    return {name for form in forms for name, q in form.questions.items() if q.get("disclosure")}


def _about(entry: dict, fields: set[str]) -> bool:
    """Whether an audit entry names the value of one of `fields` (a correction's)."""
    detail = entry.get("detail") or ""
    field = detail.split(":", 1)[0].split(".")[-1]
    return entry["action"] == "record_corrected" and field in fields


@bp.route("/record/<record_uuid>/review", methods=("POST",))
@role_required("analyst")
def review(record_uuid: str):
    decision = request.form.get("review")
    visible_revisions(record_uuid)
    if decision not in REVIEWS:
        abort(400)
    get_store().set_review(
        record_uuid, decision, request.form.get("note", "")[:500], g.user["name"]
    )
    flash(gettext("Review saved."))
    return redirect(url_for("data.record", record_uuid=record_uuid))


@bp.route("/record/<record_uuid>/correct", methods=("POST",))
@role_required("analyst")
def correct(record_uuid: str):
    """Correct one answer; the value is JSON so numbers, text and lists keep their type."""
    field = request.form.get("field", "")
    raw = request.form.get("value", "")
    try:
        value = json.loads(raw) if raw.strip() else None
    except ValueError:
        value = raw  # plain text without quotes
    store = get_store()
    revisions = visible_revisions(record_uuid)
    newest = str(revisions[-1]["revision"])
    if request.form.get("revision", newest) != newest:
        # A newer revision came in since the page was opened: its instances may have moved.
        flash(
            gettext(
                "This record received a new revision since you opened it: check the "
                "answers and correct again."
            )
        )
        return redirect(url_for("data.record", record_uuid=record_uuid))
    form = known_form(store, revisions[-1]["form_id"], revisions[-1]["form_version"])
    protected = set() if is_admin() else protected_fields(form_history(revisions[-1]["form_id"]))
    if not is_admin():
        released_record(revisions[-1])  # a record the release leaves out is not there
    if form is None or field not in correctable_fields(
        form, revisions[-1]["answers_current"] or revisions[-1]["answers"], protected
    ):
        flash(gettext("Choose a question of this form."))
        return redirect(url_for("data.record", record_uuid=record_uuid))
    try:
        store.correct(record_uuid, field, value, g.user["name"])
    except access.AccessClassChange:
        flash(
            gettext(
                "This correction would change who may see the record, so it was not "
                "saved. Only a new revision from the laptop can do that."
            )
        )
        return redirect(url_for("data.record", record_uuid=record_uuid))
    flash(gettext("Correction saved. The original answer is kept in the history."))
    return redirect(url_for("data.record", record_uuid=record_uuid))


def visible_revisions(record_uuid: str) -> list[dict]:
    """The record's revisions if the signed-in user may see it; otherwise 404, the same
    answer as for a record that does not exist (whether it exists is not said)."""
    revisions = get_store().record_revisions(record_uuid, classes=access.visible_classes(g.user))
    if not revisions:
        abort(404)
    return revisions


def correctable_fields(form, answers: dict, protected=frozenset()) -> dict[str, str]:
    """What a user may correct, by field (`age`, or `members.2.age` in the second
    instance of a repeat), with how the form names it: every answer but identifying ones
    and the `protected` ones (key and sensitive questions are for admins only)."""

    def allowed(question):
        return (
            question.holds_value
            and not question.get("identifying")
            and question.name not in protected
        )

    locale = current_locale()
    fields = {
        name: form.text(q.get("label"), locale) or name
        for name, q in form.top_questions.items()
        if allowed(q)
    }
    for repeat, questions in form.repeats.items():
        instances = answers.get(repeat)
        heading = form.text(form.section(repeat)["label"], locale)
        for position in range(1, len(instances) + 1 if isinstance(instances, list) else 1):
            instance = gettext("%(label)s (%(num)s)", label=heading, num=position)
            fields.update(
                (
                    f"{repeat}.{position}.{q.name}",
                    f"{instance} · {form.text(q.get('label'), locale) or q.name}",
                )
                for q in questions
                if allowed(q)
            )
    return fields


@bp.route("/<form_id>/export.<fmt>")
@role_required("analyst")
def export(form_id: str, fmt: str):
    """A form's records; `?repeat=members` gives that repeat's table, a row per instance.

    Only the records the user may see (sync_server.access), released through the
    disclosure check (sync_server.disclosure); an admin may take the records as stored
    with `?release=raw&reason=...` (logged). CSV cells that a spreadsheet would run as a
    formula are neutralized; `?raw=1` keeps them as stored (logged). Parquet without
    `?repeat=` is a ZIP of the records' file and one per repeat."""
    if fmt not in exports.FORMATS:
        abort(404)
    lang, repeat, forms = export_request(form_id)
    wants_raw, reason, problem = raw_reason(request.args)
    if wants_raw and not is_admin():
        abort(403)
    if problem:
        return Response(
            gettext("Say why you need the records without the disclosure check: add a reason."),
            400,
            mimetype="text/plain",
        )
    raw = request.args.get("raw") == "1"
    store, classes = get_store(), access.visible_classes(g.user)
    # A file on disk, not memory: a million rows stream through it. An anonymous one (no
    # name on POSIX, deleted on close on Windows): a download cut short, or a server
    # stopped mid-way, leaves no copy of the records behind in the temporary folder.
    out = tempfile.TemporaryFile(prefix="export-", suffix=f".{fmt}")
    plan = None
    try:
        with store.snapshot():
            try:  # the survey design's columns
                design = export_design(store.db, form_id)
            except DesignError:  # weights that cannot be calibrated: the dashboard says why
                design = None
            if wants_raw:
                exports.export(
                    store.iter_latest(form_id, classes=classes),
                    forms,
                    fmt,
                    out,
                    lang=lang,
                    repeat=repeat,
                    raw=raw,
                    design=design,
                )
            else:
                plan = current_plan(form_id, classes)
                # No design columns in a checked release: a cluster or stratum number
                # would name the village the check generalized (sync_server.designs).
                exports.export(
                    store.iter_latest(form_id, classes=classes, by_uuid=True),
                    forms,
                    fmt,
                    out,
                    lang=lang,
                    repeat=repeat,
                    raw=raw,
                    release=plan.release(),
                )
        size = out.seek(0, os.SEEK_END)
        out.seek(0)
        name, kind = download_name(form_id, fmt, repeat)
        response = send_file(out, mimetype=MIME[kind], as_attachment=True, download_name=name)
        response.content_length = size
    except BaseException:
        out.close()
        raise
    detail = f"{form_id} {fmt}" if repeat is None else f"{form_id} {fmt} repeat {repeat}"
    detail += " raw" if raw else ""
    if plan is not None:
        release_id = store.save_release(
            g.user["name"], form_id, detail.split(" ", 1)[1], plan.report
        )
        response.headers["X-Disclosure-Report"] = str(release_id)
    else:
        detail += f" records as stored, reason: {reason}"
    store.log(g.user["name"], "export", detail, account=user_account(g.user["id"]))
    # Not the reason: it is typed by a person and may name one.
    logs.event(
        "export", form=form_id, format=fmt, repeat=repeat, bytes=size, checked=plan is not None
    )
    return response


def export_request(form_id: str) -> tuple[str, str | None, list]:
    """An export's language (`?lang=`, else the page's), repeat (`?repeat=`) and the form's
    versions; 404 for a form or a repeat that does not exist."""
    if form_id not in form_ids():
        abort(404)
    repeat = request.args.get("repeat") or None
    forms = form_history(form_id)
    if repeat is not None and not any(repeat in form.repeats for form in forms):
        abort(404)
    return request.args.get("lang", current_locale()), repeat, forms


@bp.route("/<form_id>/codebook.csv")
@role_required("analyst")
def codebook(form_id: str):
    """What each column of the form's export holds: its label and type, and the label of
    each code, in the page's language (or `?lang=`); `?repeat=` for a repeat's table. The
    columns are those of the checked release, or with `?release=raw` (admins) of the
    records as stored, survey design included."""
    lang, repeat, forms = export_request(form_id)
    raw = request.args.get("release") == "raw"
    if raw and not is_admin():
        abort(403)
    store = get_store()
    if raw:
        try:
            design = export_design(store.db, form_id)
        except DesignError:
            design = None
        columns = exports.export_columns(forms, repeat, design=design)
    else:
        plan = current_plan(form_id, access.visible_classes(g.user))
        columns = exports.export_columns(forms, repeat, release=plan.release())
    name = form_id if repeat is None else f"{form_id}-{repeat}"
    return Response(
        exports.codebook(columns, forms, lang),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}-codebook.csv"'},
    )


def download_name(form_id: str, fmt: str, repeat: str | None) -> tuple[str, str]:
    """The file name of an export and its kind (MIME key): a whole form's Parquet export
    is a ZIP of one Parquet file per table (sync_server.parquet)."""
    if fmt == "parquet" and repeat is None:
        return f"{form_id}-parquet.zip", "zip"
    name = form_id if repeat is None else f"{form_id}-{repeat}"
    return f"{name}.{fmt}", fmt


@bp.route("/<form_id>/release")
@role_required("analyst")
def release_report(form_id: str):
    """The disclosure report of the form's current release, as JSON (the page shows it)."""
    if form_id not in form_ids():
        abort(404)
    plan = current_plan(form_id, access.visible_classes(g.user))
    return Response(json.dumps(plan.report, ensure_ascii=False), mimetype="application/json")


def record_page_api(
    form_id: str,
    since: str | None,
    after: str | None,
    limit: int,
    repeat: str | None = None,
    *,
    classes: tuple[str, ...],
    plan=None,
) -> dict:
    """A page of records for scripts: the export's columns, a cursor for the next page.
    With `repeat`, the instances of that repeat in the page's records, as its export's rows
    (`limit` and the cursor still count records). Only records of the access `classes`.

    With a release `plan`, the records are released and come in uuid order (which says
    nothing about when they arrived); the cursor is the last uuid read."""
    forms = form_history(form_id)
    columns = exports.columns_for(forms, repeat)
    store = get_store()
    if plan is None:
        rows = store.records_after(form_id, since, after, limit + 1, classes=classes)
    else:
        rows = store.records_by_uuid(form_id, after, limit + 1, classes=classes)
    more = len(rows) > limit
    rows = rows[:limit]
    if plan is None:
        cursor = f"{rows[-1]['received_at']}|{rows[-1]['uuid']}" if rows and more else None
    else:
        cursor = rows[-1]["uuid"] if rows and more else None
        release = plan.release()
        columns = release.columns(columns)
        rows = list(release.rows(rows))
    items = rows if repeat is None else list(exports.instances(rows, repeat))
    records = [exports.flatten(r, columns) for r in items]
    if repeat is None:  # each record's files, by question (sync_server.attachments)
        for record, row in zip(records, items, strict=True):
            urls = file_urls(form_id, row)
            if urls:
                record["_files"] = urls
    page = {"form_id": form_id, "records": records, "next": cursor, "count": len(rows)}
    return page if repeat is None else {**page, "repeat": repeat}


api_bp = Blueprint("data_api", __name__, url_prefix="/api/v1/data")


@api_bp.route("/<form_id>")
def records_api(form_id: str):
    """JSON for R and pandas: a personal API token (sync_server.api_tokens), `since` and a
    cursor."""
    user, refusal = _api_reader(form_id)
    if refusal is not None:
        return refusal
    limit = request.args.get("limit", 1000, type=int)
    if not 1 <= limit <= 10_000:
        return _api_error(400, "invalid_limit", "limit must be from 1 to 10000.")
    repeat = request.args.get("repeat") or None
    if repeat is not None and not any(repeat in form.repeats for form in form_history(form_id)):
        return _api_error(404, "unknown_repeat", f"The form {form_id} has no repeat {repeat}.")
    classes = access.visible_classes(user)
    wants_raw, reason, problem = raw_reason(request.args)
    if wants_raw:
        if user["role"] != "admin":
            return _api_error(
                403, "forbidden", "Only admins can read records without the disclosure check."
            )
        if problem:
            return _api_error(
                400,
                "reason_missing",
                "Say why you need the records without the "
                "disclosure check: add reason=... to the request.",
            )
        get_store().log(
            user["name"],
            "export",
            f"{form_id} api records as stored, reason: {reason}",
            account=user_account(user["id"]),
        )
        return record_page_api(
            form_id,
            request.args.get("since"),
            request.args.get("after"),
            limit,
            repeat,
            classes=classes,
        )
    if request.args.get("since"):
        return _api_error(
            400,
            "since_in_release",
            "since is for records as stored (admins, "
            "release=raw): a release covers the whole form; compare its "
            "release id to know when it changed.",
        )
    plan = current_plan(form_id, classes)
    page = record_page_api(
        form_id, None, request.args.get("after"), limit, repeat, classes=classes, plan=plan
    )
    page["release"] = saved_release(plan, user["name"], "api")
    return page


@api_bp.route("/<form_id>/release")
def release_api(form_id: str):
    """The disclosure report of the form's current release for the token's user."""
    user, refusal = _api_reader(form_id)
    if refusal is not None:
        return refusal
    plan = current_plan(form_id, access.visible_classes(user))
    return {"release": saved_release(plan, user["name"], "api"), "report": plan.report}


def _api_reader(form_id: str):
    """The token's user if they may read this form's records, else (None, the refusal)."""
    from .api_tokens import request_user
    from .auth import RANK

    user, refusal = request_user(get_store().db)
    if refusal is not None:
        return None, refusal
    assert user is not None  # request_user gives a user or a refusal
    if RANK[user["role"]] < RANK["analyst"]:
        return None, _api_error(403, "forbidden", "Only analysts and admins can read records.")
    if form_id not in form_ids():
        return None, _api_error(404, "unknown_form", f"No form {form_id}.")
    return user, None


def _api_error(status: int, code: str, message: str, headers=None):
    response = Response(
        json.dumps({"error": {"code": code, "message": message}}),
        status,
        mimetype="application/json",
        headers=headers,
    )
    return response
