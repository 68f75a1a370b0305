"""A photo taken on the phone in a real headless Chromium: a large camera file is chosen in
the file input, made smaller on the phone before it is sent (static/js/media.js), stored
cleaned on the hub, and shown in review."""

from __future__ import annotations

import io
import json
from types import SimpleNamespace

import pytest
from PIL import Image

from browsing import console_errors, review_and_finalize, sign_in, wait_for  # noqa: F401
from collector import attachments
from collector.db import open_database
from faultproxy import FaultProxy
from support import import_forms, query
from test_media_questions import FORM


def until(driver, condition, seconds=20):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, seconds).until(condition)


def camera_file(path, size=(3200, 2400)) -> int:
    """A camera-sized JPEG of noise (it does not shrink much), written to `path`; its size."""
    noise = [Image.effect_noise(size, 60) for _ in range(3)]
    Image.merge("RGB", noise).save(path, "JPEG", quality=90)
    return path.stat().st_size


@pytest.mark.slow
def test_a_large_photo_is_made_smaller_on_the_phone_and_shown_in_review(
    hub, chromium, db_path, tmp_path
):
    import_forms(db_path, FORM)
    taken = tmp_path / "IMG_20261206_camp.jpg"
    original = camera_file(taken)
    assert original > 2_000_000
    driver = chromium
    sign_in(driver, hub)
    driver.get(f"{hub.url}/forms/site_visit?lang=en")
    wait_for(driver, "#f-building").send_keys(str(taken))
    until(driver, lambda d: d.find_element("id", "f-building").get_attribute("data-ready") == "yes")
    chosen = driver.execute_script(
        "var f = document.getElementById('f-building').files[0]; return [f.name, f.type, f.size];"
    )
    # The phone sends a JPEG of the form's 640 px, not the 3 MB camera file.
    assert chosen[0] == "photo.jpg" and chosen[1] == "image/jpeg" and chosen[2] < original / 10
    assert driver.find_element("css selector", "#q-building .media-preview").is_displayed()
    # The signature: drawn with a finger on the pad, which fills the (hidden) file input.
    from selenium.webdriver.common.action_chains import ActionChains

    pad = driver.find_element("css selector", "#q-signature canvas.media-pad")
    assert not driver.find_element("id", "f-signature").is_displayed()
    ActionChains(driver).move_to_element_with_offset(pad, -60, 0).click_and_hold().move_by_offset(
        50, 20
    ).move_by_offset(40, -30).release().perform()
    until(
        driver,
        lambda d: (
            d.execute_script("return document.getElementById('f-signature').files.length") == 1
        ),
    )
    driver.find_element("id", "f-place").send_keys("Block C")
    driver.find_element("css selector", 'button[name="_action"][value="next"]').click()
    until(driver, lambda d: "/review" in d.current_url)
    shown = until(
        driver,
        lambda d: d.execute_script(
            "var i = document.querySelector('img.media-thumb');"
            "return i && i.complete && i.naturalWidth ? [i.naturalWidth, i.naturalHeight] : null;"
        ),
    )
    assert shown == [640, 480]
    driver.find_element("css selector", 'form[action$="/finalize"] button.primary').click()
    until(driver, lambda d: "/review" not in d.current_url)
    assert console_errors(driver) == []

    [row] = query(db_path, "SELECT uuid, answers, status FROM records")
    assert row["status"] == "finalized"
    db = open_database(db_path)
    try:
        files = {f["question"]: f for f in attachments.attachments_of(db, row["uuid"])}
        stored = files["building"]
        data = attachments.read_attachment(db, hub.app.config["DATA_DIR"], stored["sha256"])
    finally:
        db.close()
    answers = json.loads(row["answers"])
    assert answers["building"] == stored["name"]
    # The pad's PNG passed the form's constraint (read on the stored name).
    assert answers["signature"] == files["signature"]["name"] and answers["signature"].endswith(
        ".png"
    )
    assert Image.open(io.BytesIO(data)).size == (640, 480) and stored["size"] < chosen[2] * 2


MARKS = {
    "form_id": "damage_marks",
    "version": "1",
    "title": {"en": "Damage"},
    "sections": [
        {
            "name": "main",
            "label": {"en": "Main"},
            "questions": [
                {
                    "name": "wall",
                    "type": "image",
                    "appearance": "annotate",
                    "label": {"en": "Photo of the wall: mark the cracks"},
                    "privacy": "keep",
                    "max_pixels": 400,
                },
            ],
        }
    ],
    "choices": {},
}


def red_pixels(data: bytes) -> int:
    pixels = Image.open(io.BytesIO(data)).convert("RGB").tobytes()
    return sum(
        1
        for i in range(0, len(pixels), 3)
        if pixels[i] > 180 and pixels[i + 1] < 90 and pixels[i + 2] < 90
    )


@pytest.mark.slow
def test_a_photo_to_annotate_is_marked_on_the_phone_and_sent_marked(
    hub, chromium, db_path, tmp_path
):
    from selenium.webdriver.common.action_chains import ActionChains

    import_forms(db_path, MARKS)
    taken = tmp_path / "wall.jpg"
    Image.new("RGB", (800, 600), "white").save(taken, "JPEG")
    driver = chromium
    sign_in(driver, hub)
    driver.get(f"{hub.url}/forms/damage_marks?lang=en")
    wait_for(driver, "#f-wall").send_keys(str(taken))
    until(driver, lambda d: d.find_element("id", "f-wall").get_attribute("data-ready") == "yes")
    pad = driver.find_element("css selector", "#q-wall .media-annotate canvas")
    # The photo, made smaller to the form's 400 px, is the pad to mark on.
    assert driver.execute_script("return [arguments[0].width, arguments[0].height]", pad) == [
        400,
        300,
    ]
    unmarked = driver.execute_script("return document.getElementById('f-wall').files[0].size")
    ActionChains(driver).move_to_element_with_offset(pad, -80, -20).click_and_hold().move_by_offset(
        120, 40
    ).release().perform()
    until(
        driver,
        lambda d: (
            d.execute_script("return document.getElementById('f-wall').files[0].size") != unmarked
        ),
    )
    driver.find_element("css selector", 'button[name="_action"][value="next"]').click()
    until(driver, lambda d: "/review" in d.current_url)
    driver.find_element("css selector", 'form[action$="/finalize"] button.primary').click()
    until(driver, lambda d: "/review" not in d.current_url)
    assert console_errors(driver) == []

    [row] = query(db_path, "SELECT uuid FROM records")
    db = open_database(db_path)
    try:
        [stored] = attachments.attachments_of(db, row["uuid"])
        data = attachments.read_attachment(db, hub.app.config["DATA_DIR"], stored["sha256"])
    finally:
        db.close()
    # The marks travel with the photo: a white wall with a red stroke across it.
    assert Image.open(io.BytesIO(data)).size == (400, 300) and red_pixels(data) > 40


@pytest.mark.slow
def test_a_record_with_a_photo_finalized_away_from_the_hub_arrives_with_it(
    hub, chromium, db_path, tmp_path
):
    """Out of range, the phone keeps the finished record and its photo (IndexedDB holds the
    file itself), and sends both when the hub is back."""
    import_forms(db_path, FORM)
    taken = tmp_path / "IMG_20261206_gate.jpg"
    camera_file(taken, (2000, 1500))
    upstream = ("127.0.0.1", int(hub.url.rsplit(":", 1)[1]))
    link = FaultProxy(upstream=upstream).start()
    driver = chromium
    try:
        sign_in(driver, SimpleNamespace(url=link.url))
        driver.get(link.url + "/forms/site_visit/phone?lang=en")
        wait_for(driver, "#f-building").send_keys(str(taken))
        until(
            driver,
            lambda d: d.find_element("id", "f-building").get_attribute("data-ready") == "yes",
        )
        driver.find_element("id", "f-place").send_keys("Gate")
        port = link.port
        link.stop()
        review_and_finalize(driver)
        until(driver, lambda d: "waiting for the hub: 1" in d.find_element("id", "outbox").text)
        assert query(db_path, "SELECT count(*) AS n FROM records")[0]["n"] == 0
        link = FaultProxy(upstream=upstream, port=port).start()
        driver.find_element("css selector", "#outbox button").click()
        until(driver, lambda d: "Record finalized" in d.find_element("id", "outbox").text, 40)
    finally:
        link.stop()
    [row] = query(db_path, "SELECT uuid, answers, status FROM records")
    answers = json.loads(row["answers"])
    assert row["status"] == "finalized" and answers["place"] == "Gate"
    db = open_database(db_path)
    try:
        [stored] = attachments.attachments_of(db, row["uuid"])
        data = attachments.read_attachment(db, hub.app.config["DATA_DIR"], stored["sha256"])
    finally:
        db.close()
    assert answers["building"] == stored["name"]
    assert Image.open(io.BytesIO(data)).size == (640, 480)
    # (Only the phone's probes of the hub while it was away.)
    assert [e for e in console_errors(driver) if "ERR_CONNECTION_REFUSED" not in e] == []
