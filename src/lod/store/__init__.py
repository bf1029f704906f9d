"""Triple store backends behind one small interface: pyoxigraph.Store's read methods
(`query`, `quads_for_pattern`). The embedded Oxigraph store is the default; `RemoteStore` speaks
to any SPARQL 1.1 engine ([store] in lod.toml, docs/deploy.md).

The build always writes the release into its own embedded store (dumps, VoID and the harvesting
files are computed from it); with the remote backend it also uploads the release to the engine
and swaps it in, and the web workers read from the engine.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import pyoxigraph as ox

from lod.config import Config
from lod.store.embedded import EmbeddedStore
from lod.store.remote import RemoteStore, StoreError

__all__ = ["EmbeddedStore", "RemoteStore", "StoreError", "quads_for_objects", "quads_for_subjects", "reader"]


def reader(config: Config, release: Path, graphs: Sequence[str]) -> ox.Store | RemoteStore:
    """The store a web worker reads a published release from."""
    if config.store.backend == "remote":
        return RemoteStore(config.store, graphs, query_timeout=config.server.query_timeout)
    return ox.Store.read_only(str(release / "store"))


def quads_for_subjects(store: ox.Store | RemoteStore, subjects: Iterable[ox.NamedNode | ox.BlankNode],
                       predicates: Sequence[ox.NamedNode] | None = None) -> Iterator[ox.Quad]:
    """The quads of many subjects (with one of `predicates`, if given): one request to a remote
    store, one pattern per pair on the embedded one (where a pattern costs microseconds)."""
    if isinstance(store, RemoteStore):
        return store.quads_for_subjects((s for s in subjects if isinstance(s, ox.NamedNode)), predicates)
    return (q for s in dict.fromkeys(subjects) for p in (predicates or [None])
            for q in store.quads_for_pattern(s, p, None))


def quads_for_objects(store: ox.Store | RemoteStore, objects: Iterable[ox.NamedNode]) -> Iterator[ox.Quad]:
    """The quads pointing at any of `objects`: one request to a remote store (see above)."""
    if isinstance(store, RemoteStore):
        return store.quads_for_objects(objects)
    return (q for o in dict.fromkeys(objects) for q in store.quads_for_pattern(None, None, o))
