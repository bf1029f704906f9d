"""Benchmark: the publishing server under concurrent load (wrk on loopback), beside rdflib-endpoint.

Serves the edition with `lod serve` (gunicorn, [server].workers sync workers) on the embedded
store twice — with the per-worker response cache and without it (every request described and
rendered) — then the same release from Virtuoso (the remote backend, cache off), and the same
data (the release's Turtle dump) with rdflib-endpoint. Each scenario runs wrk for --seconds with
16 connections over a rotating list of URLs. Prints a Markdown table for docs/performance.md and
writes bench/out/serving.json.

    make bench-serve          # or: .venv/bin/python bench/serving.py --seconds 15
Needs wrk (Debian package `wrk`) and .venv-bench (rdflib-endpoint), both set up by `make bench-serve`.
"""

from __future__ import annotations

import argparse
import gzip
import json
import platform
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import requests

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "bench" / "out" / "serving"
sys.path.insert(0, str(REPO / "tests"))
from conftest import BASE, free_port, write_config  # noqa: E402  (shared with the tests)
from virtuoso import Virtuoso  # noqa: E402

from lod.web.sparql import examples  # noqa: E402

# The SPARQL mix: example queries a historian runs (light and medium ones), as each client sends them.
MIX = ["02-stalin-on-a-person", "05-where-written", "06-most-named", "08-politburo-members",
       "10-archival-hierarchy", "11-correspondents-by-year"]


def start(cmd: list[str], url: str, log: Path) -> subprocess.Popen:
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            requests.get(url, timeout=2)
            return proc
        except requests.ConnectionError:
            time.sleep(0.3)
    proc.kill()
    sys.exit(f"{cmd[0]} did not start; see {log}")


def wrk(url: str, paths: list[str], accept: str, seconds: int) -> dict:
    listing = OUT / "paths.txt"
    listing.write_text("\n".join(paths) + "\n")
    script = REPO / "bench" / "wrk-report.lua"
    done = subprocess.run(["wrk", "-t2", "-c16", f"-d{seconds}s", "--latency", "-s", str(script), url],
                          capture_output=True, text=True,
                          env={"PATHS": str(listing), "ACCEPT": accept, "PATH": "/usr/bin:/bin"})
    line = next(x for x in done.stdout.splitlines() if x.startswith("JSON "))
    return json.loads(line[5:])


def sparql_paths(prefix: str, with_base: bool) -> list[str]:
    queries = {e["id"]: e["query"] for e in examples(BASE)}
    return [f"{prefix}?query={quote((f'BASE <{BASE}>' + chr(10) if with_base else '') + queries[q])}"
            for q in MIX]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=int, default=15)
    args = ap.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    config = write_config(OUT, REPO / "data")
    if not (OUT / "var" / "current").exists():
        subprocess.run([str(REPO / ".venv" / "bin" / "lod"), "--config", str(config), "build"], check=True,
                       capture_output=True)
    release = (OUT / "var" / "current").resolve()
    docs = [f"/page/id/document/{n}" for n in range(1, 87)]
    persons = [f"/page/id/person/{p}" for p in ("stalin", "molotov", "bukharin", "rykov", "kalinin")]
    results = []

    def measure(label: str, settings_text: str, sparql: bool) -> None:
        settings = OUT / f"serve-{len(results)}.toml"
        settings.write_text(settings_text)
        port = free_port()
        proc = start([str(REPO / ".venv" / "bin" / "lod"), "--config", str(settings), "serve", "--port", str(port)],
                     f"http://127.0.0.1:{port}/", OUT / f"serve-{len(results)}.log")
        url = f"http://127.0.0.1:{port}"
        try:
            for scenario, paths, accept in (
                    ("document pages, HTML", docs, "text/html"),
                    ("person pages, HTML (large backlink lists)", persons, "text/html"),
                    ("documents as Turtle", [p.replace("/page/", "/data/") + ".ttl" for p in docs], "text/turtle"),
                    ("SPARQL mix (6 example queries), JSON", sparql_paths("/sparql", False),
                     "application/sparql-results+json")):
                if not sparql and scenario.startswith("SPARQL"):
                    continue   # SPARQL answers are never cached; measured once per store
                results.append({"server": label, "scenario": scenario, **wrk(url, paths, accept, args.seconds)})
                print(results[-1], flush=True)
        finally:
            proc.terminate()
            proc.wait()

    for label, cache in (("lod serve, response cache on", 5000), ("lod serve, cache off", 0)):
        measure(label, config.read_text() + f"[server]\nworkers = 2\ncache_entries = {cache}\n", cache > 0)

    # The same release served from Virtuoso (the remote backend), response cache off: the store's cost.
    with Virtuoso(OUT / "virtuoso", memory_gb=2) as engine:
        remote = OUT / "remote.toml"
        remote.write_text(config.read_text() + engine.store_settings())
        subprocess.run([str(REPO / ".venv" / "bin" / "lod"), "--config", str(remote), "upload"], check=True,
                       capture_output=True)
        measure("lod serve on Virtuoso 7.2 (remote store), cache off",
                remote.read_text() + "[server]\nworkers = 2\ncache_entries = 0\n", True)

    turtle = OUT / "edition.ttl"
    turtle.write_bytes(gzip.decompress((release / "dumps" / "stalin-molotov.ttl.gz").read_bytes()))
    port = free_port()
    proc = start([str(REPO / ".venv-bench" / "bin" / "rdflib-endpoint"), "serve", "--host", "127.0.0.1",
                  "--port", str(port), str(turtle)], f"http://127.0.0.1:{port}/", OUT / "rdflib-endpoint.log")
    try:
        results.append({"server": "rdflib-endpoint (same data, Turtle dump)",
                        "scenario": "SPARQL mix (6 example queries), JSON",
                        **wrk(f"http://127.0.0.1:{port}", sparql_paths("/", True),
                              "application/sparql-results+json", args.seconds)})
        print(results[-1], flush=True)
    finally:
        proc.terminate()
        proc.wait()

    (OUT / "serving.json").write_text(json.dumps({"machine": platform.platform(), "seconds": args.seconds,
                                                  "results": results}, indent=2))
    print("\n| server | scenario | requests/s | p50 ms | p99 ms | errors |\n|---|---|---|---|---|---|")
    for r in results:
        print(f"| {r['server']} | {r['scenario']} | {r['rps']:,.0f} | {r['p50_ms']:.1f} | {r['p99_ms']:.1f} "
              f"| {r['errors']} |")


if __name__ == "__main__":
    main()
