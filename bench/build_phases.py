"""Benchmark: time every build phase for the edition and for synthetic corpora.

Each corpus is built by `lod build` in a fresh process (so peak memory is its own), with its
own var/ folder under bench/out/, and the mapper's two processes (lod.toml's default), between
two measurements of the yardstick (bench/yardstick.py). Prints Markdown tables for
docs/performance.md, the phases in seconds and as ratios to the yardstick, and writes
bench/out/results.json.

    .venv/bin/python bench/build_phases.py                 # edition, 10k and 100k letters
    .venv/bin/python bench/build_phases.py --no-edition --letters 1000000   # a million (about 50 min)
    .venv/bin/python bench/build_phases.py --letters 1000  # a quick run
    .venv/bin/python bench/build_phases.py --virtuoso      # then `lod upload` each release to Virtuoso
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
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
from yardstick import Yardstick  # noqa: E402

from lod.synthetic import generate  # noqa: E402


def measured(name: str, data: Path, engine: Virtuoso | None = None) -> dict:
    """`build`, with the yardstick measured just before and just after it (bench/yardstick.py)."""
    with Yardstick() as yard:
        result = build(name, data, engine)
    return {**result, "yardstick": yard.record}


def build(name: str, data: Path, engine: Virtuoso | None = None) -> dict:
    """Build one corpus in a child process; return its phases, quads and wall time. With an
    engine, the release is then uploaded to it by `lod upload` (timed as its own phase)."""
    folder = OUT / "builds" / name.split()[-2 if name.endswith("letters") else 0].replace(",", "")
    folder.mkdir(parents=True, exist_ok=True)
    config = write_config(folder, data, extra=engine.store_settings() if engine else "", processes=2)
    start = time.perf_counter()
    child = subprocess.Popen([str(REPO / ".venv" / "bin" / "lod"), "--config", str(config), "build"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    with TreeMemory(child.pid) as tree, MachineCounters(child.pid) as machine:
        ended, stderr = {}, []
        for line in child.stderr:   # "✓ <phase> <seconds> s" as each phase ends: when it ended
            stderr.append(line)
            if done := PHASE_LINE.search(line):
                ended[done[1]] = time.monotonic()
        child.wait()
    if child.returncode:
        sys.exit(f"build of {name} failed:\n{''.join(stderr)[-3000:]}")
    wall = time.perf_counter() - start
    record = json.loads((folder / "var" / "current" / "build.json").read_text())
    for phase in record["phases"]:
        if phase["name"] not in ASIDES and (reading := machine.between(ended[phase["name"]] - phase["seconds"],
                                                                        ended[phase["name"]])):
            phase["machine"] = reading
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


PHASE_LINE = re.compile(r"✓ (\S+)\s+[\d.]+ s")
ASIDES = ("harvest", "index")   # run in a child; their lines are printed when the build joins it, not
                                # when they ended, so their windows are unknown. Every other phase's
                                # line is printed the moment it ends.


class MachineCounters(Sampler):
    """Samples, every second, the whole machine's CPU time by kind (/proc/stat), its stalls
    (/proc/pressure), what it read from disk and how much of that it had evicted from the page
    cache shortly before (/proc/vmstat's file refaults): what else the two cores did during a
    phase, and whether it waited on the disk or on the hypervisor (steal), for phases whose time
    varies between builds."""

    KINDS = ("user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal")

    def __init__(self, pid: int):
        super().__init__(pid)
        self.samples: list[tuple[float, dict[str, float]]] = []
        self.sample()

    def sample(self) -> None:
        ticks = os.sysconf("SC_CLK_TCK")
        cpu = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:len(self.KINDS) + 1]
        counters = {kind: int(value) / ticks for kind, value in zip(self.KINDS, cpu)}
        vmstat = dict(line.split() for line in Path("/proc/vmstat").read_text().splitlines())
        counters["read_mib"] = int(vmstat["pgpgin"]) / 1024   # KiB read from block devices
        counters["refault_mib"] = int(vmstat["workingset_refault_file"]) * os.sysconf("SC_PAGE_SIZE") / 2**20
        for resource in ("io", "cpu", "memory"):
            with contextlib.suppress(OSError):
                for line in Path(f"/proc/pressure/{resource}").read_text().splitlines():
                    kind, *fields = line.split()
                    counters[f"{resource}_{kind}"] = int(fields[-1].split("=")[1]) / 1e6
        self.samples.append((time.monotonic(), counters))

    def between(self, start: float, end: float) -> dict[str, float]:
        """Each counter's growth from the last sample before `start` to the first after `end`,
        per second of that window: cores for CPU kinds, the share of time stalled for pressure;
        nothing for a window no two samples bracket (a short phase at the build's end)."""
        first = max((s for s in self.samples if s[0] <= start), default=self.samples[0], key=lambda s: s[0])
        last = min((s for s in self.samples if s[0] >= end), default=self.samples[-1], key=lambda s: s[0])
        span = last[0] - first[0]
        if span <= 0:
            return {}
        return {kind: round((last[1][kind] - first[1][kind]) / span, 3) for kind in last[1] if kind in first[1]}


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


def ratio_markdown(results: list[dict]) -> str:
    """Each phase's seconds over the yardstick's from the same run: what compares across hours."""
    phases = [p["name"] for p in results[0]["phases"]]
    head = "| corpus | yardstick s (before / after) | " + " | ".join(f"{p} ÷ yardstick" for p in phases) + \
        " | map+validate+load ÷ yardstick | wall ÷ yardstick |"
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in results:
        yard = r["yardstick"]
        t = {p["name"]: p["seconds"] for p in r["phases"]}
        core = t["map"] + t["validate"] + t["load"]
        lines.append(f"| {r['corpus']} | {yard['before']['seconds']:.2f} / {yard['after']['seconds']:.2f} | "
                     + " | ".join(f"{t[p] / yard['mean_s']:.1f}" for p in phases)
                     + f" | {core / yard['mean_s']:.1f} | {r['wall_s'] / yard['mean_s']:.1f} |")
    return "\n".join(lines)


def machine_markdown(results: list[dict]) -> str:
    """The whole machine during each phase the build runs in its own process (see MachineCounters)."""
    lines = ["| corpus | phase | s | busy cores (user+system) | iowait cores | steal cores | idle cores"
             " | I/O stalled (some / full) | CPU stalled (some) | read MiB/s | of it refaulted MiB/s |",
             "|" + "---|" * 11]
    for r in results:
        for p in (p for p in r["phases"] if "machine" in p):
            m = p["machine"]
            busy = m["user"] + m["nice"] + m["system"] + m["irq"] + m["softirq"]
            stalls = (f"{m.get('io_some', 0):.0%} / {m.get('io_full', 0):.0%}", f"{m.get('cpu_some', 0):.0%}")
            lines.append(f"| {r['corpus']} | {p['name']} | {p['seconds']:.1f} | {busy:.2f} | {m['iowait']:.2f}"
                         f" | {m['steal']:.2f} | {m['idle']:.2f} | {stalls[0]} | {stalls[1]}"
                         f" | {m.get('read_mib', 0):.0f} | {m.get('refault_mib', 0):.0f} |")
    return "\n".join(lines)


TABLES = (markdown, ratio_markdown, machine_markdown)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--letters", type=int, nargs="*", default=[10_000, 100_000])
    ap.add_argument("--no-edition", action="store_true")
    ap.add_argument("--virtuoso", action="store_true", help="remote backend: upload each release to Virtuoso")
    args = ap.parse_args()
    with Virtuoso(OUT / "virtuoso", memory_gb=4) if args.virtuoso else contextlib.nullcontext() as engine:
        results = [] if args.no_edition else [measured("edition", REPO / "data", engine)]
        for n in args.letters:
            data = OUT / f"synthetic-{n}" / "data"
            generate(data, letters=n)  # deterministic; regenerated so that it matches today's tables
            results.append(measured(f"synthetic {n:,} letters", data, engine))
            print(*(table(results[-1:]) for table in TABLES), sep="\n\n", flush=True)
    (OUT / "results.json").write_text(json.dumps({"machine": platform.platform(), "results": results}, indent=2))
    print(f"\n{platform.platform()}, {platform.python_version()}", *(table(results) for table in TABLES), sep="\n\n")


if __name__ == "__main__":
    main()
