"""Screenshots of the main pages for the README, taken from the demo in a headless Chromium.

Starts `sync-server demo` (a sync server with a synthetic survey round and an enrolled hub)
in a temporary folder, signs in to both, and saves PNGs next to this script: the central
workspace at 1280 x 800 (a laptop screen), the hub's pages at 360 x 740 (a small phone).
Run it by hand after a change to the pages, and commit the images it writes:

    .venv/bin/python docs/images/take_screenshots.py

Needs `chromium` and `chromedriver` (Debian: apt-get install chromium chromium-driver) and
selenium (in the test extra).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.common.by import By

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
WORKSPACE = [  # (file, path, what it shows), signed in as the demo's admin
    ("workspace-indicators", "/?view=life_satisfaction&by=area", "an indicator by area"),
    ("workspace-gaps", "/?view=life_satisfaction&by=gender#gaps", "gaps between groups"),
    ("workspace-trend", "/?view=safe_after_dark&by=month", "a trend over months"),
    ("workspace-records", "/data/community_survey", "the records of a form"),
    ("workspace-forms", "/forms", "publishing a form"),
]
HUB = [  # signed in as the demo's enumerator
    ("hub-home", "/", "the hub's home on a phone"),
    ("hub-survey", "/forms/community_survey", "a survey section on a phone"),
    ("hub-feedback", "/feedback", "the community feedback kiosk"),
    ("hub-sync", "/sync", "the sync page"),
]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(url: str, seconds: float = 300) -> None:
    import requests

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=2).status_code < 500:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"{url} did not answer in {seconds:.0f} s")


def browser(width: int, height: int, phone: bool = False) -> webdriver.Chrome:
    """Headless Chromium; a phone is emulated (its width, its pixel ratio) as the browser
    tests do, since a desktop window cannot be narrower than about 500 px."""
    options = webdriver.ChromeOptions()
    if phone:
        options.add_experimental_option(
            "mobileEmulation",
            {"deviceMetrics": {"width": width, "height": height, "pixelRatio": 2}},
        )
    options.binary_location = shutil.which("chromium") or shutil.which("chromium-browser") or ""
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--hide-scrollbars",
        f"--window-size={width},{height}",
        "--force-device-scale-factor=1",
    ):
        options.add_argument(argument)
    driver = shutil.which("chromedriver")
    if not options.binary_location or driver is None:
        raise SystemExit(
            "Install chromium and chromedriver first (Debian: apt-get install "
            "chromium chromium-driver)."
        )
    return webdriver.Chrome(options=options, service=webdriver.ChromeService(driver))


def sign_in(driver, url: str, fields: dict) -> None:
    driver.get(url)
    for name, value in fields.items():
        driver.find_element(By.NAME, name).send_keys(value)
    driver.find_element(By.CSS_SELECTOR, "form button[type=submit], form .primary").click()


def shoot(driver, base: str, pages: list, suffix: str) -> None:
    for name, path, _what in pages:
        driver.get(base + path)
        if "#" in path:  # a part of a long page: scrolled to its top
            driver.execute_script(
                "document.querySelector(arguments[0])?.scrollIntoView()",
                "." + path.split("#")[1].replace("gaps", "gap-chart"),
            )
        time.sleep(0.5)  # fonts and charts settle
        target = HERE / f"{name}{suffix}.png"
        driver.save_screenshot(str(target))
        print(f"wrote {target.relative_to(HERE.parent.parent)}")


def main() -> None:
    hub_port, server_port = free_port(), free_port()
    with tempfile.TemporaryDirectory(prefix="screenshots-") as folder:
        demo = subprocess.Popen(
            [
                str(BIN / "sync-server"),
                "demo",
                "--data-dir",
                folder,
                "--port",
                str(hub_port),
                "--server-port",
                str(server_port),
            ],
            stdout=subprocess.DEVNULL,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        try:
            server, hub = f"http://127.0.0.1:{server_port}", f"http://127.0.0.1:{hub_port}"
            wait_for(server + "/api/v1/health")
            wait_for(hub + "/signin")
            laptop = browser(1280, 800)
            try:
                sign_in(
                    laptop,
                    server + "/signin?lang=en",
                    {"name": "admin", "password": "demo passphrase"},
                )
                shoot(laptop, server, WORKSPACE, "")
                laptop.get(server + "/?view=life_satisfaction&by=area&lang=ar")
                shoot(laptop, server, WORKSPACE[:1], "-ar")
            finally:
                laptop.quit()
            phone = browser(360, 740, phone=True)
            try:
                sign_in(phone, hub + "/signin?lang=en", {"name": "demo", "pin": "1234"})
                shoot(phone, hub, HUB, "")
                phone.get(hub + "/?lang=sw")
                shoot(phone, hub, HUB[:2], "-sw")
            finally:
                phone.quit()
        finally:
            demo.terminate()
            demo.wait(30)


if __name__ == "__main__":
    main()
