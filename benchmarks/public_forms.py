"""How many XLSForms written by others `collector forms import` takes, and whether they work.

    python benchmarks/public_forms.py FOLDER [--json RESULTS.json] [--only NAME]

FOLDER holds one form per file, in the text forms XLSForm's own tools read: a markdown
table (``.md``, pyxform's test syntax: the sheet name in the first column, then the
sheet's rows, its header first) or a CSV file (``.csv``, the same layout with commas).
An optional ``index.tsv`` beside them (file, repository, path, commit) says where each
came from; it is printed with the results.

The forms are not kept in this repository: they belong to their projects. To gather them,
take from public repositories the forms their tests expect pyxform to convert, for instance
the ``md=""\"...""\"`` tables of XLSForm/pyxform's ``tests/*.py`` and its
``tests/example_xls/*.md``, each saved as is in a file of its own.

For each form: the table is written to an .xlsx workbook (openpyxl); pyxform
(``pyxform.xls2xform.convert``) must accept it, or the form is counted apart and not in
the percentage. Then ``collector.xlsform.read_xlsform`` imports it, as
``collector forms import`` does, with one of four outcomes:

* works: the form is imported into a real hub served on loopback, its whole-form page and
  every section page render, it is filled without JavaScript (each question the page shows
  gets a generated valid answer: another is tried when the hub says one is not allowed,
  and at last none if the question may be left empty),
  finalized, and the record's payload is built as the sync client builds it (anonymized
  with a pseudonym key);
* fails: taken, but one of those steps does not go through (the step is named);
* refused: the import's problems, by code, and whether each names sheet, row and column;
* crashed: an exception in our code (the reader, or a page answering 500): a bug; its
  traceback is printed.

Printed: the counts, the percentage of the forms pyxform accepts that import and work, the
refusal codes by number of forms (the blockers, biggest first), the failures, every crash,
and the time per form.
"""

from __future__ import annotations

import argparse
import csv
import html
import json
import logging
import re
import statistics
import sys
import tempfile
import time
import traceback
import warnings
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from flask.logging import default_handler  # noqa: E402
from openpyxl import Workbook  # noqa: E402
from pyxform.xls2xform import convert as pyxform_convert  # noqa: E402

from collector import create_app, paradata  # noqa: E402
from collector.anonymizer import anonymize  # noqa: E402
from collector.db import open_database  # noqa: E402
from collector.form_library import form_version, import_form  # noqa: E402
from collector.forms import builtin_forms  # noqa: E402
from collector.sync_client import REVISION_SQL, revision_answers, revision_redactions  # noqa: E402
from collector.users import add_user  # noqa: E402
from collector.xlsform import read_xlsform  # noqa: E402
from support import PIN, Browser, LiveHub  # noqa: E402

OWNER = "benchmark enumerator"
KEY = b"public-forms-benchmark-key-32-b!"
ACTION = re.compile(r'<form method="post" action="(/records/([0-9a-f-]{36})/(\d+))"')
SHOWN = re.compile(r'<input type="hidden" name="_shown" value="([^"]+)"( disabled)?>')
COUNTS = re.compile(r'<input type="hidden" name="(_repeat\.[^"]+)" value="(\d+)">')
ERROR = re.compile(r'<p class="error"[^>]*>(.*?)</p>', re.S)
REFUSED = re.compile(r'<p class="error" id="([^"]+)-error"')  # the question it is about
# Text a page must never show: a template's raw placeholder, a Python value, a msgid.
UNKNOWN = re.compile(
    r"\{\{|\}\}|\{%|\$\{|^\s*(?:None|undefined|null|NaN)\s*$|Traceback|%\(\w+\)s", re.M
)
# The same, for a form whose import warned that its labels are shown as written
# (`label_reference`): a `${name}` in a label is then what the hub said it would show.
UNKNOWN_BUT_REFERENCES = re.compile(
    r"\{\{|\}\}|\{%|^\s*(?:None|undefined|null|NaN)\s*$|Traceback|%\(\w+\)s", re.M
)
ATTEMPTS = 6  # answers tried per page before the form is said to fail there


# --- the text forms, as workbooks ----------------------------------------------------


def table_rows(path: Path) -> list[list[str]]:
    """The cells of each row of a .md or .csv form: the sheet's name first, or ''."""
    if path.suffix.lower() == ".csv":
        with path.open(newline="", encoding="utf-8-sig") as handle:
            return [[cell.strip() for cell in row] for row in csv.reader(handle)]
    rows = []
    for line in path.read_text("utf-8").splitlines():
        line = line.strip()
        if not line.startswith("|") or line.startswith("#"):
            continue
        inner = line[1:-1] if line.endswith("|") and len(line) > 1 else line[1:]
        if re.fullmatch(r"[|\-: ]*", inner):  # a markdown separator row
            continue
        cells = re.split(r"(?<!\\)\|", inner)
        rows.append([cell.strip().replace("\\|", "|") for cell in cells])
    return rows


def sheets_of(path: Path) -> dict[str, list[list[str]]]:
    """Sheet name → its rows: a row whose first cell is filled starts that sheet, and the
    rest of its cells, when any is filled, are the sheet's first row."""
    sheets: dict[str, list[list[str]]] = {}
    current = None
    for first, *rest in (row for row in table_rows(path) if row):
        if first:
            current = sheets.setdefault(first, [])
        if current is not None and any(rest):
            current.append(rest)
    return sheets


def write_workbook(path: Path, target: Path) -> None:
    book = Workbook()
    book.remove(book.active)
    for name, rows in sheets_of(path).items():
        sheet = book.create_sheet(title=name[:31])
        for row in rows:
            sheet.append([cell if cell else None for cell in row])
    book.save(target)


# --- one hub, and a phone without JavaScript filling a form -------------------------


@dataclass
class Hub:
    live: LiveHub
    phone: Browser
    data_dir: Path
    form_ids: set[str] = field(default_factory=set)
    crashes: list[str] = field(default_factory=list)


class CrashLog(logging.Handler):
    """Keeps the traceback of every exception a page raised (a 500)."""

    def __init__(self, hub_crashes: list[str]):
        super().__init__(logging.ERROR)
        self.crashes = hub_crashes

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info:
            self.crashes.append("".join(traceback.format_exception(*record.exc_info)))


def start_hub(folder: Path) -> Hub:
    data_dir = Path(tempfile.mkdtemp(dir=folder))
    app = create_app(
        {"HUB_SETTINGS": {"signin_rate_limit": "100000 per minute"}}, data_dir=data_dir
    )
    live = LiveHub(app)
    db = open_database(app.config["DATABASE"])
    try:
        add_user(db, OWNER, PIN)
    finally:
        db.close()
    phone = live.browser("en")
    phone.signin(OWNER, PIN)
    hub = Hub(live, phone, data_dir)
    # A page's exception is kept for the report rather than written to the terminal.
    app.logger.removeHandler(default_handler)
    app.logger.addHandler(CrashLog(hub.crashes))
    return hub


class Failed(Exception):
    """A step of filling the form that did not go through: `where` names it."""

    def __init__(self, where: str, detail: str = ""):
        super().__init__(f"{where}: {detail}" if detail else where)
        self.where = where


def options(page: str, name: str) -> list[str]:
    """The choices a page offers for `name` (radio buttons, check boxes or a list), less
    those its choice filter leaves out (shown disabled)."""
    quoted = re.escape(html.escape(name, quote=True))
    tags = re.findall(rf'<input[^>]*name="{quoted}"[^>]*>', page)
    select = re.search(rf'<select[^>]*name="{quoted}".*?</select>', page, re.S)
    tags += re.findall(r"<option[^>]*>", select.group(0)) if select else []
    found = [
        html.unescape(value.group(1))
        for tag in tags
        if " disabled" not in tag and (value := re.search(r'value="([^"]+)"', tag))
    ]
    return list(dict.fromkeys(found))


def range_values(question) -> list[str]:
    params = question.get("parameters") or {}
    start, end = params.get("start", 0), params.get("end", 10)
    step = params.get("step", 1) or 1
    middle = start + step * int((end - start) / step / 2)
    return [_number(v) for v in (start, middle, end)]


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


VALUES = {
    "text": ["Sample answer", "1", "yes", "oat", "abc", "2024"],
    "integer": ["3", "1", "0", "10", "25", "100"],
    "decimal": ["2.5", "1", "0", "10", "25.5", "100"],
    "date": ["2024-03-15", "2020-01-01", "2025-06-30"],
    "time": ["09:30", "14:00"],
    "datetime": ["2024-03-15T09:30", "2020-01-01T12:00"],
    "geopoint": ["-1.2921 36.8219", "0 0"],
    "geotrace": ["0 0\n0 1", "-1.29 36.82\n-1.30 36.83"],
    "geoshape": ["0 0\n0 1\n1 1", "-1.29 36.82\n-1.30 36.83\n-1.31 36.82"],
}


def answer(form, name: str, page: str, attempt: int) -> list[str] | str | None:
    """A valid answer to the question `name` (an instance's `question.2`) as the page
    offers it; `attempt` picks another when the hub refused the ones before."""
    question = form.questions.get(name.partition(".")[0])
    if question is None or not question.holds_value:
        return None
    if attempt == ATTEMPTS - 1 and not question.spec.get("required"):
        return None  # every answer tried was refused: left empty, as a person may
    kind = question.type
    if kind in ("select_one", "select_multiple"):
        offered = options(page, name)
        if not offered:
            return None
        pick = offered[attempt % len(offered)]
        return [pick] if kind == "select_multiple" else pick
    if kind == "range":
        values = range_values(question)
    else:
        values = VALUES.get(kind, [])
    return values[attempt % len(values)] if values else None


def no_unknown_text(response, where: str, unknown: re.Pattern) -> None:
    text = re.sub(r"<script.*?</script>", "", response.text, flags=re.S)
    text = html.unescape(re.sub(r"<[^>]+>", "\n", text))
    found = unknown.search(text)
    if found:
        raise Failed(where, f"the page shows {found.group(0).strip()!r}")


def checked(response, where: str, unknown: re.Pattern, refused_ok: bool = False):
    """The page, if it answered and shows nothing raw; 422 is a page sent back with the
    hub's messages about its answers, when `refused_ok`."""
    if response.status_code not in ((200, 422) if refused_ok else (200,)):
        raise Failed(where, f"HTTP {response.status_code}")
    no_unknown_text(response, where, unknown)
    return response


def post_sections(phone, form, unknown: re.Pattern) -> str:
    """Fill the form page by page; the record's UUID once its review page is reached."""
    response = checked(phone.get(f"/forms/{form.form_id}"), "first page", unknown)
    # Another answer is tried only for the questions the hub refused, as a person would.
    attempts: Counter[str] = Counter()
    pages = 0
    while pages < 60:
        pages += 1
        found = ACTION.search(response.text)
        if found is None:
            raise Failed(f"page {pages}", "no record form on the page")
        path, record_uuid, section = found.groups()
        shown = [name for name, disabled in SHOWN.findall(response.text) if not disabled]
        data = [("form_id", form.form_id), ("_action", "next")]
        for key, count in COUNTS.findall(response.text):
            data.append((key, str(max(int(count), 1))))  # one instance of each repeat
        for name in shown:
            data.append(("_shown", name))
            value = answer(form, name, response.text, attempts[name])
            data += [(name, v) for v in value] if isinstance(value, list) else []
            data += [(name, value)] if isinstance(value, str) else []
        sent = checked(phone.post(path, data), f"section {section}", unknown, refused_ok=True)
        if "/review" in sent.url:
            return record_uuid
        refused = ERROR.findall(sent.text)
        same = ACTION.search(sent.text)
        if refused and same and same.group(1) == path:
            attempts.update(REFUSED.findall(sent.text) or shown)
            if max(attempts.values(), default=0) >= ATTEMPTS:
                message = html.unescape(re.sub(r"<[^>]+>", "", refused[0])).strip()
                raise Failed(f"section {section}", f"no generated answer taken: {message}")
        else:
            attempts.clear()
        response = sent
    raise Failed("pages", "the form never reached its review")


def payload(hub: Hub, record_uuid: str) -> dict:
    """The record as the sync client sends it (SyncClient._anonymized)."""
    db = open_database(hub.live.app.config["DATABASE"])
    try:
        status = db.execute("SELECT status FROM records WHERE uuid = ?", [record_uuid]).fetchone()
        if status is None or status[0] != "finalized":
            raise Failed("finalize", f"the record is {status[0] if status else 'missing'}")
        rows = list(db.query(REVISION_SQL + " WHERE o.uuid = ?", [record_uuid]))
        if not rows:
            raise Failed("payload", "the finalized record is not queued for sync")
        row = dict(rows[-1])
        form = form_version(db, builtin_forms(), row["form_id"], row["form_version"])
        record = dict(
            row, answers=revision_answers(db, row), paradata=paradata.loads(row["paradata"])
        )
        return anonymize(record, form, KEY, "", revision_redactions(db, row))
    finally:
        db.close()


def works(hub: Hub, form, unknown: re.Pattern) -> dict:
    """Render, fill, finalize and build the payload of one imported form."""
    phone = hub.phone
    checked(phone.get(f"/forms/{form.form_id}/phone"), "whole-form page", unknown)
    record_uuid = post_sections(phone, form, unknown)
    finalized = phone.post(f"/records/{record_uuid}/finalize", {})
    if finalized.status_code != 200 or not finalized.url.endswith("/records"):
        detail = ERROR.findall(finalized.text)
        raise Failed("finalize", html.unescape(detail[0]) if detail else finalized.url)
    return payload(hub, record_uuid)


# --- one form -----------------------------------------------------------------------


@dataclass
class Outcome:
    name: str
    kind: str  # works | fails | refused | crashed | pyxform_refuses
    detail: str = ""
    problems: list[dict] = field(default_factory=list)
    warned: list[str] = field(default_factory=list)  # the import's warnings, by code
    seconds: float = 0.0


def problem_of(problem) -> dict:
    located = bool(problem.sheet and problem.row is not None and problem.column)
    return {"code": problem.key, "located": located, "text": str(problem)}


def hub_for(hubs: list[Hub], form_id: str, folder: Path) -> Hub:
    """A hub that has no form of that id yet: forms of the corpus may share one."""
    for hub in hubs:
        if form_id not in hub.form_ids:
            return hub
    hubs.append(start_hub(folder))
    return hubs[-1]


def measure(path: Path, work: Path, hubs: list[Hub]) -> Outcome:
    name = path.stem
    workbook = work / f"{name}.xlsx"
    write_workbook(path, workbook)
    try:
        pyxform_convert(xlsform=str(workbook), validate=False, pretty_print=False)
    except Exception as error:  # noqa: BLE001 - pyxform's refusal, whatever its class
        return Outcome(name, "pyxform_refuses", str(error).splitlines()[0][:160])
    started = time.perf_counter()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = read_xlsform(workbook)
    except Exception:  # noqa: BLE001 - a crash of the reader is what is measured
        return Outcome(name, "crashed", "read_xlsform\n" + traceback.format_exc())
    form = result.form
    if not result.ok or form is None:
        problems = [problem_of(p) for p in result.errors]
        return Outcome(name, "refused", problems=problems, seconds=since(started))
    references = "label_reference" in {p.key for p in result.warnings}
    hub = hub_for(hubs, form.form_id, work)
    before = len(hub.crashes)
    try:
        db = open_database(hub.live.app.config["DATABASE"])
        try:
            import_form(db, form, "benchmark")
        finally:
            db.close()
        hub.form_ids.add(form.form_id)
        works(hub, form, UNKNOWN_BUT_REFERENCES if references else UNKNOWN)
    except Failed as failure:
        if len(hub.crashes) > before:
            return Outcome(name, "crashed", f"{failure}\n{hub.crashes[-1]}", seconds=since(started))
        return Outcome(name, "fails", str(failure), seconds=since(started))
    except Exception:  # noqa: BLE001 - import, storage or payload raised: a bug
        return Outcome(name, "crashed", traceback.format_exc(), seconds=since(started))
    detail = "labels show ${…} as written (import warned)" if references else ""
    warned = sorted({p.key or "" for p in result.warnings})
    return Outcome(name, "works", detail, warned=warned, seconds=since(started))


def since(started: float) -> float:
    return time.perf_counter() - started


# --- the report ---------------------------------------------------------------------


def report(outcomes: list[Outcome], sources: dict[str, str]) -> None:
    kinds = Counter(o.kind for o in outcomes)
    accepted = [o for o in outcomes if o.kind != "pyxform_refuses"]
    repositories = {sources[o.name] for o in outcomes if o.name in sources}
    print(f"forms: {len(outcomes)} from {len(repositories) or '?'} repositories")
    for kind in ("works", "fails", "refused", "crashed", "pyxform_refuses"):
        print(f"  {kind:16} {kinds[kind]}")
    as_written = sum(1 for o in outcomes if o.kind == "works" and o.detail)
    print(f"  of the working forms, labels showing ${{…}} as written (import warned): {as_written}")
    if accepted:
        share = 100 * kinds["works"] / len(accepted)
        print(f"pyxform accepts {len(accepted)}; imported and working: {share:.1f}%")
    located = [p for o in outcomes for p in o.problems]
    unlocated = [p for p in located if not p["located"]]
    print(
        f"refusal problems: {len(located)}; naming sheet, row and column: "
        f"{len(located) - len(unlocated)}"
    )
    for text, count in Counter(f"{p['code']}: {p['text']}" for p in unlocated).items():
        print(f"  not located, in {count} form(s): {text}")
    blockers = Counter(code for o in outcomes for code in {p["code"] for p in o.problems})
    print("\nrefusal codes by number of forms (blockers):")
    for code, count in sorted(blockers.items(), key=lambda item: (-item[1], item[0])):
        forms = sorted(o.name for o in outcomes if code in {p["code"] for p in o.problems})
        print(f"  {count:4}  {code}  ({', '.join(forms[:4])}{', …' if len(forms) > 4 else ''})")
    warned = Counter(code for o in outcomes for code in o.warned)
    print("\nwarnings of the working forms' imports, by number of forms:")
    for code, count in sorted(warned.items(), key=lambda item: (-item[1], item[0])):
        print(f"  {count:4}  {code}")
    print("\ntaken but failing:")
    for o in outcomes:
        if o.kind == "fails":
            print(f"  {o.name}: {o.detail}")
    print("\nnot accepted by pyxform (not counted):")
    for o in outcomes:
        if o.kind == "pyxform_refuses":
            print(f"  {o.name}: {o.detail}")
    print("\ncrashes:")
    for o in outcomes:
        if o.kind == "crashed":
            print(f"  {o.name}:\n    " + "\n    ".join(o.detail.strip().splitlines()[-6:]))
    timed = [o.seconds for o in outcomes if o.kind != "pyxform_refuses"]
    if timed:
        print(
            f"\ntime per form (import, and for taken forms the hub's pages): median "
            f"{statistics.median(timed) * 1000:.0f} ms, max {max(timed) * 1000:.0f} ms, "
            f"total {sum(timed):.1f} s"
        )


def sources_of(folder: Path) -> dict[str, str]:
    index = folder / "index.tsv"
    if not index.exists():
        return {}
    with index.open(newline="", encoding="utf-8") as handle:
        return {Path(r["file"]).stem: r["repo"] for r in csv.DictReader(handle, delimiter="\t")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--json", type=Path, help="write every outcome to this file")
    parser.add_argument("--only", help="measure only the form of this file name")
    args = parser.parse_args()
    paths = sorted(p for p in args.folder.iterdir() if p.suffix.lower() in (".md", ".csv"))
    if args.only:
        paths = [p for p in paths if p.stem == Path(args.only).stem]
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    hubs: list[Hub] = []
    outcomes = []
    with tempfile.TemporaryDirectory() as scratch:
        try:
            for path in paths:
                outcomes.append(measure(path, Path(scratch), hubs))
        finally:
            for hub in hubs:
                hub.live.stop()
    report(outcomes, sources_of(args.folder))
    if args.json:
        args.json.write_text(json.dumps([o.__dict__ for o in outcomes], indent=1), "utf-8")


if __name__ == "__main__":
    main()
