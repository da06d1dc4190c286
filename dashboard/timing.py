"""Opt-in timing log for benchmarks: with LATENT_EXPLORER_TIMINGS=<path> set, the app appends one JSON
line per measured event (a click's server-side handling, a training run's phases). Off by default."""
from __future__ import annotations

import json
import os
import threading
import time

_lock = threading.Lock()


def enabled() -> bool:
    return bool(os.environ.get("LATENT_EXPLORER_TIMINGS"))


def record(event: str, **fields) -> None:
    path = os.environ.get("LATENT_EXPLORER_TIMINGS")
    if not path:
        return
    line = json.dumps({"event": event, "t": time.time(), **fields})
    with _lock, open(path, "a", encoding="utf-8") as fh:
        fh.write(line + "\n")
