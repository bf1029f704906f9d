"""The embedded store: pyoxigraph (Oxigraph) on disk, one directory per release."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import pyoxigraph as ox

COMPACTION_THREADS = "rocksdb:low"   # the name RocksDB gives its compaction threads
COMPACTION_NICE = 19                 # the lowest priority: they run on cores nothing else wants


class EmbeddedStore:
    """A release's quads in an on-disk Oxigraph store."""

    def __init__(self, path: Path):
        path.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.store = ox.Store(str(path))
        yield_compaction()

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
        """Write everything out and finish the compaction still owed (it waits for all of it)."""
        self.store.flush()
        self.store.optimize()


def yield_compaction() -> None:
    """Give this process's RocksDB compaction threads the lowest CPU priority.

    A bulk load leaves the store's files to be merged in the background, and pyoxigraph offers
    no setting for it. At normal priority that merge takes half the cores from the phase that
    follows the load (validation, whose checks then took twice as long at 1M letters); at the
    lowest it runs on what the build leaves idle (the one-core phases after validation), and
    `flush` still waits for what is left. Linux names a process's threads in /proc and takes a
    thread's id for `setpriority`; elsewhere nothing changes."""
    tasks = Path("/proc/self/task")
    if not tasks.is_dir():
        return
    for task in tasks.iterdir():
        try:
            if (task / "comm").read_text().strip() == COMPACTION_THREADS:
                os.setpriority(os.PRIO_PROCESS, int(task.name), COMPACTION_NICE)
        except OSError:   # the thread ended meanwhile
            continue
