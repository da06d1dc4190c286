"""AppTest: the walk between two rows (Training tab), for images and for a table."""
from __future__ import annotations

import numpy as np

from aecore.estimator import interpolate
from tests.fixtures_ui import by_label, image_captions, ws


def test_walk_between_two_digits_decodes_each_step(app):
    by_label(app.number_input, "From row").set_value(0)
    by_label(app.number_input, "To row").set_value(5)
    by_label(app.slider, "Steps").set_value(6).run()
    assert not app.exception
    captions = image_captions(app)
    assert [c for c in captions if c in ("0.00", "0.20", "0.40", "0.60", "0.80", "1.00")] == \
        ["0.00", "0.20", "0.40", "0.60", "0.80", "1.00"]
    w = ws(app)
    ends = w.model.inverse_transform(interpolate(w.exploration.codes[0], w.exploration.codes[5], 6)[[0, -1]])
    np.testing.assert_allclose(ends, w.model.inverse_transform(w.exploration.codes[[0, 5]]), atol=1e-5)


def test_walk_between_two_table_rows_is_a_table(app):
    app.sidebar.segmented_control[0].set_value("Sample").run()
    app.sidebar.selectbox(key="sample_key").set_value("wine").run()
    by_label(app.sidebar.button, "Open sample").click().run()
    assert ws(app).dataset.name == "wine"
    by_label(app.slider, "Steps").set_value(4).run()
    assert not app.exception
    walks = [d.value for d in app.dataframe if "t" in d.value.columns]
    assert walks and list(walks[0]["t"]) == [0.0, 0.33, 0.67, 1.0]
    assert "cultivar" not in walks[0].columns  # the label is not a feature: it is not decoded
