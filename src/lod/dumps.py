"""Downloadable dumps of a release: compressed, with SHA-256 checksums and a manifest.

The manifest also lists the harvesting files written beside the dumps (CMIF, BEACON)."""

from __future__ import annotations

import io
import json
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import asdict, dataclass
from functools import partial
from multiprocessing import get_context
from pathlib import Path
from typing import BinaryIO

import pyoxigraph as ox
from zlib_ng import gzip_ng   # the gzip module on zlib-ng: the same files, written and read in less CPU

from lod.provenance import sha256
from lod.store import EmbeddedStore
from lod.vocab import prefixes as vocab_prefixes

GZIP_LEVEL = 6   # gzip's and zlib's own default
BITS_PER_GZ_BYTE = 4   # Turtle's bitmap: the N-Quads dump gzips to about 8 bytes a quad, so ~32 bits a quad


@dataclass(frozen=True)
class Dump:
    file: str
    format: str
    media_type: str
    graphs: str
    bytes: int
    sha256: str


def gzipped(target: Path, writer: Callable[[BinaryIO], None]) -> Path:
    """`writer`'s output streamed straight into `target` (.gz), so no plain copy ever takes disk
    space (at 1M letters the three plain files were about 20 GB at once, and a build ran out of disk)."""
    with gzip_ng.open(target, "wb", compresslevel=GZIP_LEVEL) as out:
        writer(out)
    return target


def nquads(store: ox.Store, target: Path, threads: int) -> Path:
    """The N-Quads dump, a graph per thread at once: reading the store decodes every term through
    Oxigraph's term dictionary, which at 1M letters misses its cache, and `Store.dump` does it on
    one core. Each graph goes to a gzip member of its own; the members, joined in the store's
    graph order, are one gzip file holding the bytes `Store.dump` writes."""
    graphs = [ox.DefaultGraph(), *store.named_graphs()]
    with tempfile.TemporaryDirectory(dir=target.parent) as scratch, ThreadPoolExecutor(threads) as pool:
        parts = [Path(scratch) / f"{i}.gz" for i in range(len(graphs))]
        list(pool.map(partial(_graph_dump, store), graphs, parts))   # each part written, or its error raised
        with target.open("wb") as out:
            for part in parts:
                with part.open("rb") as member:
                    shutil.copyfileobj(member, out, 1 << 20)
    return target


def _graph_dump(store: ox.Store, graph: ox.NamedNode | ox.BlankNode | ox.DefaultGraph, target: Path) -> Path:
    """One graph's quads: `Store.dump` writes a single graph only as triples, so its N-Triples
    lines are given the graph's name on their way to the gzip stream."""
    def writer(out: BinaryIO) -> None:
        named = out if isinstance(graph, ox.DefaultGraph) else _Named(out, graph)
        with io.BufferedWriter(named, 1 << 20) as lines:   # the names added a megabyte at a time
            store.dump(lines, ox.RdfFormat.N_TRIPLES, from_graph=graph)
    return gzipped(target, writer)


class _Named(io.RawIOBase):
    """N-Triples in, N-Quads of one graph out. A line ends in " .\n" and nowhere else, because
    N-Triples escapes a literal's line breaks, so the graph goes in before each " .\n"."""

    def __init__(self, out: BinaryIO, graph: ox.NamedNode | ox.BlankNode):
        self.out, self.end, self.tail = out, f" {graph} .\n".encode(), b""

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        text = self.tail + bytes(data)
        cut = text.rfind(b"\n") + 1
        self.out.write(text[:cut].replace(b" .\n", self.end))
        self.tail = text[cut:]
        return len(data)


def json_ld(nquads: Path, target: Path) -> None:
    """The JSON-LD dump converted from the N-Quads dump: the serialiser `Store.dump` uses, given
    the same quads in the same order, writes the same bytes without looking a term up again."""
    with gzip_ng.open(nquads) as source:
        gzipped(target, lambda out: ox.serialize(ox.parse(source, format=ox.RdfFormat.N_QUADS), out,
                                                  ox.RdfFormat.JSON_LD))


def turtle(nquads: Path, store: Path, target: Path, base: str) -> None:
    """The Turtle dump (the union of the graphs) converted from the N-Quads dump, each triple once;
    `store` is the release's store, asked only whether a triple met again is in a graph already written."""
    bits = 1 << max(16, (BITS_PER_GZ_BYTE * nquads.stat().st_size).bit_length())
    with gzip_ng.open(nquads) as source:
        quads = ox.parse(source, format=ox.RdfFormat.N_QUADS)
        triples = distinct_triples(quads, ox.Store.read_only(str(store)), bits)
        gzipped(target, lambda out: ox.serialize(triples, out, ox.RdfFormat.TURTLE, prefixes=vocab_prefixes(base)))


def distinct_triples(quads: Iterable[ox.Quad], store: ox.Store, bits: int) -> Iterator[ox.Triple]:
    """The quads' triples, each once. The quads come a graph at a time, as `Store.dump` writes
    them, so a triple was written before exactly when a graph already passed holds it. Holding
    every triple written to know that would grow with the data; a bitmap of the triples' hashes
    (`bits`, a power of two) is enough to ask the store only about the few whose hash was met before."""
    seen, mask = bytearray((bits + 7) // 8), bits - 1
    passed: set[ox.NamedNode | ox.BlankNode | ox.DefaultGraph] = set()
    current = None
    for quad in quads:
        if (graph := quad.graph_name) != current:
            if graph in passed:
                raise ValueError(f"graph {graph} comes back after another one: the quads are not "
                                 "a graph at a time, so a triple's repeats cannot be told")
            if current is not None:
                passed.add(current)
            current = graph
        triple = quad.triple
        h = hash(triple) & mask
        byte, bit = h >> 3, 1 << (h & 7)
        if seen[byte] & bit and _in_any(store, triple, passed):
            continue
        seen[byte] |= bit
        yield triple


def _in_any(store: ox.Store, triple: ox.Triple, graphs: set[ox.NamedNode | ox.BlankNode | ox.DefaultGraph]) -> bool:
    return any(q.graph_name in graphs
               for q in store.quads_for_pattern(triple.subject, triple.predicate, triple.object))


def write(store: EmbeddedStore, out: Path, name: str, base: str, threads: int = 1) -> list[Dump]:
    """Write every format gzipped: N-Quads, Turtle, JSON-LD.

    Only N-Quads is read from the store, on `threads` threads. Turtle and JSON-LD are then
    converted from the N-Quads file, which looks no term up, at once in two child processes
    (each conversion holds the GIL for every quad), while the harvest and index aside goes on
    (docs/decisions.md, "Dumps written at once")."""
    out.mkdir(parents=True, exist_ok=True)
    quads = nquads(store.store, out / f"{name}.nq.gz", threads)
    ttl, jsonld = out / f"{name}.ttl.gz", out / f"{name}.jsonld.gz"
    with ProcessPoolExecutor(max_workers=2, mp_context=get_context("spawn")) as children:
        converted = [children.submit(turtle, quads, store.path, ttl, base),
                     children.submit(json_ld, quads, jsonld)]
        for job in converted:
            job.result()
    return [described(quads, "N-Quads", "application/n-quads", "one named graph per source"),
            described(ttl, "Turtle", "text/turtle", "union of all graphs"),
            described(jsonld, "JSON-LD", "application/ld+json", "one named graph per source")]


def described(path: Path, label: str, media_type: str, graphs: str) -> Dump:
    return Dump(path.name, label, media_type, graphs, path.stat().st_size, sha256(path))


def write_manifest(out: Path, dumps: list[Dump]) -> None:
    """SHA256SUMS and manifest.json over every file of the release's downloads."""
    (out / "SHA256SUMS").write_text("".join(f"{d.sha256}  {d.file}\n" for d in dumps))
    (out / "manifest.json").write_text(json.dumps([asdict(d) for d in dumps], indent=2))
