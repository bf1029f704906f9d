"""Benchmark: the SPARQL mix's look-ups one kind at a time, straight on each store (no HTTP).

The serving benchmark gives one rate for the whole look-up mix; this says which kind of look-up
costs what on the embedded store and on Virtuoso, so a slow mix can be traced to its query. Each
of the mix's drawn queries (bench/serving.py `synthetic`) is run alone, one after another, as the
publisher's endpoint runs it (the release's union as default graph, every row read), after one
untimed pass that warms the engine's caches. The yardstick (bench/yardstick.py) is measured around
each store's runs, and each median is also given against it.

    .venv/bin/python bench/lookups.py --build bench/out/builds/1000000
    .venv/bin/python bench/lookups.py --build bench/out/builds/1000000 --virtuoso-gb 8
        # the second also asks Virtuoso, in bench/out/serving/virtuoso, which must already hold
        # the release (bench/serving.py --servers virtuoso uploads it)
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from serving import BASE, LOOKUPS, synthetic, virtuoso_settings
from yardstick import around
from lod import config as lod_config
from lod import store


def timings(st, queries: list[str]) -> dict[str, list[tuple[float, int]]]:
    """Milliseconds and rows per query, by look-up kind (the example it was drawn from)."""
    kinds = list(LOOKUPS)
    times: dict[str, list[tuple[float, int]]] = {kind: [] for kind in kinds}
    for n, query in enumerate(queries):
        begun = time.perf_counter()
        rows = sum(1 for _ in st.query(query, base_iri=BASE, use_default_graph_as_union=True))
        times[kinds[n % len(kinds)]].append(((time.perf_counter() - begun) * 1000, rows))
    return times


def summary(label: str, st, queries: list[str]) -> list[dict]:
    timings(st, queries)   # warm the engine's caches
    rows = []
    for kind, runs in timings(st, queries).items():
        ms = sorted(t for t, _ in runs)
        rows.append({"store": label, "query": kind, "n": len(ms),
                     "rows": round(statistics.mean(n for _, n in runs), 1),
                     "median ms": round(statistics.median(ms), 2),
                     "p90 ms": round(ms[int(len(ms) * 0.9)], 2), "max ms": round(ms[-1], 2)})
        print(rows[-1], flush=True)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", type=Path, required=True, help="a folder of bench/build_phases.py (lod.toml, var/)")
    ap.add_argument("--virtuoso-gb", type=float, help="also ask Virtuoso, with this much memory for its buffers")
    args = ap.parse_args()
    release = (args.build / "var" / "current").resolve()
    info = json.loads((release / "build.json").read_text())
    queries = synthetic(info["coverage"]).queries
    settings = args.build / "lod.toml"
    rows: list[dict] = []
    with around(rows):
        rows += summary("embedded", store.reader(lod_config.load(settings), release, info), queries)
    if args.virtuoso_gb:
        with virtuoso_settings(settings, args.virtuoso_gb, "lookups", loaded=True) as remote:
            with around(rows):
                rows += summary("virtuoso", store.reader(lod_config.load(remote), release, info), queries)
    print("| store | query | n | rows (mean) | median ms | p90 ms | max ms | yardstick s | median ÷ yardstick, ‰ |\n"
          "|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['store']} | {r['query']} | {r['n']} | {r['rows']} | {r['median ms']} | {r['p90 ms']} | {r['max ms']} "
              f"| {r['yardstick_s']:.2f} | {r['median ms'] / r['yardstick_s']:.3f} |")


if __name__ == "__main__":
    main()
