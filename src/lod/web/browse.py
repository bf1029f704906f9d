"""Browse lists and the name search, computed once per release and worker from `.rq` queries."""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field

import pyoxigraph as ox

from lod import rq
from lod.web.describe import label_statement
from lod.web.present import natural_key
from lod.web.published import Release

SDO, RICO, ORG = "https://schema.org/", "https://www.ica.org/standards/RiC/ontology#", "http://www.w3.org/ns/org#"
KINDS = {f"{SDO}Person": "person", f"{SDO}Organization": "organisation", f"{SDO}Place": "place",
         f"{SDO}Message": "document", f"{RICO}RecordSet": "archival unit"}


@dataclass
class Node:
    iri: str
    text: str
    note: str | None = None
    children: list["Node"] = field(default_factory=list)


def _query(rel: Release, name: str, **bindings: ox.NamedNode) -> ox.QuerySolutions:
    return rq.run(rel.store, name, base=rel.base, **bindings)


def documents_by_year(rel: Release) -> dict[str, list[Node]]:
    def make() -> dict[str, list[Node]]:
        years: dict[str, list[Node]] = defaultdict(list)
        for row in _query(rel, "browse-documents"):
            year = row["begin"].value[:4] if row["begin"] is not None else "undated"
            years[year].append(Node(row["s"].value, row["label"].value))
        return dict(sorted(years.items()))
    return rel.cached("documents_by_year", make)


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


def alphabetical(rel: Release, cls: str) -> dict[str, list[Node]]:
    """Entities of a class under their initial letter (persons A–Z)."""
    def make() -> dict[str, list[Node]]:
        letters: dict[str, list[Node]] = defaultdict(list)
        for row in _query(rel, "browse-tree", **{"class": ox.NamedNode(cls)}):
            letters[fold(row["label"].value)[:1].upper() or "?"].append(Node(row["s"].value, row["label"].value))
        return {k: sorted(dict((n.iri, n) for n in v).values(), key=lambda n: fold(n.text))
                for k, v in sorted(letters.items())}
    return rel.cached(f"alphabetical {cls}", make)


def fold(text: str) -> str:
    """Case- and accent-insensitive form for matching (Zinov'ev ~ zinovev, Ё ~ е)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if c.isalnum() or c == " ").strip()


def search(rel: Release, text: str, limit: int = 100) -> list[Node]:
    """Entities any of whose name forms contains the query; exact and prefix matches first."""
    index = rel.cached("names", lambda: [(fold(row["name"].value), row["s"].value, row["label"].value,
                                          KINDS[row["kind"].value]) for row in _query(rel, "search-names")])
    q = fold(text)
    if not q:
        return []
    best: dict[str, tuple[int, Node]] = {}
    for name, iri, label, kind in index:
        if q in name:
            rank = 0 if name == q else 1 if name.startswith(q) or f" {q}" in name else 2
            if iri not in best or rank < best[iri][0]:
                best[iri] = (rank, Node(iri, label, kind))
    return [n for _, n in sorted(best.values(), key=lambda rn: (rn[0], fold(rn[1].text)))][:limit]
