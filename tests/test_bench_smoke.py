"""The benchmark harness (bench/) still runs: every default benchmark in --smoke mode (tiny stand-in
data, a few epochs, no UMAP) writes its section of a BENCHMARKS.md into tmp_path, and a missing MNIST
folder turns the MNIST parts into notes instead of failures. Nothing here asserts on a timing."""
from __future__ import annotations

import json

import pytest

from bench import REGISTRY
from bench.__main__ import main, parse, selected
from bench.common import Config
from bench.report import blocks, render


def test_smoke_run_writes_every_default_section(tmp_path):
    out = tmp_path / "BENCHMARKS.md"
    assert main(["--smoke", "--out", str(out)]) == 0
    text = out.read_text()
    stored = json.loads(out.with_suffix(".json").read_text())
    defaults = [n for n, b in REGISTRY.items() if b.default]
    assert sorted(stored) == sorted(defaults)
    for name in defaults:
        section = stored[name]
        assert section["mode"] == "smoke" and "error" not in section, section.get("error")
        assert section["rows"], name
        assert f"## {REGISTRY[name].title}" in text
    assert "## Summary" in text and "| benchmark | figure | target | status |" in text
    for key in ("cpu count", "torch", "torch threads", "--smoke"):
        assert key in text


def test_only_replaces_one_section_and_keeps_the_others(tmp_path):
    out = tmp_path / "B.md"
    main(["--smoke", "--only", "oneclass", "--out", str(out)])
    first = json.loads(out.with_suffix(".json").read_text())
    main(["--smoke", "--only", "projection", "--out", str(out)])
    both = json.loads(out.with_suffix(".json").read_text())
    assert set(both) == {"oneclass", "projection"} and both["oneclass"] == first["oneclass"]
    main(["--smoke", "--only", "projection", "--out", str(out), "--fresh"])
    assert set(json.loads(out.with_suffix(".json").read_text())) == {"projection"}


def test_missing_mnist_is_a_note_not_a_failure(tmp_path):
    from bench import oneclass

    rows = oneclass.run(Config(mode="full", mnist_dir=tmp_path / "nowhere"))
    assert rows and all(set(r) == {"note"} for r in rows)
    assert "MNIST not found" in rows[0]["note"]


def test_a_failing_benchmark_is_reported_and_the_run_goes_on(tmp_path, monkeypatch):
    from bench import projection

    def boom(cfg):
        raise RuntimeError("deliberate")

    monkeypatch.setattr(projection, "run", boom)
    out = tmp_path / "B.md"
    assert main(["--smoke", "--only", "projection", "oneclass", "--out", str(out)]) == 1
    text = out.read_text()
    assert "**FAILED**: RuntimeError: deliberate" in text
    assert "One-class" in text


def test_registry_hooks_and_browser_benchmarks_are_opt_in():
    assert {"throughput", "quality", "oneclass", "memory", "projection", "first_map", "click"} <= set(REGISTRY)
    assert "first_map" not in selected(parse([])) and "click" not in selected(parse(["--quick"]))
    assert "first_map" in selected(parse(["--browser"]))
    assert selected(parse(["--only", "click"])) == ["click"]
    with pytest.raises(SystemExit):
        parse(["--only", "no-such-benchmark"])


def test_report_tables_notes_and_summary():
    rows = [{"a": 1, "target": "> 0", "status": "PASS", "_figure": "a is 1", "_private": 3},
            {"note": "a note"}, {"table": "second"}, {"b": "x|y"}]
    assert [(h, len(d), n) for h, d, n in blocks(rows)] == [("", 1, ["a note"]), ("second", 1, [])]
    text = render({"x": {"title": "X", "rows": rows, "mode": "smoke", "date": "d", "seconds": 1.0, "machine": {}}},
                  ["x"])
    assert "1 of 1 targets met" in text and "| x | a is 1 | > 0 | PASS |" in text
    assert "_private" not in text and "x\\|y" in text and "### second" in text


def test_merging_a_run_written_elsewhere(tmp_path):
    from bench.report import main as report_main
    from bench.report import save

    section = {"title": "T", "rows": [{"x": 1}], "mode": "full", "date": "d", "seconds": 1.0, "machine": {}}
    save(tmp_path / "B.json", {"projection": dict(section, mode="quick")})
    save(tmp_path / "other.json", {"quality": section})
    report_main(["--out", str(tmp_path / "B.md"), "--merge", str(tmp_path / "other.json")])
    stored = json.loads((tmp_path / "B.json").read_text())
    assert set(stored) == {"projection", "quality"} and stored["quality"]["mode"] == "full"
    assert "## T" in (tmp_path / "B.md").read_text()
