"""A real Chromium at a phone's size, and what a person does with it: shared by the browser
tests."""

from __future__ import annotations

import os
import pkgutil
import re
import signal
import subprocess
import threading
from types import SimpleNamespace

import pytest

from support import ENUMERATOR, PIN, need_tool


@pytest.fixture(scope="session")
def worker_chromium(tmp_path_factory):
    """One headless Chromium 360 px wide for all the browser tests of a test process: a
    start costs seconds of processor time, and `chromium` wipes what each test left, so each
    still begins as a new phone. (Scoped to a module, it was started again each time the
    workers' interleaving came back to a module.) A browser that stopped answering is
    replaced, so one wedged test cannot make every later test wait out the driver's
    timeout."""
    phone = SimpleNamespace(driver=None, profiles=tmp_path_factory.mktemp("chromium"), starts=0)
    yield phone
    if phone.driver is not None:
        quit_chromium(phone.driver)


@pytest.fixture
def chromium(request, worker_chromium, tmp_path):
    """Headless Chromium emulating a phone 360 px wide (or the width given as a param),
    with no cookie, storage, cache, service worker or console message from earlier tests."""
    width = getattr(request, "param", 360)
    if width != 360:
        driver = start_chromium(tmp_path, width)  # another screen: a phone of its own
        yield driver
        quit_chromium(driver)
        return
    driver = _worker_phone(worker_chromium)
    driver.get_log("browser")  # a new phone's console is empty
    yield driver
    # The next phone is as new; a browser that does not manage it in seconds is wedged.
    if not _answers(driver, lambda: forget_everything(driver), seconds=8):
        quit_chromium(driver)
        worker_chromium.driver = None


def _worker_phone(phone):
    """The test process's browser, started again if it no longer answers."""
    if phone.driver is not None and not _answers(phone.driver, lambda: phone.driver.title):
        quit_chromium(phone.driver)
        phone.driver = None
    if phone.driver is None:
        phone.starts += 1
        phone.driver = start_chromium(phone.profiles / str(phone.starts))
    return phone.driver


def _answers(driver, command, seconds: float = 20) -> bool:
    """Whether `command` on the browser finishes, without error, within `seconds`."""
    outcome = []

    def run():
        try:
            command()
            outcome.append(True)
        except Exception:  # any failure means the same: do not reuse this browser
            outcome.append(False)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(seconds)
    return outcome == [True]


def quit_chromium(driver) -> None:
    """Close the browser; if it does not close within seconds, kill chromedriver and the
    Chromium it started (they share a session of processes of their own)."""
    _answers(driver, driver.quit, seconds=5)  # then killed with its process group
    process = getattr(driver.service, "process", None)
    if process is not None:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass  # already gone with quit()
        process.wait(timeout=10)


def forget_everything(driver) -> None:
    """Leave the phone as new: every site it visited (read from the tab's history) loses its
    cookies, storage and service workers, and the cache goes."""
    history = driver.execute_cdp_cmd("Page.getNavigationHistory", {})["entries"]
    origins = {
        match.group(0) for entry in history if (match := re.match(r"https?://[^/]+", entry["url"]))
    }
    driver.get("about:blank")  # stops the last page's scripts and retries
    for origin in origins:
        driver.execute_cdp_cmd(
            "Storage.clearDataForOrigin", {"origin": origin, "storageTypes": "all"}
        )
    driver.execute_cdp_cmd("Network.clearBrowserCookies", {})
    driver.execute_cdp_cmd("Network.clearBrowserCache", {})
    driver.execute_cdp_cmd("Page.resetNavigationHistory", {})


def start_chromium(tmp_path, width=360, trusted_ca=None, flags=()):
    """A fresh profile and home; with `trusted_ca`, that CA is trusted as a phone's user
    would after installing it (in the NSS database Chromium reads on Linux); `flags`: more
    command-line switches (a host name for the hub, say)."""
    binary, driver_path = need_tool("chromium"), need_tool("chromedriver")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    home = tmp_path / "home"
    home.mkdir(parents=True, exist_ok=True)
    if trusted_ca:
        _trust(home, trusted_ca)
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={tmp_path / 'profile'}",
        f"--window-size={width},640",
        *flags,
    ):
        options.add_argument(flag)
    options.add_experimental_option(
        "mobileEmulation", {"deviceMetrics": {"width": width, "height": 640, "pixelRatio": 2}}
    )
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    # A session of its own, so that quit_chromium can stop chromedriver and Chromium together.
    service = Service(
        driver_path, env=dict(os.environ, HOME=str(home)), popen_kw={"start_new_session": True}
    )
    driver = webdriver.Chrome(options=options, service=service)
    driver.implicitly_wait(0)
    # A page or a command that hangs fails the test in a minute, not the driver's two.
    driver.set_page_load_timeout(45)
    driver.command_executor._client_config.timeout = 60
    driver.phone_width = width
    return driver


def _trust(home, ca_path) -> None:
    certutil = need_tool("certutil")
    nssdb = home / ".pki" / "nssdb"
    nssdb.mkdir(parents=True, exist_ok=True)
    database = f"sql:{nssdb}"
    subprocess.run([certutil, "-N", "-d", database, "--empty-password"], check=True)
    subprocess.run(
        [certutil, "-A", "-d", database, "-t", "C,,", "-n", "hub-ca", "-i", str(ca_path)],
        check=True,
    )


def wait_for(driver, css: str, seconds: float = 30):
    """The element once the page that has it has loaded. The wait is a bound, not a
    measure: a full parallel run on two cores can keep a page waiting for many seconds. On
    a timeout the message says which page the browser was on and what it showed."""
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.support.ui import WebDriverWait

    try:
        return WebDriverWait(driver, seconds).until(
            lambda d: d.find_elements("css selector", css) and d.find_element("css selector", css)
        )
    except TimeoutException as error:
        shown = driver.execute_script("return document.body ? document.body.innerText : ''")
        raise TimeoutException(
            f"no {css} after {seconds} s on {driver.current_url}: {shown[:300]!r}"
        ) from error


def sign_in_to_server(driver, url: str, name: str, password: str, lang: str = "en") -> None:
    """Sign in to the central workspace at `url` as `name`, its pages in `lang`."""
    driver.get(f"{url}/signin?lang={lang}")
    driver.find_element("id", "name").send_keys(name)
    driver.find_element("id", "password").send_keys(password)
    driver.find_element("css selector", "main button.primary").click()
    wait_for(driver, "nav.menu")


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
    for block, name, kind in shown_blocks(
        driver, lambda name, kind: kind != "note" and name in answers
    ):
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
                field,
                str(value),
            )


# Every question block of the page, in page order, with what the tests read off it.
_BLOCKS = """return Array.prototype.map.call(document.querySelectorAll('.q[data-name]'),
    function (b) { return [b, b.getAttribute('data-name'), b.getAttribute('data-type'),
                           b.getAttribute('id') || '']; });"""


def shown_blocks(driver, wanted, by_id=False):
    """(block, name, type) of each question block, in page order, that `wanted(name, type)`
    and that is shown at the moment it is reached: WebDriver's own visibility check, read
    again after each block handed out, since an answer may open or close a later question.
    With `by_id`, the name is read from the block's id (`q-age.2` in a repeat: `age.2`).

    The page is read in a call or two rather than a few per block: a whole form in one page
    has hundreds of them, and each WebDriver call is a round trip."""
    candidates = [
        (block, (ident[2:] if by_id else name), kind)
        for block, name, kind, ident in driver.execute_script(_BLOCKS)
        if wanted((ident[2:] if by_id else name), kind)
    ]
    elements = [block for block, _name, _kind in candidates]
    shown, stale = {}, True
    for index, candidate in enumerate(candidates):
        if stale:
            shown = dict(enumerate(_are_displayed(driver, elements, index), index))
            stale = False
        if shown[index]:
            stale = True
            yield candidate


# The page keeps the blocks asked about (sending them again costs a round trip each).
_DISPLAYED = """var shown = (%s);
if (arguments[1] !== null) { window.__testBlocks = arguments[1]; }
if (!window.__testBlocks) { return null; }
return window.__testBlocks.slice(arguments[0]).map(function (e) { return shown(e); });"""


def _are_displayed(driver, elements, start) -> list[bool]:
    """`is_displayed()` of elements[start:], through the same script Selenium runs for it."""
    atom = pkgutil.get_data("selenium.webdriver.remote", "isDisplayed.js").decode("utf8")
    found = None
    if start > 0:
        found = driver.execute_script(_DISPLAYED % atom, start, None)
    if found is None:  # the first read, or a new page: send the blocks
        found = driver.execute_script(_DISPLAYED % atom, start, elements)
    return found


def review_and_finalize(driver):
    """On a phone form's last section: Review answers, then Finalize under the review, as
    an enumerator does with the person (collector/static/js/form.js)."""
    from selenium.webdriver.support.ui import WebDriverWait

    driver.find_element("css selector", "button.step-review").click()
    finish = WebDriverWait(driver, 15).until(
        lambda d: (
            d.find_element("css selector", ".review-step").is_displayed()
            and d.find_element("css selector", "button.step-finish")
        )
    )
    finish.click()
