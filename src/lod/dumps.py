"""Downloadable dumps of a release: compressed, with SHA-256 checksums and a manifest.

The manifest also lists the harvesting files written beside the dumps (CMIF, BEACON)."""

from __future__ import annotations

import gzip
import json
from dataclasses import asdict, dataclass
from pathlib import Path

import pyoxigraph as ox

from lod.provenance import sha256
from lod.store import EmbeddedStore
from lod.vocab import prefixes as vocab_prefixes


@dataclass(frozen=True)
class Dump:
    file: str
    format: str
    media_type: str
    graphs: str
    bytes: int
    sha256: str


def write(store: EmbeddedStore, out: Path, name: str, base: str) -> list[Dump]:
    """Write N-Quads and JSON-LD (with the named graphs) and Turtle (their union), gzipped."""
    out.mkdir(parents=True, exist_ok=True)
    prefixes = vocab_prefixes(base)
    specs = [
        (f"{name}.nq.gz", "N-Quads", "application/n-quads", "one named graph per source",
         lambda f: ox.serialize(store.quads(), f, ox.RdfFormat.N_QUADS)),
        (f"{name}.ttl.gz", "Turtle", "text/turtle", "union of all graphs",
         lambda f: ox.serialize(store.union_triples(), f, ox.RdfFormat.TURTLE, prefixes=prefixes)),
        (f"{name}.jsonld.gz", "JSON-LD", "application/ld+json", "one named graph per source",
         lambda f: ox.serialize(store.quads(), f, ox.RdfFormat.JSON_LD)),
    ]
    dumps = []
    for file, label, media, graphs, writer in specs:
        with gzip.open(out / file, "wb", compresslevel=6) as f:
            writer(f)
        dumps.append(described(out / file, label, media, graphs))
    return dumps


def described(path: Path, label: str, media_type: str, graphs: str) -> Dump:
    return Dump(path.name, label, media_type, graphs, path.stat().st_size, sha256(path))


def write_manifest(out: Path, dumps: list[Dump]) -> None:
    """SHA256SUMS and manifest.json over every file of the release's downloads."""
    (out / "SHA256SUMS").write_text("".join(f"{d.sha256}  {d.file}\n" for d in dumps))
    (out / "manifest.json").write_text(json.dumps([asdict(d) for d in dumps], indent=2))
