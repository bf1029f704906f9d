"""The same edition on the embedded store and on each remote engine (Virtuoso, an Oxigraph
server) gives the same answers: every example query (through SPARQLWrapper), every document's
and a sample of entities' descriptions, the vocabulary graphs. The rest of the end-to-end suite
runs on all three through the parametrised `server` fixture. Last, the embedded store read into
the page cache before a server listens."""

from __future__ import annotations

import dataclasses
import json
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import pyoxigraph as ox
import pytest
import requests
from rdflib import Graph
from rdflib.compare import isomorphic
from rich.console import Console
from SPARQLWrapper import JSON, SPARQLWrapper
from urllib3.connection import HTTPConnection

from lod import cli
from lod.build import Pipeline
from lod.config import load
from lod.index import FILE_NAME as INDEX_FILE
from lod.release import Releases
from lod.store import (RemoteStore, StoreError, engine_of, holds_release, minted_under, quads_around,
                       quads_for_subjects)
from lod.store.embedded import files_of
from lod.web.describe import LABELS
from lod.web import create_app
from lod.web.sparql import examples
from conftest import BASE, REPO, alternate_settings, evict, free_port, write_config
from oxigraph_server import OxigraphServer
from virtuoso import Virtuoso

ENTITIES = ["person/stalin", "person/bukharin", "organisation/politburo", "place/sochi"]


def rows(server: str, query: str) -> list[tuple]:
    sw = SPARQLWrapper(f"{server}/sparql")
    sw.setQuery(query)
    sw.setReturnFormat(JSON)
    result = sw.queryAndConvert()
    if "boolean" in result:
        return [(result["boolean"],)]
    names = result["head"]["vars"]
    cells = [tuple(json.dumps(row.get(n), sort_keys=True) for n in names) for row in result["results"]["bindings"]]
    return sorted(cells)   # as multisets: engines may break ORDER BY ties differently


def comparable(query: str) -> str:
    """An example made comparable across engines: no final LIMIT (which row of a tie is kept is
    the engine's choice) and no SAMPLE (which value is sampled is too)."""
    query = re.sub(r"\bLIMIT\s+\d+\s*$", "", query.strip())
    return re.sub(r"\(SAMPLE\((\?\w+)\) AS \?\w+\)", "", query)


@pytest.fixture(scope="module", params=["virtuoso", "oxigraph"])
def remote_server(request: pytest.FixtureRequest) -> str:
    """The edition served from each remote engine in turn."""
    return request.getfixturevalue(f"{request.param}_server")


@pytest.mark.parametrize("example", [e["id"] for e in examples(BASE)])
def test_every_example_query_answers_the_same(example, embedded_server, remote_server, built_edition):
    query = comparable(next(e["query"] for e in examples(BASE) if e["id"] == example))
    if "CONSTRUCT" in query:   # more triples than the row cap: each engine's 500 are from the whole answer
        whole = {t for t in built_edition[2].query(query, use_default_graph_as_union=True, base_iri=BASE)}
        for server in (embedded_server, remote_server):
            r = requests.get(f"{server}/sparql", params={"query": query}, headers={"Accept": "application/n-triples"})
            got = {q.triple for q in ox.parse(r.content, format=ox.RdfFormat.N_TRIPLES)}
            assert len(got) == 500 and got <= whole and r.headers["SPARQL-Results-Truncated"].startswith("true")
        return
    ours, theirs = rows(embedded_server, query), rows(remote_server, query)
    assert ours and ours == theirs


def documents(server: str) -> list[str]:
    query = "PREFIX lod: <ontology#> SELECT ?d WHERE { ?d lod:editionNumber ?n }"
    return sorted(json.loads(r[0])["value"] for r in rows(server, query))


def description(server: str, path: str) -> Graph:
    r = requests.get(f"{server}/data/{path}.nt", timeout=30)
    assert r.status_code == 200, (path, r.text[:300])
    return Graph().parse(data=r.text, format="nt")


def test_every_description_is_the_same(embedded_server, remote_server):
    found = documents(embedded_server)
    assert len(found) == 86 and documents(remote_server) == found
    paths = [d.removeprefix(BASE + "data/").removeprefix(BASE) for d in found] + [f"id/{e}" for e in ENTITIES]
    for path in paths:
        ours, theirs = description(embedded_server, path), description(remote_server, path)
        assert len(ours) > 0 and isomorphic(ours, theirs), path


@pytest.mark.parametrize("path", ["shapes.nt", "ontology.nt", "changes.nt", ".well-known/void.nt"])
def test_whole_graphs_are_the_same(path, embedded_server, remote_server):
    ours, theirs = (Graph().parse(data=requests.get(f"{s}/{path}", timeout=30).text, format="nt")
                    for s in (embedded_server, remote_server))
    assert len(ours) > 0 and isomorphic(ours, theirs)


def test_many_subjects_are_one_request_and_answer_as_the_embedded_store(remote_edition, built_edition):
    """A resource page's labels (and last changes, relationship nodes) are asked of a remote
    store in one request, not one per term, and the answer is the embedded store's."""
    config, _ = remote_edition
    embedded = built_edition[2]
    remote = RemoteStore(config.store, [g.value for g in embedded.named_graphs()], query_timeout=30)
    requests_sent: list[str] = []
    remote.http.hooks["response"].append(lambda response, *args, **kwargs: requests_sent.append(response.url))
    subjects = [ox.NamedNode(f"{BASE}id/{e}") for e in ENTITIES] + [ox.NamedNode(d) for d in
                                                                        documents_in(embedded)[:40]]
    for predicates in (LABELS, None):
        expected = set(quads_for_subjects(embedded, subjects, predicates))
        before = len(requests_sent)
        assert set(quads_for_subjects(remote, subjects, predicates)) == expected and len(expected) > len(subjects)
        assert len(requests_sent) == before + 1
        assert set(quads_for_subjects(remote, subjects, predicates)) == expected   # remembered: no request
        assert len(requests_sent) == before + 1


def test_statements_and_links_in_of_many_terms_are_one_request(remote_edition, built_edition):
    """A page's own statements and links in (and each level of its owned nodes) are one request
    to a remote store; the answer is the embedded store's, and it is remembered for the patterns
    asked later."""
    config, _ = remote_edition
    embedded = built_edition[2]
    remote = RemoteStore(config.store, [g.value for g in embedded.named_graphs()], query_timeout=30)
    requests_sent: list[str] = []
    remote.http.hooks["response"].append(lambda response, *args, **kwargs: requests_sent.append(response.url))
    terms = [ox.NamedNode(f"{BASE}id/{e}") for e in ENTITIES]
    expected = set(quads_around(embedded, terms))
    assert set(quads_around(remote, terms)) == expected and len(requests_sent) == 1
    assert {q.subject for q in expected} & set(terms) and {q.object for q in expected} & set(terms)
    for term in terms:
        assert set(remote.quads_for_pattern(term, None, None)) == set(embedded.quads_for_pattern(term, None, None))
    assert len(requests_sent) == 1


def test_the_nodes_a_term_owns_come_with_its_statements(remote_edition, built_edition):
    """Reading a term's statements also brings those of the nodes minted under it that it links
    to (a document's dates and notes, a person's birth), as subject and as object: a page's
    first level of owned nodes costs no second request."""
    config, _ = remote_edition
    embedded = built_edition[2]
    remote = RemoteStore(config.store, [g.value for g in embedded.named_graphs()], query_timeout=30)
    requests_sent: list[str] = []
    remote.http.hooks["response"].append(lambda response, *args, **kwargs: requests_sent.append(response.url))
    terms = [ox.NamedNode(f"{BASE}id/{e}") for e in ("document/5", "person/bukharin")]
    list(quads_around(remote, terms))
    nodes = [q.object for t in terms for q in embedded.quads_for_pattern(t, None, None) if minted_under(q.object, t)]
    assert len(nodes) > 2 and len(requests_sent) == 1
    assert set(quads_around(remote, nodes)) == set(quads_around(embedded, nodes)) and len(requests_sent) == 1


@pytest.mark.parametrize("keep_alive", [False, True])
def test_connections_to_the_engine_are_reused_only_when_configured(remote_edition, keep_alive, monkeypatch):
    """On a reused connection Virtuoso 7's longer answers wait 40 ms for the client's delayed ACK
    (docs/decisions.md), so by default each query has a connection of its own."""
    config, release = remote_edition
    settings = dataclasses.replace(config.store, keep_alive=keep_alive)
    remote = RemoteStore(settings, json.loads((release.path / "build.json").read_text())["graphs"], query_timeout=30)
    connects: list[HTTPConnection] = []
    connect = HTTPConnection.connect
    monkeypatch.setattr(HTTPConnection, "connect", lambda conn: (connects.append(conn), connect(conn))[1])
    for _ in range(3):
        assert list(remote.query("SELECT ?s WHERE { ?s ?p ?o } LIMIT 1"))
    assert len(connects) == (1 if keep_alive else 3)


def documents_in(store: ox.Store) -> list[str]:
    return sorted(r["d"].value for r in store.query("PREFIX lod: <ontology#> SELECT ?d WHERE { ?d lod:editionNumber ?n }",
                                                    base_iri=BASE, use_default_graph_as_union=True))


def _copy(store: ox.Store, base: str, skip: str | None = None) -> ox.Store:
    """An in-memory copy of the edition's quads, with graph names moved under `base`."""
    out = ox.Store()
    out.extend(ox.Quad(q.subject, q.predicate, q.object, ox.NamedNode(base + q.graph_name.value))
               for q in store if q.graph_name.value != skip)
    return out


def _settings(built_edition, virtuoso, union: str, loader: tuple[str, ...] = ()):
    """The test engine as a remote store with its own union graph, uploading in small chunks, or
    loading with `loader` from a folder inside the engine's own (its DirsAllowed)."""
    return dataclasses.replace(built_edition[0].store, backend="remote", query=virtuoso.sparql,
                               update=virtuoso.sparql, graph_store=virtuoso.graph_store,
                               union_graph=union, chunk_triples=2000, loader=loader,
                               loader_dir=str(virtuoso.folder / "load"))


@pytest.mark.parametrize("bulk", [False, True], ids=["graph-store", "bulk-loader"])
def test_swap_replaces_the_release_whole(built_edition, virtuoso, bulk, monkeypatch):
    """Staging, then one Update request: the new release replaces the old one whole, a graph it
    lacks is dropped, and no staging graph is left; uploaded with the Graph Store protocol or
    loaded by Virtuoso's bulk loader. (Whether readers *during* the request see old or new only
    is up to the engine: Virtuoso 7.2 does not isolate them; docs/deploy.md.)"""
    settings = _settings(built_edition, virtuoso, "urn:x-test:union", virtuoso.loader if bulk else ())
    base, edition = "urn:x-test:", built_edition[2]
    if bulk:
        monkeypatch.setattr(RemoteStore, "_upload", lambda *_: pytest.fail("a Graph Store upload beside the loader"))
    old, new = _copy(edition, base), _copy(edition, base, skip=BASE + "graph/notes")
    graphs = sorted({q.graph_name.value for q in old})
    remote = RemoteStore(settings, graphs, query_timeout=30)
    remote.stage("a", old, old.named_graphs()).swap()
    assert len(remote) == len(old)
    staged = remote.stage("b", new, new.named_graphs())
    assert len(remote) == len(old)                      # staged, not yet public
    staged.swap(retired=graphs)
    remote = RemoteStore(settings, graphs, query_timeout=30)
    assert len(remote) == len(new) < len(old)           # the notes graph is gone
    union = next(iter(remote.query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")))["n"].value
    assert int(union) == len({q.triple for q in new})
    left = requests.post(virtuoso.sparql, data={"query": "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } "
                                                "FILTER STRSTARTS(STR(?g), 'urn:x-lod:staging') }"},
                         headers={"Accept": "text/csv"}).text.split()
    assert left == ['"g"']


def test_a_failed_upload_publishes_nothing(remote_edition, virtuoso_server):
    """The graph store cannot be reached: the build fails naming it, the served release and the
    remote graphs stay as they were, and no staging graph is left behind."""
    config, published = remote_edition
    before = requests.get(f"{virtuoso_server}/sparql", params={
        "query": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", "format": "json"}).json()
    broken = dataclasses.replace(config, store=dataclasses.replace(
        config.store, graph_store=f"http://127.0.0.1:{free_port()}/nothing-here"))
    with pytest.raises(StoreError, match="nothing-here"):
        Pipeline(broken).build(Releases(config.path("var")))
    assert Releases(config.path("var")).current() == published.path
    after = requests.get(f"{virtuoso_server}/sparql", params={
        "query": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", "format": "json"}).json()
    assert after == before
    staging = requests.post(config.store.query, data={"query": "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } "
                                                      "FILTER STRSTARTS(STR(?g), 'urn:x-lod:staging') }"},
                            headers={"Accept": "text/csv"}).text.split()
    assert staging == ['"g"']


def test_a_loader_that_fails_or_leaves_graphs_short_publishes_nothing(built_edition, virtuoso):
    """The loader's exit status is an error naming it; a loader that exits 0 but loaded nothing
    is caught by the graphs' sizes. Either way the staging graphs and the load file go."""
    union, edition = "urn:x-short:union", _copy(built_edition[2], "urn:x-short:")
    public = [union, *sorted({q.graph_name.value for q in edition})]
    for loader, error in (((sys.executable, "-c", "import sys; sys.exit('no SQL port')"), "loader .* exited with 1: no SQL port"),
                          ((sys.executable, "-c", "print('loaded, I promise')"), r"left graphs short \(urn:x-short:.*: 0 of \d+.*loaded, I promise")):
        remote = RemoteStore(_settings(built_edition, virtuoso, union, loader), public[1:], query_timeout=30)
        with pytest.raises(StoreError, match=error):
            remote.stage("short", edition, edition.named_graphs())
        assert not remote.holds_any(public) and not list((virtuoso.folder / "load").iterdir())


def test_a_load_folder_the_engine_may_not_read_publishes_nothing(built_edition, virtuoso, tmp_path):
    """loader_dir outside Virtuoso's DirsAllowed: the build fails with the engine's refusal, and
    leaves neither graphs nor the file."""
    union, edition = "urn:x-denied:union", _copy(built_edition[2], "urn:x-denied:")
    public = [union, *sorted({q.graph_name.value for q in edition})]
    settings = dataclasses.replace(_settings(built_edition, virtuoso, union, virtuoso.loader),
                                   loader_dir=str(tmp_path / "elsewhere"))
    remote = RemoteStore(settings, public[1:], query_timeout=30)
    with pytest.raises(StoreError, match=r"loader .* exited with 1: .*FA003: Access to .*elsewhere. is denied"):
        remote.stage("denied", edition, edition.named_graphs())
    assert not remote.holds_any(public) and not list((tmp_path / "elsewhere").iterdir())


def test_a_first_upload_writes_the_public_graphs_without_moving_them(built_edition, virtuoso, monkeypatch):
    """Into an engine holding none of the release's graphs there is nothing to swap out: they are
    written under their public names and no MOVE is sent (at 1M letters Virtuoso's MOVE of the
    whole release outgrew the machine's memory). A first upload that fails drops what it wrote."""
    union, edition = "urn:x-first:union", _copy(built_edition[2], "urn:x-first:")
    public = [union, *sorted({q.graph_name.value for q in edition})]
    remote = RemoteStore(_settings(built_edition, virtuoso, union), public[1:], query_timeout=30)
    updates: list[str] = []
    update, upload = RemoteStore.update, RemoteStore._upload
    monkeypatch.setattr(RemoteStore, "update", lambda self, ops: updates.extend(ops) or update(self, ops))
    written: list[str] = []

    def failing(self, graph: str, body: bytes) -> None:
        if len(written) == 3:
            raise StoreError("the graph store went away")
        written.append(graph)
        upload(self, graph, body)
    monkeypatch.setattr(RemoteStore, "_upload", failing)
    with pytest.raises(StoreError, match="went away"):
        remote.stage("a", edition, edition.named_graphs())
    assert written and set(written) <= set(public) and not remote.holds_any(public)
    monkeypatch.setattr(RemoteStore, "_upload", upload)
    remote.stage("b", edition, edition.named_graphs()).swap()
    assert len(remote) == len(edition)
    assert updates and not [op for op in updates if op.startswith("MOVE")]


@pytest.fixture(scope="module")
def blue_green(tmp_path_factory: pytest.TempPathFactory):
    """Two Virtuoso servers of the test's own, the second as [store]'s alternate engine, and the
    folder both may read loads from."""
    shared = tmp_path_factory.mktemp("load")   # [store].loader_dir, in both engines' DirsAllowed
    with (Virtuoso(tmp_path_factory.mktemp("blue"), readable=[shared]) as blue,
          Virtuoso(tmp_path_factory.mktemp("green"), readable=[shared]) as green):
        yield blue, green, shared


RECORD = """import json, os, sys
json.dump({"query": os.environ["LOD_ENGINE_QUERY"], "current": os.path.realpath(sys.argv[2])}, open(sys.argv[1], "w"))
"""


def test_a_command_runs_on_the_loaded_engine_before_the_release_is_published(blue_green, tmp_path):
    """[store].after_load (e.g. restarting Virtuoso, slow after a load until it restarts) runs
    with the loaded engine's URLs while `current` still names the release before; the build then
    finds the release in the engine. A failing command publishes nothing."""
    blue, green, _ = blue_green
    script, seen, current = tmp_path / "record.py", tmp_path / "seen.json", tmp_path / "var" / "current"
    script.write_text(RECORD)

    def config_running(command: list[str]):
        extra = (blue.store_settings() + alternate_settings(green.sparql, green.sparql, green.graph_store)
                 + f"after_load = {json.dumps(command)}\n")
        return load(write_config(tmp_path, REPO / "data", extra=extra))

    config = config_running([sys.executable, str(script), str(seen), str(current)])
    releases = Releases(config.path("var"))
    one = Pipeline(config).build(releases).path
    assert json.loads(seen.read_text()) == {"query": blue.sparql, "current": str(current)}   # none yet
    two = Pipeline(config).build(releases).path
    assert json.loads(seen.read_text()) == {"query": green.sparql, "current": str(one)}
    assert releases.current() == two

    failing = config_running([sys.executable, "-c", "import sys; sys.exit('the engine did not come back')"])
    with pytest.raises(StoreError, match="after_load .* exited with 1: the engine did not come back"):
        Pipeline(failing).build(releases)
    assert releases.current() == two


def test_each_engine_of_blue_green_is_loaded_by_its_own_loader(blue_green, tmp_path, monkeypatch):
    """[store].loader for the first engine, alternate_loader for the second (each its own SQL
    port): two builds, each release in its engine, and no Graph Store upload."""
    blue, green, load_dir = blue_green
    monkeypatch.setattr(RemoteStore, "_upload", lambda *_: pytest.fail("a Graph Store upload beside the loader"))
    extra = (blue.store_settings() + alternate_settings(green.sparql, green.sparql, green.graph_store)
             + f"loader = {json.dumps(blue.loader)}\nalternate_loader = {json.dumps(green.loader)}\n"
             + f'loader_dir = "{load_dir}"\n')
    config = load(write_config(tmp_path, REPO / "data", extra=extra))
    releases = Releases(config.path("var"))
    one = Pipeline(config).build(releases).path
    two = Pipeline(config).build(releases).path
    engines = [RemoteStore(e, [], query_timeout=30) for e in config.store.engines()]
    assert [holds_release(e, BASE, one.name) for e in engines] == [True, False]
    assert [holds_release(e, BASE, two.name) for e in engines] == [False, True]


def test_after_load_waits_for_the_engine_to_come_back(tmp_path):
    """An engine still restarting (not listening) is waited for; one back without the release,
    or not back within [store].timeout, fails the build with a reason."""
    engine_server = OxigraphServer(tmp_path / "engine")    # its port is chosen; started below
    url = engine_server.url
    alternate = alternate_settings(f"{url}/query", f"{url}/update", f"{url}/store")
    config = load(write_config(tmp_path, REPO / "data", extra=engine_server.store_settings() + alternate
                               + f"after_load = {json.dumps([sys.executable, '-c', 'pass'])}\ntimeout = 30\n"))
    pipeline, engine = Pipeline(config), config.store.engines()[0]
    activity = f"<{BASE}id/release/r1/build> a <http://www.w3.org/ns/prov#Activity>"

    def come_back() -> None:
        time.sleep(1.5)
        engine_server.__enter__()
        requests.post(engine.update, data={"update": f"INSERT DATA {{ GRAPH <{BASE}graph/meta> {{ {activity} }} }}"},
                      timeout=10).raise_for_status()
    begun = time.monotonic()
    thread = threading.Thread(target=come_back)
    thread.start()
    try:
        pipeline._after_load(engine, "r1")
        assert time.monotonic() - begun >= 1.5
        with pytest.raises(StoreError, match="answers but no longer holds release r2"):
            pipeline._after_load(engine, "r2")
    finally:
        thread.join()
        engine_server.__exit__()
    with pytest.raises(StoreError, match="did not answer within 2 s"):
        pipeline._after_load(dataclasses.replace(engine, timeout=2), "r1")


def test_releases_alternate_between_two_engines(blue_green, tmp_path, monkeypatch):
    """Blue/green: each build loads the engine that is not serving and moving `current` is the
    switch. The serving engine is never written, a failed build leaves it as it was, and a release
    whose engine has since been given a later release is refused, not served with the later data."""
    blue, green, _ = blue_green
    alternate = alternate_settings(green.sparql, green.sparql, green.graph_store)
    config = load(write_config(tmp_path, REPO / "data", extra=blue.store_settings() + alternate))
    releases = Releases(config.path("var"))
    stalin = f"{BASE}id/person/stalin"
    app = create_app(config)
    client = app.test_client()

    def engine_holding(release: Path) -> list[bool]:
        info = json.loads((release / "build.json").read_text())
        return [holds_release(RemoteStore(e, [], query_timeout=30), BASE, info["release"]) for e in config.store.engines()]

    one = Pipeline(config).build(releases).path
    assert engine_holding(one) == [True, False]
    assert client.get("/page/id/person/stalin").status_code == 200

    two = Pipeline(config).build(releases).path
    assert engine_holding(one) == [True, False] and engine_holding(two) == [False, True]
    assert client.get("/data/id/person/stalin.nt").status_code == 200
    assert app.extensions["lod.published"].current().store.settings.query == green.sparql

    upload, update = RemoteStore._upload, RemoteStore.update

    def failing(store: RemoteStore, graph: str, body: bytes) -> None:
        if store.settings.query == blue.sparql:
            raise StoreError("the engine went away")
        upload(store, graph, body)
    monkeypatch.setattr(RemoteStore, "_upload", failing)
    with pytest.raises(StoreError, match="went away"):
        Pipeline(config).build(releases)
    assert releases.current() == two and engine_holding(two) == [False, True]
    assert stalin in client.get("/data/id/person/stalin.nt").text

    updates: list[str] = []
    monkeypatch.setattr(RemoteStore, "_upload", upload)
    monkeypatch.setattr(RemoteStore, "update", lambda store, ops: updates.extend(ops) or update(store, ops))
    three = Pipeline(config).build(releases).path
    assert engine_holding(three) == [True, False] and engine_holding(two) == [False, True]
    assert updates and not [op for op in updates if op.startswith("MOVE")]   # replaced in place
    rollback = config.path("var") / ".rollback"
    rollback.symlink_to(one.relative_to(config.path("var")))
    rollback.replace(config.path("var") / "current")
    refused = client.get("/page/id/person/stalin")
    assert refused.status_code == 502 and "a later release replaced it there" in refused.text


def test_a_release_in_an_engine_no_longer_configured_is_refused(tmp_path):
    """A release loaded into the second engine, served after [store] lost its alternate_* keys."""
    config = load(write_config(tmp_path, REPO / "data", extra='[store]\nbackend = "remote"\nquery = "http://q"\n'
                                                               'update = "http://u"\ngraph_store = "http://g"\n'))
    with pytest.raises(StoreError, match=r"loaded into engine 2, but \[store\] lists 1"):
        engine_of(config, {"release": "20990101T000000Z", "engine": 1})
    assert engine_of(config, {"release": "20990101T000000Z"}).query == "http://q"


def uncached(files: list[Path]) -> list[str]:
    """Those of `files` the OS page cache does not hold whole (util-linux's fincore)."""
    out = subprocess.run(["fincore", "--bytes", "--noheadings", "--raw", "--output", "RES,SIZE,FILE", *map(str, files)],
                         check=True, capture_output=True, text=True).stdout
    return [name for held, size, name in (line.split(" ", 2) for line in out.splitlines()) if int(held) < int(size)]


def release_files(release: Path) -> tuple[list[Path], list[Path]]:
    """A release's index and its store's files: what `lod serve` reads before it listens."""
    return [release / INDEX_FILE], files_of(release / "store")


def test_the_index_and_the_embedded_store_are_read_into_memory_before_serving(built_edition):
    """What a reboot leaves (the release out of the page cache) is undone before the server listens."""
    index, store = release_files(built_edition[1].path)
    evict([*index, *store])
    if not uncached([*index, *store]):
        pytest.skip("this filesystem keeps the files in memory whatever it is told")
    console = Console(record=True, width=200)
    cli._warm(built_edition[1].path, console, store=True)
    assert uncached([*index, *store]) == []
    said = console.export_text()
    for name, files in (("index", index), ("store", store)):
        size = sum(file.stat().st_size for file in files)
        assert f"Read the {name} into memory ({size / 2**20:,.0f} MiB)" in said


def test_on_a_remote_store_only_the_index_is_read_into_memory(built_edition):
    index, store = release_files(built_edition[1].path)
    evict([*index, *store])
    if not uncached([*index, *store]):
        pytest.skip("this filesystem keeps the files in memory whatever it is told")
    cli._warm(built_edition[1].path, Console(record=True, width=200), store=False)
    assert uncached(index) == [] and uncached(store) != []


def test_what_does_not_fit_in_the_memory_available_is_not_read_first(built_edition, monkeypatch):
    """The index first (every page reads it), then the store if it fits in what is left."""
    index, _ = release_files(built_edition[1].path)
    monkeypatch.setattr(cli, "available_memory", lambda: index[0].stat().st_size + 1024)
    read = []
    monkeypatch.setattr(cli, "read_into_page_cache", lambda files, _: read.extend(files))
    console = Console(record=True, width=200)
    cli._warm(built_edition[1].path, console, store=True)
    assert read == index
    said = console.export_text()
    assert "Not reading the store into memory first" in said and "first visits will wait on the disk." in said
