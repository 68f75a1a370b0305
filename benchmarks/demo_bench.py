"""How long `sync-server demo` takes to start, from the command to a dashboard with numbers.

    . .venv/bin/activate
    python benchmarks/demo_bench.py                 # 3 rounds of each start
    python benchmarks/demo_bench.py --rounds 5

Each round starts the demo as the README's first command does (`sync-server demo
--data-dir DIR`, the collector and the server in one process), in a new data folder, and
times:

1. **first start**: until the server answers its sign-in page (a new folder: keys, both
   databases, the synthetic survey round of `sync_server/demo_data.py` loaded and synced);
2. **indicators shown**: until an admin signed in reads the life-satisfaction indicator
   with a number in it (`/indicator.csv`), the first thing a new user looks for;
3. **start again**: stopped with SIGTERM and started on the same folder, until the sign-in
   page answers (nothing is loaded twice);
4. **empty start**: `--empty` in another new folder, until the sign-in page answers.

The medians of the rounds are printed with the machine; wall time, so other work on a
shared machine lengthens every figure alike.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import platform
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from support import free_port  # noqa: E402
from sync_server.cli import DEMO_ADMIN, DEMO_PASSWORD  # noqa: E402

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
WAIT = 300  # seconds a start may take before the round is called failed


def start(data_dir: Path, *options: str) -> tuple[subprocess.Popen, str, float]:
    """The demo started; (process, server URL, seconds until its sign-in page answers)."""
    port = free_port()
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "sync_server", "demo", "--data-dir", str(data_dir)]
        + ["--port", "0", "--server-port", str(port), *options],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
    )
    url = f"http://127.0.0.1:{port}"
    while time.perf_counter() - started < WAIT and process.poll() is None:
        try:
            requests.get(url + "/signin", timeout=2)
            return process, url, time.perf_counter() - started
        except requests.ConnectionError:
            time.sleep(0.05)
    process.kill()
    raise SystemExit("the demo did not start: " + process.communicate()[1][-2000:])


def stop(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=60)


def indicator_shown(url: str) -> bool:
    """Signed in as the demo's admin, the overall life satisfaction carries a number."""
    session = requests.Session()
    page = session.get(url + "/signin", timeout=30)
    session.post(
        url + "/signin",
        timeout=30,
        data={
            "name": DEMO_ADMIN,
            "password": DEMO_PASSWORD,
            "csrf_token": CSRF.search(page.text).group(1),
        },
    )
    answer = session.get(url + "/indicator.csv", params={"view": "life_satisfaction"}, timeout=60)
    rows = list(csv.DictReader(io.StringIO(answer.content.decode("utf-8-sig"))))
    return bool(rows) and rows[0].get("suppressed") == "0" and int(rows[0]["n"]) > 0


def one_round(folder: Path) -> dict[str, float]:
    times = {}
    process, url, times["first start"] = start(folder / "demo")
    started = time.perf_counter() - times["first start"]
    try:
        if not indicator_shown(url):
            raise SystemExit("the demo's indicators show no number")
        times["indicators shown"] = time.perf_counter() - started
    finally:
        stop(process)
    process, _, times["start again"] = start(folder / "demo")
    stop(process)
    process, _, times["empty start"] = start(folder / "empty", "--empty")
    stop(process)
    return times


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3, help="rounds of the four starts")
    args = parser.parse_args(argv)
    print("Demo start-up benchmark")
    print(
        f"Machine: {platform.platform()}, nproc {os.cpu_count()}, "
        f"Python {platform.python_version()}, load average {os.getloadavg()[0]:.1f}"
    )
    print(f"Date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    rounds = []
    for n in range(args.rounds):
        with tempfile.TemporaryDirectory(prefix="demo-bench-") as folder:
            rounds.append(one_round(Path(folder)))
        print(f"  round {n + 1}: " + ", ".join(f"{k} {v:.1f} s" for k, v in rounds[-1].items()))
    for what in rounds[0]:
        values = [r[what] for r in rounds]
        print(f"{what:<18} median {statistics.median(values):6.1f} s  (of {len(values)})")
    print(f"Load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
