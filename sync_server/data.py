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

from . import access, data_table, disclosure, exports, labels, logs
from .attachments import file_urls, shown_attachments
from .auth import role_required
from .designs import DesignError, export_design
from .ingest import known_form
from .store import get_store

bp = Blueprint("data", __name__, url_prefix="/data")
REVIEWS = ("new", "approved", "flagged")
MIME = {
    "csv": "text/csv",  # send_file adds "; charset=utf-8" to text types
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
    # Which versions records came with is a scan of every record: kept while the
    # table's token (Store.table_token) stays the same.
    versions = remember(
        (store.path, form_id, store.table_token(form_id), "versions"),
        lambda: store.form_versions(form_id),
    )
    forms = [known_form(store, form_id, v) for v in versions]
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


def repeat_tree(forms, locale: str) -> list[tuple[str, str, int]]:
    """Each repeat of a form as (name, label, depth): those not inside another in the
    order of form_repeats, each followed by the repeats inside it (depth 1, then 2)."""
    found = form_repeats(forms, locale)
    outer = {name: exports.repeat_lineage(forms, name)[-2:-1] for name, _ in found}
    tree: list[tuple[str, str, int]] = []

    def add(parent: tuple, depth: int) -> None:
        for name, label in found:
            if outer[name] == parent:
                tree.append((name, label, depth))
                add((name,), depth + 1)

    add((), 0)
    return tree


def instance_keys(row: dict, lineage) -> dict:
    """A repeat table row's place (`path`, its positions as 2.1: the outer instance, then
    its own) and its `key` and `parent_key` as the repeat's export writes them."""
    key = str(row["uuid"])
    for name, position in zip(lineage, row["positions"], strict=True):
        key += f"/{name}[{position}]"
    return {
        "path": ".".join(map(str, row["positions"])),
        "key": key,
        "parent_key": key.rsplit("/", 1)[0],
    }


@bp.route("")
@role_required("analyst")
def index():
    return redirect(url_for("data.browse", form_id=form_ids()[0]))


@bp.route("/<form_id>")
@role_required("analyst")
def browse(form_id: str):
    """The data table of a form: a row per record, the answers as columns, sorted and
    filtered on the server (sync_server.data_table), paged; everything in the URL."""
    if form_id not in form_ids():
        abort(404)
    page = page_number()
    raw = is_admin()
    # Filters on key variables would count small groups: analysts filter by what is no key.
    names = get_store().BROWSE_FILTERS if raw else RELEASED_FILTERS
    filters = {k: request.args.get(k, "") for k in names}
    classes = access.visible_classes(g.user)
    store = get_store()
    forms = form_history(form_id)
    codes = request.args.get("codes") == "1"
    with store.snapshot():  # the plan, what it leaves out and the page: the same records
        plan = None if raw else current_plan(form_id, classes)
        filters = as_released(plan, filters)
        shown, columns = table_setup(forms, plan)
        query = data_table.parse(request.args, columns)
        withheld = release_gaps(plan, form_id, classes)[0] if plan and query.active else ()
        known = table_key(store, form_id, classes, plan)
        count_key = known + ("total", _frozen(filters), _frozen(query.params(False)))
        rows, total = store.table_page(
            form_id,
            released_filters(plan, filters),
            query,
            page,
            PER_PAGE,
            classes=classes,
            released=not raw,
            withheld=withheld,
            total=_TABLE_CACHE.get(count_key),
        )
        remember(count_key, total)
        preparing = store.keys_pending(form_id, query)  # a notice: pages slower meanwhile
        values = remember(
            known + ("menus", names),
            lambda: store.table_menus(form_id, names, classes=classes),
        )
    cells = answer_cells(shown, columns, forms, rows, plan, codes)
    if plan is not None:
        rows = [browse_row(plan, row) for row in rows]
    devices = device_labels(store) if raw else {}
    return render_template(
        "data_browse.html",
        form_id=form_id,
        tabs=form_tabs(store),
        rows=rows,
        total=total,
        page=page,
        per_page=PER_PAGE,
        filters=filters,
        raw=raw,
        choices={
            name: version_menu(plan)
            if plan is not None and name == "version"
            else filter_menu(name, values[name], forms, devices)
            for name in names
        },
        devices=devices,
        report=plan.report if plan is not None else None,
        columns=columns,
        cells=cells,
        codes=codes,
        query=query,
        preparing=preparing,
        view=view_params(filters, query, codes),
        formats=exports.FORMATS,
        repeats=repeat_tree(forms, current_locale()),
        **export_links(forms, filters, query),
    ), (400 if query.errors else 200)


MAX_PAGE = 10**9  # a billion pages of records
PER_PAGE = 50
# Counts and filter menus of the data table, kept while the data do not change: counting
# a million records is most of a page's time. Keyed by the database, form, access classes,
# the table's token (Store.table_token) and, for analysts, the release's data version.
_TABLE_CACHE: dict = {}
TABLE_CACHE_SIZE = 256


def table_key(store, form_id: str, classes, plan) -> tuple:
    version = plan.report.get("data_version") if plan is not None else None
    return (store.path, form_id, tuple(classes), store.table_token(form_id), version)


def remember(key: tuple, value):
    """Keep `value` (or what calling it makes, when it is not kept yet) under `key`."""
    if callable(value):
        if key in _TABLE_CACHE:
            return _TABLE_CACHE[key]
        value = value()
    _TABLE_CACHE[key] = value
    while len(_TABLE_CACHE) > TABLE_CACHE_SIZE:
        _TABLE_CACHE.pop(next(iter(_TABLE_CACHE)))
    return value


def _frozen(params: dict) -> tuple:
    return tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in params.items()))


def view_params(filters: dict, query, codes: bool) -> dict:
    """The URL parameters of the view on the page (metadata filters, answers, codes)."""
    out = {k: v for k, v in filters.items() if v}
    out.update(query.params())
    if codes:
        out["codes"] = "1"
    return out


def export_links(forms, filters: dict, query, repeat: str | None = None) -> dict:
    """What the page's download links carry: the view's filters the checked release can
    apply (`export_view`), and whether any had to stay out (`export_dropped`: an admin's
    filter on the device, say, or on a key question; see `export_filters`)."""
    closed = released_closed(forms, repeat)
    view = {k: v for k, v in filters.items() if v and k in RELEASED_FILTERS}
    kept = [f for f in query.filters if f.source not in closed]
    for item in kept:
        view.update(item.params())
    dropped = len(kept) < len(query.filters) or any(
        v for k, v in filters.items() if k not in RELEASED_FILTERS
    )
    return {"export_view": view, "export_dropped": dropped}


def table_setup(forms, plan, repeat: str | None = None):
    """(the export columns a table shows, their data_table columns): merged over the
    form's versions in questionnaire order, a select_multiple once. For an analyst (a
    release `plan`), the columns the release does not give as recorded are not sortable."""
    release = plan.release() if plan is not None else None
    shown = [
        c
        for c in exports.export_columns(forms, repeat, release)
        if not c.meta and c.kind != "dummy"
    ]
    closed = released_closed(forms, repeat) if plan is not None else frozenset()
    return shown, data_table.table_columns(shown, forms, current_locale(), closed)


def released_closed(forms, repeat: str | None = None) -> frozenset:
    """Columns whose released value may differ from the stored one: key variables
    (generalized, suppressed), the disability flag, sensitive questions (emptied for
    l-diversity), a repeat's count; in a repeat's table, its questions the release empties.
    Known from the form alone (sync_server.disclosure.variables), before any plan."""
    keys, sensitive, withheld = disclosure.variables(forms)
    # A question asked only as a key or sensitive answer is given is emptied with it
    # (disclosure.relevance_followers): filtering on its stored value would tell it.
    followers = [
        (name, lineage)
        for found in disclosure.relevance_followers(forms, [*keys, *sensitive]).values()
        for name, lineage in found
    ]
    if repeat is not None:
        inside = {name for name, lineage in followers if lineage and lineage[-1] == repeat}
        return frozenset(withheld.get(repeat, set()) | inside)
    names = {disclosure.DISABILITY, *disclosure.metadata_hidden(forms)}  # deviceid, username
    for variable in [*keys, *sensitive]:
        names.add(variable.name)
        names.update(variable.sources)
    names.update(name for name, lineage in followers if not lineage)
    return frozenset(names)


def answer_cells(shown, columns, forms, rows: list[dict], plan, codes: bool) -> list:
    """Each row's cells as labels in the page's language or as codes. Analysts see what
    the release gives them (None for a record left out of it), admins the records as
    stored. Rows of a repeat's table (with an `index`) are instances, released as their
    record's repeat is (the questions the release empties left out)."""
    locale = current_locale()
    release = plan.release() if plan is not None else None
    questions = [exports.question_of(column, forms) for column in shown]
    cells: list[list[dict] | None] = []
    for row in rows:
        if release is None:
            record = row
        elif "index" in row:
            record = row  # its record is released: repeat_view leaves out the others
        else:
            record = release.row(row)
        if record is None:
            cells.append(None)
            continue
        values = exports.flatten(record, shown)
        cells.append(
            [
                _cell(values[c.name], question, form, codes, locale)
                for c, (question, form) in zip(columns, questions, strict=True)
            ]
        )
    return cells


def withheld_repeat(plan, lineage: tuple[str, ...]) -> bool:
    """Whether the release gives no rows of the repeat at the end of `lineage`: it, or a
    repeat it is in, has its count set by a sensitive answer (FormDefinition
    .withheld_counts), left out of the instances of the repeat it is in."""
    left_out = {name for names in plan.withheld.values() for name in names}
    top = {v.name for v in plan.keys if v.kind == "count" and v.hierarchy.name == "withheld"}
    return bool(set(lineage) & (left_out | top))


@bp.route("/<form_id>/repeat/<repeat>")
@role_required("analyst")
def repeat_view(form_id: str, repeat: str):
    """A repeat's table: a row per instance with its record's id, sorted and filtered as
    the records' table is. Analysts see the instances of the records the release gives,
    without the questions it empties. A repeat inside another has its rows at every
    depth, each with its place and its keys (those of its export)."""
    if form_id not in form_ids():
        abort(404)
    forms = form_history(form_id)
    labels_by_name = dict(form_repeats(forms, current_locale()))
    if repeat not in labels_by_name:
        abort(404)
    lineage = exports.repeat_lineage(forms, repeat)
    page = page_number()
    raw = is_admin()
    names = get_store().BROWSE_FILTERS if raw else RELEASED_FILTERS
    filters = {k: request.args.get(k, "") for k in names}
    classes, store = access.visible_classes(g.user), get_store()
    codes = request.args.get("codes") == "1"
    with store.snapshot():
        plan = None if raw else current_plan(form_id, classes)
        filters = as_released(plan, filters)
        shown, columns = table_setup(forms, plan, repeat)
        query = data_table.parse(request.args, columns)
        hidden: set = set()
        if plan is not None:
            # A record whose outermost repeat's count is suppressed has none of its rows.
            withheld, dropped = release_gaps(plan, form_id, classes)
            hidden = withheld | dropped.get(lineage[0], set())
        count_key = table_key(store, form_id, classes, plan) + (
            "repeat",
            repeat,
            _frozen(filters),
            _frozen(query.params(False)),
        )
        if plan is not None and withheld_repeat(plan, lineage):
            rows: list[dict] = []  # its rows, or those of a repeat it is in, tell a count
            total = 0
        else:
            rows, total = store.repeat_page(
                form_id,
                repeat,
                released_filters(plan, filters),
                query,
                page,
                PER_PAGE,
                classes=classes,
                released=not raw,
                hidden=hidden,
                total=_TABLE_CACHE.get(count_key),
                within=lineage[:-1],
            )
            remember(count_key, total)
        # A notice, as the records'.
        preparing = store.keys_pending(form_id, query, repeat, lineage[:-1])
    gone = plan.withheld.get(repeat, set()) if plan is not None else set()
    for row in rows:
        row["answers"] = {k: v for k, v in row["answers"].items() if k not in gone}
        row.update(instance_keys(row, lineage))
        if plan is not None:
            row["form_version"] = plan.versions.get(row["form_version"])
    return render_template(
        "data_repeat.html",
        form_id=form_id,
        repeat=repeat,
        preparing=preparing,
        repeat_label=labels_by_name[repeat],
        outer=[(name, labels_by_name.get(name, name)) for name in lineage[:-1]],
        keyed=exports.keyed(forms, repeat),
        rows=rows,
        total=total,
        page=page,
        per_page=PER_PAGE,
        filters=filters,
        raw=raw,
        columns=columns,
        cells=answer_cells(shown, columns, forms, rows, plan, codes),
        codes=codes,
        query=query,
        view=view_params(filters, query, codes),
        formats=exports.FORMATS,
        **export_links(forms, filters, query, repeat),
    ), (400 if query.errors else 200)


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
            row,
            withheld=True,
            collected=None,
            received_at=None,
            locale=None,
            form_version=None,
            device_id=None,
        )
    return dict(
        row,
        withheld=False,
        collected=released["collected"],
        received_at=released["received_at"],
        locale=released["locale"],
        form_version=released["form_version"],
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
                version_order=publish_order(store, form_id, forms),
            )
            # The records, and how their versions are released (ranges move as devices
            # send a version): a page's counts and menus are kept by it.
            plan.report["data_version"] = f"{key[-1]}|{disclosure.version_token(plan.versions)}"
            _PLANS[key] = plan
            while len(_PLANS) > PLAN_CACHE_SIZE:
                _PLANS.pop(next(iter(_PLANS)))
    return plan


def publish_order(store, form_id: str, forms) -> list[str]:
    """The versions of `forms` in the order they were published; one never published (a
    built-in form's) first, as laptops have it before any is; ties as `forms` has them."""
    published = {
        f["version"]: f["published_at"] for f in store.published_forms() if f["form_id"] == form_id
    }
    versions = [form.version for form in forms]
    return sorted(versions, key=lambda v: (published.get(v) or "", versions.index(v)))


def as_released(plan, filters: dict) -> dict:
    """An analyst's filters with the form version as released: a version in a range by
    its range, so that the menu shows it chosen and the download links carry it."""
    value = filters.get("version")
    if plan is None or not value:
        return filters
    return dict(filters, version=plan.released_version(value) or value)


def released_filters(plan, filters: dict) -> dict:
    """The metadata filters as the store applies them to a release: a form version (a
    released range, or a version, which stands for its range) as the stored versions it
    selects; none when the version is not released."""
    value = filters.get("version")
    if plan is None or not value:
        return filters
    return dict(filters, version=plan.stored_versions(value))


def version_menu(plan) -> list[tuple[str, str]]:
    """The version filter's menu for a release: each released value, a range with the
    versions it stands for."""
    return [
        (
            value,
            value
            if len(versions) == 1
            else gettext(
                "%(range)s (versions %(versions)s)", range=value, versions=", ".join(versions)
            ),
        )
        for value, versions in plan.released_versions().items()
    ]


_GAPS: dict = {}  # id(plan) -> (plan, uuids left out, {repeat: uuids whose count is not})


def release_gaps(plan, form_id: str, classes, store=None) -> tuple[set, dict]:
    """What a release does not give, by record: the uuids of records it leaves out, and
    per repeat those whose number of instances it suppresses (their rows of the repeat's
    table are not released). Found once per plan, with one pass over the records when the
    plan's targets say there is any (most plans: none)."""
    cached = _GAPS.get(id(plan))
    if cached is not None and cached[0] is plan:
        return cached[1], cached[2]
    counts = [i for i, variable in enumerate(plan.keys) if variable.kind == "count"]
    withheld: set = set()
    dropped: dict[str, set] = {}
    if any(
        target is disclosure.LEFT_OUT or any(target[0][i] is None for i in counts)
        for target in plan.targets.values()
    ):
        store = store or get_store()
        release = plan.release()
        repeats = {plan.keys[i].name for i in counts}
        for row in store.iter_latest(form_id, classes=classes, by_uuid=True):
            out = release.row(row)
            if out is None:
                withheld.add(row["uuid"])
                continue
            for name in repeats:
                if isinstance(row["answers"].get(name), list) and name not in out["answers"]:
                    dropped.setdefault(name, set()).add(row["uuid"])
    _GAPS[id(plan)] = (plan, withheld, dropped)
    while len(_GAPS) > PLAN_CACHE_SIZE:
        _GAPS.pop(next(iter(_GAPS)))
    return withheld, dropped


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
            form_version=released["form_version"],
            device_id=None,
            clock_flag=None,
        )
        form = released_form(store, latest["form_id"], released["form_version"]) or form
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
        # start, deviceid... as received; an audit's seconds in all and per section
        metadata=exports.metadata_rows(form, current, current_locale()),
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


def released_form(store, form_id: str, version: str | None):
    """The definition an analyst's record page reads a record by: the newest version its
    released form version stands for (of the form's versions, when none is released), so
    that a label one version changed does not tell which version the record has."""
    plan = current_plan(form_id, access.visible_classes(g.user))
    versions = plan.released_versions().get(version) if version else list(plan.versions)
    return known_form(store, form_id, versions[-1]) if versions else None


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
    """Questions only an admin may correct or see corrected: key and sensitive ones, and
    those that take such a role from what they are computed from (a 'specify other' text,
    a calculation on the age)."""
    return {name for form in forms for name in form.disclosure_roles}


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
        store.correct(record_uuid, field, value, g.user["name"], published=is_admin())
    except access.PublishedAnswerChange:
        flash(
            gettext(
                "This answer counts in the published indicators, so only an admin may "
                "correct it: comparing the dashboard before and after a correction would "
                "show the groups the record is in, which the release hides."
            )
        )
        return redirect(url_for("data.record", record_uuid=record_uuid))
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


def page_number() -> int:
    """The page asked for, from 1 to a last page no table reaches: an offset past SQLite's
    and PostgreSQL's 64-bit integers would fail the query instead of giving an empty page."""
    return min(max(request.args.get("page", 1, type=int), 1), MAX_PAGE)


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
    meta, keep, refusal = export_filters(forms, repeat, wants_raw)
    if refusal is not None:
        return Response(refusal, 400, mimetype="text/plain")
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
                    store.iter_table(form_id, meta, classes=classes),
                    forms,
                    fmt,
                    out,
                    lang=lang,
                    repeat=repeat,
                    raw=raw,
                    design=design,
                    keep=keep,
                )
            else:
                plan = current_plan(form_id, classes)
                # No design columns in a checked release: a cluster or stratum number
                # would name the village the check generalized (sync_server.designs).
                exports.export(
                    store.iter_table(
                        form_id, released_filters(plan, meta), classes=classes, by_uuid=True
                    ),
                    forms,
                    fmt,
                    out,
                    lang=lang,
                    repeat=repeat,
                    raw=raw,
                    release=plan.release(),
                    keep=keep,
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
    detail += " filtered" if keep is not None or any(meta.values()) else ""
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


def export_filters(forms, repeat: str | None, wants_raw: bool):
    """The data table's view an export link carries: (metadata filters, a predicate on the
    table's rows or None, a refusal). A checked release is filtered by what it releases:
    the version and review, and answers it gives as recorded, applied to the released
    rows; records as stored (admins, with a reason) by everything the page filters by."""
    names = get_store().BROWSE_FILTERS if wants_raw else RELEASED_FILTERS
    unknown = [
        name for name in get_store().BROWSE_FILTERS if name not in names and request.args.get(name)
    ]
    if unknown:
        return (
            {},
            None,
            gettext(
                "A checked release cannot be filtered by %(name)s: export the records as "
                "stored, with a reason, or remove that filter.",
                name=unknown[0],
            ),
        )
    meta = {name: request.args.get(name, "") for name in names}
    closed = frozenset() if wants_raw else released_closed(forms, repeat)
    columns = data_table.table_columns(
        [c for c in exports.columns_for(forms, repeat) if not c.meta and c.kind != "dummy"],
        forms,
        current_locale(),
        closed,
    )
    args = request.args.copy()
    args.pop("sort", None)  # an export keeps the records' own order
    query = data_table.parse(args, columns)
    if query.errors:
        return meta, None, " ".join(query.errors)
    if not query.filters:
        return meta, None, None
    return meta, (lambda row: query.matches(row.get("answers"))), None


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
    items = rows if repeat is None else list(exports.instances(rows, repeat, forms))
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
