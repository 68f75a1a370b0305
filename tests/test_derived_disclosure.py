"""Answers taken from key or sensitive questions take their disclosure role: an or_other
select's 'specify' text and a calculation reading a key or sensitive question (directly or
through other calculations) are released no more than the question they come from, in the
export, the data table's filters and the records API; the import and the publishing pages
list them. A role of the question's own confirms that role or, when it is the other one,
withholds the question: it never weakens what the question is computed from."""

from __future__ import annotations

import copy
import csv
import html
import io
import re
import uuid
from collections import Counter
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner

from collector.cli import cli as collector_cli
from collector.forms import WITHHELD, builtin_forms, last_saved_problem, load_form
from sync_server import disclosure
from sync_server.form_diff import diff_forms, plain_lines
from test_data_table import total_of
from test_disclosure_release import table
from test_form_publishing import publish_button, text_of, upload
from test_workspace import api_token, push_records, signed_in, team  # noqa: F401  (a fixture)
from workbooks import imported, write_workbook

FORM_ID = "derived_roles"
K, L = disclosure.DEFAULT_K, disclosure.DEFAULT_L
SURVEY = [
    ["type", "name", "label", "calculation", "disclosure"],
    ["integer", "age", "Age", None, "key"],
    ["select_one nat or_other", "nationality", "Nationality", None, "key"],
    ["select_one ground or_other", "ground", "Ground", None, "sensitive"],
    ["calculate", "months_old", None, "${age} * 12", None],
    ["calculate", "birth_year", None, "2026 - ${age}", None],
    ["calculate", "months_text", None, "concat(${months_old}, ' months')", None],
    ["calculate", "religious", None, "if(selected(${ground}, 'religion'), 'yes', 'no')", None],
    ["calculate", "profile", None, "concat(${age}, ' ', ${ground})", None],
    ["calculate", "decade", None, "int(${age} div 10)", "key"],
    # Marked with the other role than what they are computed from: not released.
    ["calculate", "year_born", None, "2026 - ${age}", "sensitive"],
    ["calculate", "ground_flag", None, "if(selected(${ground}, 'disability'), 1, 0)", "key"],
    ["calculate", "born_decade", None, "int(${year_born} div 10)", None],
    ["text", "comment", "Comment", None, None],
]
CHOICES = [
    ["list_name", "name", "label"],
    ["nat", "local", "Local"],
    ["nat", "neighbour", "Neighbouring country"],
    ["ground", "religion", "Religion"],
    ["ground", "ethnicity", "Ethnicity"],
    ["ground", "disability", "Disability"],
]
# What one respondent each wrote instead of a choice: never in an analyst's release.
RARE_TEXTS = ("Eritrean", "Orthodox Christian")
DERIVED_KEYS = ("months_old", "birth_year", "months_text", "nationality_other")
DERIVED_SENSITIVE = ("religious", "ground_other")
NOT_RELEASED = ("profile", "year_born", "ground_flag", "born_decade")


def with_roles(**roles: str) -> list[list]:
    """SURVEY with these questions' own disclosure roles."""
    return [row[:4] + [roles.get(row[1], row[4])] for row in SURVEY]


def workbook(tmp_path: Path, survey=SURVEY, version="1") -> Path:
    settings = [["form_id", "version"], [FORM_ID, version]]
    return write_workbook(tmp_path / f"derived{version}.xlsx", survey, CHOICES, settings)


def answers(n: int) -> dict:
    """Respondent n: every age its own, one nationality and one ground written in."""
    age = 20 + 2 * n
    ground = "other" if n == 1 else ("religion", "ethnicity", "disability")[n % 3]
    found = {
        "age": age,
        "nationality": "other" if n == 0 else ("local", "neighbour")[n % 2],
        "ground": ground,
        "months_old": str(age * 12),
        "birth_year": str(2026 - age),
        "months_text": f"{age * 12} months",
        "religious": "yes" if ground == "religion" else "no",
        "profile": f"{age} {ground}",
        "decade": str(age // 10),
        "year_born": str(2026 - age),
        "ground_flag": "1" if ground == "disability" else "0",
        "born_decade": str((2026 - age) // 10),
    }
    if n == 0:
        found["nationality_other"] = RARE_TEXTS[0]
    if n == 1:
        found["ground_other"] = RARE_TEXTS[1]
    return found


def record(n: int) -> dict:
    return {
        "uuid": str(uuid.uuid4()),
        "revision": 1,
        "form_id": FORM_ID,
        "form_version": "1",
        "locale": "en",
        "collected": "2026-11-20",
        "enumerator": None,
        "answers": answers(n),
    }


# -- The rule, in the form definition both apps load ---------------------------------------


def test_derived_questions_take_the_role_of_what_they_are_taken_from(tmp_path):
    form = imported(workbook(tmp_path)).form
    assert form.derived_roles == {
        "nationality_other": ("key", ("nationality",)),
        "ground_other": ("sensitive", ("ground",)),
        "months_old": ("key", ("age",)),
        "birth_year": ("key", ("age",)),
        "months_text": ("key", ("age",)),  # through months_old
        "religious": ("sensitive", ("ground",)),
        "profile": (WITHHELD, ("age", "ground")),
        "born_decade": (WITHHELD, ("age", "year_born")),  # through the conflicting year_born
    }
    # A role the form gives that is the one taken is kept; the other one withholds it; a
    # question taken from nothing keeps none.
    assert form.disclosure_roles["decade"] == "key" and "comment" not in form.disclosure_roles
    assert form.role_conflicts == {
        "year_born": ("sensitive", ("age",)),
        "ground_flag": ("key", ("ground",)),
    }
    assert {form.disclosure_roles[name] for name in NOT_RELEASED} == {WITHHELD}
    keys, sensitive, _ = disclosure.variables([form])
    by_name = {v.name: v for v in keys}
    assert {name for name in DERIVED_KEYS if name in by_name} == set(DERIVED_KEYS)
    assert all(by_name[name].weight == disclosure.LIGHT for name in DERIVED_KEYS)
    assert by_name["decade"].weight == 1.0  # its own key, as before
    assert all(by_name[name].hierarchy.levels == ("not released",) for name in NOT_RELEASED)
    assert {v.name for v in sensitive} == {"ground", *DERIVED_SENSITIVE}
    # The hub refuses a sensitive answer's copy in the next record, as the answer's own.
    assert last_saved_problem("ground_other", form.data) == "private"
    assert last_saved_problem("profile", form.data) == "private"
    assert last_saved_problem("year_born", form.data) == "private"
    assert last_saved_problem("comment", form.data) is None


def test_a_specify_text_of_any_name_takes_the_role_of_its_select(tmp_path):
    """Forms written elsewhere name the 'specify' text as they like and code 'other' as
    96 or 'oth': the text shown only for that choice is what the person picked instead."""
    survey = [
        ["type", "name", "label", "relevant", "disclosure"],
        ["select_one lang", "home_language", "Language at home", None, "key"],
        ["text", "lang_specify", "Which language?", "${home_language} = '96'", None],
        ["text", "lang_again", "Which one?", "'96' = ${home_language}", None],
        ["select_multiple why", "grounds", "Why?", None, "sensitive"],
        ["text", "grounds_detail", "Précisez", "selected(${grounds}, 'oth')", None],
        ["text", "arabic_dialect", "Which dialect?", "${home_language} = 'ar'", None],
        ["select_one place", "venue", "Where?", None, None],
        ["text", "venue_detail", "Where else?", "${venue} = 'other'", None],
    ]
    choices = [
        ["list_name", "name", "label"],
        ["lang", "ar", "Arabic"],
        ["lang", "fr", "French"],
        ["lang", "96", "Other (specify)"],
        ["why", "religion", "Religion"],
        ["why", "oth", "Autre raison"],
        ["place", "market", "Market"],
        ["place", "other", "Other"],
    ]
    path = write_workbook(tmp_path / "specify.xlsx", survey, choices, [["form_id"], ["sp"]])
    form = imported(path).form
    assert form.derived_roles == {
        "lang_specify": ("key", ("home_language",)),
        "lang_again": ("key", ("home_language",)),
        "grounds_detail": ("sensitive", ("grounds",)),
    }
    # Shown for a choice that is no 'other', or for a select without a role: no role.
    assert {"arabic_dialect", "venue_detail"}.isdisjoint(form.disclosure_roles)


def test_the_built_in_forms_take_no_derived_role():
    """Their releases are as before: every role they have, they give themselves."""
    for form in builtin_forms().values():
        assert form.derived_roles == {} and form.role_conflicts == {}, form.form_id


def calculation(name: str, expression: str, role: str | None = None) -> dict:
    found = {"name": name, "type": "calculate", "calculation": expression}
    return found | ({"disclosure": role} if role else {})


def test_a_role_of_its_own_confirms_a_derived_role_and_never_weakens_it():
    """The built-in survey with calculations added: the attack review's count of sensitive
    grounds marked key and birth year marked sensitive are withheld, as is what is computed
    from them; the same role is kept as the form gives it."""
    data = copy.deepcopy(builtin_forms()["community_survey"].data)
    data["form_id"] = "community_roles"
    data["sections"] += [
        {
            "name": "members",
            "label": {"en": "Members"},
            "repeat": True,
            "questions": [
                {
                    "name": "member_age",
                    "type": "integer",
                    "label": {"en": "Age"},
                    "disclosure": "key",
                }
            ],
        },
        {
            "name": "derived",
            "label": {"en": "Derived"},
            "questions": [
                calculation("age_months", "${age} * 12", "key"),
                calculation(
                    "grounds_named", "count-selected(${discrimination_grounds})", "sensitive"
                ),
                calculation("grounds_key", "count-selected(${discrimination_grounds})", "key"),
                calculation("year_of_birth", "2026 - ${age}", "sensitive"),
                calculation("born_in", "concat('born ', ${year_of_birth})"),
                calculation("n_members", "count(${members})"),
                calculation("n_ages", "count(${member_age})"),
            ],
        },
    ]
    form = load_form(data)
    roles = form.disclosure_roles
    assert roles["age_months"] == "key" and roles["grounds_named"] == "sensitive"
    assert roles["grounds_key"] == roles["year_of_birth"] == roles["born_in"] == WITHHELD
    assert form.role_conflicts == {
        "grounds_key": ("key", ("discrimination_grounds",)),
        "year_of_birth": ("sensitive", ("age",)),
    }
    assert form.derived_roles["born_in"] == (WITHHELD, ("age", "year_of_birth"))
    # Counting the repeat's instances reads no answer but tells its count, a key; counting
    # an answer takes the answer's role too.
    assert form.derived_roles["n_members"] == ("key", ("members",))
    assert form.derived_roles["n_ages"] == ("key", ("member_age", "members"))
    keys, sensitive, _ = disclosure.variables([form])
    by_name = {v.name: v for v in keys}
    assert by_name["age_months"].weight == 1.0
    for name in ("grounds_key", "year_of_birth", "born_in"):
        assert by_name[name].hierarchy.levels == ("not released",), name
    assert "grounds_named" in {v.name for v in sensitive}
    assert {"grounds_key", "year_of_birth"}.isdisjoint(v.name for v in sensitive)
    assert last_saved_problem("grounds_key", data) == "private"


# A household's members, counted by calculations: each reads the repeat's count (a key of
# every release) without reading an answer, or alongside one.
COUNTS_SURVEY = [
    ["type", "name", "label", "calculation", "disclosure", "repeat_count"],
    ["integer", "age", "Age", None, "key", None],
    ["select_one ground", "ground", "Ground", None, "sensitive", None],
    ["begin repeat", "members", "Members", None, None, None],
    ["integer", "member_age", "Member's age", None, None, None],
    ["text", "member_job", "Member's work", None, None, None],
    ["calculate", "member_no", None, "position(..)", None, None],
    ["calculate", "household_of", None, "count(${members})", None, None],
    ["end repeat", None, None, None, None, None],
    ["calculate", "hh_size", None, "count(${members})", None, None],
    ["calculate", "hh_plus", None, "count(${members}) + 1", None, None],
    ["calculate", "hh_kind", None, "if(count(${members}) > 3, 'large', 'small')", None, None],
    ["calculate", "n_ages", None, "count(${member_age})", None, None],
    ["calculate", "n_working", None, "count-non-empty( ${member_job} )", None, None],
    ["calculate", "jobs", None, "join(', ', ${member_job})", None, None],
    ["calculate", "hh_twice", None, "${hh_size} * 2", None, None],
    ["calculate", "first_age", None, "indexed-repeat(${member_age}, ${members}, 1)", None, None],
    ["calculate", "size_age", None, "concat(${hh_size}, '/', ${age})", None, None],
    ["calculate", "size_ground", None, "concat(count(${members}), ${ground})", None, None],
    ["calculate", "size_key", None, "count(${members})", "key", None],
    ["calculate", "size_sensitive", None, "count(${members})", "sensitive", None],
    ["begin repeat", "visits", "Visits", None, None, "${hh_size}"],
    ["date", "visit_day", "Day", None, None, None],
    ["end repeat", None, None, None, None, None],
    ["calculate", "n_visits", None, "count(${visits})", None, None],
    ["calculate", "total_age", None, "sum(${member_age})", None, None],
    # Reading no count: as before.
    ["calculate", "age_months", None, "${age} * 12", None, None],
    ["calculate", "fixed", None, "'household'", None, None],
]
COUNTS_CHOICES = [["list_name", "name", "label"], ["ground", "religion", "Religion"]]
# Everything the household's size can be read from, protected as the count is.
SIZE_KEYS = ("hh_size", "hh_plus", "hh_kind", "n_ages", "n_working", "hh_twice", "size_age")


def counts_workbook(tmp_path: Path) -> Path:
    settings = [["form_id", "version"], ["household_counts", "1"]]
    return write_workbook(tmp_path / "counts.xlsx", COUNTS_SURVEY, COUNTS_CHOICES, settings)


def test_a_calculation_counting_a_repeat_takes_the_role_of_its_count(tmp_path):
    """count(${members}) reads no answer, yet tells the household's size that releases
    protect as a key: it is a key, and what is computed from it too."""
    form = imported(counts_workbook(tmp_path)).form
    counted = ("key", ("members",))
    assert form.derived_roles == {
        "household_of": counted,
        "hh_size": ("key", ("members", "visits")),  # and the number of visits it sets
        "hh_plus": counted,
        "hh_kind": counted,
        "n_ages": counted,  # member_age has no role: its instances are the members
        "n_working": counted,
        "jobs": counted,  # one comma fewer than the members
        "hh_twice": ("key", ("members", "visits")),  # through hh_size
        "first_age": counted,  # empty when the household has no member
        "size_age": ("key", ("age", "members", "visits")),
        "size_ground": (WITHHELD, ("ground", "members")),
        "n_visits": ("key", ("visits",)),
        "total_age": counted,  # a sum of a 1 per member would be the count
        "age_months": ("key", ("age",)),
    }
    # Marked key, it is what it takes; marked sensitive, withheld as any other conflict.
    assert form.disclosure_roles["size_key"] == "key" and "size_key" not in form.role_conflicts
    assert form.role_conflicts == {"size_sensitive": ("sensitive", ("members",))}
    # The instance's own number and a constant read no count.
    assert {"member_no", "fixed"}.isdisjoint(form.disclosure_roles)
    keys, sensitive, withheld = disclosure.variables([form])
    by_name = {v.name: v for v in keys}
    assert all(by_name[name].weight == disclosure.LIGHT for name in SIZE_KEYS)
    assert by_name["size_ground"].hierarchy.levels == ("not released",)
    assert by_name["size_sensitive"].hierarchy.levels == ("not released",)
    assert {"size_ground", "size_sensitive"}.isdisjoint(v.name for v in sensitive)
    # In the repeat's table, a question with a role is left empty; its number is kept.
    assert "household_of" in withheld["members"] and "member_no" not in withheld["members"]


def test_publishing_names_a_counted_repeat_a_new_version_withholds_through(tmp_path):
    """A count the current version released (a key) that the new version marks sensitive or
    reads together with a sensitive answer is named as the form writes the count."""
    first = imported(counts_workbook(tmp_path)).form
    survey = [list(row) for row in COUNTS_SURVEY]
    for row in survey:
        if row[1] == "hh_size":
            row[4] = "sensitive"
        if row[1] == "hh_plus":
            row[3] = "count(${members}) + ${ground}"
    settings = [["form_id", "version"], ["household_counts", "2"]]
    path = write_workbook(tmp_path / "counts2.xlsx", survey, COUNTS_CHOICES, settings)
    lines = plain_lines(diff_forms(first, imported(path).form))
    assert [line for line in lines if "is not released by this one" in line] == [
        "  hh_size was released by version 1 and is not released by this one: marked "
        "sensitive but computed from count(${members}) (key)",
        "  hh_plus was released by version 1 and is not released by this one: "
        "computed from ground (sensitive), count(${members}) (key)",
        # What reads hh_size now reads a sensitive answer and the count.
        "  hh_twice was released by version 1 and is not released by this one: "
        "computed from hh_size (sensitive), count(${members}) (key)",
        "  size_age was released by version 1 and is not released by this one: "
        "computed from age (key), hh_size (sensitive), count(${members}) (key)",
    ]


def test_the_hub_import_says_a_calculation_takes_the_role_of_a_count(tmp_path, data_dir):
    result = CliRunner().invoke(
        collector_cli,
        ["forms", "import", str(counts_workbook(tmp_path)), "--data-dir", str(data_dir)],
    )
    assert result.exit_code == 0, result.output
    assert (
        "  hh_size takes the role of the count of members, the count of visits (key)\n"
    ) in result.output
    assert (
        "  size_age takes the role of age, the count of members, the count of visits (key)\n"
    ) in result.output
    assert (
        "  size_ground takes the role of ground, the count of members (key and sensitive: "
        "not released)\n"
    ) in result.output
    assert (
        "  size_sensitive is marked sensitive but is computed from the count of members "
        "(key): not released\n"
    ) in result.output
    assert "  total_age takes the role of the count of members (key)\n" in result.output
    assert "age_months takes the role of age (key)" in result.output
    assert "fixed takes" not in result.output and "member_no takes" not in result.output


# For a release: the household's size, told three ways, and a sensitive answer.
SIZE_SURVEY = [
    ["type", "name", "label", "calculation", "disclosure"],
    ["select_one ground", "ground", "Ground", None, "sensitive"],
    ["begin repeat", "members", "Members", None, None],
    ["integer", "member_age", "Member's age", None, None],
    ["end repeat", None, None, None, None],
    ["calculate", "hh_size", None, "count(${members})", None],
    ["calculate", "hh_kind", None, "if(count(${members}) > 3, 'large', 'small')", None],
    ["calculate", "n_ages", None, "count(${member_age})", None],
]
SIZE_CHOICES = [
    ["list_name", "name", "label"],
    ["ground", "religion", "Religion"],
    ["ground", "ethnicity", "Ethnicity"],
]


def household(n: int) -> dict:
    """Household n: two, three or four members, and from the 46th on one of its own size."""
    size = (2, 3, 4)[n % 3] if n < 45 else 7 + n - 45
    answers = {
        "ground": ("religion", "ethnicity")[n % 2],
        "members": [{"member_age": 20 + i} for i in range(size)],
        "hh_size": str(size),
        "hh_kind": "large" if size > 3 else "small",
        "n_ages": str(size),
    }
    return record(n) | {"uuid": f"household-{n}", "form_id": "household", "answers": answers}


@pytest.mark.parametrize("households", [45, 48])
def test_a_count_computed_from_a_repeat_is_released_no_more_than_the_count(tmp_path, households):
    """The release every export and the records API give: where the count of members is
    not released, no calculation tells it; where it is, they may tell it as it does, and
    every value is shared by k households."""
    path = write_workbook(
        tmp_path / "size.xlsx", SIZE_SURVEY, SIZE_CHOICES, [["form_id"], ["household"]]
    )
    form = imported(path).form
    rows = [household(n) for n in range(households)]
    plan = disclosure.make_plan([form], lambda: iter(rows), K, L)
    released = list(plan.release().rows(rows))
    assert len(released) >= 45
    levels = {v["name"]: v["level_name"] for v in plan.report["key_variables"]}
    # Sizes 7, 8 and 9 once each: the count is not released at all; else as stored.
    assert levels["members"] == ("not released" if households == 48 else "as stored")
    for row in released:
        answers = row["answers"]
        count = len(answers["members"]) if "members" in answers else None
        told = {answers.get(name) for name in ("hh_size", "n_ages")} - {None, disclosure.OTHER}
        assert told <= ({str(count)} if count else set()), (row["uuid"], count, told)
    for name in ("hh_size", "hh_kind", "n_ages"):
        shared = Counter(r["answers"][name] for r in released if r["answers"].get(name))
        assert all(n >= K for n in shared.values()), (name, shared)
    if households == 45:  # released with the count, as useful as before
        assert {levels[name] for name in ("hh_size", "hh_kind", "n_ages")} == {"as stored"}


# The household's size told without count(): the answer that sets the number of members,
# a sum of a 1 per member, the largest position; and a sum of answers.
SET_SURVEY = [
    ["type", "name", "label", "calculation", "disclosure", "repeat_count"],
    ["select_one ground", "ground", "Ground", None, "sensitive", None],
    ["integer", "hh_n", "How many people live here?", None, None, None],
    ["begin repeat", "members", "Members", None, None, "${hh_n}"],
    ["integer", "member_age", "Member's age", None, None, None],
    ["calculate", "one", None, "1", None, None],
    ["calculate", "pos", None, "position(..)", None, None],
    ["end repeat", None, None, None, None, None],
    ["calculate", "hh_sum", None, "sum(${one})", None, None],
    ["calculate", "hh_max", None, "max(${pos})", None, None],
    ["calculate", "oldest", None, "max(${member_age})", None, None],
    ["calculate", "hh_label", None, "concat('size ', ${hh_n})", None, None],
]
SET_KEYS = ("hh_n", "hh_sum", "hh_max", "oldest", "hh_label")


def set_household(n: int) -> dict:
    size = (2, 3, 4)[n % 3] if n < 45 else 7 + n - 45
    answers = {
        "ground": ("religion", "ethnicity")[n % 2],
        "hh_n": size,
        "members": [{"member_age": 20 + i, "one": "1", "pos": str(i + 1)} for i in range(size)],
        "hh_sum": str(size),
        "hh_max": str(size),
        "oldest": str(20 + size - 1),
        "hh_label": f"size {size}",
    }
    return record(n) | {"uuid": f"set-{n}", "form_id": "household", "answers": answers}


@pytest.mark.parametrize("households", [45, 48])
def test_what_sets_or_aggregates_a_repeat_is_released_no_more_than_its_count(tmp_path, households):
    """The answer a top-level repeat's repeat_count reads is its count, and any aggregate of
    a repeated question outside the repeat (sum of a 1 per member, max of position(), max of
    the ages) reads its instances as a whole: each is a key, as the count is. Where the
    count is released, they are too."""
    path = write_workbook(
        tmp_path / "set.xlsx", SET_SURVEY, SIZE_CHOICES, [["form_id"], ["household"]]
    )
    form = imported(path).form
    assert {name: form.derived_roles[name] for name in SET_KEYS} == dict.fromkeys(
        SET_KEYS, ("key", ("members",))
    )
    assert {"one", "pos", "member_age"}.isdisjoint(form.disclosure_roles)
    rows = [set_household(n) for n in range(households)]
    plan = disclosure.make_plan([form], lambda: iter(rows), K, L)
    released = list(plan.release().rows(rows))
    levels = {v["name"]: v["level_name"] for v in plan.report["key_variables"]}
    if households == 45:  # the count released: so is all that tells it
        assert {levels[name] for name in ("members", *SET_KEYS)} == {"as stored"}
        assert all(r["answers"]["hh_sum"] == str(r["answers"]["hh_n"]) for r in released)
        return
    assert levels["members"] == "not released"
    for row in released:
        size = len(rows[int(row["uuid"].split("-")[1])]["answers"]["members"])
        answers = row["answers"]
        assert {answers.get(name) for name in ("hh_n", "hh_sum", "hh_max")}.isdisjoint(
            {size, str(size)}
        ), answers
    for name in SET_KEYS:
        shared = Counter(str(r["answers"].get(name)) for r in released)
        assert all(n >= K for n in shared.values()), (name, shared)


INCIDENTS_SURVEY = [
    ["type", "name", "label", "calculation", "disclosure", "repeat_count"],
    ["integer", "times", "How many times were you refused?", None, "sensitive", None],
    ["calculate", "times_again", None, "${times} + 0", None, None],
    ["integer", "rooms", "Rooms", None, "key", None],
    ["begin repeat", "refusals", "Each refusal", None, None, "${times}"],
    ["text", "where_refused", "Where?", None, None, None],
    ["end repeat", None, None, None, None, None],
    ["begin repeat", "retold", "Each refusal again", None, None, "${times_again}"],
    ["text", "when_refused", "When?", None, None, None],
    ["end repeat", None, None, None, None, None],
    ["begin repeat", "room", "Each room", None, None, "${rooms}"],
    ["text", "room_use", "Used for", None, None, None],
    ["end repeat", None, None, None, None, None],
]


def test_a_repeat_counted_by_a_sensitive_answer_is_not_released(tmp_path):
    """repeat_count = a sensitive answer (directly or through a calculation): the number of
    instances is that answer, so neither the count nor the repeat's rows are released; a
    repeat counted by a key answer is released as before."""
    path = write_workbook(
        tmp_path / "refusals.xlsx", INCIDENTS_SURVEY, [], [["form_id"], ["refusals"]]
    )
    form = imported(path).form
    assert form.withheld_counts == {"refusals": ("times",), "retold": ("times", "times_again")}
    rows = []
    for n in range(40):
        times, rooms = 1 + n % 3, 1 + n % 2
        answers = {
            "times": str(times),
            "times_again": str(times),
            "rooms": str(rooms),
            "refusals": [{"where_refused": "school"}] * times,
            "retold": [{"when_refused": "2026"}] * times,
            "room": [{"room_use": "sleep"}] * rooms,
        }
        rows.append(record(n) | {"form_id": "refusals", "answers": answers})
    plan = disclosure.make_plan([form], lambda: iter(rows), K, L)
    levels = {v["name"]: v["level_name"] for v in plan.report["key_variables"]}
    assert levels["refusals"] == levels["retold"] == "not released"
    assert levels["room"] == "as stored", levels
    released = list(plan.release().rows(rows))
    assert len(released) == 40
    for row in released:
        assert {"refusals", "retold"}.isdisjoint(row["answers"]), row["answers"]
        assert len(row["answers"]["room"]) == int(row["answers"]["rooms"])


NESTED_SURVEY = [
    ["type", "name", "label", "calculation", "disclosure", "repeat_count"],
    ["integer", "times", "How many times were you refused?", None, "sensitive", None],
    ["begin repeat", "visits", "Each visit", None, None, "1"],
    ["text", "visit_note", "Note", None, None, None],
    ["begin repeat", "refusals", "Each refusal", None, None, "${times}"],
    ["text", "where_refused", "Where?", None, None, None],
    ["end repeat", None, None, None, None, None],
    ["begin repeat", "rooms", "Each room", None, None, None],
    ["text", "room_use", "Used for", None, None, None],
    ["end repeat", None, None, None, None, None],
    ["end repeat", None, None, None, None, None],
    ["begin repeat", "members", "Each member", None, None, None],
    ["integer", "m_refused", "Times this member was refused", None, "sensitive", None],
    ["begin repeat", "m_refusals", "Each refusal of the member", None, None, "${m_refused}"],
    ["text", "m_where", "Where?", None, None, None],
    ["end repeat", None, None, None, None, None],
    ["end repeat", None, None, None, None, None],
]


def test_a_repeat_inside_another_counted_by_a_sensitive_answer_is_not_released(tmp_path):
    """Counted per instance of the repeat it is in, such a repeat's rows would give the
    answer back: they are left out at every depth; a repeat beside it keeps its rows."""
    path = write_workbook(tmp_path / "nested.xlsx", NESTED_SURVEY, [], [["form_id"], ["nested"]])
    form = imported(path).form
    assert form.withheld_counts == {"refusals": ("times",), "m_refusals": ("m_refused",)}
    rows = []
    for n in range(40):
        times = 1 + n % 3
        answers = {
            "times": str(times),
            "visits": [
                {
                    "visit_note": "ok",
                    "refusals": [{"where_refused": "school"}] * times,
                    "rooms": [{"room_use": "sleep"}] * 2,
                }
            ],
            "members": [{"m_refused": str(times), "m_refusals": [{"m_where": "clinic"}] * times}],
        }
        rows.append(record(n) | {"form_id": "nested", "answers": answers})
    plan = disclosure.make_plan([form], lambda: iter(rows), K, L)
    assert {"refusals", "m_refusals"} <= set(plan.report["not_released"])
    released = list(plan.release().rows(rows))
    assert len(released) == 40
    for row in released:
        (visit,) = row["answers"]["visits"]
        assert visit == {"visit_note": "ok", "rooms": [{"room_use": "sleep"}] * 2}, visit
        assert row["answers"]["members"] == [{}]  # its answer emptied, its refusals gone
    # The stored rows are as they were.
    assert all(
        len(r["answers"]["visits"][0]["refusals"]) == int(r["answers"]["times"]) for r in rows
    )


def test_an_xlsform_default_and_a_specify_text_with_their_own_roles(tmp_path):
    """A calculate's default (once(${age})) and an 'other' text are taken from what they
    read too: marked with the same role, unchanged; with the other one, withheld."""
    survey = [
        ["type", "name", "label", "calculation", "default", "disclosure"],
        ["integer", "age", "Age", None, None, "key"],
        ["select_one why or_other", "why", "Why?", None, None, "sensitive"],
        ["calculate", "age_at_start", None, None, "${age}", "sensitive"],
        ["calculate", "age_again", None, None, "${age}", "key"],
        ["calculate", "halved", None, "${age_at_start} div 2", None, "sensitive"],
    ]
    choices = [["list_name", "name", "label"], ["why", "religion", "Religion"]]
    path = write_workbook(tmp_path / "defaults.xlsx", survey, choices, [["form_id"], ["dflt"]])
    form = imported(path).form
    assert form.questions["age_at_start"].calculation == "once(${age})"
    assert form.disclosure_roles == {
        "age": "key",
        "why": "sensitive",
        "age_at_start": WITHHELD,
        "age_again": "key",
        "halved": WITHHELD,
        "why_other": "sensitive",
    }
    assert form.role_conflicts == {
        "age_at_start": ("sensitive", ("age",)),
        "halved": ("sensitive", ("age", "age_at_start")),
    }


def test_publishing_says_when_a_version_stops_releasing_a_question(tmp_path):
    """The changes from the current version name a question it released that the new one
    withholds: a role of its own now in conflict, or a calculation now reading both kinds."""
    first = imported(workbook(tmp_path)).form
    survey = with_roles(decade="sensitive")
    next(row for row in survey if row[1] == "months_text")[3] = "concat(${months_old}, ${ground})"
    second = imported(workbook(tmp_path, survey, "2")).form
    lines = plain_lines(diff_forms(first, second))
    assert [line for line in lines if "is not released by this one" in line] == [
        "  months_text was released by version 1 and is not released by this one: "
        "computed from age (key), ground (sensitive)",
        "  decade was released by version 1 and is not released by this one: marked "
        "sensitive but computed from age (key)",
    ]
    # Already withheld, or released as before: nothing to say.
    assert diff_forms(second, second).withheld == ()
    assert diff_forms(second, first).withheld == ()
    # A change of role alone is a change, not "no change".
    third = imported(workbook(tmp_path, with_roles(decade="sensitive"), "3")).form
    assert plain_lines(diff_forms(first, third)) == [
        "Changes from version 1:",
        "  decade was released by version 1 and is not released by this one: marked "
        "sensitive but computed from age (key)",
    ]


def test_the_hub_import_lists_the_derived_roles(tmp_path, data_dir):
    result = CliRunner().invoke(
        collector_cli, ["forms", "import", str(workbook(tmp_path)), "--data-dir", str(data_dir)]
    )
    assert result.exit_code == 0, result.output
    assert "  nationality_other takes the role of nationality (key)\n" in result.output
    assert "  religious takes the role of ground (sensitive)\n" in result.output
    assert "  profile takes the role of age, ground (key and sensitive: not released)\n" in (
        result.output
    )
    assert "  decade takes" not in result.output
    assert (
        "These have a disclosure role that differs from what they are computed from:\n"
        "  year_born is marked sensitive but is computed from age (key): not released\n"
        "  ground_flag is marked key but is computed from ground (sensitive): not released\n"
    ) in result.output
    assert "  born_decade takes the role of age, year_born (key and sensitive: not released)\n" in (
        result.output
    )


# -- On a real server: publish the XLSForm, push records, read as an analyst ------------------


def published_with_records(central, tmp_path) -> list[dict]:
    admin = signed_in(central, "admin")
    preview = upload(admin, workbook(tmp_path))
    assert preview.status_code == 200, preview.text[:500]
    shown = text_of(preview)
    assert "nationality_other takes the role of nationality (key)" in shown
    assert "ground_other takes the role of ground (sensitive)" in shown
    assert "profile takes the role of age, ground (key and sensitive: not released)" in shown
    assert "year_born is marked sensitive but is computed from age (key): not released" in shown
    published = publish_button(admin, preview.text)
    assert "months_text takes the role of age (key)" in text_of(published)
    assert "ground_flag is marked key but is computed from ground (sensitive): not released" in (
        text_of(published)
    )
    records = [record(n) for n in range(30)]
    push_records(central, records)
    return records


def groups_hold(rows: list[dict], keys: list[str]) -> None:
    """k records in every combination of released key values; per combination, l distinct
    answers or none to each sensitive question, the derived ones too."""
    groups = Counter(tuple(row.get(name, "") for name in keys) for row in rows)
    assert rows and min(groups.values()) >= K, groups
    for name in ("ground", *DERIVED_SENSITIVE):
        found: dict = {}
        for row in rows:
            if row.get(name):
                found.setdefault(tuple(row.get(n, "") for n in keys), set()).add(row[name])
        assert all(len(values) >= L for values in found.values()), (name, found)
    for name in DERIVED_KEYS:  # a derived key is shared by k records, or not released
        shared = Counter(row[name] for row in rows if row.get(name))
        assert all(n >= K for n in shared.values()), (name, shared)


def test_a_release_gives_nothing_of_derived_answers_beyond_their_role(team, tmp_path):  # noqa: F811
    records = published_with_records(team, tmp_path)
    analyst, admin = signed_in(team, "analyst"), signed_in(team, "admin")
    report = analyst.get(f"/data/{FORM_ID}/release").json()
    assert report["records"] == len(records)
    keys = [v["name"] for v in report["key_variables"] if v["released"]]
    assert set(NOT_RELEASED) <= set(report["not_released"])
    assert "decade" in keys and "year_born" not in keys
    assert {"months_old", "nationality_other"} <= {v["name"] for v in report["key_variables"]}
    assert {"religious", "ground_other"} <= {v["name"] for v in report["sensitive_variables"]}
    # The export.
    export = analyst.get(f"/data/{FORM_ID}/export.csv")
    assert export.status_code == 200
    content = export.content.decode("utf-8-sig")
    assert not any(text in content for text in RARE_TEXTS)
    rows = list(csv.DictReader(io.StringIO(content, newline="")))
    assert len(rows) == report["records_released"]
    assert set(NOT_RELEASED).isdisjoint(rows[0])
    exact = {str(a["age"] * 12) for a in map(answers, range(30))}
    assert not exact & {row.get("months_old") for row in rows}  # every age its own: none out
    groups_hold(rows, keys)
    for fmt in ("xlsx", "jsonl", "dta", "sav"):  # the same release in every format
        typed = table(fmt, analyst.get(f"/data/{FORM_ID}/export.{fmt}").content, tmp_path)
        assert len(typed) == len(rows) and set(NOT_RELEASED).isdisjoint(typed[0]), fmt
        assert not any(
            text in value for row in typed for value in row.values() for text in RARE_TEXTS
        )
        groups_hold(typed, keys)
    assert analyst.get(f"/data/{FORM_ID}/export.parquet").status_code == 200
    # The records API.
    api = requests.get(
        f"{team.url}/api/v1/data/{FORM_ID}",
        params={"limit": 100},
        headers={"Authorization": f"Bearer {api_token(team, 'analyst1')}"},
        timeout=30,
    )
    assert api.status_code == 200 and not any(text in api.text for text in RARE_TEXTS)
    api_rows = api.json()["records"]
    assert all(set(NOT_RELEASED).isdisjoint(row) for row in api_rows)
    flat = [{name: "" if v is None else str(v) for name, v in row.items()} for row in api_rows]
    groups_hold(flat, keys)
    # The data table: the admin's filter finds the one record, the analyst's is refused.
    path = f"/data/{FORM_ID}"
    assert total_of(admin.get(f"{path}?q_nationality_other=Eritrean").text) == 1
    for name, value in (("nationality_other", "Eritrean"), ("ground_other", "Orthodox")):
        refused = analyst.get(f"{path}?q_{name}={value}")
        assert refused.status_code == 400 and "cannot be sorted or filtered" in refused.text
        assert analyst.get(f"{path}/export.csv?q_{name}={value}").status_code == 400
    for name in ("months_old", "religious", "profile"):
        assert analyst.get(f"{path}?sort={name}").status_code == 400, name
    page = analyst.get(path).text
    assert not any(text in page for text in RARE_TEXTS)
    assert not re.search(r"\b(?:{})\b".format("|".join(sorted(exact))), text_of_page(page))
    # A correction would show the stored text in the record's history: for admins only.
    eritrean = next(r["uuid"] for r in records if r["answers"].get("nationality_other"))
    shown_to_analyst = analyst.get(f"/data/record/{eritrean}")
    assert shown_to_analyst.status_code == 200 and "nationality_other" not in shown_to_analyst.text
    for name in ("nationality_other", "months_old", "ground_other"):
        fixed = analyst.post(
            f"/data/record/{eritrean}/correct",
            {"field": name, "value": "x"},
            csrf_from=shown_to_analyst.text,
        )
        assert "Choose a question of this form." in fixed.text, name
    assert not any(text in fixed.text for text in RARE_TEXTS)
    # A new version that would withhold decade, released by this one: its preview says so.
    preview = upload(admin, workbook(tmp_path, with_roles(decade="sensitive"), "2"))
    block = re.search(r'id="newly-withheld">(.*?)</div>', preview.text, flags=re.S)
    assert block, preview.text[:500]
    said = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", block.group(1))).split())
    assert said == (
        "Version 1, the current one, releases these questions to analysts; this version does "
        "not: decade is marked sensitive but is computed from age (key): not released"
    )
    # A calculation counting a repeat: the preview names the count, as the form writes it.
    shown = text_of(upload(admin, counts_workbook(tmp_path)))
    assert "hh_size takes the role of count(${members}), count(${visits}) (key)" in shown
    assert "size_ground takes the role of ground, count(${members}) (key and sensitive" in shown
    assert (
        "size_sensitive is marked sensitive but is computed from count(${members}) (key): "
        "not released"
    ) in shown


def text_of_page(page: str) -> str:
    """The table's cells only: numbers in the page's markup (ids, sizes) are no answers."""
    cells = re.findall(r"<td[^>]*>(.*?)</td>", page, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", cell) for cell in cells)
