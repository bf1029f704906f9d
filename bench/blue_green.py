"""Benchmark: the next release built into a second engine while the first keeps serving (blue/green).

Two Virtuoso servers: blue holds the served release of a built corpus (uploaded by an earlier
`bench/serving.py --servers virtuoso` run into bench/out/serving/virtuoso), green starts empty.
`lod serve` serves from blue (cache off); `lod build` over the same tables maps, validates, loads
and uploads the next release into green while wrk asks document pages in windows of --seconds;
the build then moves `current` and each worker switches to green at its next request. With
--restart, the build's [store].after_load asks this script to restart green before `current`
moves (a freshly loaded Virtuoso plans multi-term queries badly until it restarts). Prints
each window's rate, p99, errors and the release that answered, the build's phases, how long
after the build ended the first page came from the new release, and checks that blue was never
written. The yardstick (bench/yardstick.py) is measured before the engines start and after they
stop, and rates, p99s and the build's seconds are also given against it. Writes
bench/out/serving/blue-green-<corpus>.json.

    .venv/bin/python bench/serving.py --build bench/out/builds/100000 --servers virtuoso   # fills blue
    .venv/bin/python bench/blue_green.py --build bench/out/builds/100000 [--restart] [--loader]
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import requests

from serving import OUT, REPO, each_once, free_port, start, synthetic, wrk
from conftest import alternate_settings
from virtuoso import Virtuoso
from lod.config import StoreSettings, load
from lod.store import RemoteStore, holds_release
from yardstick import around

FOOTER = re.compile(r"Release (\d{8}T\d{6}Z)")
# [store].after_load with --restart: ask this script to restart the engine just loaded, and wait.
REQUEST = OUT / "restart-request"
LOAD_DIR = OUT / "blue-green-load"   # --loader: [store].loader_dir, readable by both engines
ASK = ("import os, pathlib, sys, time; p = pathlib.Path(sys.argv[1]); "
       "p.write_text(os.environ['LOD_ENGINE_QUERY']); [time.sleep(0.2) for _ in iter(p.exists, False)]")


def served_release(url: str, path: str) -> str:
    """The release named in a page's footer."""
    found = FOOTER.search(requests.get(url + path, timeout=120).text)
    return found.group(1) if found else "?"


def holds(engine: StoreSettings, base: str, release: str) -> bool:
    return holds_release(RemoteStore(engine, [], query_timeout=60), base, release)


def switch_seen(url: str, path: str, old: str, seconds: float = 60) -> float | None:
    """Seconds until a page names a release other than `old` (None: not within `seconds`)."""
    begun = time.monotonic()
    while time.monotonic() - begun < seconds:
        if served_release(url, path) != old:
            return round(time.monotonic() - begun, 2)
        time.sleep(0.1)
    return None


def loader_settings(blue: Virtuoso, green: Virtuoso) -> str:
    """[store] lines that load each engine with its bulk loader, through its own SQL port, from
    LOAD_DIR (in both engines' DirsAllowed)."""
    return (f"loader = {json.dumps(blue.loader)}\nalternate_loader = {json.dumps(green.loader)}\n"
            f'loader_dir = "{LOAD_DIR}"\n')


def restarter(engines: list[Virtuoso], stop: threading.Event) -> threading.Thread:
    """Restarts the engine named in REQUEST (the after_load command's), then removes it."""
    def run() -> None:
        while not stop.wait(0.2):
            if REQUEST.exists():
                engine = next(e for e in engines if e.sparql == REQUEST.read_text())
                begun = time.monotonic()
                engine.__exit__()
                engine.__enter__()
                print(f"restarted {engine.sparql} in {time.monotonic() - begun:.1f} s", flush=True)
                REQUEST.unlink()
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", type=Path, required=True, help="a folder of bench/build_phases.py (lod.toml, var/)")
    ap.add_argument("--seconds", type=int, default=10, help="length of each wrk window")
    ap.add_argument("--virtuoso-gb", type=float, default=4.0, help="memory given to each Virtuoso's buffers")
    ap.add_argument("--restart", action="store_true", help="restart green after the load, before the switch")
    ap.add_argument("--loader", action="store_true",
                    help="load with Virtuoso's bulk loader ([store] loader, deploy/virtuoso-bulk-load)")
    args = ap.parse_args()
    build = args.build.resolve()
    before = (build / "var" / "current").resolve()
    documents = synthetic(json.loads((before / "build.json").read_text())["coverage"]).documents
    shutil.rmtree(OUT / "virtuoso-green", ignore_errors=True)
    windows: list[dict] = []
    with (around(windows),   # the yardstick, measured before the engines start and after they stop
          Virtuoso(OUT / "virtuoso", args.virtuoso_gb, readable=[LOAD_DIR]) as blue,
          Virtuoso(OUT / "virtuoso-green", args.virtuoso_gb, readable=[LOAD_DIR]) as green):
        settings = OUT / "blue-green.toml"
        settings.write_text(build.joinpath("lod.toml").read_text() + blue.store_settings()
                            + alternate_settings(green.sparql, green.sparql, green.graph_store) + "timeout = 3600\n"
                            + (loader_settings(blue, green) if args.loader else "")
                            + (f'after_load = {json.dumps([sys.executable, "-c", ASK, str(REQUEST)])}\n'
                               if args.restart else "")
                            + "[server]\nworkers = 2\ncache_mib = 0\n")
        config = load(settings)
        base, (blue_engine, green_engine) = config.dataset.base_iri, config.store.engines()
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        server = start([str(REPO / ".venv" / "bin" / "lod"), "--config", str(settings), "serve", "--port", str(port)],
                       url + "/", OUT / "blue-green-serve.log")
        stop = threading.Event()
        restarter([blue, green], stop)
        try:
            warm = each_once(url, documents, "text/html")
            print("each page once from blue:", warm, flush=True)
            begun = time.monotonic()
            lod = subprocess.Popen([str(REPO / ".venv" / "bin" / "lod"), "--config", str(settings), "build"],
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            ended = switched = None
            while ended is None or len([w for w in windows if w["start_s"] >= ended]) < 2:
                window = {"start_s": round(time.monotonic() - begun, 1),
                          **wrk(url, documents, "text/html", args.seconds),
                          "release": served_release(url, documents[0])}
                windows.append(window)
                print(window, flush=True)
                if ended is None and lod.poll() is not None:
                    ended = round(time.monotonic() - begun, 1)
                    switched = switch_seen(url, documents[0], before.name) if lod.returncode == 0 else None
            log = lod.stdout.read()
            after = (build / "var" / "current").resolve()
            checks = {"build exit": lod.returncode, "build seconds": ended,
                      "seconds from build end to a page of the new release": switched,
                      "blue holds the old release": holds(blue_engine, base, before.name),
                      "blue holds the new release": holds(blue_engine, base, after.name),
                      "green holds the new release": holds(green_engine, base, after.name)}
        finally:
            stop.set()
            server.terminate()
            server.wait()
    checks["build seconds ÷ yardstick"] = round(ended / windows[0]["yardstick_s"], 1)
    print(log[-3000:])
    (OUT / f"blue-green-{build.name}{'-restart' if args.restart else ''}{'-loader' if args.loader else ''}.json").write_text(json.dumps({"windows": windows, "checks": checks,
                                                                   "each_once": warm}, indent=2))
    print(f"\nyardstick {windows[0]['yardstick_s']:.2f} s\n\n| window from s | release | requests/s | requests per yardstick "
          "| p50 ms | p99 ms | p99 ÷ yardstick, ‰ | errors |\n|---|---|---|---|---|---|---|---|")
    for w in windows:
        y = w["yardstick_s"]
        print(f"| {w['start_s']} | {w['release']} | {w['rps']:,.0f} | {w['rps'] * y:,.0f} | {w['p50_ms']:.1f} "
              f"| {w['p99_ms']:.1f} | {w['p99_ms'] / y:.1f} | {w['errors']} |")
    print("\n" + "\n".join(f"- {k}: {v}" for k, v in checks.items()))


if __name__ == "__main__":
    main()
