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

from lod.config import Config, StoreSettings
from lod.store.embedded import EmbeddedStore
from lod.store.remote import RemoteStore, StoreError, minted_under, run_command

__all__ = ["EmbeddedStore", "RemoteStore", "StoreError", "engine_of", "holds_release", "minted_under", "quads_around",
           "quads_for_subjects", "reader", "run_command"]


def reader(config: Config, release: Path, info: dict) -> ox.Store | RemoteStore:
    """The store a web worker reads a published release from; `info` is its build.json."""
    if config.store.backend == "remote":
        remote = RemoteStore(engine_of(config, info), info.get("graphs", []), query_timeout=config.server.query_timeout)
        _check_loaded(remote, config.dataset.base_iri, info.get("release"))
        return remote
    return ox.Store.read_only(str(release / "store"))


def holds_release(remote: RemoteStore, base: str, release: str) -> bool:
    """Whether the engine holds the release: its build activity is in the engine's meta graph."""
    return remote.holds_build(f"{base}graph/meta", f"{base}id/release/{release}/build")


def _check_loaded(remote: RemoteStore, base: str, release: str | None) -> None:
    """Refuse to serve a release its engine no longer holds: one rolled back to after a later
    release was loaded into the same engine (blue/green), which would answer with the later data."""
    if release and not holds_release(remote, base, release):
        raise StoreError(f"release {release} is not in its engine ({remote.settings.query}): a later release "
                         "replaced it there, or it was never uploaded; `lod upload` puts it back")


def engine_of(config: Config, info: dict) -> StoreSettings:
    """The engine a release was loaded into (the first, unless [store] has a second)."""
    engines, n = config.store.engines(), info.get("engine", 0)
    if n >= len(engines):
        raise StoreError(f"release {info.get('release')} was loaded into engine {n + 1}, but [store] "
                         f"lists {len(engines)}: restore its alternate_* settings or run `lod build`")
    return engines[n]


def quads_for_subjects(store: ox.Store | RemoteStore, subjects: Iterable[ox.NamedNode | ox.BlankNode],
                       predicates: Sequence[ox.NamedNode] | None = None, *, first: bool = False) -> Iterator[ox.Quad]:
    """The quads of many subjects (with one of `predicates`, if given): one request to a remote
    store, one pattern per pair on the embedded one (where a pattern costs microseconds).

    `first`: `predicates` are in order of preference and the caller keeps only each subject's
    best, so the embedded store stops at the first one a subject has (a label is asked once, not
    three times); a remote store answers them all in its one request."""
    if isinstance(store, RemoteStore):
        return store.quads_for_subjects((s for s in subjects if isinstance(s, ox.NamedNode)), predicates)
    return (q for s in dict.fromkeys(subjects) for q in _patterns(store, s, predicates or [None], first))


def _patterns(store: ox.Store, subject, predicates: Sequence, first: bool) -> Iterator[ox.Quad]:
    """Each predicate's quads in turn; with `first`, none after the first predicate that has some."""
    for p in predicates:
        found = list(store.quads_for_pattern(subject, p, None))
        yield from found
        if first and found:
            return


def quads_around(store: ox.Store | RemoteStore, terms: Iterable[ox.NamedNode]) -> Iterator[ox.Quad]:
    """The quads with any of `terms` as subject or as object (one with a term on both sides may
    come twice): one request to a remote store, two patterns per term on the embedded one."""
    if isinstance(store, RemoteStore):
        return store.quads_around(terms)
    return (q for t in dict.fromkeys(terms) for pattern in ((t, None, None), (None, None, t))
            for q in store.quads_for_pattern(*pattern))
