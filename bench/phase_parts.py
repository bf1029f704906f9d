"""Benchmark: where the dumps, harvest and index phases spend their time, part by part, on
finished builds (bench/build_phases.py's), to see which part grows faster than the data.

Each part runs alone, one after another, in this process, over the published release's store
(opened read-only) into a scratch folder; with `--whole` each phase also runs whole as the build
runs it. Each part's seconds, CPU time, bytes read and written go to bench/out/phase_parts.json;
a Markdown table shows the seconds (and MB read by system calls) per part and size, and the
growth between consecutive sizes, each size's seconds over the yardstick (bench/yardstick.py)
measured around that size's parts: the sizes run one after another, maybe in different hours.

    .venv/bin/python bench/phase_parts.py 10000 100000 1000000     # about 50 minutes
    .venv/bin/python bench/phase_parts.py 10000 100000 --only index
    .venv/bin/python bench/phase_parts.py 100000 --parts "N-Quads dump"
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pyoxigraph as ox

from lod import config as lod_config
from lod import dumps, index, rq
from lod.build import Pipeline, _write_harvest
from lod.harvest import beacon, cmif
from lod.linking import ours
from lod.store import EmbeddedStore
from yardstick import VERSIONS, Yardstick

REPO = Path(__file__).resolve().parents[1]
BUILDS = REPO / "bench" / "out" / "builds"
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"   # every quad read, no term decoded
Part = Callable[[Path], None]   # writes what it makes under the scratch folder


class ReadOnly(EmbeddedStore):
    """A published release's store, as the build's phases see it, but never written to."""

    def __init__(self, path: Path):   # not super().__init__: that opens the store for writing
        self.path, self.store = path, ox.Store.read_only(str(path))


def drain(store: ox.Store, query: str, base: str) -> Part:
    """Run one of the build's queries and read every row, keeping none."""
    def part(_: Path) -> None:
        for _row in rq.iter_rows(store, query, base=base):
            pass
    return part


def dump_parts(store: ReadOnly, base: str, threads: int) -> dict[str, Part]:
    """What lod.dumps.write does, a part at a time: the N-Quads dump read from the store (a graph
    per thread, gzipped), then Turtle and JSON-LD converted from it (here one after the other)."""
    return {"N-Quads dump": lambda out: dumps.nquads(store.store, out / "d.nq.gz", threads),
            "Turtle from the N-Quads dump": lambda out: dumps.turtle(out / "d.nq.gz", store.path, out / "d.ttl.gz", base),
            "JSON-LD from the N-Quads dump": lambda out: dumps.json_ld(out / "d.nq.gz", out / "d.jsonld.gz")}


def parts(store: ReadOnly, pipeline: Pipeline, whole: bool) -> dict[str, dict[str, Part]]:
    base = pipeline.base
    ox_store = store.store
    found = {
        "dumps": {"quads counted (SPARQL)": lambda _: list(ox_store.query(COUNT)),
                  **dump_parts(store, base, pipeline.config.build.processes)},
        "harvest": {"cmif-documents query": drain(ox_store, "cmif-documents", base),
                    "cmif-correspondents query": drain(ox_store, "cmif-correspondents", base),
                    "CMIF file": lambda out: cmif.write(ox_store, pipeline.config.dataset, out / cmif.FILE_NAME,
                                                        lambda _: "2026-01-01"),
                    "BEACON file": lambda out: beacon.write(ox_store, out / beacon.FILE_NAME,
                                                            pipeline.config.dataset, "2026-01-01")},
        "index": {"browse-documents query": drain(ox_store, "browse-documents", base),
                  "browse-tree query (persons)": lambda _: index._alphabetical(ox_store, base, index.ALPHABETICAL["persons"]),
                  "search-names query": drain(ox_store, "search-names", base),
                  "reconciliation entities read": lambda _: ours.read(ox_store, base),
                  **sqlite_parts(ox_store, base)},
    }
    if whole:
        found["dumps"]["whole phase (as the build)"] = lambda out: dumps.write(store, out / "w", "d", base,
                                                                                pipeline.config.build.processes)
        found["harvest"]["whole phase"] = lambda out: _write_harvest(store.path, out, pipeline.config.dataset,
                                                                     {}, "2026-01-01")
        found["index"]["whole phase"] = lambda out: index.write(ox_store, out / "whole.sqlite", base)
    return found


def sqlite_parts(store: ox.Store, base: str) -> dict[str, Part]:
    """index.write's SQLite statements for the name search, on one connection (its unsorted
    table is a temporary one), timed apart from reading the rows (read and held by the first part)."""
    held: list[tuple] = []
    db: list[sqlite3.Connection] = []

    def read(out: Path) -> None:
        held[:] = index._names(store, base)
        db[:] = [sqlite3.connect(out / "parts.sqlite")]
        db[0].executescript(index.SCHEMA)

    def insert(_: Path) -> None:
        with db[0]:
            db[0].executemany(index.ADD_NAME, held)

    def copy_sorted(_: Path) -> None:
        with db[0]:
            db[0].execute(index.SORT_NAMES)

    def indexes(_: Path) -> None:
        db[0].executescript(index.NAME_INDEXES)
        db.pop().close()
    return {"name rows read and folded": read, "names INSERT": insert, "names sorted copy": copy_sorted,
            "names B-tree + trigram indexes": indexes}


def _files(folder: Path) -> dict[Path, tuple[int, int]]:
    return {f: (f.stat().st_size, f.stat().st_mtime_ns) for f in folder.rglob("*") if f.is_file()}


def _written_mb(before: dict[Path, tuple[int, int]], after: dict[Path, tuple[int, int]]) -> float:
    """Size of the files a part made or changed."""
    return sum(size for f, (size, mtime) in after.items() if before.get(f) != (size, mtime)) / 1e6


def _counters() -> dict[str, float]:
    """This process's CPU seconds in user and kernel mode (all its threads), the MB it has read by
    system calls (from the page cache or the disk: RocksDB reads its files so) and from the disk."""
    io = dict(line.split(": ") for line in Path("/proc/self/io").read_text().splitlines())
    times = os.times()
    return {"user_s": times.user, "system_s": times.system,
            "read_mb": int(io["rchar"]) / 1e6, "disk_mb": int(io["read_bytes"]) / 1e6}


def run(letters: int, only: list[str], whole: bool, named: list[str]) -> dict[str, dict[str, dict[str, float]]]:
    """{phase: {part: {seconds, user_s, system_s, read_mb, disk_mb, written_mb}}} for one build."""
    folder = BUILDS / str(letters)
    config = lod_config.load(folder / "lod.toml")
    store = ReadOnly(folder / "var" / "current" / "store")
    timed: dict[str, dict[str, dict[str, float]]] = {}
    with tempfile.TemporaryDirectory(dir=folder) as scratch:
        for phase, steps in parts(store, Pipeline(config), whole).items():
            for name, part in steps.items() if not only or phase in only else ():
                if named and not any(n in name for n in named):
                    continue
                before, counters, start = _files(Path(scratch)), _counters(), time.perf_counter()
                part(Path(scratch))
                seconds = time.perf_counter() - start
                used = {k: round(v - counters[k], 1) for k, v in _counters().items()}
                timed.setdefault(phase, {})[name] = {"seconds": round(seconds, 2), **used,
                                                     "written_mb": round(_written_mb(before, _files(Path(scratch))), 1)}
                print(f"{letters:>9,} {phase:<8} {name:<30} {seconds:8.2f} s", *(f"{k} {v:,}" for k, v in used.items()),
                      flush=True)
    return timed


def markdown(results: dict[int, dict], yards: dict[int, float]) -> str:
    sizes = sorted(results)
    head = "| " + " | ".join(["phase", "part", *(f"{n:,} s (MB read; s ÷ yardstick)" for n in sizes),
                                *(f"{a // 1000}k → {b // 1000}k, over the yardstick" for a, b in zip(sizes, sizes[1:]))]) + " |"
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for phase, steps in results[sizes[0]].items():
        for name in steps:
            cells = [results[n][phase][name] for n in sizes]
            ratios = [c["seconds"] / yards[n] for c, n in zip(cells, sizes)]
            lines.append("| " + " | ".join([phase, name, *(f"{c['seconds']:,.1f} ({c['read_mb']:,.0f}; {r:.2f})"
                                                            for c, r in zip(cells, ratios)),
                                            *(f"{b / a:.1f}×" if a else "–" for a, b in zip(ratios, ratios[1:]))]) + " |")
    return "\n".join(lines) + "\n\nyardstick s: " + ", ".join(f"{n:,} {y:.2f}" for n, y in yards.items())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("letters", type=int, nargs="+", help="sizes built under bench/out/builds/")
    ap.add_argument("--only", nargs="*", default=[], choices=["dumps", "harvest", "index"])
    ap.add_argument("--parts", nargs="*", default=[], help="only the parts whose names contain one of these")
    ap.add_argument("--whole", action="store_true", help="also run each phase whole, as the build does")
    args = ap.parse_args()
    results, yards = {}, {}
    for n in args.letters:
        with Yardstick() as yard:
            results[n] = run(n, args.only, args.whole, args.parts)
        yards[n] = yard.seconds
    (REPO / "bench" / "out" / "phase_parts.json").write_text(json.dumps({"parts": results, "yardstick_s": yards,
                                                                         "yardstick_versions": VERSIONS},
                                                                         indent=2))
    print(markdown(results, yards))


if __name__ == "__main__":
    main()
