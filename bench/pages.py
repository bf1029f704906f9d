"""Benchmark: what one resource page costs, in process (no HTTP), on the embedded store or Virtuoso.

The serving benchmark gives rates under 16 clients, where a page's cost is hidden in the queue.
This takes the pages it draws for first visits (documents and persons no one asked before) and
renders each through Flask's test client with the response cache off, twice: the first time as
a crawler meets it (store blocks not read by this process yet; on a remote store, nothing the
worker remembers), then again. It counts what each page asks its store (on the embedded store
its look-ups, `quads_for_pattern` calls; on a remote one its requests to the engine), so a
change to `lod.web.describe` can be judged by a count that does not depend on the machine's
hour as well as by its time, and by its time against the yardstick (bench/yardstick.py),
measured before and after the pages.

    .venv/bin/python bench/pages.py --build bench/out/builds/1000000
    .venv/bin/python bench/pages.py --build bench/out/builds/1000000 --virtuoso-gb 8
                              # from the Virtuoso of bench/serving.py (bench/out/serving/virtuoso),
                              # which must hold the release (its upload, or bench/upload.py's engine)
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import statistics
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from serving import synthetic, virtuoso_settings
from conftest import Counting  # noqa: E402  (tests/, on the path by serving)
from yardstick import around
from lod import config as lod_config
from lod.store import RemoteStore
from lod.web import create_app, warm


def counter(release) -> tuple[str, Callable[[], int]]:
    """What the pages ask the release's store, and how many times they have asked it so far:
    look-ups on the embedded store, requests on a remote one (counted by the HTTP session's
    response hook)."""
    if isinstance(release.store, RemoteStore):
        sent = 0

        def count(response, *args, **kwargs) -> None:
            nonlocal sent
            sent += 1
        release.store.http.hooks["response"].append(count)
        return "engine requests", lambda: sent
    store = release.__dict__["store"] = Counting(release.store)   # what the pages read from
    return "look-ups", lambda: store.asked


def measure(client, asked_so_far: Callable[[], int], paths: list[str]) -> dict:
    """Milliseconds of each page on its first and second ask, and what each ask asked the store
    (on a remote store the second ask may find its answers remembered by the release)."""
    times: dict[str, list[float]] = {"first": [], "second": []}
    asked: dict[str, list[int]] = {"first": [], "second": []}
    for path in paths:
        for ask in times:
            before, begun = asked_so_far(), time.perf_counter()
            response = client.get(path)
            times[ask].append((time.perf_counter() - begun) * 1000)
            asked[ask].append(asked_so_far() - before)
            if response.status_code != 200:
                raise SystemExit(f"{path}: {response.status_code}")
    return {"pages": len(paths),
            **{f"{ask} asked": round(statistics.mean(counts), 2) for ask, counts in asked.items()},
            **{f"{ask} ms {stat}": round(fn(ms), 2) for ask, ms in times.items()
               for stat, fn in (("median", statistics.median), ("p90", lambda v: sorted(v)[int(len(v) * 0.9)]))}}


@contextlib.contextmanager
def settings_for(build: Path, memory_gb: float | None) -> Iterator[Path]:
    """The build's settings: as they are (the embedded store), or, given the engine's memory,
    pointing at serving.py's Virtuoso, which must hold the release already."""
    if memory_gb is None:
        yield build / "lod.toml"
        return
    with virtuoso_settings(build / "lod.toml", memory_gb, "pages-remote", loaded=True) as settings:
        yield settings


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", type=Path, required=True, help="a folder of bench/build_phases.py (lod.toml, var/)")
    ap.add_argument("--pages", type=int, default=1000, help="pages of each kind")
    ap.add_argument("--virtuoso-gb", type=float, default=None,
                    help="read the release from Virtuoso (bench/out/serving/virtuoso) with this much memory for its "
                         "buffers, instead of the embedded store")
    args = ap.parse_args()
    info = json.loads((args.build / "var" / "current" / "build.json").read_text())
    scenarios = synthetic(info["coverage"])
    with settings_for(args.build, args.virtuoso_gb) as settings:
        config = lod_config.load(settings)
        config = dataclasses.replace(config, server=dataclasses.replace(config.server, cache_mib=0, access_log=False))
        app = create_app(config)
        warm(app)
        what, asked = counter(app.extensions["lod.published"].current())
        client = app.test_client()
        rows: list[dict] = []
        with around(rows):
            rows += [{"kind": kind, **measure(client, asked, paths[:args.pages])}
                     for kind, paths in (("documents", scenarios.new_documents), ("persons", scenarios.new_persons))]
    print(f"| pages | n | {what} per page, first / second ask | first ask, median / p90 ms | second ask, median / p90 ms | yardstick s "
          "| first / second ask median ÷ yardstick, ‰ |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        y = r["yardstick_s"]
        print(f"| {r['kind']} | {r['pages']} | {r['first asked']} / {r['second asked']} | {r['first ms median']} / {r['first ms p90']} "
              f"| {r['second ms median']} / {r['second ms p90']} | {y:.2f} "
              f"| {r['first ms median'] / y:.3f} / {r['second ms median'] / y:.3f} |")


if __name__ == "__main__":
    main()
