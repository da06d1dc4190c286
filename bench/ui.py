"""Driving the real app for benchmarks: a fresh `streamlit run app.py` server with the timing log on,
and headless Chromium (Debian's, through Playwright) to click like a user."""
from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def server(timing_log: Path):
    """A new server process (cold: nothing imported, nothing compiled). Yields its URL."""
    port = free_port()
    env = dict(os.environ, LATENT_EXPLORER_TIMINGS=str(timing_log))
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
                             "--server.port", str(port), "--server.address", "127.0.0.1"],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 120
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                time.sleep(0.2)
        else:
            raise RuntimeError("the server did not become healthy in 120 s")
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


@contextlib.contextmanager
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"{CHROMIUM} is missing: apt-get install chromium")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
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


def choose_source(page, name: str) -> None:
    option = page.get_by_role("radio", name=name, exact=True).first
    if option.get_attribute("aria-checked") != "true":
        option.click()
        wait_idle(page)


def upload_images_and_train(page, path: Path) -> None:
    choose_source(page, "Images")
    page.locator("section[data-testid=stSidebar] input[type=file]").first.set_input_files(str(path))
    button = page.get_by_role("button", name="Load images and train")
    button.wait_for(state="visible")
    page.wait_for_function("() => [...document.querySelectorAll('button')].some(b => b.innerText.includes('Load images and train') && !b.disabled)",
                           timeout=120_000)
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
