"""Calculations, defaults and read-only questions: computed by the hub when a page is sent,
live in the browser, and never changed by what a page posts for a read-only question."""

from __future__ import annotations

import json
import re

import pytest

from browsing import review_and_finalize, sign_in  # noqa: F401
from support import import_forms, query

HOUSEHOLD = {
    "form_id": "household_count",
    "version": "1",
    "title": {"en": "Household count"},
    "sections": [
        {
            "name": "members",
            "label": {"en": "Members"},
            "questions": [
                {
                    "name": "site",
                    "type": "text",
                    "label": {"en": "Site"},
                    "default": "Camp A",
                    "read_only": True,
                },
                {
                    "name": "adults",
                    "type": "integer",
                    "label": {"en": "Adults"},
                    "default": "2",
                    "required": True,
                },
                {
                    "name": "children",
                    "type": "integer",
                    "label": {"en": "Children"},
                    "required": True,
                },
                {"name": "total", "type": "calculate", "calculation": "${adults} + ${children}"},
                {
                    "name": "size_band",
                    "type": "calculate",
                    "calculation": "if(${total} > 5, 'large', 'small')",
                },
                {
                    "name": "too_many",
                    "type": "integer",
                    "label": {"en": "Check"},
                    "constraint": ". = ${total}",
                    "relevant": "${total} > 20",
                    "constraint_message": {"en": "Must equal the total."},
                },
            ],
        },
        {
            "name": "crowding",
            "label": {"en": "Crowding"},
            "relevant": "${size_band} = 'large'",
            "questions": [
                {"name": "rooms", "type": "integer", "label": {"en": "Rooms"}, "required": True},
            ],
        },
    ],
}


@pytest.fixture
def counted_hub(hub, db_path):
    import_forms(db_path, HOUSEHOLD)
    return hub


def first_page(phone, data):
    page = phone.get("/forms/household_count").text
    path = re.search(r'<form method="post" action="(/records/[^"]+)"', page).group(1)
    fields = [("form_id", "household_count"), ("_action", "next")]
    fields += [("_shown", n) for n in ("adults", "children", "too_many")] + list(data.items())
    return phone.post(path, fields)


def test_a_new_record_starts_with_the_defaults(counted_hub):
    phone = counted_hub.browser("en")
    phone.signin()
    page = phone.get("/forms/household_count").text
    assert re.search(r'id="f-adults" name="adults"[^>]*value="2"', page)
    assert re.search(r'id="f-site" name="site"[^>]*disabled[^>]*value="Camp A"', page)
    assert 'data-calculation="${adults} + ${children}"' in page


def test_calculations_are_stored_and_read_only_answers_cannot_be_changed(counted_hub, db_path):
    phone = counted_hub.browser("en")
    phone.signin()
    response = first_page(phone, {"adults": "3", "children": "4", "site": "Somewhere else"})
    assert response.status_code == 200 and response.url.endswith("/1")  # crowding is relevant
    [record] = query(db_path, "SELECT answers FROM records")
    assert json.loads(record["answers"]) == {
        "site": "Camp A",
        "adults": 3,
        "children": 4,
        "total": 7,
        "size_band": "large",
    }


def test_a_small_household_skips_the_section_its_calculation_closes(counted_hub, db_path):
    phone = counted_hub.browser("en")
    phone.signin()
    response = first_page(phone, {"adults": "1", "children": "1"})
    assert response.url.endswith("/review")
    assert "Crowding" not in response.text and "size_band" not in response.text
    [record] = query(db_path, "SELECT answers FROM records")
    assert json.loads(record["answers"])["size_band"] == "small"


ASSIGNED = {
    "form_id": "assigned_arm",
    "version": "1",
    "title": {"en": "Assigned arm"},
    "sections": [
        {
            "name": "start",
            "label": {"en": "Start"},
            "questions": [
                {"name": "draw", "type": "calculate", "calculation": "once(random())"},
                {"name": "fresh", "type": "calculate", "calculation": "random()"},
                {"name": "village", "type": "text", "label": {"en": "Village"}},
            ],
        },
        {
            "name": "more",
            "label": {"en": "More"},
            "questions": [{"name": "notes", "type": "text", "label": {"en": "Notes"}}],
        },
    ],
}


def test_a_once_calculation_keeps_its_first_value_from_page_to_page(hub, db_path):
    """once(random()) assigns, say, a study arm: every page sent afterwards keeps it, where a
    plain random() is drawn again, as in ODK."""
    import_forms(db_path, ASSIGNED)
    phone = hub.browser("en")
    phone.signin()
    page = phone.get("/forms/assigned_arm").text
    path = re.search(r'<form method="post" action="(/records/[^"]+)/0"', page).group(1)
    seen = []
    for _ in range(3):
        start = [("_action", "next"), ("_shown", "village"), ("village", "Ade")]
        phone.post(f"{path}/0", [("form_id", "assigned_arm"), *start])
        more = [("_action", "back"), ("_shown", "notes"), ("notes", "x")]
        phone.post(f"{path}/1", [("form_id", "assigned_arm"), *more])
        [record] = query(db_path, "SELECT answers FROM records")
        seen.append(json.loads(record["answers"]))
    assert len({answers["draw"] for answers in seen}) == 1
    assert len({answers["fresh"] for answers in seen}) > 1


ARMS = {
    "form_id": "two_arms",
    "version": "1",
    "title": {"en": "Two arms"},
    "sections": [
        {
            "name": "start",
            "label": {"en": "Start"},
            "questions": [
                {"name": "draw", "type": "calculate", "calculation": "once(random())"},
                {"name": "village", "type": "text", "label": {"en": "Village"}},
                {
                    "name": "arm_a",
                    "type": "text",
                    "label": {"en": "Question of arm A"},
                    "relevant": "${draw} < 0.5",
                },
                {
                    "name": "arm_b",
                    "type": "text",
                    "label": {"en": "Question of arm B"},
                    "relevant": "${draw} >= 0.5",
                },
            ],
        }
    ],
}
ONCE_FIELD = re.compile(r'name="_once\.draw" value="([^"]*)"')


def test_a_new_record_keeps_the_draw_its_page_showed(hub, db_path):
    """The page carries the value once(random()) has, and the questions it opened; the
    record keeps that value, not a new draw of the hub's, so no answer is lost."""
    import_forms(db_path, ARMS)
    phone = hub.browser("en")
    phone.signin()
    page = phone.get("/forms/two_arms/phone").text
    assert 0 <= float(ONCE_FIELD.search(page).group(1)) < 1  # the hub's draw, for the script
    for draw, arm in ((0.2, "arm_a"), (0.7, "arm_b")):
        record = f"00000000-0000-4000-8000-00000000000{int(draw * 10)}"
        fields = [("_uuid", record), ("_action", "finalize"), ("form_version", "1")]
        fields += [("_shown", n) for n in ("village", arm)] + [("village", "Ade"), (arm, "yes")]
        fields += [("_once.draw", str(draw))]
        answer = phone.post("/forms/two_arms/submit", fields, csrf_from=page)
        assert answer.status_code == 200, answer.text[:300]
        [row] = query(db_path, "SELECT answers FROM records WHERE uuid = ?", [record])
        assert json.loads(row["answers"]) == {"draw": draw, "village": "Ade", arm: "yes"}
    # The page-at-a-time flow: the first page's value is the record's.
    page = phone.get("/forms/two_arms").text
    path = re.search(r'<form method="post" action="(/records/[^"]+)"', page).group(1)
    shown = ONCE_FIELD.search(page).group(1)
    arm = "arm_a" if float(shown) < 0.5 else "arm_b"
    fields = [("form_id", "two_arms"), ("_action", "next"), ("_once.draw", shown)]
    fields += [("_shown", n) for n in ("village", arm)] + [("village", "Obi"), (arm, "yes")]
    phone.post(path, fields, csrf_from=page)
    record = path.split("/")[2]
    [row] = query(db_path, "SELECT answers FROM records WHERE uuid = ?", [record])
    assert json.loads(row["answers"]) == {"draw": float(shown), "village": "Obi", arm: "yes"}


def test_a_constraint_can_use_a_calculation(counted_hub, db_path):
    phone = counted_hub.browser("en")
    phone.signin()
    response = first_page(phone, {"adults": "15", "children": "10", "too_many": "24"})
    assert response.status_code == 422 and "Must equal the total." in response.text
    response = first_page(phone, {"adults": "15", "children": "10", "too_many": "25"})
    assert response.status_code == 200


def test_the_whole_form_keeps_read_only_defaults(counted_hub, db_path):
    phone = counted_hub.browser("en")
    phone.signin()
    phone.get("/forms/household_count/phone")
    record_uuid = "7c9e6679-7425-40de-944b-e07fc1f90ae7"
    response = phone.post(
        "/forms/household_count/submit",
        [
            ("_uuid", record_uuid),
            ("_action", "finalize"),
            ("form_version", "1"),
            ("_shown", "adults"),
            ("_shown", "children"),
            ("_shown", "rooms"),
            ("adults", "2"),
            ("children", "5"),
            ("rooms", "2"),
        ],
        headers={"X-Hub-Outbox": "1"},
    )
    assert response.json()["status"] == "finalized"
    [record] = query(db_path, "SELECT answers FROM records WHERE uuid = ?", [record_uuid])
    assert json.loads(record["answers"]) == {
        "site": "Camp A",
        "adults": 2,
        "children": 5,
        "total": 7,
        "size_band": "large",
        "rooms": 2,
    }


def test_calculations_open_sections_live_in_the_browser(counted_hub, chromium):
    sign_in(chromium, counted_hub)
    chromium.get(f"{counted_hub.url}/forms/household_count/phone?lang=en")
    children = chromium.find_element("id", "f-children")
    finish = chromium.find_element("css selector", "button.step-review")
    following = chromium.find_element("css selector", "button.step-next")
    children.send_keys("1")
    chromium.find_element("id", "f-adults").click()  # leaving the field fires change
    assert finish.is_displayed() and not following.is_displayed()  # 3 people: no crowding
    children.clear()
    children.send_keys("6")
    chromium.find_element("id", "f-adults").click()
    assert following.is_displayed() and not finish.is_displayed()  # 8 people: crowding opens
    assert chromium.find_element("id", "f-site").get_attribute("value") == "Camp A"
    assert not chromium.find_element("id", "f-site").is_enabled()


@pytest.mark.slow
def test_on_the_phone_a_drawn_arm_stays_and_is_the_records(hub, db_path, chromium):
    """Typing recomputes the page's calculations: once(random()) keeps its value, the arm
    it opened stays open, and the record keeps that arm's answer."""
    from selenium.webdriver.support.ui import WebDriverWait

    import_forms(db_path, ARMS)
    sign_in(chromium, hub)
    chromium.get(f"{hub.url}/forms/two_arms/phone?lang=en")
    village = chromium.find_element("id", "f-village")
    seen = set()
    for letter in "Kagadi":
        village.send_keys(letter)
        seen.add(chromium.find_element("id", "q-arm_a").is_displayed())
    assert len(seen) == 1, "the arm changed while typing"
    arm = "arm_a" if seen.pop() else "arm_b"
    kept = chromium.find_element("name", "_once.draw").get_attribute("value")
    chromium.find_element("id", f"f-{arm}").send_keys("yes")
    review_and_finalize(chromium)
    WebDriverWait(chromium, 20).until(lambda d: "/phone" not in d.current_url)
    [row] = query(db_path, "SELECT answers FROM records")
    assert json.loads(row["answers"]) == {"draw": float(kept), "village": "Kagadi", arm: "yes"}


def test_calculations_are_exported_like_answers(tmp_path):
    import io

    import pyreadstat

    from collector.forms import load_form
    from sync_server.exports import export

    rows = [
        {
            "uuid": "7c9e6679-7425-40de-944b-e07fc1f90ae7",
            "revision": 1,
            "answers": {"adults": 2, "children": 5, "total": 7, "size_band": "large"},
        }
    ]
    out = io.BytesIO()
    export(iter(rows), [load_form(HOUSEHOLD)], "sav", out)
    path = tmp_path / "household.sav"
    path.write_bytes(out.getvalue())
    frame, meta = pyreadstat.read_sav(str(path))
    assert frame["total"].tolist() == [7.0] and frame["size_band"].tolist() == ["large"]
    assert meta.column_names_to_labels["total"] == "total"  # no label: its name


ADULTS = {
    "form_id": "adults",
    "version": "1",
    "title": {"en": "Adults"},
    "sections": [
        {
            "name": "s",
            "label": {"en": "S"},
            "questions": [
                {"name": "age", "type": "integer", "label": {"en": "Age"}, "required": True},
                {"name": "adult", "type": "calculate", "calculation": "${age} >= 18"},
                {
                    "name": "job",
                    "type": "text",
                    "label": {"en": "Job"},
                    "relevant": "${adult} = 'true'",
                },
            ],
        }
    ],
}


def test_a_true_or_false_calculation_reads_the_same_on_phone_and_hub(hub, chromium, db_path):
    import_forms(db_path, ADULTS)
    sign_in(chromium, hub)
    chromium.get(f"{hub.url}/forms/adults/phone?lang=en")
    age = chromium.find_element("id", "f-age")
    age.send_keys("12")
    chromium.find_element("tag name", "h1").click()
    assert not chromium.find_element("id", "q-job").is_displayed()
    age.clear()
    age.send_keys("30")
    chromium.find_element("tag name", "h1").click()
    assert chromium.find_element("id", "q-job").is_displayed()
    age.clear()
    age.send_keys("12")
    chromium.find_element("tag name", "h1").click()
    from selenium.webdriver.support.ui import WebDriverWait

    from browsing import review_and_finalize

    review_and_finalize(chromium)
    WebDriverWait(chromium, 20).until(lambda d: "/phone" not in d.current_url)
    [record] = query(db_path, "SELECT status, answers FROM records")
    assert record["status"] == "finalized"
    assert json.loads(record["answers"]) == {"age": 12, "adult": "false"}


NAMED = {
    "form_id": "named",
    "version": "1",
    "title": {"en": "Named", "fr": "Nommé"},
    "choices": {
        "districts": [
            {"name": "d1", "label": {"en": "North hills", "fr": "Collines du nord"}},
            {"name": "d2", "label": {"en": "South plain", "fr": "Plaine du sud"}},
        ]
    },
    "sections": [
        {
            "name": "s",
            "label": {"en": "S", "fr": "S"},
            "questions": [
                {
                    "name": "district",
                    "type": "select_one",
                    "choices": "districts",
                    "required": True,
                    "label": {"en": "District", "fr": "District"},
                },
                {
                    "name": "district_name",
                    "type": "calculate",
                    "calculation": "jr:choice-name(${district}, '${district}')",
                },
                {
                    "name": "hills",
                    "type": "text",
                    "label": {"en": "Which hill?", "fr": "Quelle colline ?"},
                    "relevant": "contains(${district_name}, 'hills')"
                    " or contains(${district_name}, 'Collines')",
                },
            ],
        }
    ],
}


@pytest.mark.parametrize("lang, label", [("en", "North hills"), ("fr", "Collines du nord")])
def test_a_choice_name_is_stored_in_the_language_of_the_page(hub, db_path, lang, label):
    import_forms(db_path, NAMED)
    phone = hub.browser(lang)
    phone.signin()
    page = phone.get("/forms/named").text
    path = re.search(r'<form method="post" action="(/records/[^"]+)"', page).group(1)
    response = phone.post(
        path,
        [
            ("form_id", "named"),
            ("_action", "next"),
            ("_shown", "district"),
            ("_shown", "hills"),
            ("district", "d1"),
            ("hills", "Kilima"),
        ],
    )
    assert response.url.endswith("/review")
    [record] = query(db_path, "SELECT answers FROM records")
    assert json.loads(record["answers"]) == {
        "district": "d1",
        "district_name": label,
        "hills": "Kilima",
    }


def test_a_choice_name_opens_a_question_live_in_the_browser(hub, db_path, chromium):
    import_forms(db_path, NAMED)
    sign_in(chromium, hub)
    chromium.get(f"{hub.url}/forms/named/phone?lang=fr")
    hills = chromium.find_element("id", "q-hills")
    assert not hills.is_displayed()
    chromium.find_element("css selector", 'input[name="district"][value="d1"]').click()
    assert hills.is_displayed()  # "Collines du nord", read off the page
    chromium.find_element("css selector", 'input[name="district"][value="d2"]').click()
    assert not hills.is_displayed()
