"""What a release publishes, what changed since the last one, and the IRIs it retires.

A *record* is a page-worthy IRI under `{base}id/`: every labelled subject, and every unlabelled
one without an enclosing subject (an office held). Unlabelled nodes minted under a record's IRI
(a document's date, a person's birth) belong to it. A record's digest covers the statements
about it and its nodes, in the data graphs only, so two builds of the same tables agree.

The `iris` check compares a build's records with the last release's: an IRI may disappear only
if data/tombstones.csv declares it gone (410) or moved to a successor (301). The changelog
(changes.json in each release, carried forward) lists what each release added, changed and
removed; it is published as RDF (graph/changes) and as an Activity Streams feed (lod.web.changes).
"""

from __future__ import annotations

import hashlib
import io
import json
from collections import defaultdict
from collections.abc import Container, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path

import pyoxigraph as ox

from lod import pool, tables
from lod.vocab import LABEL_PROPERTIES, PREFIXES

LABELS = frozenset(LABEL_PROPERTIES)
RECORDS_FILE, CHANGES_FILE, TOMBSTONES_FILE = "records.tsv", "changes.json", "tombstones.json"
MODULUS = 1 << 128
SHOWN = 20   # dropped IRIs named in an error message; the rest are counted


class IrisDropped(Exception):
    """The build would silently drop IRIs of the last release, or contradicts its tombstones."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass(frozen=True)
class Tombstone:
    path: str             # the retired IRI, relative to the base (id/person/…)
    status: str           # gone (410) or moved (301 to successor)
    successor: str        # relative path of the successor when moved, else ""
    retired_on: str
    reason: str
    row: int = 0


@dataclass
class Release:
    """One release's entry in the changelog."""

    release: str
    version: int
    published: str                    # ISO date-time
    previous: str | None
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)


# -- records and their digests ---------------------------------------------------------------------

def _owner(subject: str, subjects: Container[str], labelled: set[str]) -> str:
    """The record a subject belongs to: itself if labelled, else its nearest enclosing subject."""
    if subject in labelled:
        return subject
    cut = subject.rfind("/")
    while cut > 0:
        if (prefix := subject[:cut]) in subjects:
            return _owner(prefix, subjects, labelled)
        cut = subject.rfind("/", 0, cut)
    return subject


def records_in(path: Path, base: str, processes: int = 1) -> dict[str, str]:
    """Record path (relative to base) → digest, from an N-Quads file of the data graphs, read in
    `processes` parts at once (each from a line start): parsing and hashing every quad in Python
    keeps one core busy, and a subject's digest is a sum, so the parts' sums add up to the whole's."""
    with pool.mapper(processes, tasks_per_process=1) as map_:   # a part's process leaves with its memory
        parts = map_(partial(_sums_in, path, base), _parts(path, processes))
        sums, labelled = next(parts)
        for part_sums, part_labelled in parts:   # added into the first part's, not into a new dict
            for s, h in part_sums.items():
                sums[s] = (sums.get(s, 0) + h) % MODULUS
            labelled |= part_labelled
            del part_sums, part_labelled
    return _digests(sums, labelled, base)


def _parts(path: Path, n: int) -> list[tuple[int, int]]:
    """`n` byte ranges of a line-based file, each starting at a line start (some may be empty)."""
    size = path.stat().st_size
    starts = [0]
    with path.open("rb") as f:
        for k in range(1, n):
            f.seek(max(size * k // n - 1, starts[-1]))
            f.readline()   # to the end of the line the cut falls in
            starts.append(min(f.tell(), size))
    return list(zip(starts, starts[1:] + [size]))


class _Range(io.RawIOBase):
    """Bytes `start` to `end` of a file, for the N-Quads parser to read as a stream."""

    def __init__(self, path: Path, start: int, end: int):
        self.file = path.open("rb")
        self.file.seek(start)
        self.left = end - start

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = self.file.readinto(memoryview(buffer)[:min(len(buffer), self.left)]) if self.left else 0
        self.left -= n
        return n

    def close(self) -> None:
        self.file.close()
        super().close()


def _sums_in(path: Path, base: str, part: tuple[int, int]) -> tuple[dict[str, int], set[str]]:
    with io.BufferedReader(_Range(path, *part), buffer_size=1 << 20) as stream:
        return _sums(ox.parse(stream, format=ox.RdfFormat.N_QUADS), base)


def _sums(quads: Iterable[ox.Quad], base: str) -> tuple[dict[str, int], set[str]]:
    """Each subject's sum of its quads' hashes, and the subjects with a label."""
    space = f"{base}id/"
    sums: dict[str, int] = defaultdict(int)
    labelled: set[str] = set()
    for quad in quads:
        s = quad.subject.value
        if not s.startswith(space):
            continue
        sums[s] = (sums[s] + int.from_bytes(hashlib.sha256(str(quad).encode()).digest()[:16], "big")) % MODULUS
        if quad.predicate.value in LABELS:
            labelled.add(s)
    return dict(sums), labelled


def _digests(sums: dict[str, int], labelled: set[str], base: str) -> dict[str, str]:
    """Each record's digest: the sums of its own subject and of the unlabelled ones it encloses."""
    digests: dict[str, int] = defaultdict(int)
    for s, h in sums.items():
        owner = _owner(s, sums, labelled)
        digests[owner] = (digests[owner] + h) % MODULUS
    return {iri[len(base):]: f"{h:032x}" for iri, h in sorted(digests.items())}


def read_records(release: Path) -> dict[str, tuple[str, str]]:
    """path → (digest, release in which it last changed) of a published release."""
    out = {}
    for line in (release / RECORDS_FILE).read_text(encoding="utf-8").splitlines():
        path, digest, modified = line.split("\t")
        out[path] = (digest, modified)
    return out


def spread_records(release: Path, n: int) -> list[str]:
    """The paths of about `n` records spread over a published release's list (sorted by path, so
    over its kinds of record), found by seeking, not by reading the whole list; none for a
    release published before the list existed."""
    try:
        with (release / RECORDS_FILE).open("rb") as lines:
            size, found = lines.seek(0, io.SEEK_END), []
            for i in range(n):
                lines.seek(size * i // n)
                if i:
                    lines.readline()   # the rest of the line the seek fell into
                if line := lines.readline():
                    found.append(line.split(b"\t", 1)[0].decode("utf-8"))
            return list(dict.fromkeys(found))
    except FileNotFoundError:
        return []


def write_records(out: Path, index: dict[str, tuple[str, str]]) -> None:
    (out / RECORDS_FILE).write_text("".join(f"{p}\t{d}\t{m}\n" for p, (d, m) in sorted(index.items())),
                                    encoding="utf-8")


# -- tombstones ----------------------------------------------------------------------------------------

def read_tombstones(data: Path) -> dict[str, Tombstone]:
    """data/tombstones.csv (types and enums are checked by the Data Package schema)."""
    path = data / "tombstones.csv"
    if not path.exists():
        return {}
    return {r["iri"]: Tombstone(r["iri"], r["status"], r["successor"], r["retired_on"], r["reason"], row)
            for row, r in tables.rows(path)}


def _tombstone_problems(stones: dict[str, Tombstone], new: dict[str, str], file: str) -> list[str]:
    problems = []
    for t in stones.values():
        where = f"{file}, row {t.row}"
        if t.path in new:
            problems.append(f"{where}: {t.path} is declared retired, but this build still publishes it")
        if t.status == "moved" and t.successor not in new:
            problems.append(f"{where}: successor {t.successor or '(empty)'} of {t.path} is not published by this build")
        if t.status == "gone" and t.successor:
            problems.append(f"{where}: {t.path} is 'gone' but names a successor; use status 'moved'")
    return problems


# -- comparing with the last release -----------------------------------------------------------------

@dataclass
class Comparison:
    """A build's records set against the last release: the next release's changelog entry and index."""

    entry: Release
    index: dict[str, tuple[str, str]]
    history: list[Release]


def compare(new: dict[str, str], last: Path | None, stones: dict[str, Tombstone], *, release: str,
            published: str, data: Path) -> Comparison:
    """The `iris` check, then what changed. Raises IrisDropped naming every undeclared drop."""
    file = f"{data.name}/tombstones.csv"
    problems = _tombstone_problems(stones, new, file)
    old = read_records(last) if last and (last / RECORDS_FILE).exists() else {}
    history = read_history(last) if last and (last / CHANGES_FILE).exists() else []
    dropped = sorted(p for p in old if p not in new and p not in stones)
    if last:
        problems += [f"{file}: the tombstone of {p} (published in release {last.name}) was removed; "
                     "retired IRIs stay retired" for p in sorted(read_published_tombstones(last)) if p not in stones]
    if dropped:
        problems.append(f"{len(dropped)} IRI(s) of release {last.name if last else '?'} would disappear "
                        f"without a tombstone; declare each in {file} (status gone or moved):")
        problems += [f"  {p}" for p in dropped[:SHOWN]] + ([f"  … and {len(dropped) - SHOWN} more"]
                                                          if len(dropped) > SHOWN else [])
    if problems:
        raise IrisDropped(problems)
    entry = Release(release, (history[-1].version + 1) if history else 1, published,
                    history[-1].release if history else None,
                    added=sorted(p for p in new if p not in old),
                    changed=sorted(p for p, d in new.items() if p in old and old[p][0] != d),
                    removed=sorted(p for p in old if p not in new))
    index = {p: (d, old[p][1] if p in old and old[p][0] == d else release) for p, d in new.items()}
    return Comparison(entry, index, [*history, entry])


def read_history(release: Path) -> list[Release]:
    raw = json.loads((release / CHANGES_FILE).read_text(encoding="utf-8"))
    return [Release(**r) for r in raw["releases"]]


def read_published_tombstones(release: Path) -> dict[str, Tombstone]:
    path = release / TOMBSTONES_FILE
    raw = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    return {p: Tombstone(**t) for p, t in raw.items()}


def write(out: Path, comparison: Comparison, stones: dict[str, Tombstone]) -> None:
    """The release's records index, changelog and tombstones (what the server reads)."""
    write_records(out, comparison.index)
    (out / CHANGES_FILE).write_text(json.dumps({"releases": [asdict(r) for r in comparison.history]},
                                               indent=1), encoding="utf-8")
    (out / TOMBSTONES_FILE).write_text(json.dumps({p: asdict(t) for p, t in stones.items()}, indent=1),
                                       encoding="utf-8")


# -- the changelog as RDF (graph/changes) -------------------------------------------------------------

AS = PREFIXES["as"]
ACTIVITY = {"added": "Create", "changed": "Update"}   # removed: Delete (gone) or Move (moved)


def activities(entry: Release, stones: dict[str, Tombstone]) -> list[tuple[str, str, str | None]]:
    """(type, object path, target path) per change of one release, in a stable order."""
    out = [(ACTIVITY[kind], p, None) for kind in ("added", "changed") for p in getattr(entry, kind)]
    for p in entry.removed:
        stone = stones.get(p)
        moved = stone is not None and stone.status == "moved"
        out.append(("Move" if moved else "Delete", p, stone.successor if moved else None))
    return out


def activity_iri(base: str, release: str, n: int) -> str:
    """Activities are fragments of the changelog document (/changes), not pages of their own."""
    return f"{base}changes#{release}-{n}"


def to_rdf(comparison: Comparison, stones: dict[str, Tombstone], base: str, dataset: str) -> Iterator[ox.Triple]:
    """Releases (DCAT versions), their changes (Activity Streams), each record's last change
    (dcterms:modified) and the tombstones (owl:deprecated, dcterms:isReplacedBy); yielded one by
    one, for a first release at 1M letters has about 11M of them."""
    def iri(path: str) -> ox.NamedNode:
        return ox.NamedNode(base + path)

    def t(s, p, o) -> ox.Triple:
        return ox.Triple(s, ox.NamedNode(p), o)

    DCT, DCAT, XSD, RDF = (PREFIXES[p] for p in ("dcterms", "dcat", "xsd", "rdf"))
    when = {r.release: ox.Literal(r.published, datatype=ox.NamedNode(XSD + "dateTime")) for r in comparison.history}
    for r in comparison.history:
        node = iri(f"id/release/{r.release}")
        yield from (t(node, RDF + "type", ox.NamedNode(DCAT + "Dataset")),
                    t(node, PREFIXES["rdfs"] + "label",
                      ox.Literal(f"Release {r.version} ({r.published[:10]})", language="en")),
                    t(node, DCAT + "version", ox.Literal(str(r.version))),
                    t(node, DCT + "issued", when[r.release]),
                    t(node, DCAT + "isVersionOf", ox.NamedNode(dataset)))
        if r.previous:
            yield t(node, DCAT + "previousVersion", iri(f"id/release/{r.previous}"))
        for n, (kind, obj, target) in enumerate(activities(r, stones), start=1):
            act = ox.NamedNode(activity_iri(base, r.release, n))
            yield from (t(act, RDF + "type", ox.NamedNode(AS + kind)),
                        t(act, AS + "object", iri(obj)), t(act, DCT + "isPartOf", node))   # its date: the release's
            if target:
                yield t(act, AS + "target", iri(target))
    for path, (_, modified) in comparison.index.items():
        if modified in when:
            yield t(iri(path), DCT + "modified", when[modified])
    for stone in stones.values():
        yield from (t(iri(stone.path), PREFIXES["owl"] + "deprecated", ox.Literal(True)),
                    t(iri(stone.path), PREFIXES["skos"] + "changeNote",
                      ox.Literal(f"Retired on {stone.retired_on}: {stone.reason}", language="en")))
        if stone.successor:
            yield t(iri(stone.path), DCT + "isReplacedBy", iri(stone.successor))
