"""Many users at once: SESSIONS browser sessions open the app together, each uploads its own table, presses
Train and, once its map is drawn, clicks points on it. One server, one headless Chromium with a context
per session (Playwright's async API). Recorded: errors of any kind (page errors, error boxes, a map that
never came), the server's peak memory, each run's wait for a free trainer and its training time (the
app's timing log), the time from Train to the new map as the browser sees it, and the server-side click
latency while the others train.

Not a test: it takes minutes. `python -m bench --only load` (SESSIONS sessions; --quick: fewer clicks)."""
from __future__ import annotations

import asyncio
import os
import tempfile
import time
from pathlib import Path

import numpy as np

from . import ui

SESSIONS = 8
CLICKS = (10, 4)  # per session: full, quick
SHOTS = Path(os.environ["LOAD_SHOTS"]) if os.environ.get("LOAD_SHOTS") else None  # screenshots of failures
TRAIN_LIMIT_S = 15  # the app's default time limit, as a newcomer leaves it
TRACE_SIZES_JS = "() => document.querySelector('.js-plotly-plot')._fullData.map(t => t.x.length)"


def tables(folder: Path, n: int) -> list[Path]:
    """One CSV per session: the two real sample tables, then synthetic ones of different sizes and widths."""
    from aecore.samples import DATA_DIR

    paths = [DATA_DIR / "wine.csv", DATA_DIR / "breast_cancer.csv"]
    rng = np.random.default_rng(0)
    for i in range(max(0, n - len(paths))):
        rows, cols = 300 + 400 * i, 6 + 2 * i
        base = rng.standard_normal((rows, 3))
        X = base @ rng.standard_normal((3, cols)) + 0.1 * rng.standard_normal((rows, cols))
        path = folder / f"session_{i + 3}.csv"
        header = ",".join(f"f{j}" for j in range(cols)) + ",group"
        lines = [header] + [",".join(f"{v:.4f}" for v in row) + f",g{k % 4}" for k, row in enumerate(X)]
        path.write_text("\n".join(lines) + "\n")
        paths.append(path)
    return paths[:n]


def peak_rss_mib(pid: int) -> float:
    """The process's peak resident memory so far (Linux's VmHWM)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def session(browser, url: str, csv: Path, clicks: int, out: dict) -> None:
    context = await browser.new_context(viewport={"width": 1400, "height": 1300})
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.set_default_timeout(600_000)
    try:
        await page.goto(url)
        await page.locator(".js-plotly-plot").first.wait_for()
        await page.wait_for_selector("[data-test-script-state=notRunning]")
        await page.get_by_role("radio", name="Table", exact=True).first.click()
        await page.wait_for_selector("[data-test-script-state=notRunning]")
        await page.locator("section[data-testid=stSidebar] input[type=file]").first.set_input_files(str(csv))
        train = page.get_by_role("button", name=f"Train on {csv.name}").first
        await train.wait_for()
        await page.wait_for_selector("[data-test-script-state=notRunning]")
        started = time.perf_counter()
        await train.click()
        await page.locator("[data-testid=stMarkdownContainer] strong", has_text=f"csv: {csv.name}").first.wait_for()
        out["to_map_s"] = time.perf_counter() - started
        await page.wait_for_selector("[data-test-script-state=notRunning]")
        rng = np.random.default_rng(len(csv.name))
        for _ in range(clicks):
            sizes = await page.evaluate(TRACE_SIZES_JS)
            trace = int(rng.integers(1, len(sizes)))
            index = int(rng.integers(0, sizes[trace]))
            box = await page.locator(".js-plotly-plot").first.bounding_box()
            x, y = await page.evaluate(
                """([t, i]) => { const gd = document.querySelector('.js-plotly-plot'); const d = gd._fullData[t];
                    const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
                    return [xa.l2p(d.x[i]) + xa._offset, ya.l2p(d.y[i]) + ya._offset]; }""", [trace, index])
            await page.mouse.click(box["x"] + x, box["y"] + y)
            await page.wait_for_timeout(300)
            await page.wait_for_selector("[data-test-script-state=notRunning]")
        boxes = await page.locator("[data-testid=stException], [data-testid=stAlertContentError]").count()
        errors += [f"{boxes} error box(es) on the page"] if boxes else []
    except Exception as exc:  # a session that fails is a result to report, not a crash of the benchmark
        errors.append(f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}")
        if SHOTS:
            await page.screenshot(path=str(SHOTS / f"failed_{csv.stem}.png"), full_page=True)
    finally:
        out["errors"] = errors
        await context.close()


async def drive(url: str, log: Path, csvs: list[Path], clicks: int) -> tuple[list[dict], float]:
    """(each session's results, wall seconds of the sessions). A first visit starts the server's warm-up
    (torch, UMAP's compile), which is awaited: the sessions then measure the steady state."""
    from playwright.async_api import async_playwright

    path = ui.ensure_chromium()
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=str(path), headless=True, args=ui.CHROMIUM_ARGS)
        first = await browser.new_page()
        await first.goto(url)
        await first.locator(".js-plotly-plot").first.wait_for(timeout=300_000)
        await asyncio.to_thread(ui.wait_for_warm_up, log)
        await first.close()
        results = [{"csv": c.name} for c in csvs]
        started = time.perf_counter()
        await asyncio.gather(*(session(browser, url, c, clicks, r) for c, r in zip(csvs, results, strict=True)))
        wall = time.perf_counter() - started
        await browser.close()
    return results, wall


def spread(seconds: list[float]) -> str:
    return f"p50 {pct(seconds, 50):.1f} s, max {max(seconds, default=0):.1f} s"


def pct(values, q: float) -> float:
    return float(np.percentile(values, q)) if len(values) else float("nan")


def run(quick: bool = False) -> list[dict]:
    clicks = CLICKS[1] if quick else CLICKS[0]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        log = folder / "timings.jsonl"
        csvs = tables(folder, SESSIONS)
        procs = []
        with ui.server(log, on_start=procs.append) as url:
            results, wall = asyncio.run(drive(url, log, csvs, clicks))
            peak = peak_rss_mib(procs[0].pid)
        events = ui.read_log(log)
    jobs = [e for e in events if e["event"] == "job"]
    click_ms = [e["ms"] for e in events if e["event"] == "click"]
    errors = [f"{r['csv']}: {e}" for r in results for e in r.get("errors", [])]
    to_map = [r["to_map_s"] for r in results if "to_map_s" in r]
    queued = [e.get("queued_s", 0.0) for e in jobs]
    trained = [e["train_s"] for e in jobs]
    sessions = f"{SESSIONS} sessions, {len(to_map)} maps drawn, {wall:.0f} s in all"
    rows = [
        {"benchmark": "sessions at once", "figure": sessions, "target": "every session gets its map",
         "status": "PASS" if len(to_map) == SESSIONS else "MISS"},
        {"benchmark": "errors", "figure": f"{len(errors)}" + (f": {'; '.join(errors[:3])}" if errors else ""),
         "target": "none", "status": "PASS" if not errors else "MISS"},
        {"benchmark": "server peak memory", "figure": f"{peak:,.0f} MiB (VmHWM)", "target": "(info)", "status": ""},
        {"benchmark": "wait for a free trainer", "figure": spread(queued), "target": "(info)", "status": ""},
        {"benchmark": "training", "figure": f"{spread(trained)} ({len(jobs)} runs, time limit {TRAIN_LIMIT_S} s)",
         "target": "(info)", "status": ""},
        {"benchmark": "Train to map, in the browser", "figure": spread(to_map), "target": "(info)", "status": ""},
        {"benchmark": "click latency under load (server side)",
         "figure": f"{len(click_ms)} clicks, p50 {pct(click_ms, 50):.1f} ms, p95 {pct(click_ms, 95):.1f} ms",
         "target": "(info: the click benchmark's p95 < 100 ms is for an idle server)", "status": ""},
        {"note": f"One server (`streamlit run app.py`, the pool's defaults: one training slot per two cores), one "
                 f"headless Chromium with {SESSIONS} contexts started together. Each session uploads its own CSV "
                 "(wine, breast cancer, then synthetic tables of 300 to 2,700 rows), presses the one Train button "
                 f"with the app's defaults ({TRAIN_LIMIT_S} s time limit, UMAP map), waits for its map, then clicks "
                 f"{clicks} random points while the others still queue or train. Clicks are measured from the "
                 "app's timing log, like the click benchmark, so they include the time a click waits for the GIL "
                 "while training runs in the server."},
    ]
    return rows
