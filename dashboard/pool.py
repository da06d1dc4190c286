"""The bounded pool of background work that every session of the server shares: at most `workers` jobs
(training runs, compression sweeps) run at once and the rest wait in order, each able to say its place
in line and to leave it when stopped. A watchdog stops the work of a session whose browser tab has
gone, so a closed tab does not keep the CPU busy, and frees what that work held.

PyTorch's thread count is a process-wide setting: it is set once here, when the pool is made, from the
cores and the number of workers (never per fit)."""
from __future__ import annotations

import os
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Protocol

import streamlit as st

from aecore import set_threads

WORKERS_ENV = "LATENT_EXPLORER_WORKERS"  # jobs that may run at once (default: one per two cores)
THREADS_ENV = "LATENT_EXPLORER_THREADS"  # PyTorch threads for the process (default: cores / workers)
WATCH_S = 1.0          # how often the watchdog looks at the sessions behind waiting and running work
SESSION_GRACE_S = 10.0  # a session gone this long (not a network blip) has its work stopped
WAIT_POLL_S = 0.25     # a waiting job re-checks its Stop this often


class Work(Protocol):
    cancel: threading.Event
    session_id: str | None

    def abandon(self) -> None:
        """Stop for good, keeping nothing (its session is gone)."""


def default_workers(cores: int | None = None) -> int:
    cores = cores or os.cpu_count() or 1
    return max(1, int(os.environ.get(WORKERS_ENV) or cores // 2))


def default_threads(workers: int, cores: int | None = None) -> int:
    cores = cores or os.cpu_count() or 1
    return max(1, int(os.environ.get(THREADS_ENV) or cores // workers))


def session_alive(session_id: str | None) -> bool:
    """Whether the browser session that started some work is still connected (always True outside a
    running Streamlit server, as under AppTest, or for work without a session)."""
    from streamlit import runtime

    if session_id is None or not runtime.exists():
        return True
    return runtime.get_instance().is_active_session(session_id)


class WorkPool:
    def __init__(self, workers: int, alive: Callable[[str | None], bool] = session_alive):
        self.workers = workers
        self._alive = alive
        self._cond = threading.Condition()
        self._waiting: deque[Work] = deque()
        self._running: list[Work] = []
        self._gone_since: dict[str | None, float] = {}
        self._watchdog: threading.Thread | None = None

    # -- what the pages ask ------------------------------------------------------------------------
    def position(self, work: Work) -> int | None:
        """1 for the next to start, 2 after it...; None once running (or never queued)."""
        with self._cond:
            return next((i + 1 for i, w in enumerate(self._waiting) if w is work), None)

    @property
    def running(self) -> int:
        with self._cond:
            return len(self._running)

    @property
    def waiting(self) -> int:
        with self._cond:
            return len(self._waiting)

    # -- what a job's thread does --------------------------------------------------------------------
    def acquire(self, work: Work) -> bool:
        """Wait in line for a slot; True once it is this work's turn, False if it was stopped first."""
        self._ensure_watchdog()
        with self._cond:
            self._waiting.append(work)
            try:
                while not (self._waiting[0] is work and len(self._running) < self.workers):
                    if work.cancel.is_set():
                        return False
                    self._cond.wait(WAIT_POLL_S)
                self._waiting.popleft()
                self._running.append(work)
                return True
            finally:
                # Stopped while waiting: leave the line. By identity: jobs are not values to compare.
                self._waiting = deque(w for w in self._waiting if w is not work)
                self._cond.notify_all()

    def release(self, work: Work) -> None:
        with self._cond:
            self._running = [w for w in self._running if w is not work]
            self._cond.notify_all()

    def run(self, work: Work, body: Callable[[], None], on_stopped_waiting: Callable[[], None],
            name: str = "aecore-work") -> threading.Thread:
        """A thread that waits for a slot, runs `body`, and frees the slot; `on_stopped_waiting` runs
        instead when the work is stopped before its turn."""
        def main() -> None:
            if not self.acquire(work):
                on_stopped_waiting()
                return
            try:
                body()
            finally:
                self.release(work)

        thread = threading.Thread(target=main, name=name, daemon=True)
        thread.start()
        return thread

    # -- the watchdog ----------------------------------------------------------------------------------
    def _ensure_watchdog(self) -> None:
        with self._cond:
            if self._watchdog is None or not self._watchdog.is_alive():
                self._watchdog = threading.Thread(target=self._watch, name="aecore-watchdog", daemon=True)
                self._watchdog.start()

    def check_sessions(self, now: float | None = None) -> list[Work]:
        """Stop the work of sessions gone longer than SESSION_GRACE_S; returns what it stopped."""
        now = time.monotonic() if now is None else now
        with self._cond:
            works = [*self._waiting, *self._running]
        stopped = []
        for work in works:
            sid = work.session_id
            if self._alive(sid):
                self._gone_since.pop(sid, None)
                continue
            since = self._gone_since.setdefault(sid, now)
            if now - since >= SESSION_GRACE_S and not work.cancel.is_set():
                work.abandon()
                stopped.append(work)
        with self._cond:
            self._cond.notify_all()
        return stopped

    def _watch(self) -> None:
        while True:
            time.sleep(WATCH_S)
            self.check_sessions()


@st.cache_resource(show_spinner=False)
def shared_pool() -> WorkPool:
    """The server's one pool (st.cache_resource: shared by every session, made once per process), and the
    process's PyTorch thread count with it."""
    workers = default_workers()
    set_threads(default_threads(workers))
    return WorkPool(workers)
