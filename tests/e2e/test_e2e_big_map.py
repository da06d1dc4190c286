"""Real-browser test of a map above dashboard.big_map.SAMPLE_ABOVE rows: a saved bundle of 50,000 rows
opens as a density image of every row under a clickable sample, a click on a sampled point shows its
reconstruction, and a box counts every row inside it, not only the drawn ones. Screenshots as in
test_e2e_browser.py (docs/screenshots/ with E2E_SCREENSHOTS=1)."""
from __future__ import annotations

import pytest

from bench import ui
from bench.big_map import make_bundle
from dashboard import big_map

pytestmark = pytest.mark.browser

ROWS = 50_000  # above SAMPLE_ABOVE (20,000), small enough to build and upload in seconds

MAP_JS = """() => { const gd = document.querySelector('.js-plotly-plot'); const L = gd._fullLayout;
  return {images: (L.images || []).map(i => i.source.slice(0, 22)), drawn: gd._fullData.slice(1)
          .reduce((n, t) => n + t.x.length, 0)}; }"""

# A sampled point near the middle of the plot (away from the modebar), as page coordinates.
MIDDLE_POINT_JS = """() => { const gd = document.querySelector('.js-plotly-plot'); const L = gd._fullLayout;
  const xa = L.xaxis, ya = L.yaxis, box = gd.getBoundingClientRect(); let best = null, bestD = Infinity;
  const cx = xa._length / 2, cy = ya._length * 0.6;
  for (const t of gd._fullData.slice(1)) for (let i = 0; i < t.x.length; i++) {
    const x = xa.l2p(t.x[i]), y = ya.l2p(t.y[i]); const d = (x - cx) ** 2 + (y - cy) ** 2;
    if (d < bestD) { bestD = d; best = [box.x + xa._offset + x, box.y + ya._offset + y]; } }
  return best; }"""

PLOT_JS = """() => { const gd = document.querySelector('.js-plotly-plot'); const L = gd._fullLayout;
  const b = gd.getBoundingClientRect(); return [b.x + L.xaxis._offset, b.y + L.yaxis._offset, L.xaxis._length,
  L.yaxis._length]; }"""


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    path = tmp_path_factory.mktemp("big") / f"digits_{ROWS}.aebundle"
    make_bundle(path, ROWS)
    from aecore.bundle import load_bundle

    return path, load_bundle(path).xy


def open_big_map(page, path) -> None:
    ui.choose(page, "Saved model")
    page.locator("section[data-testid=stSidebar] input[type=file]").first.set_input_files(str(path))
    ui.wait_for_map(page, f"model: {path.name}", timeout_s=300)
    ui.wait_idle(page, 300)


def test_a_big_map_draws_a_density_image_under_a_clickable_sample(page, bundle, screenshots):
    path, xy = bundle
    open_big_map(page, path)
    drawn = page.evaluate(MAP_JS)
    assert drawn["images"] == ["data:image/png;base64,"], "one density image of every row"
    assert drawn["drawn"] == big_map.MAP_SAMPLE
    assert page.get_by_text(f"Showing a {big_map.MAP_SAMPLE:,}-row sample").first.is_visible()
    assert page.get_by_text(f"density image of all {ROWS:,} rows").first.is_visible()
    page.screenshot(path=str(screenshots / "e2e_big_map.png"))

    caption = page.locator("[data-testid=stImageCaption]", has_text="reconstruction")
    for attempt in range(3):  # the first click can race a re-layout
        page.mouse.click(*page.evaluate(MIDDLE_POINT_JS))
        try:
            caption.first.wait_for(timeout=15_000)
            break
        except Exception:
            if attempt == 2:
                raise
    ui.wait_idle(page)
    title = page.locator("[data-testid=stMarkdownContainer] strong", has_text="Row ").first.inner_text()
    row = int(title.split()[1])
    assert 0 <= row < ROWS
    page.screenshot(path=str(screenshots / "e2e_big_map_point.png"))

    # A box over the middle of the map, in select mode: the page counts every row inside it.
    page.evaluate("() => Plotly.relayout(document.querySelector('.js-plotly-plot'), {dragmode: 'select'})")
    left, top, width, height = page.evaluate(PLOT_JS)
    page.mouse.move(left + 0.35 * width, top + 0.35 * height)
    page.mouse.down()
    page.mouse.move(left + 0.65 * width, top + 0.65 * height, steps=8)
    page.mouse.up()
    shown = page.locator("[data-testid=stMarkdownContainer] strong", has_text="rows selected").first
    shown.wait_for(timeout=60_000)
    ui.wait_idle(page)
    x0, x1, y0, y1 = page.evaluate("""() => { const s = document.querySelector('.js-plotly-plot').layout.selections[0];
      return [s.x0, s.x1, s.y0, s.y1]; }""")
    inside = ((xy[:, 0] >= min(x0, x1)) & (xy[:, 0] <= max(x0, x1))
              & (xy[:, 1] >= min(y0, y1)) & (xy[:, 1] <= max(y0, y1)))
    count = int(shown.inner_text().split()[0].replace(",", ""))
    assert count == int(inside.sum()) > big_map.MAP_SAMPLE * inside.mean(), "every row in the box, not the sample's"
    assert page.locator("[data-testid=stException]").count() == 0
    page.screenshot(path=str(screenshots / "e2e_big_map_box.png"))
