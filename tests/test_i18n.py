"""Every interface string is in the catalogs, every catalog is complete, every page translated.

The pseudo-locale test renders every page in a made-up language whose every
string is wrapped in ⟦…⟧; any visible text left outside the brackets was not
passed through gettext (or a form text missing its translation).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel import Locale
from babel.messages.catalog import Catalog
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po

import translations
from collector import create_app
from collector.db import open_database
from collector.form_library import import_form
from collector.forms import builtin_forms, load_form
from collector.i18n import LOCALES
from collector.users import add_user
from filling import REPORT_ANSWERS, SURVEY_ANSWERS, fill_form, page_data, whole_data
from support import Central, LiveHub
from test_feedback import send_feedback

ROOT = Path(__file__).resolve().parent.parent
TRANSLATED = [code for code in LOCALES if code != "en"]
PLACEHOLDER = re.compile(r"%\((\w+)\)s")
PSEUDO = "eo"  # a locale Babel knows and we do not ship: stands in for the pseudo-locale


def read_catalog(path: Path) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle)


def test_the_template_is_up_to_date(tmp_path):
    """Every gettext call in the code is in messages.pot (run `pybabel extract` otherwise)."""
    fresh = tmp_path / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            "babel.cfg",
            "--no-location",
            "-o",
            str(fresh),
            ".",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    expected = {m.id if isinstance(m.id, str) else m.id[0] for m in read_catalog(fresh) if m.id}
    shipped = {
        m.id if isinstance(m.id, str) else m.id[0]
        for m in read_catalog(translations.DIRECTORY / "messages.pot")
        if m.id
    }
    assert expected == shipped


@pytest.mark.parametrize("locale", TRANSLATED)
def test_catalog_is_complete_and_compiled(locale):
    folder = translations.DIRECTORY / locale / "LC_MESSAGES"
    template = read_catalog(translations.DIRECTORY / "messages.pot")
    catalog = read_catalog(folder / "messages.po")
    for message in template:
        if not message.id:
            continue
        found = catalog.get(message.id)
        assert found is not None, f"{locale}: missing {message.id!r}"
        assert not found.fuzzy, f"{locale}: fuzzy {message.id!r}"
        strings = found.string if isinstance(found.string, (tuple, list)) else (found.string,)
        assert all(s.strip() for s in strings), f"{locale}: untranslated {message.id!r}"
        source = message.id if isinstance(message.id, str) else message.id[0]
        for string in strings:
            assert set(PLACEHOLDER.findall(string)) == set(PLACEHOLDER.findall(source)), (
                f"{locale}: placeholders differ in {message.id!r}"
            )
    with (folder / "messages.mo").open("rb") as handle:
        compiled = read_mo(handle)
    assert _messages(compiled) == _messages(catalog), f"{locale}: messages.mo is out of date"


def _messages(catalog: Catalog) -> dict:
    return {_key(m.id): _key(m.string) for m in catalog if m.id}


def _key(value):
    return tuple(value) if isinstance(value, (list, tuple)) else value


@pytest.mark.parametrize(
    "form_id", ["community_survey", "discrimination_report", "community_feedback"]
)
def test_every_form_text_is_translated_in_every_locale(form_id):
    form = builtin_forms()[form_id]
    for text in form.texts():
        for locale in LOCALES:
            assert text.get(locale, "").strip(), f"{form_id}: no {locale} for {text['en']!r}"


# Hausa addresses the reader with the respectful plural (ku, kuna, kuke, -nku), never with
# the singular masculine/feminine pair written with a slash.
HAUSA_SLASH_ADDRESS = re.compile(
    r"(?<![\w'ƙɗɓƴ])(ka|kai|kana|kake|maka|ka\w*)/(ki|ke|kina|kike|miki|kin|kika|\w*ki)"
    r"(?![\w'ƙɗɓƴ])|\w+nka/ki\b",
    re.IGNORECASE,
)


def test_hausa_addresses_the_reader_one_way():
    catalog = read_catalog(ROOT / "translations" / "ha" / "LC_MESSAGES" / "messages.po")
    texts = [
        text
        for message in catalog
        if message.id
        for text in (message.string if isinstance(message.string, tuple) else [message.string])
    ]
    texts += [text["ha"] for form in builtin_forms().values() for text in form.texts()]
    slashed = [text for text in texts if HAUSA_SLASH_ADDRESS.search(text or "")]
    assert len(texts) > 500
    assert slashed == []
    assert sum(" ku " in f" {text} " for text in texts) > 20


def test_language_follows_query_then_cookie_then_browser(hub):
    phone = hub.browser("sw,en;q=0.5")
    assert 'lang="sw"' in phone.get("/feedback").text
    assert 'lang="fr"' in phone.get("/feedback?lang=fr").text
    assert 'lang="fr"' in phone.get("/feedback").text  # remembered in a cookie
    assert 'lang="es"' in phone.get("/feedback?lang=es").text
    assert 'lang="es"' in phone.get("/").text
    assert 'lang="sw"' in hub.browser("sw").get("/?lang=xx").text  # unknown: ignored
    assert 'lang="en"' in hub.browser("de").get("/").text


def test_arabic_pages_are_right_to_left(hub):
    page = hub.browser("ar").get("/feedback").text
    assert '<html lang="ar" dir="rtl">' in page
    assert '<html lang="fr" dir="ltr">' in hub.browser("fr").get("/feedback").text


def test_pages_use_the_catalog(hub):
    page = hub.browser("fr").get("/signin").text
    catalog = read_catalog(translations.DIRECTORY / "fr" / "LC_MESSAGES" / "messages.po")
    assert catalog.get("Enumerator sign-in").string in page
    assert "Enumerator sign-in" not in page


# -- The pseudo-locale --------------------------------------------------------------------


def pseudo(text: str) -> str:
    return f"⟦{text}⟧"


def make_pseudo_catalogs(target: Path) -> None:
    shutil.copytree(
        translations.DIRECTORY, target, ignore=shutil.ignore_patterns("*.py", "__pycache__")
    )
    template = read_catalog(translations.DIRECTORY / "messages.pot")
    catalog = Catalog(locale=PSEUDO)
    for message in template:
        if not message.id:
            continue
        if isinstance(message.id, (tuple, list)):
            catalog.add(message.id, tuple(pseudo(i) for i in message.id))
        else:
            catalog.add(message.id, pseudo(message.id))
    folder = target / PSEUDO / "LC_MESSAGES"
    folder.mkdir(parents=True)
    with (folder / "messages.mo").open("wb") as handle:
        write_mo(handle, catalog)


def pseudo_form(form) -> dict:
    data = json.loads(form.to_json())

    def walk(node):
        if isinstance(node, dict):
            if "en" in node and all(isinstance(v, str) for v in node.values()):
                node[PSEUDO] = pseudo(node["en"])
                return
            for key, value in node.items():
                if key != "media":  # prompt files by language: file names, not text
                    walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(data)
    data["version"] = form.version + "-pseudo"
    return data


class VisibleText(HTMLParser):
    """Text a person sees or hears: text nodes and labelling attributes."""

    SKIP = {"script", "style"}
    ATTRIBUTES = ("alt", "title", "aria-label", "placeholder")

    def __init__(self):
        super().__init__()
        self.stack: list[tuple[str, bool]] = []
        self.found: list[str] = []

    def _skipping(self):
        return any(skip for _, skip in self.stack)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        skip = tag in self.SKIP or attrs.get("translate") == "no"
        if tag not in ("input", "img", "meta", "link", "br", "hr"):
            self.stack.append((tag, skip))
        if not (skip or self._skipping()):
            self.found += [attrs[a] for a in self.ATTRIBUTES if attrs.get(a)]
            if tag == "input" and attrs.get("type") in ("submit", "button") and attrs.get("value"):
                self.found.append(attrs["value"])

    def handle_endtag(self, tag):
        while self.stack:
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, data):
        if data.strip() and not self._skipping():
            self.found.append(data)


def untranslated(html: str, allowed_words: set[str]) -> list[str]:
    parser = VisibleText()
    parser.feed(html)
    leftovers = []
    for text in parser.found:
        # A chart shortens a long label with "…", cutting its closing bracket off.
        text = re.sub(r"⟦[^⟦⟧]*…", " ", text)
        while True:
            stripped = re.sub(r"⟦[^⟦⟧]*⟧", " ", text)
            if stripped == text:
                break
            text = stripped
        words = [w for w in re.findall(r"[^\W\d_]+", text) if w.lower() not in allowed_words]
        if words:
            leftovers.append(text.strip())
    return leftovers


def calendar_words(code: str) -> set[str]:
    """Month and day names, and "and" in lists, come from CLDR through Babel, not from us."""
    locale = Locale.parse(code)
    words = set()
    for table in (locale.months, locale.days, locale.periods, locale.eras, locale.list_patterns):
        for value in _flatten(table):
            words.update(w.lower() for w in re.findall(r"[^\W\d_]+", value))
    return words


def _flatten(node):
    if isinstance(node, str):
        yield node
    elif hasattr(node, "values"):
        for value in node.values():
            yield from _flatten(value)


@pytest.fixture
def pseudo_hub(tmp_path, data_dir):
    make_pseudo_catalogs(tmp_path / "catalogs")
    app = create_app(
        {
            "LOCALES": (*LOCALES, PSEUDO),
            "BABEL_TRANSLATION_DIRECTORIES": str(tmp_path / "catalogs"),
            "HUB_SETTINGS": {
                "referral_contacts": [
                    {
                        "name": pseudo("Legal aid"),
                        "description": pseudo("Free advice"),
                        "phone": "+254 700 000111",
                        "hours": pseudo("Weekdays"),
                    }
                ]
            },
        },
        data_dir=data_dir,
    )
    db = open_database(app.config["DATABASE"])
    for form in builtin_forms().values():
        import_form(db, load_form(pseudo_form(form)), "pseudo")
    db.close()
    live = LiveHub(app)
    live.add_enumerator(pseudo("amina"), "4821")
    db = open_database(app.config["DATABASE"])
    add_user(db, pseudo("olu"), "7305", role="operator")
    db.close()
    yield live
    live.stop()


def pseudo_answers(answers: dict) -> dict:
    """Typed free text is the person's own words, so it is bracketed too."""
    text_fields = {
        "language_home_other",
        "respondent_name",
        "comments",
        "incident_description",
        "reporter_name",
        "reporter_contact",
        "message",
        "contact",
    }
    return {k: pseudo(v) if k in text_fields else v for k, v in answers.items()}


def test_every_page_shows_only_catalog_text(pseudo_hub, tmp_path):
    allowed = calendar_words(PSEUDO)
    phone = pseudo_hub.browser(PSEUDO)
    pages: dict[str, str] = {}

    def visit(name, response):
        assert response.status_code < 500, f"{name}: {response.status_code}"
        pages[name] = response.text

    for path in (
        "/",
        "/signin",
        "/feedback",
        "/feedback/status",
        "/feedback/status?code=ZZZZ",
        "/connect",
        "/no-such-page",
    ):
        visit(path, phone.get(path))
    phone.get("/signin")
    visit("wrong pin", phone.post("/signin", {"name": pseudo("amina"), "pin": "0000"}))
    visit("signed in", phone.post("/signin", {"name": pseudo("amina"), "pin": "4821"}))

    survey = pseudo_answers(SURVEY_ANSWERS)
    record_uuid = fill_form(phone, "community_survey", survey, finalize=False)
    for index in range(8):
        visit(f"survey page {index}", phone.get(f"/records/{record_uuid}/{index}"))
    visit("review", phone.get(f"/records/{record_uuid}/review"))
    visit(
        "invalid page",
        phone.post(
            f"/records/{record_uuid}/1", page_data("community_survey", 1, dict(survey, age="9"))
        ),
    )
    visit(
        "needs more",
        phone.post(
            f"/records/{record_uuid}/6",
            [
                ("form_id", "community_survey"),
                ("_action", "next"),
                ("_shown", "discriminated"),
                ("discriminated", "yes"),
            ],
        ),
    )
    visit(
        "draft saved",
        phone.post(
            f"/records/{record_uuid}/7", page_data("community_survey", 7, survey, action="draft")
        ),
    )
    visit("finalized", phone.post(f"/records/{record_uuid}/finalize", {}))
    visit("records", phone.get("/records?status=finalized"))
    visit("whole form", phone.get("/forms/community_survey/phone"))
    version = re.search(r'name="form_version" value="([^"]+)"', phone.last.text).group(1)
    whole = [
        (k, version if k == "form_version" else v)
        for k, v in whole_data(
            "community_survey", "5d1c7a9e-2b4f-4e8a-9c3d-6f0a1b2c3d4e", dict(survey, age="9")
        )
    ]
    visit("whole form invalid", phone.post("/forms/community_survey/submit", whole))
    visit("preview", phone.get(f"/sync/preview/{record_uuid}"))
    visit("sync", phone.get("/sync"))
    visit(
        "enroll not the operator",
        phone.post("/sync/enroll", {"server": "http://127.0.0.1:9", "code": "AAAA-BBBB-CCCC"}),
    )
    operator = pseudo_hub.browser(PSEUDO)
    operator.signin(pseudo("olu"), "7305")
    visit("operator's sync", operator.get("/sync"))
    visit(
        "enroll refused",
        operator.post("/sync/enroll", {"server": "http://127.0.0.1:9", "code": "AAAA-BBBB-CCCC"}),
    )
    visit("enroll incomplete", operator.post("/sync/enroll", {"server": "", "code": ""}))
    central = Central(tmp_path / "central")
    try:
        operator.get("/sync")
        visit(
            "enroll confirm",
            operator.post(
                "/sync/enroll", {"server": central.url, "code": central.enrollment_code()}
            ),
        )
    finally:
        central.stop()
    report_uuid = fill_form(phone, "discrimination_report", pseudo_answers(REPORT_ANSWERS))
    visit("report saved", phone.last)
    for index in range(3):
        visit(f"report page {index}", phone.get(f"/records/{report_uuid}/{index}"))
    visit("csrf", phone.session.post(phone.base + f"/records/{report_uuid}/1", data={}))

    kiosk = pseudo_hub.browser(PSEUDO)
    visit("kiosk invalid", send_feedback(kiosk, {"message": pseudo("hello")}))
    visit(
        "kiosk thanks",
        send_feedback(
            kiosk,
            pseudo_answers(
                {"feedback_type": "question", "topic": "food", "message": "x", "wants_reply": "no"}
            ),
        ),
    )
    code = re.search(r'class="receipt" translate="no">([^<]+)<', kiosk.last.text).group(1)
    visit("kiosk status", kiosk.get(f"/feedback/status?code={code}"))

    problems = {
        name: found for name, html in pages.items() if (found := untranslated(html, allowed))
    }
    assert not problems, json.dumps(problems, ensure_ascii=False, indent=1)
    assert len(pages) >= 30


@pytest.fixture
def pseudo_central(tmp_path):
    from collector.passwords import hash_secret
    from sync_server import create_app as create_server
    from sync_server.forms import publish
    from sync_server.store import Store

    make_pseudo_catalogs(tmp_path / "catalogs")
    app = create_server(
        {
            "LOCALES": (*LOCALES, PSEUDO),
            "SUPPRESSION_K": 2,
            "BABEL_TRANSLATION_DIRECTORIES": str(tmp_path / "catalogs"),
        },
        data_dir=tmp_path / "central",
    )
    store = Store(app.config["DATABASE"])
    for form in builtin_forms().values():
        publish(store, json.dumps(pseudo_form(form)), "admin")
    store.add_user(pseudo("nadia"), "admin", hash_secret("long pass phrase"))
    store.close()
    live = LiveHub(app)
    live.database = app.config["DATABASE"]
    live.enrollment_code = lambda label="laptop": __import__("support").Central.enrollment_code(
        live, label
    )
    yield live
    live.stop()


def test_every_central_page_shows_only_catalog_text(pseudo_central):
    from test_workspace import feedback_record, push_records, survey_record

    # The areas' codes are the records' data (the by-area chart and table name them so).
    allowed = calendar_words(PSEUDO) | {"nr", "ce", "sr"}
    surveys = [dict(survey_record(n), form_version="1-pseudo") for n in range(9)]
    feedback = [
        dict(feedback_record(message=pseudo("help")), form_version="1-pseudo"),
        dict(
            feedback_record(kind="discrimination", message=pseudo("school")),
            form_version="1-pseudo",
        ),
    ]
    for item in feedback:
        item["answers"]["message"] = pseudo(item["answers"]["message"])
    push_records(pseudo_central, surveys + feedback)
    person = pseudo_central.browser(PSEUDO)
    pages = {}

    def visit(name, response):
        assert response.status_code < 500, f"{name}: {response.status_code}"
        pages[name] = response.text

    visit("signin", person.get("/signin"))
    visit("wrong password", person.post("/signin", {"name": "x", "password": "y"}))
    visit(
        "dashboard",
        person.post("/signin", {"name": pseudo("nadia"), "password": "long pass phrase"}),
    )
    for view, by in [
        ("who5", "gender"),
        ("trust_institutions", None),
        ("discriminated", "month"),
        ("life_satisfaction", "disability"),
        ("feedback_types", None),
        ("safe_after_dark", "migration_status"),
        ("trust_most", "area"),  # with its map section
    ]:
        visit(f"{view} by {by}", person.get(f"/?view={view}" + (f"&by={by}" if by else "")))
    visit("records", person.get("/data/community_survey"))
    visit("record", person.get(f"/data/record/{surveys[0]['uuid']}"))
    visit(
        "correction",
        person.post(
            f"/data/record/{surveys[0]['uuid']}/correct",
            {"field": "life_satisfaction", "value": "7"},
        ),
    )
    visit("feedback", person.get("/feedback"))
    visit("sensitive", person.get("/feedback?queue=sensitive"))
    visit("case", person.get(f"/feedback/{feedback[0]['uuid']}"))
    visit(
        "reply",
        person.post(
            f"/feedback/{feedback[0]['uuid']}",
            {"message": pseudo("soon"), "locale": "en", "status": "new"},
        ),
    )
    visit("devices", person.get("/devices"))
    visit("new code", person.post("/devices/new", {"label": pseudo("zone B")}))
    visit("forms", person.get("/forms"))
    visit("help contacts", person.get("/help-contacts"))
    visit("account", person.get("/account"))
    visit("new token", person.post("/account/tokens", {"label": pseudo("my script"), "days": "30"}))
    visit(
        "weak password",
        person.post(
            "/account/password",
            {
                "current_password": "long pass phrase",
                "new_password": "password",
                "confirm_password": "password",
            },
        ),
    )
    visit("users", person.get("/users"))
    visit("security log", person.get("/security-log"))
    visit("not found", person.get("/data/record/nothing"))
    problems = {
        name: found for name, html in pages.items() if (found := untranslated(html, allowed))
    }
    assert not problems, json.dumps(problems, ensure_ascii=False, indent=1)
