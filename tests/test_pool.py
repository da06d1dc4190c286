"""The shared pool of background work: at most `workers` at once, the rest in order with their place in
line, Stop leaves the line, and the work of a session whose tab has gone is stopped."""
from __future__ import annotations

import threading
import time

from dashboard.pool import SESSION_GRACE_S, WorkPool, default_threads, default_workers


class FakeWork:
    def __init__(self, session_id: str | None = None):
        self.cancel = threading.Event()
        self.session_id = session_id
        self.abandoned = False

    def abandon(self) -> None:
        self.abandoned = True
        self.cancel.set()


def wait_until(condition, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.01)


def test_one_at_a_time_in_order_with_places_in_line():
    pool = WorkPool(1)
    order, gates = [], {name: threading.Event() for name in "abc"}
    works = {name: FakeWork() for name in "abc"}

    def body(name):
        order.append(name)
        gates[name].wait(5)

    for name in "abc":
        pool.run(works[name], lambda n=name: body(n), lambda: None)
        wait_until(lambda n=name: n in order or pool.position(works[n]) is not None)
    assert order == ["a"] and pool.running == 1
    assert pool.position(works["b"]) == 1 and pool.position(works["c"]) == 2
    gates["a"].set()
    wait_until(lambda: order == ["a", "b"])
    assert pool.position(works["c"]) == 1
    gates["b"].set()
    gates["c"].set()
    wait_until(lambda: order == ["a", "b", "c"] and pool.running == 0)


def test_stop_while_waiting_leaves_the_line():
    pool = WorkPool(1)
    gate, stopped = threading.Event(), []
    first, second = FakeWork(), FakeWork()
    pool.run(first, lambda: gate.wait(5), lambda: None)
    wait_until(lambda: pool.running == 1)
    ran = []
    pool.run(second, lambda: ran.append(1), lambda: stopped.append(1))
    wait_until(lambda: pool.position(second) == 1)
    second.cancel.set()
    wait_until(lambda: stopped == [1])
    assert pool.waiting == 0 and not ran
    gate.set()
    wait_until(lambda: pool.running == 0)


def test_a_closed_tab_stops_its_work_after_a_grace_period():
    alive = {"open": True, "closed": False}
    pool = WorkPool(2, alive=lambda sid: alive.get(sid, True))
    gate = threading.Event()
    mine, theirs = FakeWork("closed"), FakeWork("open")
    for work in (mine, theirs):
        pool.run(work, lambda: gate.wait(5), lambda: None)
    wait_until(lambda: pool.running == 2)
    now = time.monotonic()
    assert pool.check_sessions(now) == []  # a blip is not a close: the grace period starts
    assert pool.check_sessions(now + SESSION_GRACE_S) == [mine]
    assert mine.abandoned and not theirs.cancel.is_set()
    gate.set()


def test_sizes_come_from_the_cores_and_the_environment(monkeypatch):
    monkeypatch.delenv("LATENT_EXPLORER_WORKERS", raising=False)
    monkeypatch.delenv("LATENT_EXPLORER_THREADS", raising=False)
    assert default_workers(2) == 1 and default_workers(16) == 8 and default_threads(1, 2) == 2
    monkeypatch.setenv("LATENT_EXPLORER_WORKERS", "3")
    monkeypatch.setenv("LATENT_EXPLORER_THREADS", "1")
    assert default_workers(2) == 3 and default_threads(3, 2) == 1


def test_jobs_are_told_apart_by_identity_not_by_their_data(digit_images, table_X):
    """Two queued training jobs once compared their numpy data with ==, which raised in the pool's thread
    and left the second job waiting forever."""
    from aecore import images_from_array
    from dashboard.jobs import TrainingJob

    pool = WorkPool(1)
    gate = threading.Event()
    holder = FakeWork()
    pool.run(holder, lambda: gate.wait(5), lambda: None)
    wait_until(lambda: pool.running == 1)
    a = TrainingJob(images_from_array(digit_images), dict(latent_dim=2, epochs=1, hidden=[8]), projection="pca",
                    session_id=None, pool=pool).start()
    b = TrainingJob(images_from_array(digit_images[:60]), dict(latent_dim=2, epochs=1, hidden=[8]),
                    projection="pca", session_id=None, pool=pool).start()
    wait_until(lambda: pool.position(a) == 1 and pool.position(b) == 2)
    gate.set()
    wait_until(lambda: a.phase == "done" and b.phase == "done", timeout=60)
