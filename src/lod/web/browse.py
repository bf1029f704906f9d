"""Browse lists and the name search: the long lists and the names from the release's index
(lod.index), the small trees computed once per release and worker from `.rq` queries."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import pyoxigraph as ox

from lod import rq
from lod.index import RICO, fold
from lod.web.describe import label_statement
from lod.web.present import natural_key
from lod.web.published import Release

ORG = "http://www.w3.org/ns/org#"


@dataclass
class Node:
    iri: str
    text: str
    note: str | None = None
    children: list["Node"] = field(default_factory=list)


def _query(rel: Release, name: str, **bindings: ox.NamedNode) -> ox.QuerySolutions:
    return rq.run(rel.store, name, base=rel.base, **bindings)


def sections(rel: Release, name: str) -> dict[str, int]:
    """A list of the release's index (lod.index): its sections, in order, and their sizes."""
    return rel.cached(f"sections {name}", lambda: dict(_index(
        rel, "SELECT section, count FROM sections WHERE list = ? ORDER BY section", (name,))))


def entries(rel: Release, name: str, section: str, offset: int, limit: int) -> list[Node]:
    """One page of a section of a list, in its order."""
    rows = _index(rel, "SELECT iri, label FROM entries WHERE list = ? AND section = ? AND position >= ? "
                       "ORDER BY position LIMIT ?", (name, section, offset, limit))
    return [Node(iri, label) for iri, label in rows]


def tree(rel: Release, cls: str) -> dict[str, list[Node]]:
    """Entities of a class as trees under their containers, one section per outside root."""
    def make() -> dict[str, list[Node]]:
        nodes: dict[str, Node] = {}
        parents: dict[str, list[str]] = defaultdict(list)
        for row in _query(rel, "browse-tree", **{"class": ox.NamedNode(cls)}):
            nodes.setdefault(row["s"].value, Node(row["s"].value, row["label"].value))
            if row["parent"] is not None:
                parents[row["s"].value].append(row["parent"].value)
        sections: dict[str, list[Node]] = defaultdict(list)
        for iri, node in nodes.items():
            inside = [p for p in parents[iri] if p in nodes and p != iri]
            if inside:
                nodes[inside[0]].children.append(node)
            else:
                outside = parents[iri][0] if parents[iri] else ""
                label = label_statement(rel.store, ox.NamedNode(outside)) if outside else None
                sections[label.object.value if label else outside].append(node)
        for node in nodes.values():
            node.children.sort(key=lambda n: natural_key(n.text))
        return {k: sorted(v, key=lambda n: natural_key(n.text)) for k, v in sorted(sections.items())}
    return rel.cached(f"tree {cls}", make)


WHOLE_NAME = "SELECT iri, label, kind FROM names WHERE name = ? ORDER BY rowid"
NAME_LIKE = ("SELECT n.iri, n.label, n.kind FROM name_parts AS p JOIN names AS n ON n.rowid = p.rowid "
             "WHERE p.name LIKE ? ORDER BY p.rowid")


def search(rel: Release, text: str, limit: int = 100) -> list[Node]:
    """Entities any of whose name forms contains the query: whole names first, then a word's
    start, then any part; each by label. The index holds name forms in label order, so each
    pattern is read only until the page is full (lod.index)."""
    q = fold(text)
    found: dict[str, Node] = {}
    with rel.index() as db:
        for sql, value in ((WHOLE_NAME, f" {q} "), (NAME_LIKE, f"% {q}%"), (NAME_LIKE, f"%{q}%")) if q else ():
            for iri, label, kind in db.execute(sql, (value,)):
                if len(found) == limit:
                    return list(found.values())
                found.setdefault(iri, Node(iri, label, kind))
    return list(found.values())


def _index(rel: Release, sql: str, params: tuple) -> list[tuple]:
    with rel.index() as db:
        return db.execute(sql, params).fetchall()
