"""Real-browser fixtures: one `streamlit run app.py` server per test session, Debian's Chromium driven by
Playwright (sync API), and a fresh page (a fresh Streamlit session) per test. The server and browser
start-up is bench.ui's, shared with the benchmarks.

When Chromium is missing it is installed (root with apt-get); where that cannot be done these tests
fail and say how, rather than skip quietly."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from bench import ui

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "docs" / "screenshots"
APP_READY_MS = 90_000


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    """The app served on a free port from the repository root; stopped at the end of the session."""
    log_path = tmp_path_factory.mktemp("streamlit") / "server.log"
    try:
        with ui.server(log_path=log_path) as url:
            yield url
    except ui.BrowserSetupError as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture(scope="session")
def browser():
    try:
        with ui.browser() as b:
            yield b
    except ui.BrowserSetupError as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture
def page(browser, server):
    """A new browser context on the app, after its first script run has finished and the map is drawn.
    Uncaught page errors are collected and fail the test at teardown."""
    context = browser.new_context(viewport={"width": 1600, "height": 1000})
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    pg.set_default_timeout(30_000)
    pg.goto(server)
    pg.wait_for_selector("[data-test-script-state=notRunning]", timeout=APP_READY_MS)
    pg.locator(".js-plotly-plot").first.wait_for(timeout=APP_READY_MS)
    yield pg
    context.close()
    assert not errors, f"uncaught errors in the page: {errors}"


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory) -> Path:
    """Where the steps' screenshots go: a temporary folder, or docs/screenshots/ with
    E2E_SCREENSHOTS=1 (how the committed screenshots are refreshed)."""
    if os.environ.get("E2E_SCREENSHOTS"):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        return SCREENSHOTS
    return tmp_path_factory.mktemp("screenshots")
