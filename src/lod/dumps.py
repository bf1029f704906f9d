"""Downloadable dumps of a release: compressed, with SHA-256 checksums and a manifest.

The manifest also lists the harvesting files written beside the dumps (CMIF, BEACON)."""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import asdict, dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import BinaryIO

import pyoxigraph as ox

from lod.provenance import sha256
from lod.store import EmbeddedStore
from lod.vocab import prefixes as vocab_prefixes

GZIP_LEVEL = 6   # gzip's and zlib's own default


@dataclass(frozen=True)
class Dump:
    file: str
    format: str
    media_type: str
    graphs: str
    bytes: int
    sha256: str


@dataclass(frozen=True)
class Format:
    """One dump: its file name, how the manifest describes it, and what serialises it to a stream."""

    file: str
    label: str
    media_type: str
    graphs: str
    writer: Callable[[BinaryIO], None]


def formats(store: EmbeddedStore, name: str, base: str) -> list[Format]:
    """N-Quads (with the named graphs) and Turtle (their union), read from the store."""
    return [
        Format(f"{name}.nq", "N-Quads", "application/n-quads", "one named graph per source",
               lambda out: store.store.dump(out, ox.RdfFormat.N_QUADS)),
        Format(f"{name}.ttl", "Turtle", "text/turtle", "union of all graphs",
               lambda out: ox.serialize(store.union_triples(), out, ox.RdfFormat.TURTLE,
                                         prefixes=vocab_prefixes(base))),
    ]


def gzipped(f: Format, folder: Path) -> Path:
    """`f` serialised straight into its .gz file, so no plain copy ever takes disk space (at 1M
    letters the three plain files were about 20 GB at once, and a build ran out of disk)."""
    target = folder / f"{f.file}.gz"
    with gzip.open(target, "wb", compresslevel=GZIP_LEVEL) as out:
        f.writer(out)
    return target


def json_ld(nquads: Path, target: Path) -> None:
    """The JSON-LD dump converted from the N-Quads dump: the serialiser `Store.dump` uses, given
    the same quads in the same order, writes the same bytes without looking a term up again."""
    with gzip.open(nquads) as source, gzip.open(target, "wb", compresslevel=GZIP_LEVEL) as out:
        ox.serialize(ox.parse(source, format=ox.RdfFormat.N_QUADS), out, ox.RdfFormat.JSON_LD)


def write(store: EmbeddedStore, out: Path, name: str, base: str) -> list[Dump]:
    """Write every format gzipped: N-Quads, Turtle, JSON-LD.

    N-Quads and Turtle are read from the store at once, each in a thread: Oxigraph serialises and
    zlib compresses without the GIL (Oxigraph takes it only to hand each 8 KB to the gzip stream).
    JSON-LD is then converted from the N-Quads file, in a child process because the conversion
    holds the GIL for every quad and would stall the Turtle thread. Reading the store decodes every
    term through Oxigraph's term dictionary, which at 1M letters misses its cache; converting
    text looks nothing up (docs/decisions.md, "Dumps written at once")."""
    out.mkdir(parents=True, exist_ok=True)

    def dump(f: Format) -> Dump:
        return described(gzipped(f, out), f.label, f.media_type, f.graphs)

    nquads, turtle = formats(store, name, base)
    target = out / f"{name}.jsonld.gz"
    with (ThreadPoolExecutor(max_workers=1) as thread,
          ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as child):
        union = thread.submit(dump, turtle)
        quads = dump(nquads)
        child.submit(json_ld, out / quads.file, target).result()
        return [quads, union.result(),
                described(target, "JSON-LD", "application/ld+json", "one named graph per source")]


def described(path: Path, label: str, media_type: str, graphs: str) -> Dump:
    return Dump(path.name, label, media_type, graphs, path.stat().st_size, sha256(path))


def write_manifest(out: Path, dumps: list[Dump]) -> None:
    """SHA256SUMS and manifest.json over every file of the release's downloads."""
    (out / "SHA256SUMS").write_text("".join(f"{d.sha256}  {d.file}\n" for d in dumps))
    (out / "manifest.json").write_text(json.dumps([asdict(d) for d in dumps], indent=2))
