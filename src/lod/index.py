"""The browse, search and reconciliation index of a release (`index.sqlite`), written by the build.

The long lists (documents by year, persons and places A–Z) and the name search would otherwise be
computed by every web worker from the store: at a million letters that is a minute and a gigabyte
per worker (docs/performance.md). Written once here, they are read a page at a time through
SQLite's B-tree and trigram indexes, whatever the store backend. The reconciliation service's
name forms and entities are kept here too (lod.linking.ours). The small trees (bodies,
archival units) are still asked of the store by the web (lod.web.browse).

Its cards give, for every IRI with a name or a last change, the name a page shows for it and
that change (`cards`): a resource page names and dates every record it links to, which took two
store look-ups per record (a third of a person page's time at a million letters, and two more
requests to a remote engine per page), and one SQLite query for all of them instead.
"""

from __future__ import annotations

import json
import sqlite3
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import closing
from pathlib import Path

import pyoxigraph as ox

from lod import rq
from lod.linking import ours
from lod.linking.matcher import Entity
from lod.vocab import LABEL_PROPERTIES, PREFIXES

FILE_NAME = "index.sqlite"
SDO, RICO = "https://schema.org/", "https://www.ica.org/standards/RiC/ontology#"
ALPHABETICAL = {"persons": f"{SDO}Person", "places": f"{SDO}Place"}   # list name: class
KINDS = {f"{SDO}Person": "person", f"{SDO}Organization": "organisation", f"{SDO}Place": "place",
         f"{SDO}Message": "document", f"{RICO}RecordSet": "archival unit"}
SCHEMA = """
CREATE TABLE entries (list TEXT, section TEXT, position INTEGER, iri TEXT, label TEXT,
                      PRIMARY KEY (list, section, position)) WITHOUT ROWID;
CREATE TABLE sections (list TEXT, section TEXT, count INTEGER, PRIMARY KEY (list, section)) WITHOUT ROWID;
CREATE TABLE names (name TEXT, iri TEXT, label TEXT, kind TEXT);
CREATE TABLE reconcile_entities (number INTEGER PRIMARY KEY, id TEXT UNIQUE, type TEXT, entity TEXT);
CREATE TABLE reconcile_forms (key TEXT, word TEXT, number INTEGER);
CREATE TABLE cards (iri TEXT PRIMARY KEY, label TEXT, language TEXT, datatype TEXT, modified TEXT) WITHOUT ROWID;
CREATE TEMP TABLE unsorted (name TEXT, iri TEXT, label TEXT, kind TEXT, sortkey TEXT);
CREATE TEMP TABLE said (iri TEXT, rank INTEGER, value TEXT, language TEXT, datatype TEXT);
"""
NAME_INDEXES = """
CREATE INDEX names_by_name ON names (name);
CREATE VIRTUAL TABLE name_parts USING fts5(name, content = 'names', tokenize = 'trigram');
INSERT INTO name_parts(name_parts) VALUES ('rebuild');
"""
ADD_NAME = "INSERT INTO temp.unsorted VALUES (?, ?, ?, ?, ?)"
SORT_NAMES = "INSERT INTO names SELECT name, iri, label, kind FROM temp.unsorted ORDER BY sortkey, iri"
# A card's name is its IRI's literal label of the most preferred property (LABEL_PROPERTIES; a tie
# between two values of one property: one of them); its last change is its latest dcterms:modified.
MODIFIED = PREFIXES["dcterms"] + "modified"
RANKS = {p: rank for rank, p in enumerate([*LABEL_PROPERTIES, MODIFIED])}
SORT_CARDS = f"""
WITH named AS (SELECT iri, value, language, datatype, MIN(rank) FROM temp.said WHERE rank < {RANKS[MODIFIED]}
               GROUP BY iri),
     dated AS (SELECT iri, MAX(value) AS modified FROM temp.said WHERE rank = {RANKS[MODIFIED]} GROUP BY iri)
INSERT INTO cards
SELECT iri, value, language, datatype, modified FROM named LEFT JOIN dated USING (iri)
UNION ALL
SELECT iri, NULL, NULL, NULL, modified FROM dated WHERE iri NOT IN (SELECT iri FROM named)
ORDER BY 1
"""
CARDS_OF = "SELECT iri, label, language, datatype, modified FROM cards WHERE iri IN (SELECT value FROM json_each(?))"
PLAIN = {PREFIXES["xsd"] + "string", PREFIXES["rdf"] + "langString"}   # no datatype kept for these
Entry = tuple[str, str, str]   # section, IRI, label
# A card: the name's lexical form, language and datatype (none for plain and language-tagged
# strings), and the last change; all None where the IRI has no name, or no change.
Card = tuple[str | None, str | None, str | None, str | None]


def fold(text: str) -> str:
    """Case- and accent-insensitive form for matching (Zinov'ev ~ zinovev, Ё ~ е)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if c.isalnum() or c == " ").strip()


def write(store: ox.Store, path: Path, base: str) -> None:
    """Write the index of the release in `store` to `path` (a new file)."""
    with closing(sqlite3.connect(path)) as db, db:   # committed, then closed
        db.executescript(SCHEMA)
        _add_list(db, "documents", _documents(store, base))
        for name, cls in ALPHABETICAL.items():
            _add_list(db, name, _alphabetical(store, base, cls))
        db.executemany(ADD_NAME, _names(store, base))
        db.execute(SORT_NAMES)
        db.executescript(NAME_INDEXES)
        _add_reconciliation(db, ours.read(store, base))
        _add_cards(db, store)


def _add_list(db: sqlite3.Connection, name: str, entries: Iterable[Entry]) -> None:
    """Entries in the order they are listed; each section numbers its own from 0."""
    counts: dict[str, int] = defaultdict(int)

    def numbered() -> Iterator[tuple]:
        for section, iri, label in entries:
            yield name, section, counts[section], iri, label
            counts[section] += 1
    db.executemany("INSERT INTO entries VALUES (?, ?, ?, ?, ?)", numbered())
    db.executemany("INSERT INTO sections VALUES (?, ?, ?)", ((name, s, n) for s, n in counts.items()))


def _add_reconciliation(db: sqlite3.Connection, entities: list[Entity]) -> None:
    """What the reconciliation service matches on: every name form, and each entity as JSON."""
    db.executemany("INSERT INTO reconcile_entities VALUES (?, ?, ?, ?)",
                   ((n, e.id, e.type, ours.to_json(e)) for n, e in enumerate(entities)))
    db.executemany("INSERT INTO reconcile_forms VALUES (?, ?, ?)", ours.forms(entities))


def _add_cards(db: sqlite3.Connection, store: ox.Store) -> None:
    """Every IRI's name and last change, from one pass over those properties' statements
    (streamed into a temporary table, then grouped by IRI in SQLite, which sorts on disk)."""
    solutions = rq.run(store, "cards", p=[ox.NamedNode(p) for p in RANKS])
    db.executemany("INSERT INTO temp.said VALUES (?, ?, ?, ?, ?)",
                   ((s.value, RANKS[p.value], o.value, o.language, None if o.datatype.value in PLAIN else o.datatype.value)
                    for s, p, o in solutions if isinstance(s, ox.NamedNode) and isinstance(o, ox.Literal)))
    db.execute(SORT_CARDS)


def cards(db: sqlite3.Connection, iris: Iterable[str]) -> dict[str, Card]:
    """The cards of those of `iris` that have one (an IRI without is neither named nor dated)."""
    return {row[0]: row[1:] for row in db.execute(CARDS_OF, (json.dumps(list(iris)),))}


def has_cards(db: sqlite3.Connection) -> bool:
    """Whether the index has cards (those written before they existed do not)."""
    return db.execute("SELECT 1 FROM sqlite_master WHERE name = 'cards'").fetchone() is not None


def _documents(store: ox.Store, base: str) -> Iterator[Entry]:
    """Documents by the year their date begins in, in edition order (streamed: a million rows)."""
    for row in rq.iter_rows(store, "browse-documents", base=base):
        yield row["begin"][:4] if "begin" in row else "undated", row["s"], row["label"]


def _alphabetical(store: ox.Store, base: str, cls: str) -> list[Entry]:
    """Entities of a class under the initial of their label, sorted without case or accents."""
    rows = rq.iter_rows(store, "browse-tree", base=base, **{"class": ox.NamedNode(cls)})
    unique = {(fold(r["label"])[:1].upper() or "?", r["s"]): r["label"] for r in rows}
    ordered = sorted(unique.items(), key=lambda item: (item[0][0], fold(item[1]), item[0][1]))
    return [(section, iri, label) for (section, iri), label in ordered]


def _names(store: ox.Store, base: str) -> Iterator[tuple[str, str, str, str, str]]:
    """Every name form of every entity a historian looks for, folded and padded with a space on
    each side. They are stored in the order of their entity's label, with a B-tree index for
    whole names and a trigram index (FTS5 over the same rows) for a word's start (`% q%`) and
    any part (`%q%`): both answer in that order, so a search stops after a page
    (lod.web.browse.search)."""
    for row in rq.iter_rows(store, "search-names", base=base):
        yield f" {fold(row['name'])} ", row["s"], row["label"], KINDS[row["kind"]], fold(row["label"])
