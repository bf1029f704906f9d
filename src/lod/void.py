"""The VoID description of a release, computed from its store so its statistics match the data.

Written at build time (the counts take seconds at scale, see docs/performance.md) as void.ttl
in the release; the server publishes it at /.well-known/void.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pyoxigraph as ox
from rdflib import RDF, XSD, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, FOAF, VOID

from lod import rq
from lod.dumps import Dump

SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
WIKIDATA = URIRef("http://www.wikidata.org/")   # the target dataset of our linksets


def dataset_iri(base: str) -> URIRef:
    return URIRef(f"{base}.well-known/void#dataset")


def _rows(store: ox.Store, name: str, **bindings: str) -> list[dict[str, str]]:
    subs = {ox.Variable(k): ox.Literal(v) for k, v in bindings.items()} or None
    solutions = store.query(rq.load(name), substitutions=subs)
    names = [v.value for v in solutions.variables]
    return [{n: row[n].value for n in names if row[n] is not None} for row in solutions]


def _partition(ds: URIRef, kind: str, iri: str) -> URIRef:
    """A stable IRI for a class or property partition: the same term gets the same IRI in every release."""
    return URIRef(f"{ds}-{kind}-{hashlib.sha1(iri.encode()).hexdigest()[:10]}")


def _integer(value: str) -> Literal:
    return Literal(int(value), datatype=XSD.integer)


def _namespace(iri: str) -> str:
    cut = max(iri.rfind("#"), iri.rfind("/"))
    return iri[: cut + 1]


def describe(store: ox.Store, base: str, title: str, licence: str, dumps: list[Dump]) -> Graph:
    g = Graph()
    g.bind("void", VOID)
    g.bind("dcterms", DCTERMS)
    ds = dataset_iri(base)
    g.add((ds, RDF.type, VOID.Dataset))
    g.add((ds, DCTERMS.title, Literal(title, lang="en")))
    g.add((ds, DCTERMS.license, URIRef(licence)))
    g.add((ds, FOAF.homepage, URIRef(base)))
    g.add((ds, VOID.sparqlEndpoint, URIRef(f"{base}sparql")))
    g.add((ds, VOID.uriSpace, Literal(f"{base}id/")))
    g.add((ds, VOID.rootResource, URIRef(f"{base}id/document/1")))
    for dump in dumps:
        g.add((ds, VOID.dataDump, URIRef(f"{base}dumps/{dump.file}")))
    totals = _rows(store, "void-totals")[0]
    g.add((ds, VOID.triples, _integer(totals["triples"])))
    g.add((ds, VOID.distinctSubjects, _integer(totals["subjects"])))
    g.add((ds, VOID.distinctObjects, _integer(totals["objects"])))
    entities = _rows(store, "void-entities", idspace=f"{base}id/")
    g.add((ds, VOID.entities, _integer(entities[0]["entities"] if entities else 0)))
    for row in _rows(store, "void-examples"):
        g.add((ds, VOID.exampleResource, URIRef(row["example"])))
    vocabularies = set()
    for row in _rows(store, "void-classes"):
        part = _partition(ds, "class", row["class"])
        g.add((ds, VOID.classPartition, part))
        g.add((part, VOID["class"], URIRef(row["class"])))
        g.add((part, VOID.entities, _integer(row["entities"])))
        vocabularies.add(_namespace(row["class"]))
    for row in _rows(store, "void-properties"):
        part = _partition(ds, "property", row["property"])
        g.add((ds, VOID.propertyPartition, part))
        g.add((part, VOID.property, URIRef(row["property"])))
        g.add((part, VOID.triples, _integer(row["triples"])))
        vocabularies.add(_namespace(row["property"]))
    for v in sorted(vocabularies):
        g.add((ds, VOID.vocabulary, URIRef(v)))
    for row in _rows(store, "void-graphs"):
        subset = URIRef(row["graph"])
        g.add((ds, VOID.subset, subset))
        g.add((subset, RDF.type, VOID.Dataset))
        g.add((subset, RDF.type, SD.NamedGraph))
        g.add((subset, VOID.triples, _integer(row["triples"])))
        g.add((subset, VOID.distinctSubjects, _integer(row["subjects"])))
    _linksets(g, store, ds)
    return g


def _linksets(g: Graph, store: ox.Store, ds: URIRef) -> None:
    """One VoID linkset per link predicate into Wikidata, so a harvester can find and count them."""
    rows = _rows(store, "void-linksets")
    if rows:
        g.add((WIKIDATA, RDF.type, VOID.Dataset))
        g.add((WIKIDATA, DCTERMS.title, Literal("Wikidata", lang="en")))
        g.add((WIKIDATA, VOID.uriSpace, Literal("http://www.wikidata.org/entity/")))
        g.add((WIKIDATA, VOID.sparqlEndpoint, URIRef("https://query.wikidata.org/sparql")))
    for row in rows:
        linkset = _partition(ds, "linkset", row["predicate"])
        g.add((ds, VOID.subset, linkset))
        g.add((linkset, RDF.type, VOID.Linkset))
        g.add((linkset, VOID.linkPredicate, URIRef(row["predicate"])))
        g.add((linkset, VOID.subjectsTarget, ds))
        g.add((linkset, VOID.objectsTarget, WIKIDATA))
        g.add((linkset, VOID.triples, _integer(row["triples"])))


def write(store: ox.Store, out: Path, **kwargs) -> None:
    describe(store, **kwargs).serialize(out, format="turtle")
