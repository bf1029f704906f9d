"""Representations the server offers and the choice between them (Accept header or explicit format).

One table per kind of answer: RDF graphs, SPARQL result sets. Each entry: the short name used in
`?format=` and file extensions, the media type sent, and the media types accepted as asking for it.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox
from werkzeug.datastructures import MIMEAccept


@dataclass(frozen=True)
class Format:
    name: str                   # ?format= value and file extension
    media_type: str             # Content-Type we send
    accepts: tuple[str, ...]    # media types that select it (first = media_type)
    rdf: ox.RdfFormat | None = None
    results: ox.QueryResultsFormat | None = None
    aliases: tuple[str, ...] = ()   # other ?format= values clients send (SPARQLWrapper: turtle, json-ld…)

    @property
    def content_type(self) -> str:
        textual = self.media_type.startswith("text/") or self.media_type.endswith(("json", "xml"))
        return f"{self.media_type}; charset=utf-8" if textual else self.media_type


HTML = Format("html", "text/html", ("text/html", "application/xhtml+xml"))

# Graph formats for resource descriptions (the first is the default for RDF clients).
GRAPH = [
    Format("ttl", "text/turtle", ("text/turtle", "application/x-turtle", "text/n3"), rdf=ox.RdfFormat.TURTLE,
           aliases=("turtle", "n3")),
    Format("nt", "application/n-triples", ("application/n-triples",), rdf=ox.RdfFormat.N_TRIPLES,
           aliases=("ntriples", "n-triples")),
    Format("jsonld", "application/ld+json", ("application/ld+json",), rdf=ox.RdfFormat.JSON_LD,
           aliases=("json-ld",)),
    Format("rdf", "application/rdf+xml", ("application/rdf+xml",), rdf=ox.RdfFormat.RDF_XML,
           aliases=("xml", "rdfxml", "rdf+xml")),
]
# CONSTRUCT/DESCRIBE answers may also be asked for in dataset formats (their default graph).
DATASET = [
    Format("nq", "application/n-quads", ("application/n-quads",), rdf=ox.RdfFormat.N_QUADS, aliases=("nquads",)),
    Format("trig", "application/trig", ("application/trig",), rdf=ox.RdfFormat.TRIG),
]
RESULTS = [
    Format("json", "application/sparql-results+json", ("application/sparql-results+json", "application/json"),
           results=ox.QueryResultsFormat.JSON),
    Format("xml", "application/sparql-results+xml", ("application/sparql-results+xml", "application/xml",
                                                       "text/xml"), results=ox.QueryResultsFormat.XML),
    Format("csv", "text/csv", ("text/csv",), results=ox.QueryResultsFormat.CSV),
    Format("tsv", "text/tab-separated-values", ("text/tab-separated-values",), results=ox.QueryResultsFormat.TSV),
]

RESOURCE = [HTML, *GRAPH]
SPARQL_GRAPH = [*GRAPH, *DATASET, HTML]
SPARQL_RESULTS = [*RESULTS, HTML]


class NotAcceptable(ValueError):
    """Nothing on offer matches; the message lists what is."""


def by_name(offers: list[Format], name: str) -> Format:
    """The offer a `?format=` value (short name or media type) selects."""
    for f in offers:
        if name == f.name or name in f.accepts or name in f.aliases:
            return f
    raise NotAcceptable(f"format={name!r} is not offered here; use one of: "
                        + ", ".join(f.name for f in offers))


def negotiate(offers: list[Format], accept: MIMEAccept) -> Format:
    """The best offer for an Accept header; the first offer when the client states no preference."""
    if not accept or accept.best == "*/*":
        return offers[0]
    candidates = [m for f in offers for m in f.accepts]
    best = accept.best_match(candidates)
    if best is None:
        raise NotAcceptable("none of the requested media types is offered; available: "
                            + ", ".join(f.media_type for f in offers))
    return next(f for f in offers if best in f.accepts)
