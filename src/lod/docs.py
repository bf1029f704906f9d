"""Publish the vocabulary and shapes beside the data: Turtle with absolute IRIs, and HTML."""

from __future__ import annotations

import logging
from pathlib import Path

from pylode import OntPub
from rdflib import Graph

# pylode configures the root logger at DEBUG on import; keep the build's terminal readable.
logging.getLogger().setLevel(logging.WARNING)


def read_turtle(path: Path, base: str) -> Graph:
    """Parse one of our Turtle files, resolving its relative IRIs against the base IRI."""
    graph = Graph()
    graph.parse(path, format="turtle", publicID=base)
    return graph


def publish(ontology: Graph, shapes: Graph, out: Path) -> None:
    """Write ontology.ttl, ontology.html (pyLODE) and shapes.ttl into `out`."""
    out.mkdir(parents=True, exist_ok=True)
    ontology.serialize(out / "ontology.ttl", format="turtle")
    shapes.serialize(out / "shapes.ttl", format="turtle")
    OntPub(ontology=ontology, sort_subjects=True).make_html(destination=out / "ontology.html")
