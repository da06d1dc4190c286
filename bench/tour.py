"""A newcomer's session in screenshots, for looking at what the app shows on real data: upload a file,
press the obvious Train, click a point, open each of its views, ring its neighbours, box-select, search,
and visit the other views. One PNG per step, and the count of error boxes on the page at the end.

    python -m bench.tour OUT_DIR FILE [--query TEXT]      # a CSV, or an image / folder / ZIP of images
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

from . import ui

POINT_JS = """(trace) => { const gd = document.querySelector('.js-plotly-plot'); const L = gd._fullLayout;
  const xa = L.xaxis, ya = L.yaxis; const t = gd._fullData[trace]; const i = Math.floor(t.x.length / 3);
  const r = gd.getBoundingClientRect();
  return [r.left + xa.l2p(t.x[i]) + xa._offset, r.top + ya.l2p(t.y[i]) + ya._offset]; }"""
# A box over the middle of the map, in page pixels: (x0, y0, x1, y1).
BOX_JS = """() => { const gd = document.querySelector('.js-plotly-plot'); const L = gd._fullLayout;
  const r = gd.getBoundingClientRect(); const X = (f) => r.left + L.xaxis._offset + f * L.xaxis._length;
  const Y = (f) => r.top + L.yaxis._offset + f * L.yaxis._length; return [X(0.35), Y(0.35), X(0.55), Y(0.6)]; }"""
POINT_VIEWS = ["Neighbours", "Traversal", "Denoise", "Compression"]


def settle(page, timeout_s: float = 600) -> None:
    time.sleep(0.6)
    ui.wait_idle(page, timeout_s)
    time.sleep(0.6)


def tour(out: Path, data: Path, query: str) -> int:
    out.mkdir(parents=True, exist_ok=True)
    table = data.suffix.lower() in (".csv", ".tsv", ".txt")

    def shot(page, name: str) -> None:
        page.screenshot(path=str(out / f"{name}.png"), full_page=True)
        print("saved", out / f"{name}.png", flush=True)

    with ui.server(log_path=out / "server.log") as url, ui.browser() as b:
        page = b.new_context(viewport={"width": 1600, "height": 1200}).new_page()
        page.set_default_timeout(60_000)
        page.goto(url)
        page.locator(".js-plotly-plot").first.wait_for(timeout=300_000)
        settle(page)
        sidebar = page.locator("[data-testid=stSidebar]")
        ui.choose(page, "Table" if table else "Images")
        sidebar.locator("input[type=file]").first.set_input_files(str(data))
        settle(page)
        shot(page, "01_uploaded")
        sidebar.get_by_role("button", name=f"Train on {data.name}").click()
        page.locator("[data-testid=stMarkdownContainer] strong", has_text=data.name).first.wait_for(timeout=900_000)
        settle(page)
        shot(page, "02_trained")
        x, y = page.evaluate(POINT_JS, 2)
        page.mouse.click(x, y)
        settle(page)
        shot(page, "03_point")
        for name in POINT_VIEWS:
            ui.choose(page, name)
            settle(page)
            shot(page, f"04_{name.lower()}")
        ui.choose(page, "Neighbours")
        settle(page)
        page.get_by_role("button", name="Ring them on the map").click()
        settle(page)
        shot(page, "05_ringed")
        page.locator(".modebar-btn[data-val=select]").first.click()
        x0, y0, x1, y1 = page.evaluate(BOX_JS)
        page.mouse.move(x0, y0)
        page.mouse.down()
        page.mouse.move(x1, y1, steps=8)
        page.mouse.up()
        settle(page)
        shot(page, "06_selection")
        page.get_by_role("textbox", name="Find rows").fill(query)
        page.keyboard.press("Enter")
        settle(page)
        shot(page, "07_find")
        for view in ["Anomalies", "Training", "Data"]:
            ui.choose(page, view)
            settle(page)
            shot(page, f"08_{view.lower()}")
        errors = page.locator("[data-testid=stException], [data-testid=stAlertContentError]").count()
    print(f"error boxes on the page: {errors}")
    return errors


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.tour", description=__doc__.splitlines()[0])
    p.add_argument("out", type=Path)
    p.add_argument("data", type=Path)
    p.add_argument("--query", default="1", help="what to type into Find rows")
    args = p.parse_args(argv)
    if not args.data.exists():
        p.error(f"{args.data} does not exist")
    return 1 if tour(args.out, args.data, args.query) else 0


if __name__ == "__main__":
    raise SystemExit(main())
