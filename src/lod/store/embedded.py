"""The embedded store: pyoxigraph (Oxigraph) on disk, one directory per release."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pyoxigraph as ox


class EmbeddedStore:
    """A release's quads in an on-disk Oxigraph store."""

    def __init__(self, path: Path):
        path.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.store = ox.Store(str(path))

    def load_quads(self, path: Path) -> None:
        """Bulk-load an N-Quads file; each quad keeps its named graph."""
        self.store.bulk_load(path=str(path), format=ox.RdfFormat.N_QUADS)

    def load_bytes(self, data: bytes, fmt: ox.RdfFormat, *, graph: str) -> None:
        self.store.bulk_load(input=data, format=fmt, to_graph=ox.NamedNode(graph))

    def load_triples(self, triples: Iterable[ox.Triple], *, graph: str) -> None:
        """Bulk-load triples as they come (a generator is never held whole in memory)."""
        name = ox.NamedNode(graph)
        self.store.bulk_extend(ox.Quad(t.subject, t.predicate, t.object, name) for t in triples)

    def __len__(self) -> int:
        return len(self.store)

    def flush(self) -> None:
        self.store.flush()
        self.store.optimize()
