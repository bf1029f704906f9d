"""Benchmark: validation alone, on a built release's store, with one and with two threads.

The build's `validate` phase is timed with everything else; this runs only the compiled checks
(lod.shacl) on the published store of a `bench/build_phases.py` build, so a change to the query
forms can be measured in minutes, and it lists the slowest checks. `--shacl FILE` runs another
copy of lod/shacl.py instead (e.g. the previous commit's, `git show HEAD~1:src/lod/shacl.py`), for
an A/B in the same run. Each time is also given against the yardstick (bench/yardstick.py),
measured before and after.

    .venv/bin/python bench/validation.py --build bench/out/builds/100000
    .venv/bin/python bench/validation.py --build bench/out/builds/1000000 --threads 2 --shacl /tmp/old.py
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import time
from pathlib import Path
from types import ModuleType

import pyoxigraph as ox

from lod import shacl
from lod.build import Pipeline
from lod.config import load
from yardstick import Yardstick


def module(path: Path | None) -> ModuleType:
    """lod.shacl, or another copy of it read from `path`."""
    if path is None:
        return shacl
    spec = importlib.util.spec_from_file_location(f"shacl_{path.stem}", path)
    copy = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = copy   # dataclasses look their module up
    spec.loader.exec_module(copy)
    return copy


def timed(compiler: ModuleType, store: ox.Store, shapes, threads: int) -> tuple[float, int]:
    """Seconds for every check (the union of the store's graphs, as the build asks), violations."""
    start = time.perf_counter()
    checks = compiler.compile_shapes(shapes, compiler.classes_in(store, None))
    results = compiler.run(store, checks, None, threads=threads)
    return time.perf_counter() - start, len(results)


def slowest(compiler: ModuleType, store: ox.Store, shapes, top: int) -> list[tuple[float, str]]:
    """Each distinct query of the checks, run alone, slowest first."""
    checks = compiler.compile_shapes(shapes, compiler.classes_in(store, None))
    named: dict[str, str] = {}
    for check in checks:
        named.setdefault(check.query, f"{check.component} {check.path or check.shape}")
    times = []
    for query, name in named.items():
        start = time.perf_counter()
        for _ in store.query(query, use_default_graph_as_union=True):
            pass
        times.append((time.perf_counter() - start, name))
    return sorted(times, reverse=True)[:top]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", type=Path, required=True, help="a bench/out/builds/<letters> folder")
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--shacl", type=Path, help="another lod/shacl.py to run first, as the reference")
    ap.add_argument("--slowest", type=int, default=0, help="then time each query alone and list the N slowest")
    args = ap.parse_args()
    config = load(args.build / "lod.toml")
    shapes = Pipeline(config).read_vocabulary()[1]
    store = ox.Store.read_only(str(config.path("var") / "current" / "store"))
    compilers = ([("reference", module(args.shacl))] if args.shacl else []) + [("lod.shacl", shacl)]
    runs = []
    with Yardstick() as yard:
        for threads in args.threads:
            for name, compiler in compilers:
                runs.append((name, threads, *timed(compiler, store, shapes, threads)))
                print(f"{name:<10} threads={threads}  {runs[-1][2]:8.1f} s  {runs[-1][3]} violations", flush=True)
    for name, threads, seconds, _ in runs:
        print(f"{name:<10} threads={threads}  {yard.ratio(seconds):8.2f} yardsticks ({yard.seconds:.2f} s)")
    for seconds, name in slowest(shacl, store, shapes, args.slowest):
        print(f"  {seconds:7.2f} s  {name}")


if __name__ == "__main__":
    main()
