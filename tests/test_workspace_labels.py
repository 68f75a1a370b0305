"""Labels everywhere in the central workspace, on a real server: a record's questions and
choices in the viewer's language, in questionnaire order by section, repeats as blocks of
their own, codes on hover and behind a plain link; dates in one format per language; form
tabs, filter menus and the feedback view by their labels. Access rules stay as they are."""

from __future__ import annotations

import html
import json
import re

from flask import Flask
from flask_babel import Babel

from sync_server.forms import publish
from sync_server.store import Store
from test_repeat_exports import VERSION_2, roster
from test_workspace import feedback_record, push_records, signed_in, team  # noqa: F401

# The labels are about the pages, not the storage: SQLite only (tests/conftest.py).
SERVER_ENGINES = ("sqlite",)

MEMBERS = [
    {"member_age": 34, "member_sex": "f", "member_activities": ["farming", "trade"]},
    {"member_age": 9, "member_sex": "m", "member_activities": ["school"]},
]


def publish_roster(central) -> None:
    store = Store(central.database)
    try:
        publish(store, json.dumps(VERSION_2), "admin")
    finally:
        store.close()


def text_of(html: str) -> str:
    """The page's words without tags, spaces folded."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_a_record_reads_in_the_viewers_language_in_questionnaire_order(team):
    publish_roster(team)
    # Stored answers in alphabetical order, as a JSON object may come: the page follows
    # the questionnaire, not the keys.
    record = roster(
        version="2", comments="Merci", household_size=2, members=MEMBERS, village="Kigoma"
    )
    push_records(team, [record])
    admin = signed_in(team, "admin")
    page = admin.get(f"/data/record/{record['uuid']}?lang=fr").text
    words = text_of(page)
    # Questions by their French labels, choices by theirs, a select_multiple as a list.
    assert "Personnes dans le ménage" in words and "Composition du ménage" in words
    assert "Agriculture et Commerce" in words and "École" in words
    assert "Femme" in words and "Homme" in words
    # Sections in the form's order; each repeat instance a block of its own.
    order = [
        words.index(text)
        for text in (
            "Personnes dans le ménage",
            "Membres du ménage (1)",
            "Membres du ménage (2)",
            "Comments",
        )
    ]
    assert order == sorted(order)
    assert page.count('class="answers repeat-answers"') == 2
    # Codes are on hover (title), not in the text, until asked for with a plain link.
    assert 'title="members.1.member_activities"' in page and 'title="farming trade"' in page
    assert "farming trade" not in words and "member_sex" not in words
    assert f'href="/data/record/{record["uuid"]}?codes=1"' in page
    with_codes = text_of(admin.get(f"/data/record/{record['uuid']}?codes=1&lang=fr").text)
    assert "farming trade" in with_codes and "members.2.member_sex" in with_codes
    # Collected as a medium date in French, and no ISO date beside it.
    assert "20 nov. 2026" in words and "2026-11-20" not in words


def test_the_correction_menu_names_questions_by_their_labels(team):
    publish_roster(team)
    record = roster(version="2", household_size=2, members=MEMBERS, village="Kigoma")
    push_records(team, [record])
    admin = signed_in(team, "admin")
    page = admin.get(f"/data/record/{record['uuid']}?lang=fr").text
    menu = page[page.index('<select id="field"') :]
    menu = menu[: menu.index("</select>")]
    assert (
        '<option value="members.2.member_age" title="members.2.member_age" translate="no">'
        "Membres du ménage (2) · Âge</option>" in menu
    )
    # The value posted is still the field's key: a correction through the labelled menu.
    admin.post(
        f"/data/record/{record['uuid']}/correct",
        {"field": "members.2.member_age", "value": "10"},
        csrf_from=page,
    )
    page = admin.get(f"/data/record/{record['uuid']}?lang=en").text
    assert "As received" in page and 'title="9"' in page


def test_tabs_and_filter_menus_show_titles_labels_and_device_names(team):
    publish_roster(team)
    push_records(team, [feedback_record(locale="sw"), feedback_record(locale="ar")])
    admin = signed_in(team, "admin")
    page = admin.get("/data/community_feedback?lang=en").text
    tabs = page[: page.index('class="filter-bar"')]
    assert 'title="household_roster" translate="no">Household roster</a>' in tabs
    assert ">community_feedback<" not in tabs and 'title="community_feedback"' in tabs
    # The enrolled laptop by its label (push_records enrolls "zone B"), months and
    # languages in words; the values sent stay the codes.
    assert ">zone B</option>" in page and ">zone B</td>" in page
    assert 'value="2026-11" title="2026-11" translate="no">Nov 2026</option>' in page
    assert 'value="sw" title="sw" translate="no">Swahili</option>' in page
    assert "2 records" in page
    assert "1 record" in admin.get("/data/community_feedback?language=sw").text
    french = admin.get("/data/community_feedback?lang=fr").text
    assert 'value="ar" title="ar" translate="no">arabe</option>' in french


def test_an_analyst_still_sees_only_the_released_menus(team):
    push_records(team, [feedback_record(locale="sw") for _ in range(3)])
    analyst = signed_in(team, "analyst")
    page = analyst.get("/data/community_feedback?lang=en").text
    # No device, language, area or month menu for analysts, and no device column.
    assert 'id="filter-device"' not in page and 'id="filter-language"' not in page
    assert 'id="filter-area"' not in page and "zone B" not in page
    assert 'id="filter-review"' in page and ">Not reviewed</option>" in page


def test_the_feedback_view_reads_in_labels_with_codes_on_hover(team):
    record = feedback_record(kind="complaint", message="The tap is broken.")
    record["answers"]["topic"] = "water"
    push_records(team, [record])
    analyst = signed_in(team, "analyst")
    case = analyst.get(f"/feedback/{record['uuid']}?lang=en").text
    words = text_of(case)
    assert "feedback_type" not in words and "A complaint" in words and "Yes" in words
    assert 'title="complaint"' in case and 'title="feedback_type"' in case
    assert "Water, sanitation and hygiene" in words
    # Received today: a medium date and a short time, never an ISO timestamp.
    assert "Swahili" in words and not re.search(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", words)
    queue = text_of(analyst.get("/feedback?lang=fr").text)
    assert "Une plainte" in queue and "Eau, assainissement et hygiène" in queue
    coded = analyst.get(f"/feedback/{record['uuid']}?codes=1&lang=en").text
    assert '<code class="muted" translate="no">complaint</code>' in coded
    assert '<code class="muted" translate="no">feedback_type</code>' in coded


def test_the_records_list_is_a_table_of_answers_in_labels_or_codes(team):
    from test_workspace import survey_record

    records = [survey_record(n) for n in range(12)]
    push_records(team, records)
    admin = signed_in(team, "admin")
    page = admin.get("/data/community_survey?lang=fr").text
    table = page[page.index('class="records-table"') :]
    header = table[: table.index("</thead>")]
    # Questions as columns, by their French labels, the code of each on hover.
    assert 'title="gender"' in header and "Quel est votre genre" in header
    assert 'title="discrimination_grounds"' in header
    assert "discrimination_grounds/religion" not in header  # a select_multiple once
    body = text_of(table[table.index("</thead>") : table.index("</table>")])
    assert "Femme" in body and "Homme" in body and 'title="woman"' in page
    assert body.count("Religion") >= len(records) // 2
    codes = admin.get("/data/community_survey?lang=fr&codes=1").text
    coded = codes[codes.index('class="records-table"') :]
    coded = text_of(coded[coded.index("</thead>") : coded.index("</table>")])
    assert "woman" in coded and "Femme" not in coded
    assert 'name="codes" value="1"' in codes  # kept when filtering


def test_analysts_see_the_released_answers_in_the_table(team):
    """The table shows an analyst exactly what the release (the records API) gives."""
    import requests

    from test_workspace import api_token, survey_record

    push_records(team, [survey_record(n) for n in range(40)])
    analyst = signed_in(team, "analyst")
    page = analyst.get("/data/community_survey?codes=1").text
    table = page[page.index('class="records-table"') :]
    names = re.findall(r'<th scope="col" title="([^"]+)"', table[: table.index("</thead>")])
    released = requests.get(
        team.url + "/api/v1/data/community_survey",
        timeout=10,
        headers={"Authorization": f"Bearer {api_token(team, 'analyst1')}"},
    ).json()["records"]
    by_uuid = {record["_uuid"][:8]: record for record in released}
    compared = 0
    for row in re.findall(r"<tr>(.*?)</tr>", table[table.index("</thead>") :], re.S):
        uuid = re.search(r'translate="no">([0-9a-f]{8})<', row).group(1)
        cells = re.findall(r'<td dir="auto"[^>]*>([^<]*)</td>', row)
        if uuid not in by_uuid:
            assert not cells  # left out of the release: no answer shown
            continue
        expected = by_uuid[uuid]
        for name, cell in zip(names, cells, strict=True):
            value = expected.get(name)
            assert cell == ("" if value is None else html.escape(str(value), quote=False)), name
        compared += 1
    assert compared >= 20 and "area" in names


def test_a_number_beyond_a_locales_format_reads_as_stored():
    """An answer the hub let through as typed (10^30, 1e300) shows as it is, not as a 500."""
    from collector.forms import builtin_forms
    from sync_server import labels

    form = builtin_forms()["community_survey"]
    question = form.questions["life_satisfaction"]
    assert labels.shown(form, question, 10**30, "en") == str(10**30)
    assert labels.shown(form, question, 1e300, "fr") == "1e+300"
    assert labels.shown(form, question, float("nan"), "en") == "NaN"
    assert labels.shown(form, question, 7, "en") == "7"


def test_a_date_asked_as_a_year_or_a_month_reads_as_it_was_asked():
    """The hub stores a year as its first of January and a month as its first day; the
    record page shows what the person was asked for, in the viewer's language."""
    from collector.forms import FormDefinition
    from sync_server import labels

    form = FormDefinition(
        {
            "form_id": "dates",
            "version": "1",
            "title": {"en": "Dates"},
            "default_language": "en",
            "sections": [
                {
                    "name": "s",
                    "label": {"en": "S"},
                    "questions": [
                        {"name": name, "type": "date", "label": {"en": name}, **more}
                        for name, more in (
                            ("arrived", {"appearance": "year"}),
                            ("left", {"appearance": "month-year"}),
                            ("moved", {"appearance": "quick month-year"}),
                            ("born", {}),
                        )
                    ],
                }
            ],
            "choices": {},
        }
    )
    app = Flask(__name__)
    Babel(app)
    with app.test_request_context():
        assert labels.shown(form, form.questions["arrived"], "2019-01-01", "fr") == "2019"
        assert labels.shown(form, form.questions["left"], "2024-03-01", "fr") == "mars 2024"
        assert labels.shown(form, form.questions["left"], "2024-03-01", "ar") == "مارس 2024"
        # One appearance among several (a definition may list them, separated by spaces).
        assert labels.shown(form, form.questions["moved"], "2024-03-01", "fr") == "mars 2024"
        assert labels.shown(form, form.questions["arrived"], "2019-02-30", "en") == "2019-02-30"
        assert "2019" in labels.shown(form, form.questions["born"], "2019-01-01", "en")
        assert labels.shown(form, form.questions["born"], "2019-01-01", "en") != "2019"
