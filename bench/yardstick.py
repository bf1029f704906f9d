"""The reference every benchmark measures in the same run: a fixed piece of work, independent of
the publisher's code, timed before and after the benchmark's own timings.

This virtual machine does the same work up to twice as fast in one hour as in another, so a
figure from one run cannot be compared with a figure from another. Each benchmark divides its
timings by the yardstick's seconds from the same run: a change shows in the ratio, the machine's
hour (mostly) does not. The work is a small version of what the publisher's own work is made of,
on one core, about 2.5 s in all: Python writing and parsing N-Quads text (as mapping and rendering
are Python), gzip (dumps), Oxigraph bulk loading on disk, looking up and aggregating (load,
pages, SPARQL), SQLite inserting and looking up (the index). Its parts are timed apart, so that
a run can tell which kind of work the machine was slow at.

    .venv/bin/python bench/yardstick.py          # the yardstick alone, three times
"""

from __future__ import annotations

import contextlib
import gzip
import json
import platform
import re
import sqlite3
import tempfile
import time
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

import pyoxigraph as ox

SUBJECTS = 20_000          # × 5 statements: 100,000 quads
EX = "http://example.org/yardstick/"
# What the yardstick's time depends on besides the machine: a ratio compares across runs with these.
VERSIONS = {"python": platform.python_version(), "pyoxigraph": ox.__version__, "sqlite": sqlite3.sqlite_version,
            "zlib": zlib.ZLIB_RUNTIME_VERSION}
LINE = re.compile(r"(<[^>]*>) (<[^>]*>) (.*) (<[^>]*>) \.$")


def _quads() -> bytes:
    """Deterministic N-Quads: each subject a label, a type, a date and two links."""
    lines = []
    for i in range(SUBJECTS):
        s, g = f"<{EX}s{i}>", f"<{EX}g{i % 7}>"
        lines += [f'{s} <http://www.w3.org/2000/01/rdf-schema#label> "subject number {i}"@en {g} .',
                  f"{s} <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <{EX}C{i % 13}> {g} .",
                  f'{s} <{EX}year> "{1900 + i % 50}"^^<http://www.w3.org/2001/XMLSchema#gYear> {g} .',
                  f"{s} <{EX}next> <{EX}s{(i * 7919) % SUBJECTS}> {g} .",
                  f"{s} <{EX}mentions> <{EX}s{(i * 104729) % SUBJECTS}> {g} ."]
    return "\n".join(lines).encode()


def _python(data: bytes) -> None:
    """Each line parsed by a regular expression, grouped by subject, sorted, through JSON."""
    by: dict[str, list] = {}
    for line in data.decode().splitlines():
        s, p, o, _ = LINE.match(line).groups()
        by.setdefault(s, []).append((p, o))
    json.loads(json.dumps(sorted(by.items(), key=lambda item: (len(item[1]), item[0].lower()))))


def _oxigraph_load(data: bytes, folder: Path) -> ox.Store:
    store = ox.Store(str(folder / "store"))
    store.bulk_load(data, ox.RdfFormat.N_QUADS)
    return store


def _oxigraph_read(store: ox.Store) -> None:
    """Half the subjects' statements out and in, and a count grouped by year."""
    for i in range(0, SUBJECTS, 2):
        list(store.quads_for_pattern(ox.NamedNode(f"{EX}s{i}"), None, None))
        list(store.quads_for_pattern(None, None, ox.NamedNode(f"{EX}s{i}")))
    list(store.query("SELECT ?y (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s <%syear> ?y ; a ?c } } GROUP BY ?y" % EX))


def _sqlite(folder: Path) -> None:
    db = sqlite3.connect(folder / "yardstick.sqlite")
    db.execute("CREATE TABLE t (iri TEXT PRIMARY KEY, label TEXT, year INTEGER)")
    db.executemany("INSERT INTO t VALUES (?, ?, ?)",
                   ((f"{EX}s{i}", f"subject number {i}", 1900 + i % 50) for i in range(SUBJECTS * 5)))
    db.commit()
    for i in range(0, SUBJECTS * 5, 5):
        db.execute("SELECT label, year FROM t WHERE iri = ?", (f"{EX}s{i}",)).fetchone()
    db.close()


def measure() -> dict[str, float]:
    """Seconds of each part of the yardstick, and their sum (`seconds`)."""
    parts: dict[str, float] = {}

    def timed(name: str, work: Callable[[], object]) -> object:
        begun = time.perf_counter()
        out = work()
        parts[name] = round(parts.get(name, 0) + time.perf_counter() - begun, 3)
        return out

    with tempfile.TemporaryDirectory(prefix="yardstick-") as scratch:
        folder = Path(scratch)
        data = timed("python", _quads)
        timed("python", lambda: _python(data))
        timed("gzip", lambda: gzip.decompress(gzip.compress(data, 6)))
        store = timed("oxigraph_load", lambda: _oxigraph_load(data, folder))
        timed("oxigraph_read", lambda: _oxigraph_read(store))
        del store   # closed before its folder is removed
        timed("sqlite", lambda: _sqlite(folder))
    return {"seconds": round(sum(parts.values()), 3), **parts}


class Yardstick:
    """`with Yardstick() as y:` measures the yardstick as the block starts and as it ends;
    `y.seconds` is their mean, `y.ratio(t)` a timing over it, `y.record` both measurements (for
    a benchmark's JSON: how far the machine drifted during the run shows in their difference)."""

    def __enter__(self) -> Yardstick:
        self.before, self.after = measure(), None
        print(f"yardstick before: {self.before}", flush=True)
        return self

    def __exit__(self, *exc) -> None:
        self.after = measure()
        print(f"yardstick after: {self.after}", flush=True)

    @property
    def seconds(self) -> float:
        """The mean of the two measurements (read once the block has ended)."""
        return (self.before["seconds"] + self.after["seconds"]) / 2

    def ratio(self, seconds: float) -> float:
        """`seconds` in yardsticks (a millisecond figure: pass it in seconds)."""
        return seconds / self.seconds

    @property
    def record(self) -> dict:
        return {"before": self.before, "after": self.after, "mean_s": round(self.seconds, 3), "versions": VERSIONS}


@contextlib.contextmanager
def around(*tables: list[dict]) -> Iterator[Yardstick]:
    """The yardstick measured around the block; each row the block adds to `tables` gets its
    mean seconds as `yardstick_s` (for benchmarks whose rows come from several runs), unless
    a block nearer to the row gave it one already."""
    starts = [len(table) for table in tables]
    with Yardstick() as yard:
        yield yard
    for table, start in zip(tables, starts):
        for row in table[start:]:
            row.setdefault("yardstick_s", round(yard.seconds, 3))


if __name__ == "__main__":
    print(VERSIONS)
    for _ in range(3):
        print(measure())
