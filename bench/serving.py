"""Benchmark: the publishing server under concurrent load (wrk on loopback), beside rdflib-endpoint.

Serves a release with `lod serve` (gunicorn, [server].workers sync workers) on the embedded store
twice — with the per-worker response cache and without it (every request described and
rendered) — then the same release from Virtuoso (the remote backend, cache off), and the same
data (the release's Turtle dump) with rdflib-endpoint. Each scenario runs wrk for --seconds with
16 connections over a rotating list of URLs. First, wrk asks document and person pages none of
them more than once (first visits, what a crawler meets: on the embedded store, blocks read for the
first time; on a remote store, nothing remembered by the workers). With --cold the store and
the index are first dropped from the page cache, as after a reboot: `lod serve` reads them back
in before it listens unless --no-warm. The yardstick (bench/yardstick.py) is measured just before
and after each scenario's wrk run (and around each server, for its start and the aggregates
timed alone), and every rate and latency is also given against it. Prints a Markdown
table for docs/performance.md and writes bench/out/serving/<corpus>-<servers>[-cold][-unwarmed].json.

    make bench-serve          # the edition: .venv/bin/python bench/serving.py --seconds 15
    .venv/bin/python bench/serving.py --build bench/out/builds/1000000 --servers embedded
                              # a synthetic corpus built by bench/build_phases.py

Browse and search pages and reconciliation queries are drawn from the release's index
(`browsing`, `reconciliations`) on every corpus.
For a synthetic corpus the URLs are 500 documents and 500 persons drawn at random (seeded), and
the SPARQL mix is the example queries that look something up (02, 08, 10) with their IRIs
replaced by drawn ones; the whole-corpus aggregates (05, 06, 11) are timed one by one instead.
With --whole-mix, only the whole example mix is measured instead (look-ups and aggregates, each
once per round, in a closed loop of 16 clients; `whole_mix`), on the embedded store without the
response cache and on rdflib-endpoint as one process, then as two.
rdflib-endpoint holds the whole graph in memory: one that passes --rdflib-cap-gib before it answers
is stopped, and the run records how far it got instead of its rates.
Needs wrk (Debian package `wrk`) and .venv-bench (rdflib-endpoint), both set up by `make bench-serve`.
"""

from __future__ import annotations

import argparse
import gzip
import json
import platform
import random
import subprocess
import sys
import time
import sqlite3
import statistics
from concurrent.futures import ThreadPoolExecutor
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlencode

import requests

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "bench" / "out" / "serving"
sys.path.insert(0, str(REPO / "tests"))
from conftest import BASE, evict, free_port, write_config  # noqa: E402  (shared with the tests)
from virtuoso import Virtuoso  # noqa: E402
from sampler import rss_mib  # noqa: E402
from yardstick import VERSIONS, around  # noqa: E402

from lod import index  # noqa: E402
from lod.config import Server  # noqa: E402
from lod.store.embedded import files_of  # noqa: E402
from lod.web.pages import PAGED  # noqa: E402
from lod.web.sparql import examples  # noqa: E402

# The SPARQL mix: example queries a historian runs (light and medium ones), as each client sends them.
MIX = ["02-stalin-on-a-person", "05-where-written", "06-most-named", "08-politburo-members",
       "10-archival-hierarchy", "11-correspondents-by-year"]
# On a synthetic corpus: the look-ups, each edition IRI replaced by a drawn one of its kind
# (edition IRI, synthetic template, the coverage count it is drawn from, first number).
LOOKUPS = {"02-stalin-on-a-person": [("<id/person/stalin>", "<id/person/person-{}>", "persons", 0),
                                     ("<id/person/bukharin>", "<id/person/person-{}>", "persons", 0)],
           "08-politburo-members": [("<id/organisation/politburo>", "<id/organisation/body-{}>", "organisations", 0)],
           "10-archival-hierarchy": [("<id/document/1>", "<id/document/{}>", "documents", 1)]}
AGGREGATES = ["05-where-written", "06-most-named", "11-correspondents-by-year"]
DRAWN = 500
NEW_PAGES = 40_000   # distinct pages drawn for first visits: more than wrk asks in a run
WRK_THREADS = 2
MIX_ROUNDS = 16      # whole mix: one round per client (rdflib-endpoint takes about 45 s a round at 100k letters)


@dataclass
class Scenarios:
    """What a corpus is asked: page paths, and SPARQL queries (text) for the mix."""
    documents: list[str]
    persons: list[str]
    queries: list[str]
    timed: list[str]      # example ids timed one at a time (whole-corpus aggregates)
    lists: list[str] = field(default_factory=list)      # browse pages (see `browsing`)
    searches: list[str] = field(default_factory=list)
    reconciliations: list[str] = field(default_factory=list)
    new_documents: list[str] = field(default_factory=list)   # first visits: distinct, not drawn above
    new_persons: list[str] = field(default_factory=list)
    rounds: list[list[tuple[str, str]]] = field(default_factory=list)   # whole mix: (example id, query) rounds


def reconciliations(release: Path, seed: int = 7) -> list[str]:
    """Reconciliation API queries (one per request, as OpenRefine sends small batches) for the
    names of random persons and bodies of the release's index."""
    rng = random.Random(seed)
    with closing(sqlite3.connect(release / index.FILE_NAME)) as db:
        count = db.execute("SELECT count(*) FROM reconcile_entities").fetchone()[0]
        names = [json.loads(db.execute("SELECT entity FROM reconcile_entities WHERE number = ?",
                                       (rng.randrange(count),)).fetchone()[0])["name"] for _ in range(DRAWN // 5)]
    return [f"/reconcile?{urlencode({'queries': json.dumps({'q0': {'query': n}})})}" for n in names]


def browsing(release: Path, seed: int = 7) -> tuple[list[str], list[str]]:
    """Browse and search pages drawn from the release's index: the home page and random pages of
    every list's sections; searches for a word of a random name form, and for its first 4 letters."""
    rng, size = random.Random(seed), Server().page_size
    params = {name: param for name, (_, param) in PAGED.items()}
    with closing(sqlite3.connect(release / index.FILE_NAME)) as db:
        sections = db.execute("SELECT list, section, count FROM sections").fetchall()
        names = db.execute("SELECT max(rowid) FROM names").fetchone()[0]
        words = [db.execute("SELECT name FROM names WHERE rowid = ?", (rng.randint(1, names),)).fetchone()[0]
                 .split()[0] for _ in range(DRAWN // 5)]
    paths = ["/"]
    for _ in range(DRAWN):
        kind, section, count = rng.choice(sections)
        query = urlencode({params[kind]: section, "page": rng.randint(1, -(-count // size))})
        paths.append(f"/browse/{kind}?{query}")
    return paths, [f"/search?{urlencode({'q': q})}" for w in words for q in (w, w[:4])]


def edition() -> Scenarios:
    queries = {e["id"]: e["query"] for e in examples(BASE)}
    return Scenarios([f"/page/id/document/{n}" for n in range(1, 87)],
                     [f"/page/id/person/{p}" for p in ("stalin", "molotov", "bukharin", "rykov", "kalinin")],
                     [queries[q] for q in MIX], [], rounds=[[(q, queries[q]) for q in MIX]] * MIX_ROUNDS)


def synthetic(coverage: dict[str, int], seed: int = 7) -> Scenarios:
    rng = random.Random(seed)
    queries = {e["id"]: e["query"] for e in examples(BASE)}
    lookups = []
    for _ in range(DRAWN // 10):
        for name, replacements in LOOKUPS.items():
            query = queries[name]
            for iri, drawn, kind, first in replacements:
                query = query.replace(iri, drawn.format(rng.randrange(first, coverage[kind] + first)))
            lookups.append(query)
    documents = [f"/page/id/document/{rng.randint(1, coverage['documents'])}" for _ in range(DRAWN)]
    persons = [f"/page/id/person/person-{rng.randrange(coverage['persons'])}" for _ in range(DRAWN)]
    # The whole mix: each round the three look-ups of one draw and the three aggregates, each once.
    rounds = [list(zip(LOOKUPS, lookups[i:i + len(LOOKUPS)])) + [(a, queries[a]) for a in AGGREGATES]
              for i in range(0, len(LOOKUPS) * MIX_ROUNDS, len(LOOKUPS))]
    return Scenarios(documents, persons, lookups, AGGREGATES, rounds=rounds,
                     new_documents=unseen(rng, "/page/id/document/{}", range(1, coverage["documents"] + 1), documents),
                     new_persons=unseen(rng, "/page/id/person/person-{}", range(coverage["persons"]), persons))


def unseen(rng: random.Random, template: str, numbers: range, drawn: list[str]) -> list[str]:
    """Up to NEW_PAGES paths in random order, none of them among `drawn`."""
    taken = set(drawn)
    paths = (template.format(n) for n in rng.sample(numbers, min(len(numbers), NEW_PAGES + len(drawn))))
    return [p for p in paths if p not in taken][:NEW_PAGES]


def launch(cmd: list[str], log: Path) -> subprocess.Popen:
    with log.open("wb") as out:
        return subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT)


def start(cmd: list[str], url: str, log: Path, seconds: float = 120) -> subprocess.Popen:
    proc = launch(cmd, log)
    ready(url, proc, seconds)
    return proc


class NotLoaded(Exception):
    """A server passed the memory it was allowed before it answered."""


def ready(url: str, proc: subprocess.Popen, seconds: float, cap_mib: float | None = None) -> None:
    """Wait until `url` answers; stop `proc` and the benchmark if it has not within `seconds`, and
    stop `proc` with NotLoaded if it holds more than `cap_mib` before it answers."""
    begun = time.monotonic()
    while time.monotonic() < begun + seconds:
        try:
            requests.get(url, timeout=10)
            return
        except (requests.ConnectionError, requests.Timeout):
            if cap_mib and (held := rss_mib(proc.pid)) > cap_mib:
                proc.kill()
                raise NotLoaded(f"stopped at {held / 1024:.1f} GiB resident after "
                                f"{time.monotonic() - begun:.0f} s, not yet answering") from None
            time.sleep(0.3)
    proc.kill()
    sys.exit(f"{proc.args[0]} did not start within {seconds:g} s")


def wrk(url: str, paths: list[str], accept: str, seconds: int, *, once: bool = False) -> dict:
    """16 connections for `seconds` over `paths`, repeated; with `once`, none asked twice (the
    list must be longer than the run can ask: the result's `exhausted` says when it was not)."""
    listing = OUT / "paths.txt"
    listing.write_text("\n".join(paths) + "\n")
    script = REPO / "bench" / "wrk-report.lua"
    done = subprocess.run(["wrk", f"-t{WRK_THREADS}", "-c16", f"-d{seconds}s", "--latency", "-s", str(script), url],
                          capture_output=True, text=True,
                          env={"PATHS": str(listing), "ACCEPT": accept, "PATH": "/usr/bin:/bin",
                               "ONCE": "1" if once else "0", "THREADS": str(WRK_THREADS)})
    line = next(x for x in done.stdout.splitlines() if x.startswith("JSON "))
    result = json.loads(line[5:])
    if result.pop("exhausted"):
        sys.exit(f"wrk asked all {len(paths)} pages before {seconds} s: its rate would be understated")
    return result


def each_once(url: str, paths: list[str], accept: str) -> dict:
    """Each path asked once by 16 Python clients at a time, before wrk repeats them: on a remote
    store a page's worker has not described it before, and wrk's rounds then find its answers
    remembered (a warm-up; first visits are measured by `wrk(..., once=True)`)."""
    def one(path: str) -> tuple[float, int]:
        begun = time.perf_counter()
        status = requests.get(url + path, headers={"Accept": accept}, timeout=120).status_code
        return time.perf_counter() - begun, status

    begun = time.perf_counter()
    with ThreadPoolExecutor(16) as pool:
        done = list(pool.map(one, dict.fromkeys(paths)))
    seconds, latencies = time.perf_counter() - begun, sorted(t * 1000 for t, _ in done)
    return {"requests": len(done), "seconds": round(seconds, 2), "rps": len(done) / seconds,
            "p50_ms": latencies[len(done) // 2], "p99_ms": latencies[int(len(done) * 0.99)],
            "errors": sum(status != 200 for _, status in done)}


def sparql_paths(prefix: str, queries: list[str], with_base: bool) -> list[str]:
    return [f"{prefix}?query={quote((f'BASE <{BASE}>' + chr(10) if with_base else '') + q)}" for q in queries]


def timed(url: str, ids: list[str], with_base: bool) -> list[dict]:
    """Each query once, alone (whole-corpus aggregates): seconds and status (the publisher's
    timeout answers 504)."""
    queries = {e["id"]: e["query"] for e in examples(BASE)}
    rows = []
    for name in ids:
        begun = time.perf_counter()
        try:
            status = requests.get(sparql_paths(url, [queries[name]], with_base)[0], timeout=120,
                                  headers={"Accept": "application/sparql-results+json"}).status_code
        except requests.Timeout:
            status = "no answer in 120 s"
        rows.append({"query": name, "seconds": round(time.perf_counter() - begun, 2), "status": status})
        print(rows[-1], flush=True)
    return rows


def whole_mix(urls: list[str], rounds: list[list[tuple[str, str]]], with_base: bool, clients: int = 16) -> dict:
    """The whole example mix, look-ups and aggregates alike, in a closed loop: `clients` clients
    each take the next round and send its queries one after another (client i to urls[i % n];
    each round starts at another of its queries, so the aggregates do not all arrive at once),
    until every round is answered. Queries answered per second of the whole run, and each kind's
    median and slowest seconds."""
    pending = list(enumerate(rounds))
    done: list[tuple[str, float, int | str]] = []

    def client(number: int) -> None:
        session, url = requests.Session(), urls[number % len(urls)]
        while True:
            try:
                n, round_ = pending.pop()   # atomic: no two clients take the same round
            except IndexError:
                return
            for name, query in round_[n % len(round_):] + round_[:n % len(round_)]:
                path = sparql_paths(url, [query], with_base)[0]
                begun = time.perf_counter()
                try:
                    status = session.get(path, headers={"Accept": "application/sparql-results+json"},
                                         timeout=7200).status_code
                except requests.RequestException as err:
                    status = type(err).__name__
                done.append((name, time.perf_counter() - begun, status))

    begun = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(client, range(clients)))
    seconds = time.perf_counter() - begun
    kinds = {}
    for name in sorted({n for n, _, _ in done}):
        times = sorted(t for n, t, _ in done if n == name)
        kinds[name] = {"median_s": round(statistics.median(times), 3), "max_s": round(times[-1], 3),
                       "errors": [status for n, _, status in done if n == name and status != 200]}
    return {"rounds": len(rounds), "queries": len(done), "seconds": round(seconds, 1),
            "qps": round(len(done) / seconds, 3), "errors": sum(status != 200 for *_, status in done),
            "kinds": kinds}


def upload(settings: Path) -> None:
    begun = time.perf_counter()
    done = subprocess.run([str(REPO / ".venv" / "bin" / "lod"), "--config", str(settings), "upload"],
                          capture_output=True, text=True)
    print(f"upload to Virtuoso: {time.perf_counter() - begun:.1f} s\n{done.stderr[-2000:]}", flush=True)
    if done.returncode:
        sys.exit("the upload failed")


def rdflib_endpoint(turtle: Path, processes: int, scenarios: Scenarios, *, whole: bool, seconds: int,
                    cap_mib: float, results: list[dict], mixes: list[dict]) -> list[dict]:
    """rdflib-endpoint serving the Turtle dump, as `processes` processes (each holding the whole
    graph, and each stopped if it passes `cap_mib` while loading) started side by side: the
    look-up mix by wrk and the aggregates alone (one process), or the whole mix (`--whole-mix`).
    Returns the aggregates' timings."""
    ports = [free_port() for _ in range(processes)]
    begun = time.perf_counter()
    procs = [launch([str(REPO / ".venv-bench" / "bin" / "rdflib-endpoint"), "serve", "--host", "127.0.0.1",
                     "--port", str(port), str(turtle)], OUT / f"rdflib-endpoint-{n}.log")
             for n, port in enumerate(ports)]
    urls = [f"http://127.0.0.1:{port}" for port in ports]
    label = "rdflib-endpoint (same data, Turtle dump)" + ("" if processes == 1 else f", {processes} processes")
    try:
        for url, proc in zip(urls, procs):
            ready(url + "/", proc, seconds=3600, cap_mib=cap_mib)
        print(f"{processes} rdflib-endpoint loaded the Turtle dump in {time.perf_counter() - begun:.1f} s", flush=True)
        if whole:
            mixes.append({"server": label, **whole_mix([f"{url}/" for url in urls], scenarios.rounds, True)})
            print(mixes[-1], flush=True)
            return []
        with around(results):
            results.append({"server": label, "scenario": f"SPARQL mix ({len(scenarios.queries)} queries), JSON",
                            **wrk(urls[0], sparql_paths("/", scenarios.queries, True),
                                  "application/sparql-results+json", seconds)})
        print(results[-1], flush=True)
        return [{"server": "rdflib-endpoint", **row} for row in timed(f"{urls[0]}/", scenarios.timed, True)]
    except NotLoaded as err:
        results.append({"server": label, "scenario": "loading the Turtle dump", "not_loaded": str(err)})
        print(results[-1], flush=True)
        return []
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait()



@contextmanager
def virtuoso_settings(settings: Path, memory_gb: float, name: str, extra: str = "", *,
                      loaded: bool = False) -> Iterator[Path]:
    """This benchmark's Virtuoso (OUT/virtuoso) started, and `settings` with a [store] naming it,
    written as OUT/<name>.toml: for serving here, and for the benchmarks that read the release it
    holds (bench/lookups.py, bench/pages.py), which say it must be `loaded` already."""
    folder = OUT / "virtuoso"
    if loaded and not (folder / "virtuoso.db").exists():
        raise SystemExit(f"{folder} holds no engine: run bench/serving.py --servers virtuoso first")
    with Virtuoso(folder, memory_gb=memory_gb) as engine:
        remote = OUT / f"{name}.toml"
        remote.write_text(settings.read_text() + engine.store_settings() + extra)
        yield remote


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=int, default=15)
    ap.add_argument("--build", type=Path, help="a folder of bench/build_phases.py (lod.toml, var/) to serve")
    ap.add_argument("--servers", default="embedded,virtuoso,rdflib",
                    help="which of embedded, virtuoso, rdflib to measure (comma-separated)")
    ap.add_argument("--store-timeout", type=float, default=120.0,
                    help="[store] timeout: seconds per upload or update request (the swap is one)")
    ap.add_argument("--virtuoso-gb", type=float, default=4.0, help="memory given to Virtuoso's buffers")
    ap.add_argument("--cold", action="store_true",
                    help="drop the release's index and embedded store from the OS page cache before each server "
                         "starts (first visits as after a reboot; `lod serve` reads them back in before listening)")
    ap.add_argument("--no-warm", action="store_true",
                    help="[server] warm_release = false: the server listens at once, its files left where they are")
    ap.add_argument("--virtuoso-loaded", action="store_true",
                    help="Virtuoso (bench/out/serving/virtuoso) holds the release from an earlier run: no upload")
    ap.add_argument("--whole-mix", action="store_true",
                    help="only the whole example mix (look-ups and aggregates) in a closed loop of 16 clients, "
                         "response cache off; rdflib-endpoint as one process, then as two (one per core)")
    ap.add_argument("--rdflib-cap-gib", type=float, default=16.0,
                    help="stop an rdflib-endpoint process that holds more than this before it answers")
    args = ap.parse_args()
    servers = set(args.servers.split(","))
    OUT.mkdir(parents=True, exist_ok=True)
    if args.build:
        config, corpus = args.build.resolve() / "lod.toml", args.build.name
        release = (args.build / "var" / "current").resolve()
        scenarios = synthetic(json.loads((release / "build.json").read_text())["coverage"])
    else:
        config, corpus = write_config(OUT, REPO / "data"), "edition"
        if not (OUT / "var" / "current").exists():
            subprocess.run([str(REPO / ".venv" / "bin" / "lod"), "--config", str(config), "build"], check=True,
                           capture_output=True)
        release, scenarios = (OUT / "var" / "current").resolve(), edition()
    scenarios.lists, scenarios.searches = browsing(release)
    scenarios.reconciliations = reconciliations(release)
    results, singles, mixes, startups = [], [], [], []
    tables = (results, singles, mixes, startups)   # rows without a scenario's own yardstick get their server's

    def measure(label: str, settings_text: str, timed_alone: bool) -> None:
        settings = OUT / f"serve-{len(results)}.toml"
        settings.write_text(settings_text)
        if args.cold:
            evict([release / index.FILE_NAME, *files_of(release / "store")])
        port, begun = free_port(), time.monotonic()
        proc = start([str(REPO / ".venv" / "bin" / "lod"), "--config", str(settings), "serve", "--port", str(port)],
                     f"http://127.0.0.1:{port}/", OUT / f"serve-{len(results)}.log")
        startups.append({"server": label, "seconds_to_first_answer": round(time.monotonic() - begun, 1)})
        print(startups[-1], flush=True)
        url = f"http://127.0.0.1:{port}"
        try:
            if args.whole_mix:
                mixes.append({"server": label, **whole_mix([f"{url}/sparql"], scenarios.rounds, False)})
                print(mixes[-1], flush=True)
                return
            for scenario, paths, drawn in (("document pages, HTML", scenarios.new_documents, scenarios.documents),
                                           ("person pages, HTML (backlink lists)", scenarios.new_persons,
                                            scenarios.persons)):
                if paths:
                    with around(results):
                        results.append({"server": label, "scenario": f"{scenario}, first visits (pages not asked before)",
                                        **wrk(url, paths, "text/html", args.seconds, once=True)})
                    print(results[-1], flush=True)
                each_once(url, drawn, "text/html")   # so that wrk's repeats below find remote answers remembered
            for scenario, paths, accept in (
                    ("document pages, HTML", scenarios.documents, "text/html"),
                    ("person pages, HTML (backlink lists)", scenarios.persons, "text/html"),
                    ("documents as Turtle", [p.replace("/page/", "/data/") + ".ttl" for p in scenarios.documents],
                     "text/turtle"),
                    ("browse list pages, HTML", scenarios.lists, "text/html"),
                    ("name searches, HTML", scenarios.searches, "text/html"),
                    ("reconciliation queries, JSON", scenarios.reconciliations, "application/json"),
                    (f"SPARQL mix ({len(scenarios.queries)} queries), JSON",
                     sparql_paths("/sparql", scenarios.queries, False), "application/sparql-results+json")):
                with around(results):
                    results.append({"server": label, "scenario": scenario, **wrk(url, paths, accept, args.seconds)})
                print(results[-1], flush=True)
            if timed_alone:
                singles.extend({"server": label, **row} for row in timed(f"{url}/sparql", scenarios.timed, False))
        finally:
            proc.terminate()
            proc.wait()

    if "embedded" in servers:
        for label, cache in (("lod serve, embedded, response cache on", 256), ("lod serve, embedded, cache off", 0)):
            if args.whole_mix and cache:
                continue
            with around(*tables):
                measure(label, config.read_text() + f"[server]\nworkers = 2\ncache_mib = {cache}\n"
                        f"warm_release = {str(not args.no_warm).lower()}\n", cache == 0)

    if "virtuoso" in servers:   # the same release served from Virtuoso (remote backend), response cache off
        with virtuoso_settings(config, args.virtuoso_gb, "remote", f"timeout = {args.store_timeout}\n",
                               loaded=args.virtuoso_loaded) as remote:
            if not args.virtuoso_loaded:
                upload(remote)
            with around(*tables):
                measure("lod serve, Virtuoso 7.2 (remote store), cache off",
                        remote.read_text() + "[server]\nworkers = 2\ncache_mib = 0\n", True)

    if "rdflib" in servers:
        turtle = OUT / f"{corpus}.ttl"
        with gzip.open(release / "dumps" / "stalin-molotov.ttl.gz") as source, turtle.open("wb") as target:
            while chunk := source.read(1 << 20):
                target.write(chunk)
        for processes in ((1, 2) if args.whole_mix else (1,)):
            with around(*tables):
                singles.extend(rdflib_endpoint(turtle, processes, scenarios, whole=args.whole_mix,
                                               seconds=args.seconds, cap_mib=args.rdflib_cap_gib * 1024,
                                               results=results, mixes=mixes))

    variant = [name for name, on in (("cold", args.cold), ("unwarmed", args.no_warm), ("whole-mix", args.whole_mix)) if on]
    name = "-".join([corpus, *sorted(servers), *variant])
    (OUT / f"{name}.json").write_text(json.dumps({"machine": platform.platform(), "seconds": args.seconds,
                                                  "startups": startups, "results": results, "single_queries": singles,
                                                  "whole_mix": mixes, "yardstick_versions": VERSIONS}, indent=2))
    print("\n| server | scenario | yardstick s | requests/s | requests per yardstick | p50 ms | p99 ms"
          " | p99 ÷ yardstick, ‰ | errors |\n|---|---|---|---|---|---|---|---|---|")
    for r in results:
        y = r["yardstick_s"]
        print(f"| {r['server']} | {r['scenario']} | {y:.2f} | " + (f"{r['not_loaded']} | | | | | |" if "not_loaded" in r
              else f"{r['rps']:,.0f} | {r['rps'] * y:,.0f} | {r['p50_ms']:.1f} | {r['p99_ms']:.1f} "
                   f"| {r['p99_ms'] / y:.1f} | {r['errors']} |"))
    for row in singles:
        print(f"| {row['server']} | {row['query']} alone | {row['yardstick_s']:.2f} | {row['seconds']} s "
              f"| {row['seconds'] / row['yardstick_s']:.2f} yardsticks | {row['status']} |")
    for mix in mixes:
        kinds = "; ".join(f"{k[:2]} {v['median_s']} / {v['max_s']}" + (f" ({v['errors']})" if v["errors"] else "")
                          for k, v in mix["kinds"].items())
        print(f"| {mix['server']} | whole mix, {mix['rounds']} rounds | {mix['yardstick_s']:.2f} | {mix['queries']} "
              f"queries in {mix['seconds']} s | {mix['qps']} queries/s, {mix['qps'] * mix['yardstick_s']:.2f} per "
              f"yardstick | {mix['errors']} errors | median / max s: {kinds} |")

if __name__ == "__main__":
    main()
