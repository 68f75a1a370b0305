"""Valid answers for the built-in forms, and a helper that fills a form page by page."""

from __future__ import annotations

from collector.forms import builtin_forms

SURVEY_ANSWERS = {
    "consent": "yes",
    "age": "34",
    "gender": "woman",
    "migration_status": "refugee",
    "language_home": "other",
    "language_home_other": "Tigrinya",
    "area": "SR02",
    "urban_rural": "urban",
    "respondent_name": "Halima Yusuf",
    "respondent_phone": "+254 712 345678",
    "wg_seeing": "none",
    "wg_hearing": "none",
    "wg_walking": "some",
    "wg_remembering": "none",
    "wg_selfcare": "none",
    "wg_communicating": "a_lot",
    "who5_spirits": "3",
    "who5_calm": "2",
    "who5_active": "4",
    "who5_rested": "1",
    "who5_interest": "3",
    "life_satisfaction": "6",
    "safety_after_dark": "unsafe",
    "belonging": "fairly_strongly",
    "trust_people": "4",
    "trust_fair": "5",
    "trust_helpful": "6",
    "trust_local_authorities": "3",
    "trust_police": "2",
    "trust_courts": "4",
    "trust_health_services": "8",
    "trust_schools": "7",
    "trust_national_government": "3",
    "trust_community_leaders": "6",
    "trust_religious_leaders": "9",
    "trust_humanitarian": "7",
    "trust_host_newcomers": "4",
    "incl_visibility": "disagree",
    "incl_consideration": "strongly_disagree",
    "incl_participation": "agree",
    "incl_contact": "weekly",
    "incl_rights": "neither",
    "incl_documents": "partly",
    "incl_health_access": "sometimes",
    "incl_income": "partly",
    "discriminated": "yes",
    "discrimination_grounds": ["nationality", "language"],
    "discrimination_settings": ["housing", "police"],
    "discrimination_frequency": "a_few",
    "reported_to": ["no_one"],
    "not_reported_why": ["fear", "legal_status"],
    "comments": "The water point near block C is often broken.",
}

REPORT_ANSWERS = {
    "consent": "yes",
    "reporter_role": "self",
    "incident_month": "2024-02",
    "incident_area": "CE01",
    "incident_grounds": ["religion"],
    "incident_setting": "public_offices",
    "incident_description": "I was refused service at the registration office.",
    "reported_elsewhere": "no",
    "wants_referral": "yes",
    "reporter_name": "Musa Ibrahim",
    "reporter_contact": "musa@example.org",
}

FEEDBACK_ANSWERS = {
    "feedback_type": "complaint",
    "topic": "water",
    "message": "The tap in zone B has been dry for a week.",
    "wants_reply": "no",
}

FORMS = builtin_forms()


def page_data(form_id: str, section_index: int, answers: dict, action="next") -> list:
    """The fields one section page posts, with every question marked as shown."""
    form = FORMS[form_id]
    data = [("form_id", form_id), ("_action", action)]
    for question in form.section_questions(section_index):
        if not question.holds_value:
            continue
        data.append(("_shown", question.name))
        value = answers.get(question.name)
        if isinstance(value, list):
            data += [(question.name, v) for v in value]
        elif value is not None:
            data.append((question.name, value))
    return data


def whole_data(form_id: str, record_uuid: str, answers: dict, action="finalize") -> list:
    """The fields a whole-form page (a form filled on a phone) posts at once."""
    data = [("_uuid", record_uuid), ("_action", action), ("form_version", FORMS[form_id].version)]
    for index in range(len(FORMS[form_id].sections)):
        data += page_data(form_id, index, answers)[2:]
    return data


def fill_form(browser, form_id: str, answers: dict, finalize=True) -> str:
    """Fill every section of a form as a person would; return the record UUID."""
    response = browser.get(f"/forms/{form_id}")
    assert response.status_code == 200, response.text[:500]
    path = _form_action(response.text)
    record_uuid = path.split("/")[2]
    while "/review" not in response.url:
        index = int(path.rstrip("/").split("/")[-1])
        response = browser.post(path, page_data(form_id, index, answers))
        assert response.status_code == 200, response.text[:2000]
        if "/review" in response.url:
            break
        path = _form_action(response.text)
    if finalize:
        response = browser.post(f"/records/{record_uuid}/finalize", {})
        assert response.status_code == 200, response.text[:2000]
    return record_uuid


def post_page(browser, page, form_id: str, answers: dict):
    """Send `answers` (a list for a multiple choice) from the section page `page`, each
    question marked as shown, as the page's form would; for forms not built in."""
    data = [("form_id", form_id), ("_action", "next")]
    for key, value in answers.items():
        data.append(("_shown", key))
        data += [(key, v) for v in value] if isinstance(value, list) else [(key, value)]
    return browser.post(_form_action(page.text), data)


def record_of(page) -> str:
    """The UUID of the record a section page fills."""
    return _form_action(page.text).split("/")[2]


def _form_action(html: str) -> str:
    import re

    match = re.search(r'<form method="post" action="(/records/[^"]+)"', html)
    assert match, "no record form on the page"
    return match.group(1)
