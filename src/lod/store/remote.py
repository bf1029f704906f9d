"""A remote SPARQL 1.1 store, read through standard protocols only, and written through them or
through the engine's own bulk loader.

Reads speak the SPARQL 1.1 Query protocol and hand back pyoxigraph's own result types, so the
web layer uses a remote store exactly as it uses the embedded one (`query`, `quads_for_pattern`).
The dataset a query sees is the release, passed with the protocol's dataset parameters:
`named-graph-uri` lists its graphs, and `default-graph-uri` names one more graph holding their
union, loaded beside them. (Listing every graph as `default-graph-uri` is the textbook way, but
Virtuoso 7 answers a query over several default graphs 100-1000x slower than over one; the union
graph doubles the upload and the engine's storage instead.) Nothing else the engine holds, its
system graphs or a build's staging graphs, leaks into an answer.

Writes: `stage` uploads a release into fresh staging graphs with the Graph Store HTTP Protocol,
in chunks, or hands it to the engine's own bulk loader as one file ([store].loader), checking
every graph's size after; `swap` then moves every staging graph onto its public name, and drops the public
graphs the new release no longer has, in ONE SPARQL Update request — which SPARQL 1.1 Update
(section 2.2) asks engines to apply atomically. Virtuoso 7.2 applies it as one transaction but
does not isolate concurrent readers from it (docs/deploy.md). The first upload into an engine
holding none of the release's graphs writes the public graphs directly, with nothing to swap.
"""

from __future__ import annotations

import gzip
import os
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
import requests
from cachetools import LRUCache

from lod.config import StoreSettings
from lod import sparqltext
from lod.sparqltext import bind, with_base

PASSWORD_ENV = "LOD_STORE_PASSWORD"
RESULTS = "application/sparql-results+xml"
TRIPLES = "application/n-triples"
PATTERN_CACHE = 200_000  # quads of pattern answers remembered per worker (roughly 100 MB)
CACHED_QUADS = 200       # larger answers (long backlink lists) are asked again each time
PATTERN = "SELECT ?s ?p ?o ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
# The quads with ?t as subject or as object (?t bound to several terms by VALUES), and the same
# for the nodes each ?t owns (`minted_under`) and links to: read with it, they cost no request.
AROUND = ("SELECT ?s ?p ?o ?g WHERE { { GRAPH ?g { ?t ?p ?o } BIND (?t AS ?s) } "
          "UNION { GRAPH ?g { ?s ?p ?t } BIND (?t AS ?o) } "
          "UNION { GRAPH ?h { ?t ?q ?n } FILTER (isIRI(?n) && STRSTARTS(STR(?n), CONCAT(STR(?t), \"/\"))) "
          "{ { GRAPH ?g { ?n ?p ?o } BIND (?n AS ?s) } UNION { GRAPH ?g { ?s ?p ?n } BIND (?n AS ?o) } } } }")
ASK_QUIRK = "__ASK_RETVAL"   # Virtuoso 7 answers ASK as a one-cell table of 0 or 1
PARTIAL = "S1TAT"   # Virtuoso's "anytime" answer: cut at its MaxQueryExecutionTime, flagged only in headers
HOLDS_ANY = "ASK WHERE { GRAPH ?g { ?s ?p ?o } }"
HOLDS_BUILD = "ASK WHERE { GRAPH ?meta { ?build a <http://www.w3.org/ns/prov#Activity> } }"
HAS_BLANK_NODES = "ASK WHERE { GRAPH ?g { ?s ?p ?o FILTER (isBlank(?s) || isBlank(?o)) } }"
SIZES = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
PARSER = ox.Store()   # empty: a query is parsed against it before an engine sees it (RemoteStore.query)


class StoreError(RuntimeError):
    """The remote store refused a request or could not be reached; the message says which and why."""


class RemoteStore:
    """One release's graphs in a remote SPARQL 1.1 store, with pyoxigraph.Store's read methods."""

    def __init__(self, settings: StoreSettings, graphs: Sequence[str], *, query_timeout: float):
        self.settings = settings
        self.graphs = list(graphs)
        self.query_timeout = query_timeout
        self.http = requests.Session()
        # Proxies and CA bundle from the environment, read once: left to requests, every request
        # re-scans os.environ and looks for ~/.netrc (a third of the Python calls of a person page).
        found = self.http.merge_environment_settings(settings.query, {}, None, None, None)
        self.http.proxies, self.http.verify = found["proxies"], found["verify"]
        self.http.trust_env = False
        if not settings.keep_alive:
            # Virtuoso 7 answers on a reused connection wait 40 ms for each answer longer than a few
            # packets (its Nagle, our delayed ACK); a fresh connection costs ~0.1 ms (docs/decisions.md).
            self.http.headers["Connection"] = "close"
        self._graph_set = frozenset(self.graphs)
        # A release never changes, so pattern answers are kept (one store per worker and release):
        # labels of much-cited entities are asked by most pages.
        self._patterns: LRUCache = LRUCache(maxsize=PATTERN_CACHE, getsizeof=len)

    # -- reads ----------------------------------------------------------------------------------

    def query(self, query: str, *, base_iri: str | None = None, use_default_graph_as_union: bool = False,
              default_graph: Sequence[ox.NamedNode] | None = None,
              named_graphs: Sequence[ox.NamedNode] | None = None,
              substitutions: dict[ox.Variable, ox.NamedNode | ox.Literal] | None = None):
        """Run a query over the release; returns QuerySolutions, QueryBoolean or an iterator of Triples.
        A query Oxigraph's parser refuses raises SyntaxError here, as the embedded store does,
        before it reaches the engine: engines answer a malformed query in their own ways
        (Virtuoso 7 with a 500 for some, which the endpoint would pass on as a 502)."""
        PARSER.query(query, base_iri=base_iri)
        default = [g.value for g in default_graph] if default_graph else [self.settings.union_graph]
        named = [g.value for g in named_graphs] if named_graphs else self.graphs
        return self._query(query, substitutions or {}, {"default-graph-uri": default, "named-graph-uri": named},
                           base_iri)

    def _query(self, query: str, bound: dict, dataset: dict[str, list[str]], base_iri: str | None = None):
        form = {"query": with_base(bind(query, bound), base_iri), **dataset}
        graph = sparqltext.form(query) in ("CONSTRUCT", "DESCRIBE")
        response = self._send(self.settings.query, form, accept=TRIPLES if graph else RESULTS,
                              timeout=self.query_timeout, stream=True)
        return _results(response)

    def quads_for_pattern(self, subject=None, predicate=None, object=None, graph_name=None) -> Iterator[ox.Quad]:
        """The release's quads matching a pattern (None matches anything), as pyoxigraph Quads.
        Asked of the engine's whole dataset and kept to the release's graphs here: on Virtuoso a
        plain GRAPH ?g pattern is several times cheaper than any dataset restriction."""
        key = (subject, predicate, object, graph_name)
        if (hit := self._patterns.get(key)) is not None:
            return iter(hit)
        bound = {ox.Variable(name): term for name, term in zip("spog", key) if term is not None}
        quads = [ox.Quad(*(row[v] if row[v] is not None else bound[ox.Variable(v)] for v in "spog"))
                 for row in self._query(PATTERN, bound, dataset={})
                 if row["g"] is None or row["g"].value in self._graph_set]
        if len(quads) <= CACHED_QUADS:
            self._patterns[key] = quads
        return iter(quads)

    def quads_for_subjects(self, subjects: Iterable[ox.NamedNode],
                           predicates: Sequence[ox.NamedNode] | None = None) -> Iterator[ox.Quad]:
        """`quads_for_pattern(s, p)` for every subject and predicate (any predicate if None),
        asked in one request for all the pairs not remembered: a resource page's labels and
        last changes would otherwise cost a round trip per term."""
        return self._quads_for((0,), subjects, predicates)

    def quads_around(self, terms: Iterable[ox.NamedNode]) -> Iterator[ox.Quad]:
        """The quads of every term as subject and as object, in one request (a page's own
        statements and links in; a level of its owned nodes and the links into them)."""
        return self._quads_for((0, 2), terms, None)

    def _quads_for(self, positions: tuple[int, ...], terms: Iterable[ox.NamedNode],
                   predicates: Sequence[ox.NamedNode] | None) -> Iterator[ox.Quad]:
        """Whole statements (no `predicates`) are read by AROUND, whose answer also holds the terms'
        links in and their owned nodes' quads: each is remembered, so a page's next level of
        owned nodes is answered from memory, not by another request."""
        keys = [_key(at, t, p) for t in dict.fromkeys(terms) for at in positions for p in (predicates or [None])]
        missing = [k for k in keys if k not in self._patterns]
        answers: dict[tuple, dict[ox.Quad, None]] = {k: {} for k in missing}
        if missing:
            asked = list(dict.fromkeys(k[at] for k in missing for at in positions if k[at] is not None))
            if predicates:
                query, sides = PATTERN, positions
                bound = {ox.Variable("spo"[positions[0]]): asked, ox.Variable("p"): list(predicates)}
            else:
                query, bound, sides = AROUND, {ox.Variable("t"): asked}, (0, 2)
            quads = [ox.Quad(row["s"], row["p"], row["o"], row["g"]) for row in self._query(query, bound, dataset={})
                     if row["g"].value in self._graph_set]
            if not predicates:
                terms_asked = frozenset(asked)
                nodes = [q.object for q in quads if q.subject in terms_asked and minted_under(q.object, q.subject)]
                for term in [*asked, *nodes]:
                    for at in sides:
                        answers.setdefault(_key(at, term, None), {})
            for quad in quads:
                for at in sides:
                    key = _key(at, quad[at], quad.predicate if predicates else None)
                    if key in answers:
                        answers[key][quad] = None
            for key, found in answers.items():
                if len(found) <= CACHED_QUADS:
                    self._patterns[key] = list(found)
        for key in keys:
            yield from answers[key] if key in answers else self._patterns[key]

    def __len__(self) -> int:
        rows = self.query("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")
        return int(next(iter(rows))["n"].value)

    # -- writes (the build) --------------------------------------------------------------------

    def stage(self, release: str, source: ox.Store, graphs: Iterable[ox.NamedNode], progress=None, *,
              direct: bool = False) -> Staged:
        """Upload each named graph of `source` into its own staging graph, and all of them into a
        staging union graph; nothing public changes.

        With `direct` (an engine no reader uses), or into an engine holding none of the public
        graphs (a first upload), they are written under their public names, each dropped first: no reader
        has anything to lose, and the swap would move the whole release inside the engine in one
        transaction (at 1M letters Virtuoso 7.2 passed 19 GB of memory doing so,
        docs/performance.md)."""
        graphs = list(graphs)
        direct = direct or not self.holds_any([self.settings.union_graph, *(g.value for g in graphs)])

        def staging(public: str, name: str) -> str:
            return public if direct else f"urn:x-lod:staging:{release}:{name}"
        union = staging(self.settings.union_graph, "union")
        staged = Staged(self, {self.settings.union_graph: union})
        try:
            for graph in graphs:
                staged.graphs[graph.value] = staging(graph.value, str(len(staged.graphs)))
            self.drop_graphs(staged.graphs.values())
            targets = {graph: ox.NamedNode(staged.graphs[graph.value]) for graph in graphs}
            if self.settings.loader:
                self._bulk_load(release, source, targets, ox.NamedNode(union), progress)
            else:
                self._upload_all(source, targets, union, progress)
        except BaseException:
            staged.drop()
            raise
        return staged

    def _upload_all(self, source: ox.Store, targets: dict[ox.NamedNode, ox.NamedNode], union: str, progress) -> None:
        """Graph Store HTTP Protocol: each graph in chunks, each chunk to its target and the union."""
        for graph, target in targets.items():
            # Blank node labels are scoped to one request: a graph that has any goes up whole.
            whole = bool(source.query(bind(HAS_BLANK_NODES, {ox.Variable("g"): graph})))
            size = len(source) if whole else self.settings.chunk_triples
            for chunk in _chunks(source.quads_for_pattern(None, None, None, graph), size):
                body = ox.serialize(chunk, format=ox.RdfFormat.N_TRIPLES)
                self._upload(target.value, body)
                self._upload(union, body)
                if progress:
                    progress(len(chunk))

    def _bulk_load(self, release: str, source: ox.Store, targets: dict[ox.NamedNode, ox.NamedNode],
                   union: ox.NamedNode, progress) -> None:
        """[store].loader, the engine's own bulk loader: the release as one N-Quads file, each
        triple under its target graph and the union (one file, so a blank node is one node in
        both), then each target must hold as many triples as its graph, and the union at least
        as many as the largest: a loader that skipped a file or a line publishes nothing."""
        folder = Path(self.settings.loader_dir)
        folder.mkdir(parents=True, exist_ok=True)
        file = folder / f"lod-{release}.nq.gz"
        try:
            sizes = _write_load_file(file, source, targets, union, progress)
            said = run_command("loader", self.settings.loader, self.settings, LOD_LOAD_FILE=str(file))
        finally:
            file.unlink(missing_ok=True)
        held = self._sizes([*sizes, union.value])
        wrong = [f"{g}: {held.get(g, 0)} of {n}" for g, n in sizes.items() if held.get(g, 0) != n]
        if held.get(union.value, 0) < max(sizes.values(), default=0):
            wrong.append(f"{union.value} (the union): {held.get(union.value, 0)}")
        if wrong:
            raise StoreError(f"[store].loader {list(self.settings.loader)} left graphs short ({'; '.join(wrong[:3])}"
                             f"{'; …' if len(wrong) > 3 else ''}); it said: {said[-500:] or '(nothing)'}")

    def _sizes(self, graphs: Sequence[str]) -> dict[str, int]:
        """Triples per graph in the engine (graphs without any are left out)."""
        rows = self._query(SIZES, {ox.Variable("g"): [ox.NamedNode(g) for g in graphs]}, dataset={})
        return {row["g"].value: int(row["n"].value) for row in rows}

    def holds_any(self, graphs: Sequence[str]) -> bool:
        """Whether any of `graphs` has a statement in the engine."""
        return bool(self._query(HOLDS_ANY, {ox.Variable("g"): [ox.NamedNode(g) for g in graphs]}, dataset={}))

    def holds_build(self, meta: str, build: str) -> bool:
        """Whether the engine's `meta` graph records the build activity `build` (lod.provenance)."""
        return bool(self._query(HOLDS_BUILD, {ox.Variable("meta"): ox.NamedNode(meta),
                                              ox.Variable("build"): ox.NamedNode(build)}, dataset={}))

    def _upload(self, graph: str, body: bytes) -> None:
        """Graph Store HTTP Protocol: POST adds the N-Triples to the graph (created if new)."""
        self._send(self.settings.graph_store, body, params={"graph": graph},
                   headers={"Content-Type": TRIPLES}, timeout=self.settings.timeout)

    def update(self, operations: list[str]) -> None:
        """Run SPARQL Update operations as one request (one transaction on a conforming engine)."""
        self._send(self.settings.update, {"update": " ;\n".join(operations)}, timeout=self.settings.timeout)

    def drop_graphs(self, graphs: Iterable[str]) -> None:
        ops = [f"DROP SILENT GRAPH {ox.NamedNode(g)}" for g in graphs]
        if ops:
            self.update(ops)

    # -- HTTP ----------------------------------------------------------------------------------

    def _send(self, url: str, data: dict | bytes, *, accept: str | None = None, timeout: float,
              headers: dict | None = None, **kwargs) -> requests.Response:
        """POST a form (query, update) or a body (upload); engine refusals become typed errors."""
        headers = {**(headers or {}), **({"Accept": accept} if accept else {})}
        auth = (self.settings.user, os.environ.get(PASSWORD_ENV, "")) if self.settings.user else None
        try:
            response = self.http.post(url, data=data, headers=headers, auth=auth, timeout=(10, timeout), **kwargs)
        except requests.Timeout as err:
            raise TimeoutError(f"{url}: no answer within {timeout:g} s") from err
        except requests.RequestException as err:
            raise StoreError(f"{url}: the store could not be reached ({err})") from err
        if response.status_code == 400:
            raise SyntaxError(_reason(response))
        if response.status_code >= 300:
            raise StoreError(f"{url}: the store answered {response.status_code}: {_reason(response)}")
        if response.headers.get("X-SQL-State") == PARTIAL:
            raise TimeoutError(f"{url}: the store stopped the query at its own time limit (a partial answer)")
        return response


def run_command(setting: str, command: Sequence[str], engine: StoreSettings, **env: str) -> str:
    """Run an operator's command for `engine` ([store].after_load, [store].loader) with the
    engine's URLs in LOD_ENGINE_QUERY, _UPDATE and _GRAPH_STORE, and `env`: its output, or a
    StoreError that names the setting."""
    env = {**os.environ, "LOD_ENGINE_QUERY": engine.query, "LOD_ENGINE_UPDATE": engine.update,
           "LOD_ENGINE_GRAPH_STORE": engine.graph_store, **env}
    try:
        done = subprocess.run(list(command), env=env, capture_output=True, text=True)
    except OSError as err:
        raise StoreError(f"[store].{setting} {list(command)} could not be run: {err}") from err
    if done.returncode:
        raise StoreError(f"[store].{setting} {list(command)} exited with {done.returncode}: "
                         f"{(done.stderr or done.stdout).strip()[-500:]}")
    return (done.stdout + done.stderr).strip()


@dataclass
class Staged:
    """A release uploaded into staging graphs: public name → staging graph."""

    store: RemoteStore
    graphs: dict[str, str]

    def swap(self, retired: Iterable[str] = ()) -> None:
        """Publish: every staging graph replaces its public graph; `retired` public graphs go."""
        ops = [f"MOVE SILENT GRAPH {ox.NamedNode(stage)} TO GRAPH {ox.NamedNode(public)}"
               for public, stage in self.graphs.items() if stage != public]
        ops += [f"DROP SILENT GRAPH {ox.NamedNode(g)}" for g in retired if g not in self.graphs]
        if ops:
            self.store.update(ops)
        self.graphs = {}

    def drop(self) -> None:
        """Abandon the upload (a failed build): remove the staging graphs."""
        self.store.drop_graphs(self.graphs.values())
        self.graphs = {}


def _write_load_file(file: Path, source: ox.Store, targets: dict[ox.NamedNode, ox.NamedNode], union: ox.NamedNode,
                     progress) -> dict[str, int]:
    """Write every graph of `source` into one gzipped N-Quads file, under its target and the
    union; return each target's triple count. Graphs are dumped on threads, the largest first,
    each into a gzip member of its own: Oxigraph decodes a graph without the GIL, and that
    decoding is most of the file's cost. The members are then joined in the graphs' order, so
    the loader reads one graph at a time (interleaved, Virtuoso loaded 1M letters 17% slower;
    docs/performance.md). A blank node keeps one label across the file, as Oxigraph names it."""
    size = {row["g"]: int(row["n"].value) for row in source.query(SIZES)}
    parts = {graph: file.with_name(f"{file.name}.{number}") for number, graph in enumerate(targets)}

    def dump(graph: ox.NamedNode) -> int:
        with gzip.open(parts[graph], "wb", compresslevel=1) as out:
            lines = _InGraphs(out, [targets[graph], union], progress)
            source.dump(lines, format=ox.RdfFormat.N_TRIPLES, from_graph=graph)
        return lines.count
    try:
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
            largest_first = sorted(targets, key=lambda graph: -size.get(graph, 0))
            counts = dict(zip(largest_first, pool.map(dump, largest_first)))
        with file.open("wb") as whole:   # concatenated gzip members are one gzip stream
            for part in parts.values():
                with part.open("rb") as member:
                    shutil.copyfileobj(member, whole, 2**20)
                part.unlink()   # as it is joined, so the disk holds about one file's worth, not two
    finally:
        for part in parts.values():
            part.unlink(missing_ok=True)
    return {targets[graph].value: count for graph, count in counts.items()}


class _InGraphs:
    """A writable that takes Oxigraph's N-Triples dump of a graph and writes each line once per
    graph name, as N-Quads: the name goes before the line's closing " .". The dump is written in
    Rust; building a Python Quad for every triple took the file 1.7 times as long.
    Every N-Triples line ends with " .\n", and no term holds a raw newline (N-Triples escapes it).
    `progress` is told how many triples each block held."""

    def __init__(self, out, graphs: Sequence[ox.NamedNode], progress=None):
        self.out, self.ends = out, [f" {g} .\n".encode() for g in graphs]
        self.rest, self.count, self.progress = b"", 0, progress

    def write(self, given) -> int:
        data = self.rest + bytes(given)
        cut = data.rfind(b"\n") + 1
        self.rest, lines = data[cut:], data[:cut]
        triples = lines.count(b"\n")
        self.count += triples
        for end in self.ends:
            self.out.write(lines.replace(b" .\n", end))
        if self.progress:
            self.progress(triples)
        return len(given)

    def flush(self) -> None:
        """Nothing is held back but a line not yet ended."""


def minted_under(node, root: ox.NamedNode) -> bool:
    """Whether `node` is one of the nodes `root` owns (a date, a note, a period): an IRI minted
    under root's (lod.web.describe shows them with it)."""
    return isinstance(node, ox.NamedNode) and node.value.startswith(root.value + "/")


def _key(position: int, term: ox.NamedNode, predicate: ox.NamedNode | None) -> tuple:
    """The pattern-memo key of `term` at `position` (0 subject, 2 object) and a predicate."""
    key: list = [None, predicate, None, None]
    key[position] = term
    return tuple(key)


def _chunks(quads: Iterable[ox.Quad], size: int) -> Iterator[list[ox.Triple]]:
    chunk: list[ox.Triple] = []
    for quad in quads:
        chunk.append(quad.triple)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _results(response: requests.Response):
    """The engine's answer as pyoxigraph results."""
    mime = response.headers.get("Content-Type", "").split(";")[0].strip()
    if mime == TRIPLES or mime == "text/plain":
        response.raw.decode_content = True
        return (quad.triple for quad in ox.parse(response.raw, format=ox.RdfFormat.N_TRIPLES))
    if mime != RESULTS:
        raise StoreError(f"the store answered in {mime or 'no type'}, not SPARQL results or N-Triples")
    # Virtuoso names blank nodes "nodeID://b123" in result sets, which is not a blank node label.
    body = response.content.replace(b"<bnode>nodeID://", b"<bnode>")
    results = ox.parse_query_results(body, format=ox.QueryResultsFormat.XML)
    if isinstance(results, ox.QuerySolutions) and [v.value for v in results.variables] == [ASK_QUIRK]:
        row = next(iter(results), None)
        return ox.parse_query_results(b"true" if row and row[ASK_QUIRK].value == "1" else b"false",
                                      format=ox.QueryResultsFormat.TSV)
    return results


def _reason(response: requests.Response) -> str:
    return " ".join(response.text.split())[:500] or response.reason
