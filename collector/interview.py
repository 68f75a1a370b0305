"""Enumerators fill forms section by section, review, finalize, and edit until synced."""

from __future__ import annotations

import io
import math
from datetime import date, datetime, time

from babel.dates import format_skeleton
from babel.lists import format_list
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    session,
    url_for,
)
from flask_babel import format_date, format_datetime, format_decimal, format_time, gettext

from . import expressions, help_contacts, paradata, repeats, validation
from .attachments import (
    MEDIA_TYPES as ACCEPTED_TYPES,
    NAME,
    AttachmentError,
    attachments_of,
    media_kind,
    read_attachment,
    store_attachment,
)
from .auth import login_required
from .db import get_db
from .errors import from_outbox
from .form_library import available_forms, form_version, get_form
from .forms import FEEDBACK_FORM, MAX_INSTANCES, MEDIA_TYPES, NESTED_KEY
from .i18n import current_locale, posted_locale
from .record_names import record_name
from .records import (
    EDITABLE,
    RecordError,
    finalize,
    finalize_whole,
    get_record,
    is_uuid,
    last_saved,
    list_records,
    new_uuid,
    record_answers,
    save_answers,
)

bp = Blueprint("interview", __name__)
STATUSES = ("draft", "finalized", "synced", "rejected")
# The pages that take photos and files (a form with a media question posts multipart).
UPLOAD_ENDPOINTS = ("interview.page", "interview.submit_whole")
# What a media question's "remove" box posts under the question's own name.
REMOVE = "_remove"
# A file input's `accept`, by kind of question: the media types the hub stores.
MEDIA_ACCEPT = {kind: ",".join(types) for kind, types in ACCEPTED_TYPES.items()}
MB = 1024 * 1024


def _allow_uploads():
    """A page with photos may post up to a record's worth of files, from a signed-in
    session; every other request keeps the hub's small limit. Runs before the CSRF check
    reads the posted form."""
    if (
        request.method == "POST"
        and request.endpoint in UPLOAD_ENDPOINTS
        and request.mimetype == "multipart/form-data"
        and session.get("sid") is not None
    ):
        limit = int(current_app.config["HUB"]["attachment_max_record_mb"])
        request.max_content_length = (limit + 1) * MB


bp.record_once(
    lambda state: state.app.before_request_funcs.setdefault(None, []).insert(0, _allow_uploads)
)


@bp.route("/forms/<form_id>")
@login_required
def start(form_id: str):
    """A new record: its UUID is made here, stored with the first page posted."""
    form = get_form(form_id)
    if form_id == FEEDBACK_FORM:
        return redirect(url_for("feedback.kiosk"))
    return render_page(form, new_uuid(), 0, answers=validation.defaults(form))


@bp.route("/forms/<form_id>/phone")
@login_required
def phone(form_id: str):
    """The whole form in one page, stepped through by script: it keeps working on the phone
    when the hub is out of reach (drafts and an outbox on the phone). Pages open from the
    home page with JavaScript; without it, the section-by-section pages are used."""
    form = get_form(form_id)
    if form_id == FEEDBACK_FORM:
        return redirect(url_for("feedback.kiosk"))
    return render_whole(form, new_uuid(), validation.defaults(form))


@bp.route("/forms/<form_id>/submit", methods=("POST",))
@login_required
def submit_whole(form_id: str):
    """A whole record at once, from the phone page or its outbox; idempotent by UUID."""
    record_uuid = request.form.get("_uuid", "")
    if not is_uuid(record_uuid) or form_id == FEEDBACK_FORM:
        abort(400)
    if request.form.get("_enumerator", str(g.user["id"])) != str(g.user["id"]):
        return _someone_elses()
    record = get_record(get_db(), record_uuid)
    if record is not None and (
        record["enumerator_id"] != g.user["id"] or record["form_id"] != form_id
    ):
        abort(409)
    if record is not None and record["status"] in ("finalized", "synced") and from_outbox():
        # Delivered before (the answer was lost on the way back): nothing to do, whatever a
        # now() in a calculation would compute today.
        return _delivered(
            get_form(form_id), record_uuid, record["revision"], synced=record["status"] == "synced"
        )
    form = get_form(form_id, record["form_version"] if record else request.form.get("form_version"))
    stored = record["answers"] if record else _kept_once(form, validation.defaults(form))
    action = request.form.get("_action", "")
    if action == "draft":
        return _keep_whole_draft(form, record_uuid, stored)
    if _changes_instances(action):
        result = _read_all(form, record_uuid, stored, strict=False)
        return render_whole(
            form,
            record_uuid,
            _change_instances(form, result.answers, action),
            _kept_raw(result, action),
        )
    result = _read_all(form, record_uuid, stored, strict=True)
    if result.errors or result.unseen:
        return _whole_needs_attention(form, record_uuid, result, stored)
    try:
        revision = finalize_whole(
            get_db(),
            record_uuid,
            form,
            posted_locale(),
            g.user["id"],
            result.answers,
            _whole_time(form),
        )
    except RecordError as error:
        abort(409 if error.code != "locked" else 403)
    if from_outbox():
        return _delivered(form, record_uuid, revision)
    flash(_finalized_message(revision))
    return redirect(_after_finalize(form, record_uuid))


def _whole_time(form):
    """The seconds from the phone page served to this record's delivery, when it is sent
    from the page straight away (a record from the phone's outbox waited: no time)."""
    if not paradata.recorded(form) or request.form.get("_now") != "1":
        return None
    seconds = paradata.seconds_since(request.form.get("_served"), form.form_id)
    return None if seconds is None else (None, seconds)


def _page_time(form, record_uuid: str, index: int):
    """The seconds this section page was open, from when it was first shown."""
    if not paradata.recorded(form):
        return None
    seconds = paradata.seconds_since(request.form.get("_opened"), record_uuid, index)
    return None if seconds is None else (form.sections[index]["name"], seconds)


def _kept_once(form, answers: dict) -> dict:
    """A new record's answers with each once() calculation as the page that was filled
    computed it (and opened questions by), not a new draw: `_once.<name>` comes back from
    the page with the value the hub gave it, or the phone's own."""
    for name in form.kept_once:
        posted = request.form.get(f"_once.{name}", "")
        if not posted:
            continue
        number = expressions.to_number(posted)
        if isinstance(answers.get(name), (int, float)) and math.isfinite(number):
            answers[name] = validation.stored_value(number)
        else:
            answers[name] = posted
    return answers


def _changes_instances(action: str) -> bool:
    return action.startswith(("add:", "remove:"))


def _change_instances(form, answers: dict, action: str, page: int | None = None) -> dict:
    """`add:members` appends an instance of the repeat; `remove:members:2` removes the
    second. In a repeat inside others, the enclosing positions come first: `add:illnesses:2`
    adds an illness to member 2, `remove:illnesses:2.1` removes member 2's first. Anything
    else (an unknown repeat, one not on the page sent, a position out of range) changes
    nothing."""
    kind, _, target = action.partition(":")
    repeat, _, where = target.partition(":")
    if (
        repeat not in form.repeats
        or form.section(repeat).get("repeat_count")
        or (page is not None and form.sections[page]["name"] != form.lineage(repeat)[0])
    ):
        return answers
    parts = [repeats.posted_count(part) for part in where.split(".")] if where else []
    positions = [part for part in parts if part is not None]
    outer_depth = len(form.lineage(repeat)) - 1
    if len(positions) != len(parts) or len(positions) != outer_depth + (kind == "remove"):
        return answers
    changed = validation.copy_answers(answers)
    node = repeats.holder(form, changed, repeat, tuple(positions[:outer_depth]))
    if node is None:
        return answers
    found = list(repeats.instances(node, repeat))
    if kind == "add" and len(found) < MAX_INSTANCES:
        found.append(validation.blank_instances(form)[repeat])
    elif kind == "remove" and 1 <= positions[-1] <= len(found):
        del found[positions[-1] - 1]
    node[repeat] = found
    return validation.prune(form, changed)


def _kept_raw(result, action: str):
    """What the person typed, still shown after an instance is added; after a removal the
    positions move, so the stored answers are shown instead."""
    if action.startswith("remove:"):
        return validation.PageResult(answers=result.answers)
    return result


def _finalized_message(revision: int, synced: bool = False) -> str:
    """What the enumerator reads once a record is finalized: where it is now."""
    if synced:
        return gettext(
            "Record finalized (revision %(num)s). It is already synced: the central team has it.",
            num=revision,
        )
    return gettext(
        "Record finalized (revision %(num)s). It waits on this hub until it is synced.",
        num=revision,
    )


def _after_finalize(form, record_uuid: str) -> str:
    if form.data.get("show_referrals"):
        return url_for("interview.saved", record_uuid=record_uuid)
    return url_for("interview.record_list")


def _delivered(form, record_uuid: str, revision: int, synced: bool = False):
    """The outbox's answer for a stored record; `next` is where a page sent while the hub
    was in reach goes (`_now`), with the message shown there."""
    message = _finalized_message(revision, synced)
    if request.form.get("_now") == "1":
        flash(message)
    return jsonify(
        uuid=record_uuid,
        status="finalized",
        revision=revision,
        message=message,
        next=_after_finalize(form, record_uuid),
    )


def _someone_elses():
    """A record kept on a phone is delivered under the enumerator who filled it, never
    under whoever is signed in on that phone now: it waits for them."""
    message = gettext(
        "Records kept on this phone were filled by another enumerator: they "
        "are sent when that enumerator signs in on this phone."
    )
    if from_outbox():
        return jsonify(error="other_enumerator", message=message), 409
    abort(409)


def _keep_whole_draft(form, record_uuid, stored):
    result = _read_all(form, record_uuid, stored, strict=False)
    if result.errors:
        return render_whole(form, record_uuid, result.answers, result), 422
    _save(record_uuid, form, result.answers)
    message = gettext("Draft saved. You can resume it from the record list.")
    if from_outbox():
        if request.form.get("_now") == "1":
            flash(message)
        return jsonify(
            uuid=record_uuid, status="draft", message=message, next=url_for("interview.record_list")
        )
    flash(message)
    return redirect(url_for("interview.record_list"))


def _whole_needs_attention(form, record_uuid, result, stored):
    """On the page: shown again with the problems. From an outbox: nothing typed on the
    phone is lost; what reads as the right type is kept on the hub as a draft to resume."""
    if not from_outbox():
        notice = (
            None
            if result.errors
            else gettext("Your answers open more questions. Please look at them and send again.")
        )
        return render_whole(form, record_uuid, result.answers, result, notice), 422
    draft = _read_all(form, record_uuid, stored, strict=False)
    _save(record_uuid, form, draft.answers)
    message = gettext(
        "Record %(code)s reached the hub as a draft: some answers need attention. "
        "Resume it from the record list.",
        code=record_uuid[:8],
    )
    return jsonify(
        uuid=record_uuid,
        status="draft",
        message=message,
        next=url_for("interview.resume", record_uuid=record_uuid),
    )


@bp.route("/records")
@login_required
def record_list():
    status = request.args.get("status")
    status = status if status in STATUSES else None
    rows = list_records(get_db(), g.user["id"], status)
    titles = {
        form_id: form.text(form.data["title"], current_locale())
        for form_id, form in available_forms().items()
    }
    return render_template(
        "records.html",
        rows=rows,
        status=status,
        statuses=STATUSES,
        titles=titles,
        names=_record_names(rows),
    )


def _record_names(rows: list[dict]) -> dict[str, str]:
    """Each record's name (its form's instance_name) by uuid: the enumerator's own records,
    which they may open, so a name made of private answers is shown too."""
    db, builtins = get_db(), current_app.extensions["builtin_forms"]
    forms: dict = {}
    names = {}
    for row in rows:
        key = (row["form_id"], row["form_version"])
        if key not in forms:
            forms[key] = form_version(db, builtins, *key)
        if forms[key] is None or not forms[key].data.get("instance_name"):
            continue  # nameless: its answers stay sealed
        name = record_name(forms[key], record_answers(db, row), may_open=True)
        if name:
            names[row["uuid"]] = name
    return names


@bp.route("/records/<record_uuid>/<int:page>", methods=("GET", "POST"))
@login_required
def page(record_uuid: str, page: int):
    record = _own_record(record_uuid, must_exist=request.method == "GET")
    form = _record_form(record)
    if not 0 <= page < len(form.sections):
        abort(404)
    answers = record["answers"] if record else _kept_once(form, validation.defaults(form))
    if request.method == "GET":
        return render_page(form, record_uuid, page, answers)
    action = request.form.get("_action", "next")
    posted, file_errors = _posted_fields(form, record_uuid, answers)
    result = validation.read_page(
        form, page, posted, answers, posted_locale(), strict=action == "next"
    )
    result.errors.update(file_errors)
    if _changes_instances(action):
        # Without the page's script, adding or removing an instance is a round trip: what
        # was typed is kept (a wrong value stays on the page with its message).
        answers = _change_instances(form, result.answers, action, page)
        _save(record_uuid, form, answers)
        return render_page(form, record_uuid, page, answers, _kept_raw(result, action))
    if result.errors:
        return render_page(form, record_uuid, page, result.answers, result), 422
    if result.unseen and action == "next":
        _save(record_uuid, form, result.answers)
        notice = gettext("Your answers open more questions on this page. Please answer them.")
        return render_page(form, record_uuid, page, result.answers, notice=notice)
    # The page is left: the time it was open counts for its section.
    _save(record_uuid, form, result.answers, _page_time(form, record_uuid, page))
    return _after_page(form, record_uuid, page, action, result.answers)


@bp.route("/records/<record_uuid>/resume")
@login_required
def resume(record_uuid: str):
    """Back where the record needs work: the first section with a problem, else the review."""
    record = _own_record(record_uuid)
    form = _record_form(record)
    problems = validation.check_record(form, validation.prune(form, record["answers"]))
    if problems:
        return redirect(url_for("interview.page", record_uuid=record_uuid, page=min(problems)))
    return redirect(url_for("interview.review", record_uuid=record_uuid))


@bp.route("/records/<record_uuid>/review")
@login_required
def review(record_uuid: str):
    record = _own_record(record_uuid)
    form = _record_form(record)
    return render_template(
        "review.html",
        form=form,
        record=record,
        record_name=record_name(form, record["answers"], may_open=True),
        sections=_review_sections(form, record["answers"], record_uuid),
    )


@bp.route("/records/<record_uuid>/files/<name>")
@login_required
def attachment(record_uuid: str, name: str):
    """A photo or file of a record, for the enumerator whose record it is (the record
    pages' own check): never cached, never shown to anyone else."""
    record = _own_record(record_uuid)
    db = get_db()
    row = next((r for r in attachments_of(db, record["uuid"]) if r["name"] == name), None)
    if row is None:
        abort(404)
    try:
        data = read_attachment(db, current_app.config["DATA_DIR"], row["sha256"])
    except AttachmentError:
        abort(404)
    response = current_app.response_class(data, mimetype=row["media_type"])
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Disposition"] = (
        "inline" if row["media_type"].startswith("image/") else f'attachment; filename="{name}"'
    )
    return response


@bp.route("/prompts/<form_id>/<name>")
def prompt(form_id: str, name: str):
    """A form's prompt in sound or picture, `<sha256>.<ext>`, for whoever may fill the form:
    anyone for the kiosk's form, a signed-in person for the others."""
    if form_id == FEEDBACK_FORM:
        return _prompt_file(form_id=form_id, name=name)
    return login_required(_prompt_file)(form_id=form_id, name=name)


def _prompt_file(form_id: str, name: str):
    """The prompt's bytes, kept by the phone for good: its name is its content's hash."""
    from .prompts import media_type, read_prompt

    content = read_prompt(get_db(), get_form(form_id), name)
    if content is None:
        abort(404)
    response = send_file(
        io.BytesIO(content), mimetype=media_type(name), conditional=True, etag=name
    )
    response.headers["Cache-Control"] = "private, max-age=31536000, immutable"
    return response


@bp.route("/records/<record_uuid>/finalize", methods=("POST",))
@login_required
def finalize_record(record_uuid: str):
    record = _own_record(record_uuid)
    form = _record_form(record)
    answers = validation.prune(form, record["answers"])
    problems = validation.check_record(form, answers)
    if problems:
        index = min(problems)
        result = validation.PageResult(answers=answers, errors=problems[index])
        notice = gettext("Some answers need attention before the record can be finalized.")
        return render_page(form, record_uuid, index, answers, result, notice=notice), 422
    try:
        revision = finalize(get_db(), record_uuid, form, answers)
    except RecordError as error:
        abort(409 if error.code != "locked" else 403)
    if form.data.get("show_referrals"):
        return redirect(url_for("interview.saved", record_uuid=record_uuid))
    flash(_finalized_message(revision))
    return redirect(url_for("interview.record_list"))


@bp.route("/records/<record_uuid>/saved")
@login_required
def saved(record_uuid: str):
    record = _own_record(record_uuid)
    form = _record_form(record)
    # The central team's contacts for the record's area and for every area, then the hub's.
    contacts = help_contacts.for_record(
        get_db(), form, record["answers"], current_app.config["HUB"]["referral_contacts"]
    )
    return render_template(
        "saved.html",
        record=record,
        form=form,
        contacts=contacts,
        language_names=help_contacts.language_names,
    )


def render_page(form, record_uuid, index, answers, result=None, notice=None):
    view = validation.page_view(form, index, answers, result.raw if result else None)
    counted = counted_sections(form, answers, index)
    return render_template(
        "page.html",
        form=form,
        record_uuid=record_uuid,
        index=index,
        number=counted.index(index) + 1,
        total=len(counted),
        errors=result.errors if result else {},
        notice=notice,
        # Earlier answers the page's skip logic may refer to, for the live script.
        context={
            k: v
            for k, v in answers.items()
            if k not in {q.name for q in form.section_questions(index)}
            and k != view["section"]["name"]
        },
        is_last=counted[-1] == index,
        media_accept=MEDIA_ACCEPT,
        opened=_opened_mark(form, record_uuid, index),
        last_saved=g.get("last_saved") or {},
        **view,
    )


def _opened_mark(form, record_uuid: str, index: int) -> str | None:
    """The page's mark of when it was shown (kept when the same page comes back)."""
    if not paradata.recorded(form):
        return None
    posted = request.form.get("_opened") if request.method == "POST" else None
    return paradata.kept_mark(posted, record_uuid, index)


def counted_sections(form, answers: dict, index: int) -> list[int]:
    """The sections "Section n of N" counts, from the one shown: those that apply, and
    those an answer not given yet may still open (before consent, every later one), so
    that the count and the button (Next or Review answers) say the same. The page's
    script counts the same way (static/js/form.js)."""
    return [
        i
        for i in range(len(form.sections))
        if i == index
        or validation.section_is_relevant(form, i, answers)
        or undecided(form, i, answers)
    ]


def undecided(form, index: int, answers: dict) -> bool:
    """Whether a section that does not apply now may still apply: its relevance (or, when
    it holds, its questions') reads an answer not given yet."""
    section = form.sections[index]
    source = section.get("relevant")
    if source and not expressions.to_boolean(
        expressions.parse(source).evaluate(repeats.context(form, answers))
    ):
        sources = [source]
    else:
        sources = [
            q.get("relevant") for q in form.section_questions(index) if q.type != "calculate"
        ]
    names = set().union(*(expressions.parse(s).references() for s in sources if s))
    return any(_unanswered(answers.get(name)) for name in names if name in form.top_questions)


def _unanswered(value) -> bool:
    return value is None or value == "" or value == []


def render_whole(form, record_uuid, answers, result=None, notice=None):
    return render_template(
        "phone.html",
        form=form,
        record_uuid=record_uuid,
        errors=result.errors if result else {},
        notice=notice,
        media_accept=MEDIA_ACCEPT,
        served=_served_mark(form),
        **validation.whole_form_view(form, answers, result.raw if result else None),
    )


def _served_mark(form) -> str | None:
    """The phone page's mark of when the hub served it (kept when it comes back)."""
    if not paradata.recorded(form):
        return None
    posted = request.form.get("_served") if request.method == "POST" else None
    return paradata.kept_mark(posted, form.form_id)


def _save(record_uuid, form, answers, spent=None):
    try:
        save_answers(get_db(), record_uuid, form, posted_locale(), g.user["id"], answers, spent)
    except RecordError as error:
        abort(403 if error.code == "locked" else 409)


def _after_page(form, record_uuid, index, action, answers):
    if action == "draft":
        flash(gettext("Draft saved. You can resume it from the record list."))
        return redirect(url_for("interview.record_list"))
    if action == "back":
        target = _previous_section(form, index, answers)
    else:
        target = _next_section(form, index, answers)
    if target is None:
        if action == "back":
            target = index
        else:
            return redirect(url_for("interview.review", record_uuid=record_uuid))
    return redirect(url_for("interview.page", record_uuid=record_uuid, page=target))


def _next_section(form, index, answers):
    for candidate in range(index + 1, len(form.sections)):
        if validation.section_is_relevant(form, candidate, answers):
            return candidate
    return None


def _previous_section(form, index, answers):
    for candidate in range(index - 1, -1, -1):
        if validation.section_is_relevant(form, candidate, answers):
            return candidate
    return None


def _review_sections(form, answers, record_uuid=None):
    locale = current_locale()
    files = (
        {row["name"]: row for row in attachments_of(get_db(), record_uuid)} if record_uuid else {}
    )
    sections = []
    for index, section in enumerate(form.sections):
        if not validation.section_is_relevant(form, index, answers):
            continue
        items = [
            (
                _review_label(form, section, q, locale),
                _media_view(q, repeats.get_answer(answers, q), files, record_uuid)
                if q.type in MEDIA_TYPES
                else display_value(form, q, repeats.get_answer(answers, q), locale),
            )
            for q in repeats.slots(form, index, answers)
            if q.holds_value and q.type != "calculate" and validation.is_relevant(form, q, answers)
        ]
        sections.append(
            {"index": index, "label": form.text(section["label"], locale), "items": items}
        )
    return sections


def _review_label(form, section, question, locale) -> str:
    label = form.text(question.label, locale)
    if question.position is None:
        return label
    # Each instance it is in, outermost first: "Member (2) · Illness (1) · Which illness?"
    places = [
        gettext("%(label)s (%(num)s)", label=form.text(form.section(name)["label"], locale), num=n)
        for name, n in zip(question.lineage, question.positions, strict=True)
    ]
    return " · ".join([*places, label])


def display_value(form, question, value, locale) -> str | None:
    if value is None:
        return None
    if question.type == "select_one":
        return form.choice_label(question, value, locale)
    if question.type in ("select_multiple", "rank"):  # a rank's in its order
        return format_list([form.choice_label(question, v, locale) for v in value], locale=locale)
    if question.type in ("integer", "decimal", "range"):
        # Grouped ("12,500") only where the form asks for it, as ODK shows numbers: a year
        # or a code typed as a number reads as typed.
        grouped = question.has_appearance("thousands-sep")
        return format_decimal(value, format=None if grouped else "0.###")
    if question.has_appearance("hidden-answer"):
        return hidden_answer_text()
    if question.type == "datetime":
        return format_datetime(datetime.fromisoformat(value), "medium")
    if question.type == "time":
        return format_time(time.fromisoformat(value), "short")
    if question.type == "date":
        day = date.fromisoformat(value)
        if question.has_appearance("month-year"):
            return format_skeleton("yMMMM", day, locale=locale)
        if question.has_appearance("year"):
            return format_skeleton("y", day, locale=locale)
        return format_date(day, "long")
    return str(value)


def hidden_answer_text() -> str:
    """What a review shows of an answer hidden as it was typed (appearance hidden-answer)."""
    return gettext("Answered (hidden)")


def _own_record(record_uuid: str, must_exist: bool = True):
    """The signed-in enumerator's record, or 404; None for a new one (POST of page 0)."""
    if not is_uuid(record_uuid):
        abort(404)
    record = get_record(get_db(), record_uuid)
    if record is None:
        if must_exist or not request.form.get("form_id"):
            abort(404)
        return None
    if record["enumerator_id"] != g.user["id"]:
        abort(404)
    return record


def _record_form(record):
    if record is None:
        form = get_form(request.form.get("form_id", ""))
        if form.form_id == FEEDBACK_FORM:
            abort(404)
    else:
        form = get_form(record["form_id"], record["form_version"])
    # ${last-saved#name} on a record's pages: the enumerator's own last record. The pages a
    # phone keeps for offline use (a form's start and whole-form pages) carry none.
    uuid = request.view_args.get("record_uuid", "") if request.view_args else ""
    g.last_saved = last_saved(get_db(), form, g.user["id"], uuid)
    return form


# -- Photos, recordings and files -------------------------------------------------------------


def _read_all(form, record_uuid: str, stored: dict, strict: bool):
    """Every section posted at once, its files stored first; a refused file is an error on
    its question."""
    posted, file_errors = _posted_fields(form, record_uuid, stored)
    result = validation.read_all(form, posted, posted_locale(), strict=strict, stored=stored)
    result.errors.update(file_errors)
    return result


def _posted_fields(form, record_uuid: str, stored: dict):
    """The posted fields with each media answer as the hub holds it, and {key: message} of
    files refused. A file chosen is stored (collector.attachments) and its name becomes the
    answer; no file keeps the earlier one; the remove box clears it. The answer is never
    what the browser typed: only a name this record's files have. Done once a request."""
    if "posted_fields" in g:
        return g.posted_fields
    if not form.has_media:  # no answer is a file: the fields as posted
        g.posted_fields = (request.form, {})
        return g.posted_fields
    posted = request.form.copy()
    errors = {}
    held = repeats.flat(form, stored)
    for key, question in _media_keys(form, held).items():
        texts = request.form.getlist(key)
        value = _kept_file(record_uuid, question, texts) or held.get(key) or ""
        upload = request.files.get(key)
        if upload is not None and upload.filename:  # an empty file input has no name
            try:
                value = _store_upload(form, record_uuid, question, upload)
            except AttachmentError as error:
                errors[key] = error.message
        elif REMOVE in texts:
            value = ""
        posted.setlist(key, [value])
    g.posted_fields = (posted, errors)
    return g.posted_fields


def _media_keys(form, held: dict) -> dict:
    """{posted key: question} of every media answer held or posted (`photo`, `photo.2`)."""
    found = {}
    for key in [*held, *request.form.keys(), *request.files.keys()]:
        match = NESTED_KEY.match(key)
        name = key if key in form.questions else (match.group("name") if match else None)
        question = form.questions.get(name)
        if question is not None and question.type in MEDIA_TYPES:
            if (question.repeat is None) == (key == name):
                found[key] = question
    return found


def _kept_file(record_uuid: str, question, texts: list) -> str | None:
    """The file name the page kept for a question, if it is one of this record's files of
    that question (a file stored by a page that was then refused for another answer)."""
    names = [text for text in texts if NAME.fullmatch(text)]
    if not names:
        return None
    mine = {
        row["name"]
        for row in attachments_of(get_db(), record_uuid)
        if row["question"] == question.name
    }
    return names[0] if names[0] in mine else None


def _store_upload(form, record_uuid: str, question, upload) -> str:
    """The uploaded file stored for the question; a photo no larger than the hub's setting
    nor the question's max-pixels, whatever the phone sent."""
    record = get_record(get_db(), record_uuid)
    if record is not None and record["status"] not in EDITABLE:
        abort(403)  # a synced record is no longer changed: no file is added to it
    settings = dict(current_app.config["HUB"])
    if question.type == "image":
        settings["attachment_max_pixels"] = min(
            int(settings["attachment_max_pixels"]), form.max_pixels(question)
        )
    stored = store_attachment(
        get_db(),
        current_app.config["DATA_DIR"],
        record_uuid,
        question.name,
        upload.filename,
        upload.read(),
        upload.mimetype,
        kind=media_kind(question),
        settings=settings,
    )
    return stored["name"]


def _media_view(question, value, files: dict, record_uuid) -> dict | None:
    """What the review shows of a media answer: a small photo, or the file's kind and size."""
    if not value:
        return None
    row = files.get(value)
    kinds = {
        "image": gettext("Photo"),
        "audio": gettext("Recording"),
        "video": gettext("Video"),
        "file": gettext("File"),
    }
    return {
        "media": question.type,
        "kind": kinds[question.type],
        "size": format_decimal(round((row["size"] if row else 0) / 1024, 1)),
        "url": url_for("interview.attachment", record_uuid=record_uuid, name=value)
        if row
        else None,
    }
