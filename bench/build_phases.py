"""Benchmark: time every build phase for the edition and for synthetic corpora.

Each corpus is built by `lod build` in a fresh process (so peak memory is its own), with its
own var/ folder under bench/out/, and the mapper's two processes (lod.toml's default). Prints a
Markdown table for docs/performance.md and writes bench/out/results.json.

    .venv/bin/python bench/build_phases.py                 # edition, 10k and 100k letters
    .venv/bin/python bench/build_phases.py --no-edition --letters 1000000   # a million (about 50 min)
    .venv/bin/python bench/build_phases.py --letters 1000  # a quick run
    .venv/bin/python bench/build_phases.py --virtuoso      # then `lod upload` each release to Virtuoso
"""

from __future__ import annotations

import argparse
import contextlib
import json
import platform
import re
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "bench" / "out"
sys.path.insert(0, str(REPO / "tests"))
from conftest import write_config  # noqa: E402  (one way to write a configuration, shared with the tests)
from virtuoso import Virtuoso  # noqa: E402
from sampler import Sampler, rss_mib  # noqa: E402

from lod.synthetic import generate  # noqa: E402


def build(name: str, data: Path, engine: Virtuoso | None = None) -> dict:
    """Build one corpus in a child process; return its phases, quads and wall time. With an
    engine, the release is then uploaded to it by `lod upload` (timed as its own phase)."""
    folder = OUT / "builds" / name.split()[-2 if name.endswith("letters") else 0].replace(",", "")
    folder.mkdir(parents=True, exist_ok=True)
    config = write_config(folder, data, extra=engine.store_settings() if engine else "", processes=2)
    start = time.perf_counter()
    child = subprocess.Popen([str(REPO / ".venv" / "bin" / "lod"), "--config", str(config), "build"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    with TreeMemory(child.pid) as tree:
        stderr = child.communicate()[1]
    if child.returncode:
        sys.exit(f"build of {name} failed:\n{stderr[-3000:]}")
    wall = time.perf_counter() - start
    record = json.loads((folder / "var" / "current" / "build.json").read_text())
    if engine:   # the build uploaded too; a second, timed upload replaces it the same way
        start = time.perf_counter()
        subprocess.run([str(REPO / ".venv" / "bin" / "lod"), "--config", str(config), "upload"], check=True,
                       capture_output=True)
        record["phases"].append({"name": "upload", "seconds": round(time.perf_counter() - start, 3),
                                 "peak_mib": engine.rss_mib()})
    return {"corpus": name, "wall_s": round(wall, 1), "quads": record["triples"], "phases": record["phases"],
            "tree_peak_mib": round(tree.peak_mib), "tree_peak_at_s": round(tree.peak_at, 1),
            "tree_peak_parts_mib": tree.peak_parts, "tree_peak_pss_mib": round(tree.peak_pss_mib)}


class TreeMemory(Sampler):
    """Samples, every second, the resident memory of a process and all its descendants summed
    (the build and the mapper's worker processes at once), keeping the highest, each process's
    share of it, and the highest proportional sum (PSS: pages forked processes share are counted
    once, where the resident sum counts them in each)."""

    def __init__(self, pid: int):
        super().__init__(pid)
        self.peak_mib, self.peak_at, self.start_time = 0.0, 0.0, time.perf_counter()
        self.peak_parts: list[int] = []
        self.peak_pss_mib = 0.0

    def sample(self) -> None:
        pids = _descendants(self.pid)
        parts = [rss_mib(pid) for pid in pids]
        if sum(parts) > self.peak_mib:
            self.peak_mib, self.peak_at = sum(parts), time.perf_counter() - self.start_time
            self.peak_parts = sorted((round(mib) for mib in parts if mib >= 1), reverse=True)
        self.peak_pss_mib = max(self.peak_pss_mib, sum(_pss_mib(pid) for pid in pids))


def _descendants(pid: int) -> list[int]:
    """The process and every process below it, read from /proc (Linux)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        found.append(todo.pop())
        todo.extend(children.get(found[-1], []))
    return found


def _pss_mib(pid: int) -> float:
    with contextlib.suppress(OSError, ValueError, TypeError):
        return int(re.search(r"^Pss:\s+(\d+) kB", Path(f"/proc/{pid}/smaps_rollup").read_text(), re.M)[1]) / 1024
    return 0.0


def markdown(results: list[dict]) -> str:
    phases = [p["name"] for p in results[0]["phases"]]
    head = "| corpus | quads | " + " | ".join(f"{p} s" for p in phases) + \
        " | map+validate+load s | map / validate / load triples/s | cores used, map / load / validate | peak MiB (one process) | peak MiB (all summed)" \
        " | peak MiB (all, proportional) | wall s |"
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in results:
        t = {p["name"]: p["seconds"] for p in r["phases"]}
        core = t["map"] + t["validate"] + t["load"]
        rates = " / ".join(f"{r['quads'] / t[p] / 1000:.0f}k" for p in ("map", "validate", "load"))
        cpu = {p["name"]: p["cpu_s"] for p in r["phases"]}
        cores = " / ".join(f"{cpu[p] / t[p]:.2f}" for p in ("map", "load", "validate"))
        peak = max(p["peak_mib"] for p in r["phases"] if p["name"] != "upload")   # upload: the engine's RSS
        lines.append(f"| {r['corpus']} | {r['quads']:,} | " + " | ".join(f"{t[p]:.1f}" for p in phases)
                     + f" | {core:.1f} | {rates} | {cores} | {peak:,.0f} | {r['tree_peak_mib']:,} at {r['tree_peak_at_s']:.0f} s"
                     f" ({' + '.join(f'{mib:,}' for mib in r['tree_peak_parts_mib'])}) | {r['tree_peak_pss_mib']:,} | {r['wall_s']} |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--letters", type=int, nargs="*", default=[10_000, 100_000])
    ap.add_argument("--no-edition", action="store_true")
    ap.add_argument("--virtuoso", action="store_true", help="remote backend: upload each release to Virtuoso")
    args = ap.parse_args()
    with Virtuoso(OUT / "virtuoso", memory_gb=4) if args.virtuoso else contextlib.nullcontext() as engine:
        results = [] if args.no_edition else [build("edition", REPO / "data", engine)]
        for n in args.letters:
            data = OUT / f"synthetic-{n}" / "data"
            generate(data, letters=n)  # deterministic; regenerated so that it matches today's tables
            results.append(build(f"synthetic {n:,} letters", data, engine))
            print(markdown(results[-1:]), flush=True)
    (OUT / "results.json").write_text(json.dumps({"machine": platform.platform(), "results": results}, indent=2))
    print(f"\n{platform.platform()}, {platform.python_version()}\n\n{markdown(results)}")


if __name__ == "__main__":
    main()
