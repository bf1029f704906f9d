"""The embedded store: pyoxigraph (Oxigraph) on disk, one directory per release."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

import pyoxigraph as ox

READ_CHUNK = 8 * 2**20   # bytes per read when a store is read into the page cache


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


def files_of(path: Path) -> list[Path]:
    """A store's files, the ones its reads go to."""
    return sorted(file for file in path.iterdir() if file.is_file())


def read_into_page_cache(files: list[Path], advance: Callable[[int], None]) -> None:
    """Read `files` once, start to end, so that the OS page cache holds them: after a reboot a
    server's first pages otherwise wait on the disk for each block, at half the cached rate
    (docs/performance.md). Done before the server listens, the reads do not queue behind
    requests, as a read-ahead beside them did. `advance(n)` after each chunk of n bytes."""
    buffer = bytearray(READ_CHUNK)
    for file in files:
        with file.open("rb", buffering=0) as stream:
            while n := stream.readinto(buffer):
                advance(n)


def available_memory() -> int | None:
    """Bytes the OS could give without swapping (Linux's MemAvailable); None where unknown."""
    try:
        meminfo = Path("/proc/meminfo").read_text()
    except OSError:
        return None
    found = next((line.split()[1] for line in meminfo.splitlines() if line.startswith("MemAvailable:")), None)
    return int(found) * 1024 if found else None
