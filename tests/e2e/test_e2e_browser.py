"""Real-browser end-to-end tests: the map is drawn, a click on a point shows its reconstruction, a click on
empty space decodes that spot, and a CSV upload trains a new model whose map replaces the old one.
Each step saves a screenshot (to docs/screenshots/ with E2E_SCREENSHOTS=1).

Clicks land on pixels computed from Plotly's own axes (gd._fullLayout.xaxis.l2p + _offset), so they hit
a given data point (trace 1+) or a decode-grid node (trace 0) far from any data point."""
from __future__ import annotations

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.fixtures_ui import make_csv, make_image_zip

pytestmark = pytest.mark.browser

# The pixel position inside the plot div, and the row id, of the point of `trace` farthest from every other
# data point (so a click there can only pick it; trace 0 is the invisible decode grid), away from the modebar.
POINT_JS = """(trace) => { const gd = document.querySelector('.js-plotly-plot'); const L = gd._fullLayout;
  const xa = L.xaxis, ya = L.yaxis; const px = (t, i) => [xa.l2p(t.x[i]) + xa._offset, ya.l2p(t.y[i]) + ya._offset];
  const all = []; gd._fullData.slice(1).forEach((t, k) => {
    for (let i = 0; i < t.x.length; i++) all.push([k + 1, i, ...px(t, i)]); });
  const t = gd._fullData[trace]; let best = null, bestD = -1;
  for (let i = 0; i < t.x.length; i++) {
    const [x, y] = px(t, i);
    if (y < ya._offset + 0.15 * ya._length) continue;  // under the modebar
    let d = Infinity; for (const [k, j, ox, oy] of all) { if (k === trace && j === i) continue;
      const e = (ox - x) ** 2 + (oy - y) ** 2; if (e < d) d = e; }
    if (d > bestD) { bestD = d; best = [x, y, t.customdata[i]]; } }
  return best; }"""

# The decode-grid node farthest (in pixels) from every data point, away from the modebar at the top.
EMPTY_JS = """() => { const gd = document.querySelector('.js-plotly-plot'); const L = gd._fullLayout;
  const xa = L.xaxis, ya = L.yaxis; const px = (t, i) => [xa.l2p(t.x[i]) + xa._offset, ya.l2p(t.y[i]) + ya._offset];
  const data = []; for (const t of gd._fullData.slice(1)) for (let i = 0; i < t.x.length; i++) data.push(px(t, i));
  const grid = gd._fullData[0]; let best = null, bestD = -1;
  for (let i = 0; i < grid.x.length; i++) {
    const [gx, gy] = px(grid, i);
    if (gy < ya._offset + 0.15 * ya._length || gx > xa._offset + 0.95 * xa._length) continue;  // modebar, edge
    let d = Infinity; for (const [x, y] of data) { const e = (x - gx) ** 2 + (y - gy) ** 2; if (e < d) d = e; }
    if (d > bestD) { bestD = d; best = [gx, gy, grid.x[i], grid.y[i], Math.sqrt(d)]; } }
  return best; }"""

N_POINTS_JS = """() => { const gd = document.querySelector('.js-plotly-plot');
  return gd && gd._fullData ? gd._fullData.slice(1).reduce((n, t) => n + t.x.length, 0) : 0; }"""


def wait_idle(page, timeout_ms: int = 30_000) -> None:
    """Streamlit has finished the current script (or fragment) run."""
    page.wait_for_selector("[data-test-script-state=notRunning]", timeout=timeout_ms)


def click_in_plot(page, at: tuple[float, float]) -> None:
    box = page.locator(".js-plotly-plot").first.bounding_box()
    page.mouse.click(box["x"] + at[0], box["y"] + at[1])


def click_until(page, locate, expect, tries: int = 3) -> None:
    """Click where `locate()` says until `expect` (a locator) shows: the first click can race a re-layout."""
    for attempt in range(tries):
        click_in_plot(page, locate())
        try:
            expect.first.wait_for(timeout=10_000)
            return
        except Exception:
            if attempt == tries - 1:
                raise


def choose(page, name: str) -> None:
    """Pick a view (Compare, ...) or a point's view (Neighbours, ...): segmented controls, radio buttons."""
    page.get_by_role("radio", name=name, exact=True).first.click()


def inspector_captions(page) -> list[str]:
    return page.locator("[data-testid=stImageCaption]").all_inner_texts()


def wait_images_loaded(page, captions: list[str]) -> None:
    """The inspector's captioned images have decoded pixels."""
    page.wait_for_function("""(want) => want.every(c =>
        Array.from(document.querySelectorAll('[data-testid=stImageContainer]')).some(el => {
          const cap = el.querySelector('[data-testid=stImageCaption]'); const img = el.querySelector('img');
          return cap && cap.innerText.trim() === c && img && img.complete && img.naturalWidth > 0; }))""",
                           arg=captions, timeout=15_000)


def test_default_map_is_drawn(page, screenshots):
    assert page.get_by_text("sample: digits").first.is_visible()
    assert page.evaluate(N_POINTS_JS) == 1797
    n_traces = page.evaluate("() => document.querySelector('.js-plotly-plot')._fullData.length")
    assert n_traces == 11, "the decode grid plus one trace per digit"
    assert page.get_by_text("Click a point on the map").is_visible()
    assert page.locator("[data-testid=stException]").count() == 0
    page.screenshot(path=str(screenshots / "e2e_default.png"))


def test_click_point_shows_reconstruction(page, screenshots):
    row = page.evaluate(POINT_JS, 1)[2]
    click_until(page, lambda: page.evaluate(POINT_JS, 1)[:2],
                page.locator("[data-testid=stImageCaption]", has_text="reconstruction"))
    wait_idle(page)
    assert page.get_by_text(f"Row {row} · label 0").is_visible()
    captions = inspector_captions(page)
    assert "original" in captions and "reconstruction" in captions
    wait_images_loaded(page, ["original", "reconstruction"])
    page.screenshot(path=str(screenshots / "e2e_point.png"))


def test_a_double_click_resets_the_zoom_and_keeps_the_chart(page):
    """Plotly's double-click resets the zoom and empties the selection: the chart is not re-sent and
    re-created (the same element; the zoom reset by Plotly itself), and the inspector keeps a pick."""
    row = page.evaluate(POINT_JS, 1)[2]
    click_until(page, lambda: page.evaluate(POINT_JS, 1)[:2], page.get_by_text(f"Row {row} · label 0"))
    wait_idle(page)
    shown = "() => document.querySelector('.js-plotly-plot')._fullLayout.xaxis.range"
    first = page.evaluate(shown)
    same = f"(a) => {{ const r = ({shown})(); return Math.abs(r[0] - a[0]) + Math.abs(r[1] - a[1]) < 1e-6; }}"
    centre = page.evaluate("""() => { const gd = document.querySelector('.js-plotly-plot'); gd.__kept = true;
      const L = gd._fullLayout, b = gd.getBoundingClientRect(), r = L.xaxis.range, h = (r[1] - r[0]) / 4;
      Plotly.relayout(gd, {'xaxis.range': [r[0] + h, r[1] - h]});
      return [b.x + L.xaxis._offset + L.xaxis._length / 2, b.y + L.yaxis._offset + L.yaxis._length / 2]; }""")
    page.wait_for_function(f"(first) => !({same})(first)", arg=first)
    for _ in range(3):  # a page starved of CPU (the server compiling at start-up) can take two clicks apart
        page.mouse.dblclick(*centre)
        try:
            page.wait_for_function(same, arg=first, timeout=5_000)
            break
        except Exception:
            page.wait_for_timeout(500)
    else:
        raise AssertionError(f"the double-click did not reset the view {first}: {page.evaluate(shown)}")
    page.wait_for_timeout(1_000)
    wait_idle(page)
    assert page.evaluate("() => document.querySelector('.js-plotly-plot').__kept === true"), "the chart was re-created"
    assert page.get_by_text("Reconstruction error").or_(page.get_by_text("Decoded at")).first.is_visible()
    assert page.locator("[data-testid=stException]").count() == 0


def test_click_empty_space_decodes(page, screenshots):
    spot = page.evaluate(EMPTY_JS)
    assert spot[4] > 15, "no empty space on the map to click"
    click_until(page, lambda: page.evaluate(EMPTY_JS)[:2], page.get_by_text("Decoded at"))
    wait_idle(page)
    wait_images_loaded(page, ["decoded"])  # once, read right after the title showed, the captions were not there yet
    assert "decoded" in inspector_captions(page)
    assert page.get_by_text(f"Decoded at ({spot[2]:.2f}, {spot[3]:.2f})").is_visible()
    page.screenshot(path=str(screenshots / "e2e_decode.png"))


def test_a_click_at_the_edge_of_the_map_decodes_that_spot(page):
    """The view is the decode grid's extent: a click a few pixels inside the plot's corner or side lands on
    a grid node (the nearest point), not on nothing. (Plotly keeps the plot's bottom 5 pixels for itself.)"""
    def edge(i: int) -> list[float]:  # read afresh for each click: the page may re-lay the plot out meanwhile
        return page.evaluate("""(i) => { const L = document.querySelector('.js-plotly-plot')._fullLayout;
          const x0 = L.xaxis._offset, y0 = L.yaxis._offset, w = L.xaxis._length, h = L.yaxis._length;
          return [[x0 + 6, y0 + h - 10], [x0 + w - 6, y0 + h - 10], [x0 + 6, y0 + h / 2], [x0 + 6, y0 + 6]][i]; }""",
                             i)

    for i in range(4):
        before = page.locator("[data-testid=stMarkdownContainer]", has_text="Decoded at").all_inner_texts()
        for attempt in range(3):  # as click_until: a click can race a re-layout
            click_in_plot(page, edge(i))
            try:
                page.wait_for_function("""(before) => { const t = Array.from(document.querySelectorAll(
                    '[data-testid=stMarkdownContainer]')).map(e => e.textContent).filter(t => t.includes('Decoded at'));
                    return t.length && t.join() !== before.join(); }""", arg=before, timeout=10_000)
                break
            except PlaywrightTimeout:
                if attempt == 2:
                    raise
        wait_idle(page)
        page.wait_for_timeout(400)  # two clicks within Plotly's 300 ms are a double-click
    assert page.locator("[data-testid=stException]").count() == 0


def test_csv_upload_trains_a_new_map(page, screenshots):
    sidebar = page.locator("[data-testid=stSidebar]")
    csv_source = sidebar.get_by_role("radio", name="Table", exact=True)  # a segmented control: radio buttons
    csv_source.click()
    wait_idle(page)
    assert csv_source.get_attribute("aria-checked") == "true"
    sidebar.locator("input[type=file]").set_input_files(
        files=[{"name": "plants.csv", "mimeType": "text/csv", "buffer": make_csv(300)}])
    page.get_by_text("New table: plants.csv").wait_for(timeout=30_000)
    wait_idle(page)
    train = sidebar.get_by_role("button", name="Train on plants.csv")  # the obvious button trains the upload
    train.click()  # 300 rows train in about a second: the live progress panel may come and go unseen
    header = page.locator("[data-testid=stMarkdownContainer] strong", has_text="csv: plants.csv")
    header.first.wait_for(timeout=150_000)
    wait_idle(page, 60_000)
    page.wait_for_function(f"() => ({N_POINTS_JS})() === 300", timeout=30_000)  # the new map is drawn
    assert page.get_by_text("300 rows").first.is_visible()
    assert page.locator("[data-testid=stException]").count() == 0
    page.screenshot(path=str(screenshots / "e2e_csv_trained.png"))


def pick_a_point(page) -> int:
    row = page.evaluate(POINT_JS, 1)[2]
    click_until(page, lambda: page.evaluate(POINT_JS, 1)[:2],
                page.locator("[data-testid=stImageCaption]", has_text="reconstruction"))
    wait_idle(page)
    return row


def test_neighbours_view(page, screenshots):
    row = pick_a_point(page)
    choose(page, "Neighbours")
    page.get_by_text("nearest neighbours in latent space").first.wait_for(timeout=30_000)
    wait_idle(page)
    captions = [c for c in inspector_captions(page) if c.startswith("row\u00a0")]  # no-break spaces in a part
    assert len(captions) == 10 and all(" · d\u00a0" in c for c in captions)
    wait_images_loaded(page, captions[:3])
    page.get_by_role("button", name="Ring them on the map").click()
    page.get_by_text(f"Ringed on the map: 10 neighbours of row {row}").wait_for(timeout=30_000)
    wait_idle(page)
    names = page.evaluate("() => document.querySelector('.js-plotly-plot')._fullData.map(t => t.name)")
    assert names[-1] == f"10 neighbours of row {row}"
    page.screenshot(path=str(screenshots / "e2e_neighbours.png"))


def test_denoise_view(page, screenshots):
    pick_a_point(page)
    choose(page, "Denoise")
    page.get_by_text("On 256 images with gaussian noise").first.wait_for(timeout=30_000)
    wait_idle(page)
    captions = inspector_captions(page)
    assert {"clean", "noisy", "model output"} <= set(captions)
    wait_images_loaded(page, ["clean", "model output"])
    assert page.get_by_text("PCA-8 removes").first.is_visible()
    page.screenshot(path=str(screenshots / "e2e_denoise.png"))


def test_image_zip_upload_then_train_trains_the_images(page, screenshots):
    sidebar = page.locator("[data-testid=stSidebar]")
    sidebar.get_by_role("radio", name="Images", exact=True).click()
    wait_idle(page)
    sidebar.locator("input[type=file]").first.set_input_files(
        files=[{"name": "bars.zip", "mimeType": "application/zip", "buffer": make_image_zip()}])
    train = sidebar.get_by_role("button", name="Train on bars.zip")
    train.wait_for(timeout=30_000)
    wait_idle(page)
    train.click()
    header = page.locator("[data-testid=stMarkdownContainer] strong", has_text="images: bars.zip")
    header.first.wait_for(timeout=150_000)
    wait_idle(page, 60_000)
    page.wait_for_function(f"() => ({N_POINTS_JS})() === 40", timeout=30_000)
    assert page.locator("[data-testid=stException]").count() == 0
    page.screenshot(path=str(screenshots / "e2e_images_trained.png"))


TRACE_NAMES_JS = """(index) => Array.from(document.querySelectorAll('.js-plotly-plot'))[index]._fullData
  .map(t => t.name)"""


def train_the_map_again(page, seconds: int = 3) -> None:
    """A second model of the data on the map: Train with a short time limit and a PCA map (no wait for UMAP's
    first compile), until the models bar lists two."""
    sidebar = page.locator("[data-testid=stSidebar]")
    sidebar.get_by_text("Advanced settings").click()
    limit = sidebar.get_by_role("spinbutton", name="Time limit (s, 0 = none)")
    limit.fill(str(seconds))
    limit.press("Enter")
    wait_idle(page)
    sidebar.get_by_text("PCA (fast, linear)").click()
    wait_idle(page)
    sidebar.get_by_role("button", name="Train on digits").click()
    page.get_by_text("2 models of this data kept").wait_for(timeout=150_000)
    wait_idle(page, 60_000)


def test_compare_view_links_the_maps(page, screenshots):
    train_the_map_again(page)
    choose(page, "Compare")
    page.locator("[data-testid=stDataFrame]").first.wait_for(timeout=60_000)  # the metrics table
    page.wait_for_function("() => document.querySelectorAll('.js-plotly-plot').length >= 2", timeout=60_000)
    wait_idle(page)
    # Only the chosen view is drawn: the two plots are the compare maps. Click a point of the first.
    at = page.evaluate("""() => { const plots = Array.from(document.querySelectorAll('.js-plotly-plot'));
      const gd = plots.find(p => p.offsetParent !== null); gd.scrollIntoView({block: 'center'});
      const L = gd._fullLayout, t = gd._fullData[1]; const r = gd.getBoundingClientRect();
      const i = Math.floor(t.x.length / 2);
      return [r.left + L.xaxis.l2p(t.x[i]) + L.xaxis._offset, r.top + L.yaxis.l2p(t.y[i]) + L.yaxis._offset]; }""")
    page.mouse.click(*at)
    page.wait_for_function("""() => { const plots = Array.from(document.querySelectorAll('.js-plotly-plot'))
        .filter(p => p.offsetParent !== null);
      return plots.length >= 2 && plots.every(p => p._fullData.some(t => /picked$/.test(t.name || ''))); }""",
                           timeout=30_000)
    wait_idle(page)
    assert page.locator("[data-testid=stException]").count() == 0
    page.set_viewport_size({"width": 1600, "height": 1400})  # the table and both maps in one picture
    page.get_by_text("Models to compare").scroll_into_view_if_needed()
    page.screenshot(path=str(screenshots / "e2e_compare.png"))


def test_new_data_lands_on_the_map(page, screenshots):
    page.get_by_text("New data on this map").click()
    uploader = page.locator("[data-testid=stExpander]", has_text="New data on this map").locator("input[type=file]")
    uploader.set_input_files(files=[{"name": "bars.zip", "mimeType": "application/zip",
                                     "buffer": make_image_zip(size=8)}])
    page.get_by_text("score above the training rows'").first.wait_for(timeout=60_000)
    wait_idle(page)
    page.wait_for_function(f"() => ({TRACE_NAMES_JS})(0).some(n => /^new: bars.* [(]40[)]$/.test(n || ''))",
                           timeout=30_000)
    assert page.evaluate(N_POINTS_JS) == 1797 + 40
    assert page.get_by_text("of 40 new rows").first.is_visible()
    assert page.locator("[data-testid=stException]").count() == 0
    page.set_viewport_size({"width": 1600, "height": 1400})  # the map and the new data's summary in one picture
    page.screenshot(path=str(screenshots / "e2e_new_data.png"))
