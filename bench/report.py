"""Writing BENCHMARKS.md from benchmark results.

Results are kept per benchmark in a JSON file beside the report (BENCHMARKS.json): running one
benchmark (`--only NAME`) replaces its section and keeps the others, each section saying when, how
(the command, the mode) and on what machine it was measured. Every figure that has a target is
repeated in the summary table at the top with PASS / MISS."""
from __future__ import annotations

import json
from pathlib import Path

HEADER = """# Benchmarks

Written by `python -m bench` (bench/report.py); do not edit by hand. Timings on a shared machine are
noisy: figures are medians of several runs, and claims are ratios of two things measured in the same
run wherever possible. A row without a target is information, not a claim. `python -m bench` sets
OMP_WAIT_POLICY=PASSIVE unless the environment sets it (each section records the value; the
throughput section shows why and what it costs), so absolute speeds are those of that setting.
"""


def load(path: Path) -> dict:
    """The results kept so far: {benchmark name: section dict}."""
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return {}


def save(path: Path, results: dict) -> None:
    Path(path).write_text(json.dumps(results, indent=1, default=str) + "\n")


def cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        value = f"{value:.4g}"
    return str(value).replace("|", "\\|").replace("\n", " ")


def public(row: dict) -> dict:
    """A row without its private keys: those starting with '_' are for the benchmark's own use, except
    `_figure`, the one-line description of the claim that the summary shows."""
    return {k: v for k, v in row.items() if not k.startswith("_")}


def table(rows: list[dict]) -> list[str]:
    rows = [public(r) for r in rows]
    if not rows:
        return []
    cols: list[str] = []
    for r in rows:
        cols += [k for k in r if k not in cols]
    # target and status last, where a reader looks for the verdict
    cols = [c for c in cols if c not in ("target", "status")] + [c for c in ("target", "status") if c in cols]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    lines += ["| " + " | ".join(cell(r.get(c)) for c in cols) + " |" for r in rows]
    return lines


def blocks(rows: list[dict]) -> list[tuple[str, list[dict], list[str]]]:
    """Split a benchmark's rows into (heading, data rows, notes) blocks: a row {"table": heading} starts
    a new table; {"note": text} rows are listed under the table they follow."""
    out = [("", [], [])]
    for r in rows:
        if set(r) == {"table"}:
            out.append((str(r["table"]), [], []))
        elif set(r) == {"note"}:
            out[-1][2].append(str(r["note"]))
        else:
            out[-1][1].append(r)
    return [b for b in out if b[1] or b[2]]


def claims(results: dict, order: list[str]) -> list[dict]:
    """Every row with a PASS/MISS verdict, for the summary."""
    out = []
    for name in order:
        section = results[name]
        for r in section.get("rows", []):
            if set(r) in ({"note"}, {"table"}):
                continue
            status = str(r.get("status", ""))
            if not status or str(r.get("target", "")) in ("", "(info)"):
                continue
            what = r.get("_figure") or r.get("figure") or ", ".join(f"{k} {cell(v)}" for k, v in public(r).items()
                                                 if k not in ("target", "status", "benchmark"))
            out.append({"benchmark": name, "figure": what, "target": r.get("target"), "status": status})
    return out


def render(results: dict, order: list[str]) -> str:
    names = [n for n in order if n in results] + sorted(n for n in results if n not in order)
    lines = [HEADER]
    summary = claims(results, names)
    if summary:
        passed = sum(1 for s in summary if "PASS" in s["status"])
        lines += ["## Summary", "", f"{passed} of {len(summary)} targets met.", ""] + table(summary) + [""]
    for name in names:
        s = results[name]
        lines += [f"## {s.get('title', name)}", ""]
        lines.append(f"`{s.get('command', '')}` ({s.get('mode', '')} mode), {s.get('date', '')}, "
                     f"{s.get('seconds', 0):.0f} s. Machine: "
                     + ", ".join(f"{k} {v}" for k, v in s.get("machine", {}).items())
                     + ".")
        lines.append("")
        if s.get("error"):
            lines += [f"**FAILED**: {s['error']}", ""]
        for heading, data, notes in blocks(s.get("rows", [])):
            if heading:
                lines += [f"### {heading}", ""]
            lines += table(data)
            if data:
                lines.append("")
            lines += [f"- {n}" for n in notes]
            if notes:
                lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def write(out: Path, new: dict, order: list[str], fresh: bool = False) -> dict:
    """Merge `new` sections into the kept results, write BENCHMARKS.json and the Markdown report."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    store = out.with_suffix(".json")
    results = {} if fresh else load(store)
    results.update(new)
    save(store, results)
    out.write_text(render(results, order))
    return results


def main(argv: list[str] | None = None) -> None:
    """`python -m bench.report [--merge OTHER.json ...] [--out BENCHMARKS.md]`: re-render the report from
    its JSON, first taking the sections of other results files (a run written elsewhere with --out)."""
    import argparse

    from . import REGISTRY
    from .common import ROOT

    p = argparse.ArgumentParser(prog="python -m bench.report", description=main.__doc__.split(":", 1)[1])
    p.add_argument("--merge", nargs="*", type=Path, default=[], metavar="JSON")
    p.add_argument("--out", type=Path, default=ROOT / "BENCHMARKS.md")
    args = p.parse_args(argv)
    new = {}
    for path in args.merge:
        new.update(load(path))
    write(args.out, new, list(REGISTRY))


if __name__ == "__main__":
    main()
