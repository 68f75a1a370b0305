"""A real Chromium at a phone's size, and what a person does with it: shared by the browser tests."""

from __future__ import annotations

import os
import subprocess

import pytest

from conftest import ENUMERATOR, PIN, need_tool


@pytest.fixture
def chromium(request, tmp_path):
    """Headless Chromium emulating a phone 360 px wide (or the width given as a param)."""
    driver = start_chromium(tmp_path, getattr(request, "param", 360))
    yield driver
    driver.quit()


def start_chromium(tmp_path, width=360, trusted_ca=None):
    """A fresh profile and home; with `trusted_ca`, that CA is trusted as a phone's user
    would after installing it (in the NSS database Chromium reads on Linux)."""
    binary, driver_path = need_tool("chromium"), need_tool("chromedriver")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    if trusted_ca:
        _trust(home, trusted_ca)
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}",
                 f"--window-size={width},640"):
        options.add_argument(flag)
    options.add_experimental_option("mobileEmulation", {
        "deviceMetrics": {"width": width, "height": 640, "pixelRatio": 2}})
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = Service(driver_path, env=dict(os.environ, HOME=str(home)))
    driver = webdriver.Chrome(options=options, service=service)
    driver.implicitly_wait(0)
    driver.phone_width = width
    return driver


def _trust(home, ca_path) -> None:
    certutil = need_tool("certutil")
    nssdb = home / ".pki" / "nssdb"
    nssdb.mkdir(parents=True, exist_ok=True)
    database = f"sql:{nssdb}"
    subprocess.run([certutil, "-N", "-d", database, "--empty-password"], check=True)
    subprocess.run([certutil, "-A", "-d", database, "-t", "C,,", "-n", "hub-ca", "-i", str(ca_path)],
                   check=True)


def wait_for(driver, css: str):
    """The element once the page that has it has loaded."""
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, 15).until(
        lambda d: d.find_elements("css selector", css) and d.find_element("css selector", css))


def visible(driver, name: str) -> bool:
    return driver.find_element("id", f"q-{name}").is_displayed()


def pick(driver, name: str, value: str):
    driver.find_element("css selector", f'input[name="{name}"][value="{value}"]').click()


def console_errors(driver) -> list[str]:
    return [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


def sign_in(driver, hub):
    driver.get(hub.url + "/signin")
    driver.find_element("id", "name").send_keys(ENUMERATOR)
    driver.find_element("id", "pin").send_keys(PIN)
    driver.find_element("css selector", "button.primary").click()
    wait_for(driver, "form.inline")


def answer_visible_questions(driver, answers):
    """Answer what the page shows, as a person would: tap choices, type text."""
    for block in driver.find_elements("css selector", ".q[data-name]"):
        name, kind = block.get_attribute("data-name"), block.get_attribute("data-type")
        if not block.is_displayed() or kind == "note" or name not in answers:
            continue
        value = answers[name]
        if kind in ("select_one", "range") and block.find_elements("css selector", "input"):
            block.find_element("css selector", f'input[value="{value}"]').click()
        elif kind == "select_multiple":
            for item in value:
                box = block.find_element("css selector", f'input[value="{item}"]')
                if not box.is_selected():
                    box.click()
        else:
            field = block.find_element("css selector", "input:not([type=hidden]), textarea")
            # Date and month pickers differ between phones: set the value as a picker would.
            driver.execute_script(
                "arguments[0].value = arguments[1];"
                "arguments[0].dispatchEvent(new Event('input', {bubbles: true}));"
                "arguments[0].dispatchEvent(new Event('change', {bubbles: true}));",
                field, str(value))


