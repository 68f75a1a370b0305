"""Prompts in sound and picture: the XLSForm audio, image, big-image and video columns of a
question or a choice, imported with their files (kept on the hub, apart from the form's
JSON), shown beside the label in the page's language with the labels' fallback, served by
the hub to those who may fill the form, written back by export, and the built-in survey's
own recorded prompts.

A real hub on loopback (cheroot) with its real SQLite file; the CLI as an operator runs it."""

from __future__ import annotations

import hashlib
import io
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import Image

from collector.cli import cli as collector_cli
from collector.forms import PROMPT_HASH_CHARS, SURVEY_FORM, builtin_forms
from collector.prompts import builtin_prompt
from collector.xlsform import read_xlsform
from support import LiveHub, query
from workbooks import write_workbook

OGG_EN = b"OggS\x00 an English recording"
OGG_SW = b"OggS\x00 rekodi ya Kiswahili"
OGG_YES = b"OggS\x00 ndiyo"


def png(colour: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), colour).save(out, "PNG")
    return out.getvalue()


def sha(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def short(content: bytes) -> str:
    """The start of the file's SHA-256 that a prompt's address carries."""
    return sha(content)[:PROMPT_HASH_CHARS]


@pytest.fixture
def workbook(tmp_path) -> Path:
    """An XLSForm with prompts on the survey and choices sheets, in English and Kiswahili;
    its files beside it, but for one that is missing (row 4)."""
    folder = tmp_path / "form"
    folder.mkdir()
    (folder / "water-en.ogg").write_bytes(OGG_EN)
    (folder / "water-sw.ogg").write_bytes(OGG_SW)
    (folder / "well.png").write_bytes(png("blue"))
    (folder / "well-big.png").write_bytes(png("navy"))
    (folder / "yes-sw.ogg").write_bytes(OGG_YES)
    survey = [
        [
            "type",
            "name",
            "label::English (en)",
            "label::Kiswahili (sw)",
            "audio::English (en)",
            "audio::Kiswahili (sw)",
            "image",
            "big-image",
            "media::video::English (en)",
        ],
        [
            "select_one yn",
            "water",
            "Is there water?",
            "Kuna maji?",
            "water-en.ogg",
            "water-sw.ogg",
            "well.png",
            "well-big.png",
            None,
        ],
        ["text", "place", "Place", "Mahali", None, None, None, None, None],
        ["note", "intro", "Hello", "Habari", None, None, None, None, "missing.mp4"],
    ]
    choices = [
        [
            "list_name",
            "name",
            "label::English (en)",
            "label::Kiswahili (sw)",
            "audio::Kiswahili (sw)",
        ],
        ["yn", "yes", "Yes", "Ndiyo", "yes-sw.ogg"],
        ["yn", "no", "No", "Hapana", None],
    ]
    settings = [["form_id", "version"], ["water_point", "1"]]
    return write_workbook(folder / "water_point.xlsx", survey, choices, settings)


def import_cli(data_dir: Path, *args: str):
    return CliRunner().invoke(
        collector_cli, ["forms", "import", *args, "--data-dir", str(data_dir)]
    )


def test_media_columns_import_with_their_files_and_a_missing_one_warns(workbook):
    result = read_xlsform(workbook)
    assert result.ok, result.errors
    water = result.form.questions["water"]
    assert water.media == {
        "audio": {"en": "water-en.ogg", "sw": "water-sw.ogg"},
        "image": {"en": "well.png"},
        "big-image": {"en": "well-big.png"},
    }
    yes = result.form.data["choices"]["yn"][0]
    assert yes["media"] == {"audio": {"sw": "yes-sw.ogg"}}
    # Hashes in the definition, bytes apart from it.
    assert result.form.data["media_files"]["water-sw.ogg"] == sha(OGG_SW)
    assert "OggS" not in result.form.to_json()
    assert result.prompt_files["yes-sw.ogg"] == OGG_YES
    assert [(w.code, w.sheet, w.row, w.column) for w in result.warnings] == [
        ("prompt", "survey", 4, "media::video::English (en)")
    ]
    assert "missing.mp4" in result.warnings[0].message


def test_a_prompt_of_the_wrong_type_or_too_large_is_refused_naming_it(workbook, monkeypatch):
    (workbook.parent / "well.png").write_bytes(b"x" * 20)
    monkeypatch.setattr("collector.xlsform.MAX_PROMPT_FILE_BYTES", 10)
    result = read_xlsform(workbook)
    assert not result.ok
    assert [(p.key, p.row, p.column) for p in result.errors][0] == (
        "prompt/file_size",
        2,
        "audio::English (en)",
    )
    wrong = write_workbook(
        workbook.parent / "wrong.xlsx",
        [["type", "name", "label", "audio"], ["text", "a", "A", "well.png"]],
    )
    problem = read_xlsform(wrong).errors[0]
    assert (problem.key, problem.row, problem.column) == ("prompt/file_type", 2, "audio")
    assert "well.png" in problem.message


@pytest.fixture
def imported(workbook, data_dir, app):
    """The workbook imported on the hub by its operator."""
    outcome = import_cli(data_dir, str(workbook))
    assert outcome.exit_code == 0, outcome.output
    assert "Kept 5 prompt files with the form." in outcome.output
    return workbook


def test_the_page_shows_prompts_in_its_language_with_the_fallback(imported, hub, db_path):
    stored = {r["sha256"] for r in query(db_path, "SELECT sha256 FROM form_media")}
    assert len(stored) == 5
    assert sha(OGG_SW) in stored and sha(OGG_YES) in stored
    browser = hub.browser()
    browser.signin()
    english = browser.get("/forms/water_point?lang=en").text
    assert f'src="/prompts/water_point/{short(OGG_EN)}.ogg"' in english
    assert 'preload="none"' in english and 'loading="lazy"' in english
    assert f'href="/prompts/water_point/{short(png("navy"))}.png"' in english
    assert "Listen to the question" in english
    # Kiswahili: its own recording; the picture has no Kiswahili one, so the default's.
    swahili = browser.get("/forms/water_point?lang=sw").text
    assert f"{short(OGG_SW)}.ogg" in swahili and f"{short(OGG_EN)}.ogg" not in swahili
    assert f"{short(png('blue'))}.png" in swahili
    # The choice's recording is Kiswahili only: English falls back to it, as a label would.
    yes_audio = f'src="/prompts/water_point/{short(OGG_YES)}.ogg"'
    assert yes_audio in swahili and yes_audio in english
    # The missing video is not shown, and the page's weight stays the questions'.
    assert "<video" not in english
    assert len(english.encode()) < 60_000


def test_the_hub_serves_a_forms_prompt_for_good_and_nothing_else(imported, hub):
    browser = hub.browser()
    path = f"/prompts/water_point/{short(OGG_SW)}.ogg"
    assert "/signin" in browser.get(path).url  # the form is for signed-in people
    browser.signin()
    response = browser.get(path)
    assert response.status_code == 200 and response.content == OGG_SW
    assert response.headers["Content-Type"] == "audio/ogg"
    assert "immutable" in response.headers["Cache-Control"]
    partial = browser.get(path, headers={"Range": "bytes=0-3"})
    assert partial.status_code == 206 and partial.content == b"OggS"
    # Not the form's: another hash, the right hash under another extension or form.
    assert browser.get(f"/prompts/water_point/{'0' * PROMPT_HASH_CHARS}.ogg").status_code == 404
    assert browser.get(f"/prompts/water_point/{short(OGG_SW)}.mp3").status_code == 404
    assert browser.get(f"/prompts/community_survey/{short(OGG_SW)}.ogg").status_code == 404
    assert browser.get("/prompts/water_point/..%2Fhub.db").status_code == 404


def test_export_writes_the_media_columns_and_files_back(imported, data_dir, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    outcome = CliRunner().invoke(
        collector_cli,
        [
            "forms",
            "export-xlsform",
            "water_point",
            str(out / "water_point.xlsx"),
            "--data-dir",
            str(data_dir),
        ],
    )
    assert outcome.exit_code == 0, outcome.output
    assert (out / "water-sw.ogg").read_bytes() == OGG_SW
    again = read_xlsform(out / "water_point.xlsx")
    first = read_xlsform(imported)
    assert again.ok, again.errors
    for name in ("water", "intro"):
        assert again.form.questions[name].get("media") == first.form.questions[name].get("media")
    assert again.form.data["choices"] == first.form.data["choices"]
    assert again.form.data["media_files"] == first.form.data["media_files"]


def test_a_json_form_takes_its_prompt_files_from_media(tmp_path, data_dir, app, db_path):
    recording = tmp_path / "ask.ogg"
    recording.write_bytes(OGG_EN)
    definition = {
        "form_id": "asked",
        "version": "1",
        "title": {"en": "Asked"},
        "sections": [
            {
                "name": "s",
                "label": {"en": "S"},
                "questions": [
                    {
                        "name": "q",
                        "type": "text",
                        "label": {"en": "Q"},
                        "media": {"audio": {"en": "ask.ogg"}, "image": {"en": "gone.png"}},
                    }
                ],
            }
        ],
    }
    folder = tmp_path / "json"
    folder.mkdir()
    (folder / "asked.json").write_text(json.dumps(definition))
    outcome = import_cli(data_dir, str(folder / "asked.json"), "--media", str(recording))
    assert outcome.exit_code == 0, outcome.output
    assert "gone.png was not found" in outcome.output
    stored = query(db_path, "SELECT definition FROM forms WHERE form_id = 'asked'")
    assert json.loads(stored[0]["definition"])["media_files"] == {"ask.ogg": sha(OGG_EN)}


def test_the_builtin_survey_has_recorded_prompts(hub):
    survey = builtin_forms()[SURVEY_FORM]
    files = survey.data["media_files"]
    assert len(files) >= 10
    sizes = []
    for name, digest in files.items():
        content = builtin_prompt(SURVEY_FORM, name, digest)
        assert content is not None and content[:4] == b"OggS", name
        sizes.append(len(content))
    # Small enough for a phone to fetch on the hub's Wi-Fi: the long consent note the most.
    assert max(sizes) < 64_000 and sorted(sizes)[len(sizes) // 2] < 15_000
    # Every question with a label speaks each language espeak-ng has a voice for (not
    # Hausa: its pages play the default language, English).
    for question in survey.questions.values():
        assert set(question.media["audio"]) == {"en", "sw", "fr", "es", "ar"}, question.name
    assert "ha" in survey.languages
    browser = hub.browser()
    browser.signin()
    page = browser.get("/forms/community_survey?lang=en").text
    played = re.findall(r'<audio class="prompt-audio"[^>]* src="([^"]+)"', page)
    assert played
    response = browser.get(played[0])
    assert response.status_code == 200 and response.content[:4] == b"OggS"
    # Each page plays its own language's recordings; Hausa the default language's.
    from collector.forms import PROMPT_HASH_CHARS

    for lang, spoken in (("ar", "ar"), ("fr", "fr"), ("es", "es"), ("ha", "en")):
        page = browser.get(f"/forms/community_survey?lang={lang}").text
        played = re.findall(r'<audio class="prompt-audio"[^>]* src="[^"]*/([0-9a-f]+)\.ogg"', page)
        ours = {d[:PROMPT_HASH_CHARS] for n, d in files.items() if n.endswith(f".{spoken}.ogg")}
        assert played and set(played) <= ours, lang
