"""Driving the real app in a real browser, for the benchmarks and the end-to-end tests alike: a fresh
`streamlit run app.py` server (its timing log on when asked), and Debian's Chromium driven by Playwright.

Never `playwright install`: it downloads a browser. `ensure_chromium` installs Debian's `chromium`
package when it is missing and the machine allows it (root with apt-get); otherwise it says how."""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path(os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium"))
# Headless as root needs --no-sandbox; the rest keep Chromium from calling home on a closed network.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
SERVER_START_S = 120
INSTALL_HINT = "apt-get install chromium (Debian's package; never `playwright install`)"


class BrowserSetupError(RuntimeError):
    """The server or the browser could not be started; the message says why and what to do."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
            return r.status == 200 and r.read().strip() == b"ok"
    except OSError:
        return False


@contextlib.contextmanager
def server(timing_log: Path | None = None, log_path: Path | None = None,
           on_start: Callable[[subprocess.Popen], None] | None = None, script: str = "app.py") -> Iterator[str]:
    """A new server process (cold: nothing imported, nothing compiled) on a free port. Yields its URL;
    stops its whole process group at the end. With timing_log, the app appends its timing events there;
    on_start hears the process (to watch its memory, say); `script` is another app to serve (a
    benchmark's bare baseline, say)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = dict(os.environ)
    if timing_log is not None:
        env["LATENT_EXPLORER_TIMINGS"] = str(timing_log)
    cmd = [sys.executable, "-m", "streamlit", "run", script, "--server.headless", "true",
           "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
           "--server.fileWatcherType", "none"]  # sources may change meanwhile: no surprise reruns
    with open(log_path or os.devnull, "wb") as log:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    if on_start is not None:
        on_start(proc)
    try:
        deadline = time.monotonic() + SERVER_START_S
        while not healthy(url):
            if proc.poll() is not None or time.monotonic() > deadline:
                tail = log_path.read_text(errors="replace")[-3000:] if log_path else ""
                raise BrowserSetupError(f"streamlit did not become healthy at {url} (exit code {proc.poll()})\n{tail}")
            time.sleep(0.3)
        yield url
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)  # its own session: the server and any child it started
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(10)


def ensure_chromium() -> Path:
    """Debian's Chromium, installed with apt-get when it is missing and this process may (root)."""
    if CHROMIUM.exists():
        return CHROMIUM
    if shutil.which("apt-get") and hasattr(os, "geteuid") and os.geteuid() == 0:
        print(f"[browser tests] {CHROMIUM} is missing: installing Debian's chromium package", file=sys.stderr)
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        for cmd in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "chromium"]):
            done = subprocess.run(cmd, env=env, capture_output=True, text=True)
            if done.returncode != 0:
                raise BrowserSetupError(f"`{' '.join(cmd)}` failed: {done.stderr.strip()[-500:]}")
    if not CHROMIUM.exists():
        raise BrowserSetupError(f"{CHROMIUM} is missing: {INSTALL_HINT}, as root.")
    return CHROMIUM


@contextlib.contextmanager
def browser():
    """Headless Chromium through Playwright (installed first if missing, see ensure_chromium)."""
    from playwright.sync_api import sync_playwright

    path = ensure_chromium()
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(path), headless=True, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


def wait_idle(page, timeout_s: float = 300) -> None:
    page.wait_for_selector("[data-test-script-state=notRunning]", timeout=timeout_s * 1000)


def wait_for_map(page, header_text: str, timeout_s: float = 300) -> None:
    """Until the header names the new data and a map with points is drawn."""
    page.wait_for_function(
        """(text) => { const h = document.body.innerText.includes(text);
                      const gd = document.querySelector('.js-plotly-plot');
                      return h && gd && gd._fullData && gd._fullData.length > 1; }""",
        arg=header_text, timeout=timeout_s * 1000, polling=100)


def choose(page, name: str) -> None:
    """Pick an option of a segmented control (the data source, the view, the point's view) by its name."""
    option = page.get_by_role("radio", name=name, exact=True).first
    if option.get_attribute("aria-checked") != "true":
        option.click()
        wait_idle(page)


def upload_images_and_train(page, path: Path) -> None:
    """Upload images (read at once) and press the one Train button, which then names the upload."""
    choose(page, "Images")
    page.locator("section[data-testid=stSidebar] input[type=file]").first.set_input_files(str(path))
    button = page.get_by_role("button", name=f"Train on {path.name}")
    button.wait_for(state="visible", timeout=300_000)
    wait_idle(page)
    button.click()


def read_log(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def wait_for_warm_up(log: Path, timeout_s: float = 300) -> float:
    """Until the server's background warm-up (torch, UMAP's numba compile) has finished; its seconds."""
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        done = [e for e in read_log(log) if e["event"] == "warm_up"]
        if done:
            return done[0]["seconds"]
        time.sleep(0.5)
    raise RuntimeError(f"the server's warm-up did not finish in {timeout_s:g} s")


def data_point_position(page, trace: int = 1, index: int = 0) -> tuple[float, float]:
    """Page coordinates of a data point (trace 0 is the invisible decode grid)."""
    box = page.locator(".js-plotly-plot").first.bounding_box()
    x, y = page.evaluate(
        """([t, i]) => { const gd = document.querySelector('.js-plotly-plot'); const d = gd._fullData[t];
            const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
            return [xa.l2p(d.x[i]) + xa._offset, ya.l2p(d.y[i]) + ya._offset]; }""", [trace, index])
    return box["x"] + x, box["y"] + y
