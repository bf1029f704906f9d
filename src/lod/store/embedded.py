"""The embedded store: pyoxigraph (Oxigraph) on disk, one directory per release."""

from __future__ import annotations

import os
import time
from collections.abc import Iterable
from pathlib import Path

import pyoxigraph as ox

# One posix_fadvise call per few MiB: Linux reads only the first megabytes of a range asked at once.
READ_AHEAD_STEP = 4 << 20


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

    def union_triples(self) -> ox.QueryTriples:
        """Every distinct triple of all named graphs (for single-graph formats)."""
        return self.store.query("CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }")

    def flush(self) -> None:
        self.store.flush()
        self.store.optimize()


def read_ahead(path: Path, rate: float, budget: int | None = None) -> int:
    """Have the kernel read a store's files into the OS page cache (posix_fadvise WILLNEED; it
    reads them itself, without copying anything into this process), at most `rate` bytes a second.

    A page nobody has asked for since the machine started, or since the store was written, waits
    for its blocks from disk: at 1M letters, first visits ran 2-3 times slower with the store out
    of the page cache (docs/performance.md). Asked all at once, the reads filled the disk's queue
    and the pages asked meanwhile stalled for seconds, hence the pace. At most `budget` bytes
    (default: half the memory the kernel reports available), so that a store larger than memory
    does not push out what is in use. Returns the bytes asked for; 0 where the call is missing."""
    if not hasattr(os, "posix_fadvise"):
        return 0
    budget = _available_memory() // 2 if budget is None else budget
    asked, begun = 0, time.monotonic()
    for file in sorted(f for f in path.iterdir() if f.is_file()):
        fd = os.open(file, os.O_RDONLY)
        try:
            size = os.fstat(fd).st_size
            for offset in range(0, size, READ_AHEAD_STEP):
                length = min(READ_AHEAD_STEP, size - offset, budget - asked)
                if length <= 0:
                    return asked
                os.posix_fadvise(fd, offset, length, os.POSIX_FADV_WILLNEED)
                asked += length
                time.sleep(max(0.0, begun + asked / rate - time.monotonic()))
        finally:
            os.close(fd)
    return asked


def _available_memory() -> int:
    """MemAvailable of /proc/meminfo (free memory plus the page cache the kernel can give back)."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
