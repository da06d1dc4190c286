"""The server's start-up warm-up (dashboard.main.warm_up): it warms each engine once, then moves what is
alive out of the garbage collector's reach, so no full collection walks the libraries' objects again."""
from __future__ import annotations

import gc

import dashboard.main as main


def test_warm_up_warms_each_engine_then_freezes_what_is_alive(monkeypatch):
    calls = []
    monkeypatch.setattr(main, "warm_up_torch", lambda: calls.append("torch"))
    monkeypatch.setattr(main, "warm_up_umap", lambda exact: calls.append(("umap", exact)))
    monkeypatch.setattr(main.big_map, "warm_up", lambda: calls.append("datashader"))
    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    try:
        main.warm_up()
        assert calls == ["torch", ("umap", True), "datashader"]
        assert gc.get_freeze_count() > 100_000, "the loaded libraries' objects were not frozen"
    finally:
        gc.unfreeze()
