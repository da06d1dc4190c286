"""The map figure's colouring: many categories stay distinguishable, missing values are a category of
their own, numeric scales are set by the bulk of the data, and a highlight rings rows on top."""
from __future__ import annotations

import numpy as np
import pandas as pd

from aecore.dataset import MISSING
from dashboard.figures import MAX_COLOURS, OTHER_COLOUR, PALETTE, colouring, map_figure, with_highlight


def xy(n: int) -> np.ndarray:
    return np.random.default_rng(0).standard_normal((n, 2)).astype(np.float32)


def test_the_palette_tells_at_least_100_categories_apart():
    assert len(set(PALETTE[:MAX_COLOURS])) == MAX_COLOURS >= 100
    meta = pd.DataFrame({"person": [f"p{i % 40}" for i in range(400)]})  # 40 people, as in a face-photo ZIP
    fig = map_figure(xy(400), np.zeros(400), meta, "person", "person")
    colours = [t.marker.color for t in fig.data[1:]]
    assert len(colours) == 40 and len(set(colours)) == 40


def test_above_the_palette_the_rest_share_grey_and_the_page_says_so():
    values = [f"name {i}" for i in range(150)] * 2 + ["name 0"] * 10
    meta = pd.DataFrame({"name": values})
    c = colouring(meta, np.zeros(len(values)), "name")
    assert len(c.categories) == MAX_COLOURS - 1 and "name 0" in c.categories
    assert "150 values" in c.note and "search box" in c.note
    fig = map_figure(xy(len(values)), np.zeros(len(values)), meta, "name", None)
    other = fig.data[-1]
    assert other.name == "other (51 values)" and other.marker.color == OTHER_COLOUR
    assert sum(len(t.x) for t in fig.data[1:]) == len(values)  # every row is drawn once


def test_missing_values_are_a_category_of_their_own():
    """A text column with one blank cell once raised "'<' not supported between 'float' and 'str'"."""
    meta = pd.DataFrame({"kind": ["a", "b", None, "a", np.nan, "c"]})
    c = colouring(meta, np.zeros(6), "kind")
    assert c.categories == ["a", "b", "c", MISSING]
    fig = map_figure(xy(6), np.zeros(6), meta, "kind", "kind")
    assert [t.name for t in fig.data[1:]] == ["a", "b", "c", MISSING]
    numbers = pd.DataFrame({"v": [1.0, np.nan] + list(np.arange(60.0))})
    fig = map_figure(xy(62), np.zeros(62), numbers, "v", None)
    assert fig.data[-1].name == MISSING and len(fig.data[-1].x) == 1


def test_numeric_colour_scales_use_the_1st_to_99th_percentile():
    values = np.r_[np.linspace(0, 1, 198), 1e6, -1e6]  # two outliers would paint everything one colour
    meta = pd.DataFrame({"price": values})
    fig = map_figure(xy(200), np.zeros(200), meta, "price", None)
    marker = fig.data[1].marker
    assert 0 <= marker.cmin < 0.05 and 0.95 < marker.cmax <= 1.0
    assert max(marker.color) == 1e6  # the hover still shows the true value


def test_a_highlight_rings_rows_without_touching_the_cached_figure():
    meta = pd.DataFrame({"k": ["a", "b"] * 50})
    base = map_figure(xy(100), np.zeros(100), meta, "k", None)
    ringed = with_highlight(base, xy(100), np.array([3, 5, 7]), "3 matches")
    assert len(ringed.data) == len(base.data) + 1 and list(ringed.data[-1].customdata) == [3, 5, 7]
    assert ringed.data[-1].name == "3 matches" and len(base.data) == 3
