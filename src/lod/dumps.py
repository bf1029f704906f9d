"""Downloadable dumps of a release: compressed, with SHA-256 checksums and a manifest.

The manifest also lists the harvesting files written beside the dumps (CMIF, BEACON)."""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
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
    """N-Quads and JSON-LD (with the named graphs) and Turtle (their union)."""
    return [
        Format(f"{name}.nq", "N-Quads", "application/n-quads", "one named graph per source",
               lambda out: store.store.dump(out, ox.RdfFormat.N_QUADS)),
        Format(f"{name}.ttl", "Turtle", "text/turtle", "union of all graphs",
               lambda out: ox.serialize(store.union_triples(), out, ox.RdfFormat.TURTLE,
                                         prefixes=vocab_prefixes(base))),
        Format(f"{name}.jsonld", "JSON-LD", "application/ld+json", "one named graph per source",
               lambda out: store.store.dump(out, ox.RdfFormat.JSON_LD)),
    ]


def gzipped(f: Format, folder: Path) -> Path:
    """`f` serialised straight into its .gz file, so no plain copy ever takes disk space (at 1M
    letters the three plain files were about 20 GB at once, and a build ran out of disk)."""
    target = folder / f"{f.file}.gz"
    with gzip.open(target, "wb", compresslevel=GZIP_LEVEL) as out:
        f.writer(out)
    return target


def write(store: EmbeddedStore, out: Path, name: str, base: str) -> list[Dump]:
    """Write every format gzipped.

    The three are written at once, each in a thread: Oxigraph serialises and zlib compresses
    without the GIL (Oxigraph takes it only to hand each 8 KB to the gzip stream), so on two cores
    this takes about half the time of one after another (docs/decisions.md, "Dumps written at once")."""
    out.mkdir(parents=True, exist_ok=True)

    def dump(f: Format) -> Dump:
        return described(gzipped(f, out), f.label, f.media_type, f.graphs)

    every = formats(store, name, base)
    with ThreadPoolExecutor(max_workers=len(every)) as pool:
        return list(pool.map(dump, every))


def described(path: Path, label: str, media_type: str, graphs: str) -> Dump:
    return Dump(path.name, label, media_type, graphs, path.stat().st_size, sha256(path))


def write_manifest(out: Path, dumps: list[Dump]) -> None:
    """SHA256SUMS and manifest.json over every file of the release's downloads."""
    (out / "SHA256SUMS").write_text("".join(f"{d.sha256}  {d.file}\n" for d in dumps))
    (out / "manifest.json").write_text(json.dumps([asdict(d) for d in dumps], indent=2))
