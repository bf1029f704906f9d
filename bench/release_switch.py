"""Benchmark: what a running server's clients wait for when a new release is published.

Serves a built corpus with `lod serve` (2 workers), publishes a second release beside the served
one (a folder linking to the same store and index, so nothing is rebuilt) and switches `current`
to it, as a build does. Then it times, two requests at a time: document pages right after the
switch (the workers switch, and prepare the new release, at their next request) and, after a
pause, reconciliation queries (the first one per worker waited for the matcher to be made until
workers prepared each release on a thread of their own). The yardstick (bench/yardstick.py) is
measured before and after, and each list's slowest request given against it.

    .venv/bin/python bench/release_switch.py --build bench/out/builds/1000000
"""

from __future__ import annotations

import argparse
import random
import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

from serving import OUT, REPO, free_port, reconciliations, start
from lod.release import Releases
from yardstick import Yardstick

ALIAS = "29991231T000000Z"


def alias(var: Path) -> Path:
    """A release folder whose files are the current release's (symlinks, except build.json)."""
    served = (var / "current").resolve()
    folder = var / "releases" / ALIAS
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    for item in served.iterdir():
        if item.name == "build.json":
            shutil.copy(item, folder / item.name)
        else:
            (folder / item.name).symlink_to(item)
    return served


def timed(urls: list[str]) -> list[float]:
    """Milliseconds per request, two at a time (so that both workers answer)."""
    def one(url: str) -> float:
        begun = time.perf_counter()
        requests.get(url, timeout=120).raise_for_status()
        return round((time.perf_counter() - begun) * 1000, 1)
    with ThreadPoolExecutor(2) as pool:
        return list(pool.map(one, urls))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", type=Path, required=True, help="a folder of bench/build_phases.py (lod.toml, var/)")
    ap.add_argument("--pause", type=float, default=5.0, help="seconds between the switch and the queries")
    args = ap.parse_args()
    var = (args.build / "var").resolve()
    served = alias(var)
    settings = OUT / "release-switch.toml"
    settings.write_text((args.build / "lod.toml").read_text() + "[server]\nworkers = 2\ncache_mib = 0\n")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = start([str(REPO / ".venv" / "bin" / "lod"), "--config", str(settings), "serve", "--port", str(port)],
                 f"{url}/", OUT / "release-switch.log")
    queries = reconciliations(served)
    rng = random.Random(7)
    waits: dict[str, list[float]] = {}
    try:
        with Yardstick() as yard:
            pages = [f"{url}/page/id/document/{rng.randint(1, 1000)}" for _ in range(20)]
            waits["pages before the switch"] = timed(pages[:10])
            waits["reconciliation before the switch"] = timed([url + q for q in queries[:4]])
            Releases(var).publish(ALIAS, var / "releases" / ALIAS)
            waits["pages right after the switch"] = timed(pages[10:])
            time.sleep(args.pause)
            waits[f"reconciliation {args.pause} s after the switch"] = timed([url + q for q in queries[4:8]])
        for name, ms in waits.items():
            print(f"{name}, ms: {ms}; the slowest ÷ yardstick ({yard.seconds:.2f} s): {max(ms) / yard.seconds:.1f} ‰")
    finally:
        proc.terminate()
        proc.wait()
        tmp = var / ".current-back"
        tmp.symlink_to(served.relative_to(var))
        tmp.replace(var / "current")
        shutil.rmtree(var / "releases" / ALIAS)


if __name__ == "__main__":
    main()
