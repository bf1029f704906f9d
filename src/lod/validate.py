"""Validate mapped data against the SHACL shapes and say what is wrong in a historian's words.

pyshacl needs an rdflib graph; the mapped N-Quads are read with pyoxigraph's fast parser and
converted term by term (the graph names do not matter for the shapes). The
ontology is added to the same graph in place, so that concept-scheme checks see it without
pyshacl cloning the data.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
import pyshacl
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS, SH, SKOS
from rdflib.term import Node

from lod import vocab

XSD_STRING = ox.NamedNode("http://www.w3.org/2001/XMLSchema#string")
SourceRows = Callable[[], dict[str, tuple[str, int]]]


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


def rdflib_graph(nquads: Path, *extra: Graph) -> Graph:
    """All triples of an N-Quads file (graph names dropped) plus the given graphs, in rdflib.

    pyoxigraph parses; each distinct term is converted to rdflib once and then shared, which
    measured 1.8x faster and 30% smaller than letting rdflib parse N-Triples itself
    (docs/performance.md).
    """
    graph = Graph()
    term = _RdflibTerms()
    graph.addN((term(q.subject), term(q.predicate), term(q.object), graph)
               for q in ox.parse(path=str(nquads), format=ox.RdfFormat.N_QUADS))
    for g in extra:
        graph += g
    return graph


class _RdflibTerms(dict):
    """pyoxigraph term → rdflib term, converting each distinct term once."""

    def __call__(self, t: ox.NamedNode | ox.BlankNode | ox.Literal) -> Node:
        converted = self.get(t)
        if converted is None:
            converted = self[t] = _convert(t)
        return converted


def _convert(t: ox.NamedNode | ox.BlankNode | ox.Literal) -> Node:
    if isinstance(t, ox.NamedNode):
        return URIRef(t.value)
    if isinstance(t, ox.BlankNode):
        return BNode(t.value)
    if t.language:
        return Literal(t.value, lang=t.language)
    return Literal(t.value) if t.datatype == XSD_STRING else Literal(t.value, datatype=URIRef(t.datatype.value))


def validate(data: Graph, shapes: Graph, source_rows: SourceRows, base: str) -> list[Violation]:
    """Every SHACL violation in `data`; `source_rows` is asked only when there are some."""
    vocab.bind(data, base)
    # pyshacl adds triples to the shapes graph it is given: hand it a copy.
    conforms, results, _ = pyshacl.validate(data, shacl_graph=shapes + Graph(), inference="none",
                                            inplace=True, allow_warnings=False)
    if conforms:
        return []
    rows = source_rows()
    violations = [_violation(results, r, data, shapes, rows)
                  for r in results.subjects(RDF.type, SH.ValidationResult)]
    return sorted(violations, key=lambda v: (v.source or ("~", 0), v.entity, v.message))


def _violation(results: Graph, result, data: Graph, shapes: Graph,
               rows: dict[str, tuple[str, int]]) -> Violation:
    focus = results.value(result, SH.focusNode)
    shape = results.value(result, SH.sourceShape)
    node_shape = next(shapes.subjects(SH.property, shape), shape)
    kind = shapes.value(node_shape, RDFS.label) or "entity"
    path, value = results.value(result, SH.resultPath), results.value(result, SH.value)
    label = data.value(focus, SKOS.prefLabel) or data.value(focus, RDFS.label)
    return Violation(
        entity=str(focus), label=str(label) if label else None, kind=str(kind),
        message=str(results.value(result, SH.resultMessage) or "does not conform"),
        path=data.namespace_manager.normalizeUri(path) if isinstance(path, URIRef) else None,
        value=str(value) if value is not None else None,
        source=_source(str(focus), rows))


def _source(iri: str, rows: dict[str, tuple[str, int]]) -> tuple[str, int] | None:
    """The row an entity came from; an owned node (…/date, …/note/2) falls back to its owner."""
    while iri:
        if iri in rows:
            return rows[iri]
        iri = iri.rpartition("/")[0] if "/id/" in iri else ""
    return None
