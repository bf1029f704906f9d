"""Benchmark: what one resource page costs on the embedded store, in process (no HTTP).

The serving benchmark gives rates under 16 clients, where a page's cost is hidden in the queue.
This takes the pages it draws for first visits (documents and persons no one asked before) and
renders each through Flask's test client with the response cache off, twice: the first time as
a crawler meets it (store blocks not read by this process yet), then again. It counts the store
look-ups (`quads_for_pattern` calls) each page makes, so a change to `lod.web.describe` can be
judged by a count that does not depend on the machine's hour as well as by its time, and by its
time against the yardstick (bench/yardstick.py), measured before and after the pages.

    .venv/bin/python bench/pages.py --build bench/out/builds/1000000
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import statistics
import time
from pathlib import Path

from serving import synthetic
from conftest import Counting  # noqa: E402  (tests/, on the path by serving)
from yardstick import around
from lod import config as lod_config
from lod.web import create_app, warm


def measure(client, store: Counting, paths: list[str]) -> dict:
    """Milliseconds of each page on its first and second ask, and its look-ups."""
    first, second, asked = [], [], []
    for path in paths:
        before = store.asked
        for times in (first, second):
            begun = time.perf_counter()
            response = client.get(path)
            times.append((time.perf_counter() - begun) * 1000)
            if response.status_code != 200:
                raise SystemExit(f"{path}: {response.status_code}")
        asked.append((store.asked - before) / 2)
    return {"pages": len(paths), "look-ups per page": round(statistics.mean(asked), 1),
            **{f"{name} ms {stat}": round(fn(ms), 2) for name, ms in (("first", first), ("second", second))
               for stat, fn in (("median", statistics.median), ("p90", lambda v: sorted(v)[int(len(v) * 0.9)]))}}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", type=Path, required=True, help="a folder of bench/build_phases.py (lod.toml, var/)")
    ap.add_argument("--pages", type=int, default=1000, help="pages of each kind")
    args = ap.parse_args()
    config = lod_config.load(args.build / "lod.toml")
    config = dataclasses.replace(config, server=dataclasses.replace(config.server, cache_mib=0, access_log=False))
    if config.store.backend != "embedded":
        raise SystemExit("bench/pages.py counts the embedded store's look-ups; this build's [store] is remote")
    info = json.loads((args.build / "var" / "current" / "build.json").read_text())
    scenarios = synthetic(info["coverage"])
    app = create_app(config)
    warm(app)
    release = app.extensions["lod.published"].current()
    store = release.__dict__["store"] = Counting(release.store)   # what the pages read from
    client = app.test_client()
    rows: list[dict] = []
    with around(rows):
        rows += [{"kind": kind, **measure(client, store, paths[:args.pages])}
                 for kind, paths in (("documents", scenarios.new_documents), ("persons", scenarios.new_persons))]
    print("| pages | n | look-ups per page | first ask, median / p90 ms | second ask, median / p90 ms | yardstick s "
          "| first / second ask median ÷ yardstick, ‰ |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        y = r["yardstick_s"]
        print(f"| {r['kind']} | {r['pages']} | {r['look-ups per page']} | {r['first ms median']} / {r['first ms p90']} "
              f"| {r['second ms median']} / {r['second ms p90']} | {y:.2f} "
              f"| {r['first ms median'] / y:.3f} / {r['second ms median'] / y:.3f} |")


if __name__ == "__main__":
    main()
