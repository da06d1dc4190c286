"""Time to first map, as a user meets it: from choosing a dataset to a clickable map, in a fresh server
process (cold: imports, PyTorch start-up and UMAP compile included) and in a warm one. Driven through
headless Chromium against `streamlit run app.py`; the app's defaults, nothing tuned."""
from __future__ import annotations

import io
import statistics
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np
from PIL import Image

from . import ui

MNIST_DIR = ui.ROOT.parent / "shared" / "data" / "mnist"
TARGETS = {  # (scenario, state) -> seconds
    ("digits: open the sample", "warm"): 5.0, ("digits: open the sample", "cold"): 20.0,
    ("MNIST 10k ZIP: upload and train", "warm"): 30.0,
}


def write_zip(path: Path, images: np.ndarray, labels: np.ndarray) -> Path:
    """Images (n, H, W) in [0, 1] as PNGs in label folders inside a ZIP."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:
        for i, (img, lab) in enumerate(zip(images, labels, strict=True)):
            buf = io.BytesIO()
            Image.fromarray((img * 255).round().astype(np.uint8), "L").save(buf, "PNG")
            zf.writestr(f"{path.stem}/{lab}/{i:05d}.png", buf.getvalue())
    return path


def datasets(folder: Path) -> dict[str, Path]:
    from sklearn.datasets import load_digits

    d = load_digits()
    out = {"digits": write_zip(folder / "digits.zip", d.images / 16.0, d.target)}
    if MNIST_DIR.exists():
        from aecore.idx import load_mnist

        X, y = load_mnist(MNIST_DIR)
        out["mnist"] = write_zip(folder / "mnist10k.zip", X, y)
    return out


def timed_upload(page, path: Path) -> float:
    """A fresh page (a new session, so the uploader holds only this file) in the same server process."""
    page.goto(page.url)
    ui.wait_for_map(page, "sample: digits", timeout_s=300)
    ui.wait_idle(page)
    start = time.perf_counter()
    ui.upload_images_and_train(page, path)
    ui.wait_for_map(page, f"images: {path.name}", timeout_s=600)
    return time.perf_counter() - start


def timed_open_sample(page) -> float:
    ui.choose(page, "Sample")
    start = time.perf_counter()
    page.get_by_role("button", name="Open sample").click()
    page.wait_for_timeout(50)
    ui.wait_idle(page)
    ui.wait_for_map(page, "sample: digits")
    return time.perf_counter() - start


def one_round(files: dict[str, Path], log: Path) -> dict[tuple[str, str], float]:
    """Two fresh servers: one cold for digits then warm for everything, one cold for MNIST."""
    out = {}
    with ui.server(log) as url, ui.browser() as b:
        page = b.new_page(viewport={"width": 1400, "height": 1000})
        start = time.perf_counter()
        page.goto(url)
        ui.wait_for_map(page, "sample: digits", timeout_s=300)
        out[("digits: open the sample", "cold")] = time.perf_counter() - start
        out[("digits ZIP: upload and train", "cold")] = timed_upload(page, files["digits"])
        page.wait_for_timeout(30_000)  # let the start-up warm-up finish, as it would while a user looks around
        out[("digits: open the sample", "warm")] = timed_open_sample(page)
        out[("digits ZIP: upload and train", "warm")] = timed_upload(page, files["digits"])
        if "mnist" in files:
            out[("MNIST 10k ZIP: upload and train", "warm")] = timed_upload(page, files["mnist"])
    if "mnist" in files:
        with ui.server(log) as url, ui.browser() as b:
            page = b.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(url)
            ui.wait_idle(page, 300)
            out[("MNIST 10k ZIP: upload and train", "cold")] = timed_upload(page, files["mnist"])
    return out


def run(quick: bool = False) -> list[dict]:
    rounds = 1 if quick else 3
    with tempfile.TemporaryDirectory() as tmp:
        files = datasets(Path(tmp))
        log = Path(tmp) / "timings.jsonl"
        results = [one_round(files, log) for _ in range(rounds)]
        jobs = [e for e in ui.read_log(log) if e["event"] == "job"]
    rows = []
    for key in results[0]:
        values = [r[key] for r in results if key in r]
        target = TARGETS.get(key)
        median = statistics.median(values)
        rows.append({"benchmark": "time to first map", "scenario": key[0], "server": key[1],
                     "seconds (median)": round(median, 1), "runs": len(values),
                     "target": f"< {target:g} s" if target else "", "status": "" if target is None else
                     ("PASS" if median < target else "MISS")})
    for job in jobs:
        rows.append({"benchmark": "training job phases (server side)", "scenario": f"{job['rows']:,} rows",
                     "server": "", "seconds (median)": round(job["total_s"], 1), "runs": 1,
                     "target": "", "status": f"train {job['train_s']:.1f} s, project {job.get('project_s', 0):.1f} s"})
    return rows


if __name__ == "__main__":
    for row in run(quick=True):
        print(row)
