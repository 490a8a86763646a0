"""``paichan demo`` as a new user runs it: it starts, serves, says where to go, and stops on
Ctrl-C (SIGINT) within seconds; a second run continues with the same database."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

START_TIMEOUT = 120.0  # the first run loads the demo factory and plans it
STOP_TIMEOUT = 15.0


def _start(tmp_path: Path, *extra: str) -> tuple[subprocess.Popen[str], str, list[str]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAICHAN_")}
    env.update(PAICHAN_LANG="en", PYTHONUNBUFFERED="1")
    cmd = [sys.executable, "-c", "import sys; from bot.cli import main; sys.exit(main())", "demo",
           "--port", "0", "--database", f"sqlite+aiosqlite:///{tmp_path / 'demo.db'}", *extra]
    proc = subprocess.Popen(cmd, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)  # the log too: a new user sees both
    assert proc.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line)
        found = re.search(r"running at (http://127\.0\.0\.1:\d+/)", line)
        if found:
            return proc, found.group(1), lines
    proc.kill()
    pytest.fail("paichan demo did not say where it runs:\n" + "".join(lines))


def _stop(proc: subprocess.Popen[str], lines: list[str]) -> float:
    began = time.monotonic()
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        proc.kill()
        pytest.fail(f"paichan demo did not stop within {STOP_TIMEOUT} s of SIGINT")
    assert proc.stdout is not None
    lines.append(proc.stdout.read())  # through the same buffered reader as the lines before
    return time.monotonic() - began


def test_demo_starts_serves_and_stops_on_sigint(tmp_path: Path) -> None:
    proc, url, lines = _start(tmp_path, "--no-simulator", "--first-plan", "3")
    try:
        with urllib.request.urlopen(url + "healthz", timeout=10) as resp:
            assert resp.status == 200
        with urllib.request.urlopen(url + "readyz", timeout=10) as resp:
            assert resp.status == 200
        with urllib.request.urlopen(url + "login", timeout=10) as resp:  # the web app
            assert resp.status == 200 and 'id="password"' in resp.read().decode()
    finally:
        took = _stop(proc, lines)
    out = "".join(lines)
    assert proc.returncode == 0, out
    assert took < STOP_TIMEOUT
    assert "(created)" in out and "New demo factory: planning it (3 s)" in out
    assert "Telegram bot: off" in out
    assert "PAICHAN_SECRET_KEY is not set" not in out and "Traceback" not in out, out
    assert re.search(r"manager\s+paichan-demo", out) and re.search(r"customer1\s+paichan-demo", out), out
    assert "paichan demo stopped." in out
    assert (tmp_path / "demo.db").exists()

    # A second run keeps the database it made (no reload, nothing lost).
    proc, url, lines = _start(tmp_path, "--no-simulator")
    _stop(proc, lines)
    assert "existing, continued" in "".join(lines) and "planning it" not in "".join(lines)


def test_demo_refuses_a_busy_port_with_a_clear_message(tmp_path: Path) -> None:
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        env = {k: v for k, v in os.environ.items() if not k.startswith("PAICHAN_")}
        env["PAICHAN_LANG"] = "en"
        done = subprocess.run(
            [sys.executable, "-c", "import sys; from bot.cli import main; sys.exit(main())", "demo",
             "--no-simulator", "--first-plan", "1", "--port", str(port), "--database", f"sqlite+aiosqlite:///{tmp_path / 'demo.db'}"],
            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=START_TIMEOUT)
    assert done.returncode == 1
    assert f"Cannot listen on 127.0.0.1:{port}" in done.stderr + done.stdout
    assert "--port" in done.stderr + done.stdout


def test_the_simulated_shop_floor_reports_progress_while_the_demo_runs(tmp_path: Path) -> None:
    proc, _url, lines = _start(tmp_path, "--speed", "600", "--tick", "1")
    assert proc.stdout is not None
    moved = None
    deadline = time.monotonic() + 90
    try:
        while time.monotonic() < deadline and moved is None:
            line = proc.stdout.readline()
            lines.append(line)
            if re.search(r"\] (progress reported on \d+ running step|.* finished on )", line):
                moved = line
    finally:
        _stop(proc, lines)
    assert moved is not None, "".join(lines)
    assert "factory minutes" in "".join(lines)
    # what the floor reported is in the database, behind the web app and the API alike
    import sqlite3

    with sqlite3.connect(tmp_path / "demo.db") as db:
        reports = db.execute("SELECT count(*) FROM audit_log WHERE action = 'report_progress'").fetchone()[0]
        plans = db.execute("SELECT count(*) FROM plan_versions").fetchone()[0]
    assert reports > 0 and plans > 1
