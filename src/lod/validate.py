"""Validate the loaded data against the SHACL shapes and say what is wrong in a historian's words.

The constraints are checked by `lod.shacl` on the release's Oxigraph store (SPARQL, on disk), over
the union of the mapped graphs and the ontology, so that concept-scheme and subclass checks see
the vocabulary as pyshacl saw it when it was given the same triples in one rdflib graph. The build
validates before it adds any other graph, so that union is the whole store.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

import pyoxigraph as ox
from rdflib import Graph, URIRef
from rdflib.namespace import RDFS, SH

from lod import shacl, vocab

SourceRows = Callable[[], dict[str, tuple[str, int]]]
LABELS = [ox.NamedNode(str(vocab.PREFIXES["skos"]) + "prefLabel"), ox.NamedNode(str(RDFS.label))]


@dataclass(frozen=True)
class Violation:
    entity: str
    label: str | None
    kind: str
    message: str
    path: str | None
    value: str | None
    source: tuple[str, int] | None

    def __str__(self) -> str:
        name = f" '{self.label}'" if self.label else ""
        where = f" ({self.source[0]}, row {self.source[1]})" if self.source else ""
        detail = f" [property {self.path}" + (f", value {self.value}" if self.value else "") + "]" \
            if self.path else ""
        return f"{self.kind.capitalize()}{name} <{self.entity}>{where}: {self.message}{detail}"


def validate(store: ox.Store, shapes: Graph, source_rows: SourceRows, base: str) -> list[Violation]:
    """Every SHACL violation in the store (the union of its graphs); `source_rows` is asked only
    when there are some."""
    checks = shacl.compile_shapes(shapes, shacl.classes_in(store, None))
    results = shacl.run(store, checks, None, threads=os.cpu_count() or 1)
    if not results:
        return []
    rows, prefixes = source_rows(), vocab.bind(Graph(), base).namespace_manager
    violations = [_violation(r, store, shapes, rows, prefixes) for r in results]
    return sorted(violations, key=lambda v: (v.source or ("~", 0), v.entity, v.message))


def _violation(result: shacl.Result, store: ox.Store, shapes: Graph, rows: dict[str, tuple[str, int]],
               prefixes) -> Violation:
    check, focus = result.check, result.focus
    node_shape = next(shapes.subjects(SH.property, check.shape), check.shape)
    kind = shapes.value(node_shape, RDFS.label) or "entity"
    return Violation(
        entity=focus.value, label=_label(store, focus), kind=str(kind),
        message=check.message or "does not conform",
        path=prefixes.normalizeUri(check.path) if isinstance(check.path, URIRef) else None,
        value=result.value.value if result.value is not None else None,
        source=_source(focus.value, rows))


def _label(store: ox.Store, focus: ox.NamedNode | ox.BlankNode | ox.Literal) -> str | None:
    if isinstance(focus, ox.Literal):
        return None
    return next((q.object.value for p in LABELS for q in store.quads_for_pattern(focus, p, None)), None)


def _source(iri: str, rows: dict[str, tuple[str, int]]) -> tuple[str, int] | None:
    """The row an entity came from; an owned node (…/date, …/note/2) falls back to its owner."""
    while iri:
        if iri in rows:
            return rows[iri]
        iri = iri.rpartition("/")[0] if "/id/" in iri else ""
    return None
