"""A location taken from the phone in a real Chromium (a fake position, as DevTools gives
one) over the hub's HTTPS, finalized, synced to a live central server, and never found
exact in the server's bytes; over plain HTTP the page says why it cannot ask the phone."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from browsing import (
    console_errors,
    quit_chromium,
    sign_in,
    start_chromium,
)
from support import import_forms, query
from test_locations import (
    MEETING,
    WALK,
    collector,
    export_bytes,
    place_form,
    publish,
    server_files_bytes,
)

SERVER_ENGINES = ("sqlite",)
# Where the fake GPS puts the phone; its digits must never reach the server.
LATITUDE, LONGITUDE = -1.286389, 36.817223
EXACT_DIGITS = ["286389", "817223"]


def until(driver, condition, seconds=20):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, seconds).until(condition)


def element(driver, css):
    return driver.find_element("css selector", css)


def set_value(driver, css, text):
    """Type into a field as a person would (one event per change, as the page expects)."""
    field = element(driver, css)
    driver.execute_script(
        "arguments[0].value = arguments[1];"
        "arguments[0].dispatchEvent(new Event('input', {bubbles: true}));"
        "arguments[0].dispatchEvent(new Event('change', {bubbles: true}));",
        field,
        text,
    )


@pytest.fixture
def gps_phone(hub, db_path, tmp_path):
    """A phone that trusts the hub's CA, reaches it over HTTPS, has allowed the hub to ask
    for its location, and whose GPS says it is at LATITUDE, LONGITUDE (12 m)."""
    from collector.serving import start_https

    import_forms(db_path, place_form())
    server = start_https(hub.app, "127.0.0.1", 0, 4)
    base = f"https://127.0.0.1:{server.bind_addr[1]}"
    driver = start_chromium(
        tmp_path / "phone", trusted_ca=hub.app.extensions["certificates"].ca_cert_path
    )
    try:
        driver.execute_cdp_cmd(
            "Browser.grantPermissions", {"origin": base, "permissions": ["geolocation"]}
        )
        place(driver, accuracy=12)
        sign_in(driver, SimpleNamespace(url=base))
        yield SimpleNamespace(driver=driver, base=base)
    finally:
        quit_chromium(driver)
        server.stop()


def place(driver, accuracy):
    driver.execute_cdp_cmd(
        "Emulation.setGeolocationOverride",
        {"latitude": LATITUDE, "longitude": LONGITUDE, "accuracy": accuracy},
    )


@pytest.mark.slow
def test_a_location_from_the_phone_leaves_only_as_its_grid_cell(
    gps_phone, hub, central, data_dir, db_path, tmp_path
):
    driver, base = gps_phone.driver, gps_phone.base
    publish(central, tmp_path, place_form())
    driver.get(f"{base}/forms/place_visit?lang=en")
    until(driver, lambda d: d.execute_script("return window.isSecureContext") is True)
    # start-geopoint: taken as the page opens.
    until(driver, lambda d: element(d, "#f-started_at").get_attribute("value") != "")
    assert (
        element(driver, "#f-started_at")
        .get_attribute("value")
        .startswith(f"{LATITUDE} {LONGITUDE}")
    )
    button = element(driver, '.geo[data-for="f-home"] .geo-capture')
    assert button.is_displayed()
    place(driver, accuracy=35)  # above the form's warning of 20 m
    button.click()
    status = until(
        driver,
        lambda d: (
            "35" in element(d, '.geo[data-for="f-home"] .geo-status').text
            and element(d, '.geo[data-for="f-home"] .geo-status')
        ),
    )
    assert "only accurate to 35 m" in status.text
    place(driver, accuracy=12)
    button.click()
    until(
        driver,
        lambda d: "accurate to 12 m" in element(d, '.geo[data-for="f-home"] .geo-status').text,
    )
    assert element(driver, "#f-home").get_attribute("value") == f"{LATITUDE} {LONGITUDE} 0 12"
    # The others typed, as where there is no GPS.
    set_value(driver, "#f-water_point", "-1.312734 36.789156")
    set_value(driver, "#f-meeting_place", MEETING)
    set_value(driver, "#f-walk", WALK)
    element(driver, 'button[name="_action"][value="next"]').click()
    until(driver, lambda d: "/review" in d.current_url)
    element(driver, 'form[action$="/finalize"] button.primary').click()
    until(driver, lambda d: "/review" not in d.current_url)
    assert console_errors(driver) == []

    [row] = query(db_path, "SELECT answers, status FROM records")
    answers = json.loads(row["answers"])
    assert answers["home"] == f"{LATITUDE} {LONGITUDE} 0 12" and row["status"] == "finalized"
    enrolled = collector(
        "enroll",
        "--yes",
        "--server",
        central.url,
        "--code",
        central.enrollment_code(),
        data_dir=data_dir,
    )
    assert enrolled.exit_code == 0, enrolled.output
    assert collector("sync", data_dir=data_dir).exit_code == 0
    [stored] = query(central.database, "SELECT answers FROM records")
    sent = json.loads(stored["answers"])
    assert sent["home"] == "-1.286 36.815" and "started_at" not in sent
    searched = [server_files_bytes(central)] + [
        export_bytes(central, tmp_path, fmt) for fmt in ("csv", "jsonl", "xlsx")
    ]
    for data in searched:
        for digits in EXACT_DIGITS:
            assert digits.encode() not in data


@pytest.mark.slow
def test_where_the_phone_cannot_give_it_the_page_says_why_and_typing_works(hub, db_path, tmp_path):
    import_forms(db_path, place_form())
    port = hub.url.rsplit(":", 1)[1]
    # A LAN name over plain HTTP, as phones reach the hub (127.0.0.1 itself counts as secure).
    driver = start_chromium(
        tmp_path / "phone", flags=["--host-resolver-rules=MAP hub.example 127.0.0.1"]
    )
    try:
        plain = f"http://hub.example:{port}"
        sign_in(driver, SimpleNamespace(url=plain))
        driver.get(f"{plain}/forms/place_visit?lang=en")
        assert driver.execute_script("return window.isSecureContext") is False
        assert "secure (https) address" in status_of(driver, "home")
        assert not element(driver, '.geo[data-for="f-home"] .geo-capture').is_displayed()
        set_value(driver, "#f-home", "95 200")
        set_value(driver, "#f-walk", "1 2")
        element(driver, 'button[name="_action"][value="next"]').click()
        # Checked on the phone with the hub's own messages: nothing is sent.
        assert "Enter the latitude (-90 to 90)" in element(driver, "#q-home").text
        assert "Enter at least 2 points" in element(driver, "#q-walk").text
        assert query(db_path, "SELECT count(*) AS n FROM records")[0]["n"] == 0
        set_value(driver, "#f-home", "-1.2921 36.8219")
        set_value(driver, "#f-walk", WALK)
        element(driver, 'button[name="_action"][value="next"]').click()
        until(driver, lambda d: "/review" in d.current_url)
        [row] = query(db_path, "SELECT answers FROM records")
        assert json.loads(row["answers"])["home"] == "-1.2921 36.8219"

        # Where the browser may ask: location refused, then no GPS fix.
        sign_in(driver, hub)
        driver.execute_cdp_cmd(
            "Browser.setPermission",
            {"origin": hub.url, "permission": {"name": "geolocation"}, "setting": "denied"},
        )
        driver.get(f"{hub.url}/forms/place_visit?lang=en")
        capture(driver, "home")
        until(driver, lambda d: "not allowed for this page" in status_of(d, "home"))
        driver.execute_cdp_cmd(
            "Browser.setPermission",
            {"origin": hub.url, "permission": {"name": "geolocation"}, "setting": "granted"},
        )
        driver.execute_cdp_cmd("Emulation.setGeolocationOverride", {})  # no position at all
        capture(driver, "home")
        until(driver, lambda d: "No location found" in status_of(d, "home"))
        assert element(driver, "#f-home").get_attribute("value") == ""
        # (Chromium says it ignores the hub's opener policy on a plain-HTTP name: true.)
        assert [e for e in console_errors(driver) if "Cross-Origin-Opener-Policy" not in e] == []
    finally:
        quit_chromium(driver)


def status_of(driver, name) -> str:
    return element(driver, f'.geo[data-for="f-{name}"] .geo-status').text


def capture(driver, name) -> None:
    button = until(
        driver,
        lambda d: (
            element(d, f'.geo[data-for="f-{name}"] .geo-capture').is_displayed()
            and element(d, f'.geo[data-for="f-{name}"] .geo-capture')
        ),
    )
    button.click()
