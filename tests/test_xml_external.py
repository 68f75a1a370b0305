"""`xml-external NAME`: ODK's external data, NAME.xml beside the form, read in expressions as
instance('NAME')/root/item[...]/column. Found and kept with the form as a choice file is
(refused, on its row, when missing or unusable), computed by the hub without JavaScript and
carried to the page for its script, and written back beside the form on export.

Every workbook and file here is written by the test."""

from __future__ import annotations

import json
import re

import pytest

from collector.xlsform import MAX_FILE_CHOICES, read_xlsform, to_xlsform
from filling import post_page, record_of
from support import import_forms, query
from workbooks import write_workbook

ITEMS = """<?xml version="1.0" encoding="UTF-8"?>
<root>
  <item><index>1</index><label>Borehole</label></item>
  <item><index>2</index><label>Spring</label><depth>4</depth></item>
</root>
"""
SURVEY = [
    ["type", "name", "label", "calculation"],
    ["xml-external", "item", None, None],
    ["begin repeat", "source", "Water source", None],
    ["calculate", "pos", None, "position(..)"],
    ["calculate", "kind", None, "instance('item')/root/item[index = ${pos}]/label"],
    ["text", "note_text", "What do you see at the ${kind}?", None],
    ["end repeat", None, None, None],
]
SETTINGS = [["form_id", "version", "form_title"], ["water", "1", "Water"]]


def water(folder, items=ITEMS, survey=SURVEY):
    if items is not None:
        (folder / "item.xml").write_text(items, encoding="utf-8")
    return read_xlsform(write_workbook(folder / "water.xlsx", survey, None, SETTINGS))


def test_the_file_is_kept_with_the_form_and_read_by_instance(tmp_path):
    result = water(tmp_path)
    assert result.ok, [str(p) for p in result.errors]
    assert result.form.data["data"] == {
        "item.xml": [["index", "label", "depth"], ["1", "Borehole", ""], ["2", "Spring", "4"]]
    }
    assert list(result.form.instance_lists) == ["item"]
    assert result.form.pulldata == {} and result.form.pulldata_files == {}


def test_export_writes_the_row_and_the_file_back(tmp_path):
    form = water(tmp_path).form
    out = tmp_path / "out"
    out.mkdir()
    written = to_xlsform(form, out / "water.xlsx")
    assert out / "item.xml" in written
    back = read_xlsform(out / "water.xlsx")
    assert back.ok, [str(p) for p in back.errors]
    assert back.form.data["data"] == form.data["data"]


def test_a_missing_or_unusable_file_is_refused_on_its_row(tmp_path):
    problems = water(tmp_path, items=None).errors
    assert [(p.key, p.row, p.column) for p in problems] == [
        ("external_data/missing_file", 2, "type")
    ]
    assert "--media item.xml" in str(problems[0])
    entity = '<!DOCTYPE root [<!ENTITY a "aaaa">]><root><item><x>&a;</x></item></root>'
    problems = water(tmp_path, items=entity).errors
    assert [(p.key, p.row) for p in problems] == [("external_data/unreadable_xml", 2)]
    many = "<root>" + "<item><i>1</i></item>" * (MAX_FILE_CHOICES + 1) + "</root>"
    assert [p.key for p in water(tmp_path, items=many).errors] == ["external_data/file_size"]
    assert [p.key for p in water(tmp_path, items="<root/>").errors] == ["external_data/empty_file"]


def test_a_choice_list_of_the_same_name_is_refused_on_the_xml_externals_row(tmp_path):
    """instance('item') reads a choice list or the file: never silently one of them."""
    (tmp_path / "item.xml").write_text(ITEMS, encoding="utf-8")
    survey = [*SURVEY, ["select_one item", "pick", "Pick one", None]]
    choices = [["list_name", "name", "label"], ["item", "a", "A"], ["item", "b", "B"]]
    problems = read_xlsform(write_workbook(tmp_path / "w.xlsx", survey, choices, SETTINGS)).errors
    assert [(p.key, p.row, p.column) for p in problems] == [("external_data/list_name", 2, "name")]
    assert "instance('item')" in str(problems[0])


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-32"])
def test_a_declaration_of_entities_is_refused_in_any_encoding(tmp_path, encoding):
    """The file declares its own encoding: a search of its bytes for "<!DOCTYPE" would miss
    it in UTF-16, and a chain of entities would then be expanded."""
    chain = "".join(f'<!ENTITY e{n} "&e{n - 1};&e{n - 1};">' for n in range(1, 12))
    hostile = (
        f'<?xml version="1.0" encoding="{encoding}"?>'
        f'<!DOCTYPE root [<!ENTITY e0 "ha">{chain}]><root><item><x>&e11;</x></item></root>'
    )
    if encoding == "utf-16-le":
        hostile = "\ufeff" + hostile.replace(encoding, "utf-16")
    (tmp_path / "item.xml").write_bytes(hostile.encode(encoding))
    problems = water(tmp_path, items=None).errors
    assert [(p.key, p.row) for p in problems] == [("external_data/unreadable_xml", 2)]
    plain = '<?xml version="1.0" encoding="utf-16"?><root><item><x>1</x></item></root>'
    (tmp_path / "item.xml").write_bytes(plain.encode("utf-16"))
    assert water(tmp_path, items=None).form.data["data"]["item.xml"] == [["x"], ["1"]]


def test_the_hub_computes_the_lookup_in_each_instance_without_javascript(tmp_path, hub, db_path):
    import_forms(db_path, json.loads(water(tmp_path).form.to_json()))
    phone = hub.browser("en")
    phone.signin()
    first = phone.get("/forms/water")
    # The page carries the items for its script, as a list instance() reads, not as pulldata.
    found = re.search(r'id="form-instances">(.*?)</script>', first.text, re.S)
    assert [i["label"] for i in json.loads(found.group(1))["item"]] == ["Borehole", "Spring"]
    assert 'id="form-data"' not in first.text
    posted = {"_repeat.source": "2", "note_text.1": "dry", "note_text.2": "clear"}
    review = post_page(phone, first, "water", posted)
    assert review.url.endswith("/review"), review.text[:500]
    record_uuid = record_of(first)
    assert phone.post(f"/records/{record_uuid}/finalize", {}).status_code == 200
    [row] = query(db_path, "SELECT answers FROM records WHERE uuid = ?", [record_uuid])
    sources = json.loads(row["answers"])["source"]
    assert [(s["pos"], s["kind"]) for s in sources] == [(1, "Borehole"), (2, "Spring")]
