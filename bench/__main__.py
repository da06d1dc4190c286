"""`python -m bench [--quick | --smoke] [--only NAME ...] [--browser] [--out FILE] [--mnist DIR] [--fresh]`

Runs the registered benchmarks in order and writes the report (BENCHMARKS.md by default) after each
one, so an interrupted run keeps what it finished. A benchmark that fails is reported as FAILED and
the rest still run.

Run as a program, it sets OMP_WAIT_POLICY=PASSIVE when the environment does not set it (before torch
is imported; every report section records the value). With the library default, PyTorch's OpenMP
threads spin while waiting for each other: on this shared 2-core machine, when other processes kept
the cores busy, that made 2-thread training 2-5x slower and its timings too noisy to compare; on a
quiet machine PASSIVE is ~40% slower instead (the throughput benchmark measures both). PASSIVE is
chosen for repeatable figures, not speed. `OMP_WAIT_POLICY= python -m bench` (empty) measures the
library default instead."""
from __future__ import annotations

import argparse
import sys
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path

from . import REGISTRY
from .common import DEFAULT_MNIST, ROOT, Config, machine
from .report import write


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[1])
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--quick", action="store_true", help="fewer repeats, digits and epochs: under 10 minutes")
    mode.add_argument("--smoke", action="store_true", help="tiny synthetic data, seconds: checks the harness only")
    p.add_argument("--only", nargs="+", metavar="NAME", choices=list(REGISTRY),
                   help=f"run only these: {', '.join(REGISTRY)}")
    p.add_argument("--browser", action="store_true", help="also run the browser benchmarks (first_map, click)")
    p.add_argument("--out", type=Path, default=ROOT / "BENCHMARKS.md",
                   help="report file (results kept beside it as .json)")
    p.add_argument("--mnist", type=Path, default=DEFAULT_MNIST, help="folder with the MNIST t10k IDX files")
    p.add_argument("--fresh", action="store_true",
                   help="drop results of earlier runs instead of keeping their sections")
    return p.parse_args(argv)


def selected(args: argparse.Namespace) -> list[str]:
    if args.only:
        return [n for n in REGISTRY if n in args.only]
    return [n for n, b in REGISTRY.items() if (b.default or args.browser) and (b.smoke or not args.smoke)]


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    mode = "quick" if args.quick else "smoke" if args.smoke else "full"
    cfg = Config(mode=mode, mnist_dir=args.mnist, out=args.out)
    command = "python -m bench " + " ".join(sys.argv[1:] if argv is None else argv)
    names = selected(args)
    order = list(REGISTRY)
    failed = 0
    fresh = args.fresh
    for name in names:
        bench = REGISTRY[name]
        print(f"[bench] {name} ({mode}) ...", file=sys.stderr, flush=True)
        section = {"title": bench.title, "mode": mode, "command": command.strip(),
                   "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), "machine": machine()}
        start = time.perf_counter()
        try:
            section["rows"] = bench.run(cfg)
        except Exception as exc:  # one failing benchmark must not lose the others' results
            failed += 1
            section["rows"] = []
            section["error"] = f"{type(exc).__name__}: {exc}"
            traceback.print_exc()
        section["seconds"] = time.perf_counter() - start
        write(cfg.out, {name: section}, order, fresh=fresh)
        fresh = False
        print(f"[bench] {name}: {section['seconds']:.0f} s", file=sys.stderr, flush=True)
    print(f"[bench] wrote {cfg.out}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    import os

    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    if not os.environ["OMP_WAIT_POLICY"]:
        del os.environ["OMP_WAIT_POLICY"]
    sys.exit(main())
