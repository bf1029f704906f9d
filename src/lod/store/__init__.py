"""Triple store backends behind one small interface: pyoxigraph.Store's read methods
(`query`, `quads_for_pattern`). The embedded Oxigraph store is the default; `RemoteStore` speaks
to any SPARQL 1.1 engine ([store] in lod.toml, docs/deploy.md).

The build always writes the release into its own embedded store (dumps, VoID and the harvesting
files are computed from it); with the remote backend it also uploads the release to the engine
and swaps it in, and the web workers read from the engine.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pyoxigraph as ox

from lod.config import Config
from lod.store.embedded import EmbeddedStore
from lod.store.remote import RemoteStore, StoreError

__all__ = ["EmbeddedStore", "RemoteStore", "StoreError", "reader"]


def reader(config: Config, release: Path, graphs: Sequence[str]) -> ox.Store | RemoteStore:
    """The store a web worker reads a published release from."""
    if config.store.backend == "remote":
        return RemoteStore(config.store, graphs, query_timeout=config.server.query_timeout)
    return ox.Store.read_only(str(release / "store"))
