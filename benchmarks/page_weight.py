"""Page weight of the hub's form pages, measured in a real Chromium on a throttled link.

For each page: bytes transferred (compressed, as on the wire, headers excluded), number of
requests, requests to any other host, and first paint with Chromium's network emulation at
400 kbit/s and 400 ms latency, cache disabled (a first visit).

    python benchmarks/page_weight.py            # needs Debian's chromium and chromium-driver

Budget (docs/benchmarks.md): at most 60 KB and 15 requests, none to another host, first paint
under 3 seconds.
"""

from __future__ import annotations

import datetime
import os
import platform
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402

from collector import create_app  # noqa: E402
from collector.db import open_database  # noqa: E402
from collector.form_library import import_form  # noqa: E402
from collector.serving import make_server  # noqa: E402
from collector.users import add_user  # noqa: E402
from collector.xlsform import read_xlsform  # noqa: E402

PAGES = [
    "/feedback",
    "/forms/community_survey",
    "/forms/discrimination_report",
    "/signin",
    "/forms/community_survey/phone",
    "/forms/discrimination_report/phone",
    "/forms/household_roster/phone",
]
# An XLSForm with a repeat (a household roster), as a team would import it.
ROSTER = ROOT / "tests" / "fixtures" / "xlsforms" / "household_roster.xlsx"
LANGUAGES = ["en", "ar"]
RUNS = 3
BUDGET_BYTES, BUDGET_REQUESTS, BUDGET_PAINT_MS = 60 * 1024, 15, 3000


def start_hub(data_dir: Path):
    app = create_app(data_dir=data_dir)
    db = open_database(app.config["DATABASE"])
    add_user(db, "bench", "2468")
    import_form(db, read_xlsform(ROSTER).form, "benchmark")
    db.close()
    server = make_server(app, "127.0.0.1", 0, 8)
    server.prepare()
    threading.Thread(target=server.serve, daemon=True).start()
    return server, f"http://127.0.0.1:{server.bind_addr[1]}"


def browser(profile: Path):
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={profile}",
        "--window-size=360,640",
    ):
        options.add_argument(flag)
    options.add_experimental_option(
        "mobileEmulation", {"deviceMetrics": {"width": 360, "height": 640, "pixelRatio": 2}}
    )
    return webdriver.Chrome(options=options, service=Service("/usr/bin/chromedriver"))


def sign_in(driver, base):
    driver.get(base + "/signin")
    driver.find_element("id", "name").send_keys("bench")
    driver.find_element("id", "pin").send_keys("2468")
    driver.find_element("css selector", "button.primary").click()


def measure(driver, url: str) -> dict:
    driver.execute_cdp_cmd("Network.enable", {})
    driver.execute_cdp_cmd("Network.setCacheDisabled", {"cacheDisabled": True})
    # A first visit: no service worker answering from its cache (127.0.0.1 is a secure
    # context, where it runs; phones on a LAN address over plain HTTP have none).
    origin = "{0.scheme}://{0.netloc}".format(urlparse(url))
    driver.execute_cdp_cmd(
        "Storage.clearDataForOrigin",
        {"origin": origin, "storageTypes": "service_workers,cache_storage"},
    )
    driver.execute_cdp_cmd("Network.setBypassServiceWorker", {"bypass": True})
    driver.execute_cdp_cmd(
        "Network.emulateNetworkConditions",
        {
            "offline": False,
            "latency": 400,
            "downloadThroughput": 50_000,
            "uploadThroughput": 50_000,
        },
    )
    driver.get(url)
    for _ in range(20):  # paint entries can land just after the load event
        if driver.execute_script("return performance.getEntriesByType('paint').length"):
            break
        time.sleep(0.1)
    entries = driver.execute_script("""
        const nav = performance.getEntriesByType('navigation')[0];
        const res = performance.getEntriesByType('resource');
        const paint = performance.getEntriesByType('paint').find(p => p.name === 'first-paint')
                   || performance.getEntriesByType('paint')[0];
        return {nav: {name: nav.name, size: nav.transferSize, body: nav.encodedBodySize},
                res: res.map(r => ({name: r.name, size: r.transferSize, body: r.encodedBodySize})),
                paint: paint ? paint.startTime : null};""")
    driver.execute_cdp_cmd(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
    )
    host = urlparse(url).netloc
    items = [entries["nav"], *entries["res"]]
    return {
        "bytes": sum(i["body"] for i in items),
        "wire": sum(i["size"] for i in items),
        "requests": len(items),
        "other_hosts": sum(1 for i in items if urlparse(i["name"]).netloc != host),
        "paint_ms": entries["paint"],
    }


def main() -> int:
    with tempfile.TemporaryDirectory() as work:
        server, base = start_hub(Path(work) / "hub")
        driver = browser(Path(work) / "profile")
        try:
            sign_in(driver, base)
            print("Page weight at first visit (cache disabled), 400 kbit/s and 400 ms latency")
            print(f"date:     {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC")
            print(
                f"platform: {platform.platform()}, {os.cpu_count()} CPUs, "
                f"Python {platform.python_version()}"
            )
            print(f"browser:  {driver.capabilities.get('browserVersion')}\n")
            print(
                f"{'page':<34} {'KB body':>8} {'KB wire':>8} {'requests':>8} {'other':>6} "
                f"{'first paint ms (median of 3)':>29}"
            )
            worst = {"bytes": 0, "requests": 0, "other_hosts": 0, "paint_ms": 0}
            for lang in LANGUAGES:
                for page in PAGES:
                    runs = [measure(driver, f"{base}{page}?lang={lang}") for _ in range(RUNS)]
                    paints = [r["paint_ms"] for r in runs if r["paint_ms"] is not None]
                    paint = statistics.median(paints) if paints else float("nan")
                    last = runs[-1]
                    print(
                        f"{page + '?lang=' + lang:<34} {last['bytes'] / 1024:>8.1f} "
                        f"{last['wire'] / 1024:>8.1f} {last['requests']:>8} "
                        f"{last['other_hosts']:>6} {paint:>29.0f}"
                    )
                    for key, value in (
                        ("bytes", last["wire"]),
                        ("requests", last["requests"]),
                        ("other_hosts", last["other_hosts"]),
                        ("paint_ms", paint),
                    ):
                        worst[key] = max(worst[key], value)
            print()
            print(
                f"largest page on the wire: {worst['bytes'] / 1024:.1f} KB (budget 60 KB: "
                f"{'met' if worst['bytes'] <= BUDGET_BYTES else 'MISSED'})"
            )
            print(
                f"most requests: {worst['requests']} (budget 15: "
                f"{'met' if worst['requests'] <= BUDGET_REQUESTS else 'MISSED'})"
            )
            print(
                f"requests to other hosts: {worst['other_hosts']} (budget 0: "
                f"{'met' if worst['other_hosts'] == 0 else 'MISSED'})"
            )
            print(
                f"slowest first paint: {worst['paint_ms']:.0f} ms (budget 3000 ms: "
                f"{'met' if worst['paint_ms'] < BUDGET_PAINT_MS else 'MISSED'})"
            )
        finally:
            driver.quit()
            server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
