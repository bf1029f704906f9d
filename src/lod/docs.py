"""Publish the vocabulary and shapes beside the data: Turtle with absolute IRIs, and HTML.

pyLODE documents the OWL part (classes, properties). It folds SKOS concept schemes into the
page title and lists none of their concepts, so the schemes get a page of their own.
"""

from __future__ import annotations

import logging
from html import escape
from pathlib import Path

from pylode import OntPub
from rdflib import Graph, URIRef
from rdflib.namespace import RDF, SKOS

# pylode configures the root logger at DEBUG on import; keep the build's terminal readable.
logging.getLogger().setLevel(logging.WARNING)


def read_turtle(path: Path, base: str) -> Graph:
    """Parse one of our Turtle files, resolving its relative IRIs against the base IRI."""
    graph = Graph()
    graph.parse(path, format="turtle", publicID=base)
    return graph


def publish(ontology: Graph, shapes: Graph, out: Path) -> None:
    """Write ontology.ttl, ontology.html (pyLODE), concepts.html and shapes.ttl into `out`."""
    out.mkdir(parents=True, exist_ok=True)
    ontology.serialize(out / "ontology.ttl", format="turtle")
    shapes.serialize(out / "shapes.ttl", format="turtle")
    schemes = sorted(ontology.subjects(RDF.type, SKOS.ConceptScheme))
    concepts = set(schemes) | {c for s in schemes for c in ontology.subjects(SKOS.inScheme, s)}
    owl = Graph()
    for triple in ontology:
        if triple[0] not in concepts:
            owl.add(triple)
    OntPub(ontology=owl, sort_subjects=True).make_html(destination=out / "ontology.html")
    (out / "concepts.html").write_text(_concepts_page(ontology, schemes), encoding="utf-8")


def _concepts_page(g: Graph, schemes: list[URIRef]) -> str:
    sections = []
    for scheme in schemes:
        rows = "".join(
            f'<tr id="{escape(c.split("#")[-1])}">'
            f'<td><a href="{escape(c)}">{escape(str(g.value(c, SKOS.prefLabel)))}</a></td>'
            f"<td>{escape(str(g.value(c, SKOS.definition) or ''))}</td><td><code>{escape(c)}</code></td></tr>"
            for c in sorted(g.subjects(SKOS.inScheme, scheme), key=lambda c: str(g.value(c, SKOS.prefLabel))))
        sections.append(f"<h2>{escape(str(g.value(scheme, SKOS.prefLabel)))}</h2>"
                        f"<p>{escape(str(g.value(scheme, SKOS.definition) or ''))}</p>"
                        f"<table><tr><th>concept</th><th>definition</th><th>IRI</th></tr>{rows}</table>")
    return ('<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Concept schemes</title>'
            "<style>body{font-family:sans-serif;max-width:60em;margin:auto}td,th{padding:.2em .6em;"
            "text-align:left;vertical-align:top}</style></head><body><h1>Concept schemes</h1>"
            + "".join(sections) + "</body></html>")
