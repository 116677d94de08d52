"""Running the app for real-browser tests: a live ``streamlit run`` and headless Chromium."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
ROOT = Path(__file__).resolve().parent.parent
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def require_chromium() -> None:
    """Skip locally without Debian's chromium; in CI its absence is a failure."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: scripts/system-deps.sh installs it")
        pytest.skip(f"{CHROMIUM} not installed (apt-get install chromium)")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running_app(database_url: str, basemap: str = "none") -> Iterator[str]:
    """Serve app.py on a free port with ``database_url`` (and ``LSMAP_BASEMAP``); yields the
    base URL."""
    port = _free_port()
    env = {**os.environ, "LSMAP_DATABASE_URL": database_url, "LSMAP_BASEMAP": basemap}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "app.py",
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--server.headless",
            "true",
            "--browser.gatherUsageStats",
            "false",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                health = f"{base}/_stcore/health"  # our own server on localhost
                with urllib.request.urlopen(health, timeout=2) as response:  # noqa: S310
                    if response.status == 200:
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                output = process.stdout.read() if process.stdout else ""
                raise RuntimeError(f"streamlit did not start:\n{output}")
            time.sleep(0.3)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def wait_for_app_idle(page) -> None:  # type: ignore[no-untyped-def]
    """Wait until the app's script run has finished: Streamlit marks its root element
    ``data-test-script-state="notRunning"`` once every element of the run is sent."""
    page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for(
        state="attached"
    )


def wait_until_quiet(page, requested: list[str], quiet_ms: int = 500) -> None:  # type: ignore[no-untyped-def]
    """Wait until the app is idle and ``requested`` (filled by a request listener) has not
    grown for ``quiet_ms`` (like Playwright's networkidle, which ignores later frames)."""
    wait_for_app_idle(page)
    seen, since = len(requested), time.monotonic()
    deadline = since + 30
    while time.monotonic() - since < quiet_ms / 1000:
        page.wait_for_timeout(50)  # lets Playwright deliver request events
        if len(requested) != seen:
            seen, since = len(requested), time.monotonic()
        if time.monotonic() > deadline:
            raise TimeoutError(f"requests did not stop within 30 s: {requested[seen - 5 :]}")
