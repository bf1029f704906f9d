"""The dataset's description — VoID and DCAT in one graph — computed from the release's store.

One description serves both vocabularies, so VoID's statistics and DCAT's distributions cannot
disagree: the dataset is a void:Dataset and a dcat:Dataset, each dump and harvesting file is a
void:dataDump and a dcat:Distribution, the SPARQL endpoint a dcat:DataService, all in a dcat:Catalog.
Written at build time (the counts take minutes at 1M letters, see docs/performance.md) as void.ttl
in the release; the server publishes it at /.well-known/void. The counts are asked first
(`queries`, run by `rq.rows_each`); describing them touches no store.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pyoxigraph as ox
from rdflib import RDF, XSD, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, FOAF, VOID

from lod.config import Dataset
from lod.dumps import Dump

SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
SPDX = Namespace("http://spdx.org/rdf/terms#")
DCAT = Namespace("http://www.w3.org/ns/dcat#")   # DCAT 3 (rdflib's closed namespace lacks its versioning terms)
IANA = "https://www.iana.org/assignments/media-types/"
RDF_DUMPS = {"application/n-quads", "text/turtle", "application/ld+json"}
CONFORMS = {  # what a file follows, by file extension (beyond its media type)
    ".xml": URIRef("https://github.com/TEI-Correspondence-SIG/CMIF"),
    ".txt": URIRef("https://gbv.github.io/beaconspec/beacon.html"),
}
WIKIDATA = URIRef("http://www.wikidata.org/")   # the target dataset of our linksets
Statistics = dict[str, list[dict[str, str]]]   # a query's name → its rows


def dataset_iri(base: str) -> URIRef:
    return URIRef(f"{base}.well-known/void#dataset")


def _partition(ds: URIRef, kind: str, iri: str) -> URIRef:
    """A stable IRI for a class or property partition: the same term gets the same IRI in every release."""
    return URIRef(f"{ds}-{kind}-{hashlib.sha1(iri.encode()).hexdigest()[:10]}")


def _integer(value: str) -> Literal:
    return Literal(int(value), datatype=XSD.integer)


def _namespace(iri: str) -> str:
    cut = max(iri.rfind("#"), iri.rfind("/"))
    return iri[: cut + 1]


def queries(base: str) -> dict[str, dict[str, ox.Literal]]:
    """The statistics `describe` reads, with their bindings; the longest at 1M letters first."""
    return {"void-totals": {}, "void-entities": {"idspace": ox.Literal(f"{base}id/")}, "void-graphs": {},
            "void-properties": {}, "dataset-period": {}, "void-classes": {}, "void-examples": {},
            "void-linksets": {}}


def describe(stats: Statistics, dataset: Dataset, dumps: list[Dump], *, version: int, issued: str,
             release: str) -> Graph:
    base, title, licence = dataset.base_iri, dataset.title, dataset.licence
    g = Graph()
    for prefix, ns in (("void", VOID), ("dcterms", DCTERMS), ("dcat", DCAT), ("spdx", SPDX)):
        g.bind(prefix, ns)
    ds = dataset_iri(base)
    g.add((ds, RDF.type, VOID.Dataset))
    g.add((ds, DCTERMS.title, Literal(title, lang="en")))
    g.add((ds, DCTERMS.description, Literal(dataset.description, lang="en")))
    g.add((ds, DCTERMS.license, URIRef(licence)))
    g.add((ds, FOAF.homepage, URIRef(base)))
    g.add((ds, VOID.sparqlEndpoint, URIRef(f"{base}sparql")))
    g.add((ds, VOID.uriSpace, Literal(f"{base}id/")))
    g.add((ds, VOID.rootResource, URIRef(f"{base}id/document/1")))
    for dump in dumps:
        if dump.media_type in RDF_DUMPS:   # CMIF and BEACON are distributions (DCAT), not RDF dumps
            g.add((ds, VOID.dataDump, URIRef(f"{base}dumps/{dump.file}")))
    _dcat(g, stats["dataset-period"], ds, dataset, dumps, version=version, issued=issued, release=release)
    totals = stats["void-totals"][0]
    g.add((ds, VOID.triples, _integer(totals["triples"])))
    g.add((ds, VOID.distinctSubjects, _integer(totals["subjects"])))
    g.add((ds, VOID.distinctObjects, _integer(totals["objects"])))
    entities = stats["void-entities"]
    g.add((ds, VOID.entities, _integer(entities[0]["entities"] if entities else 0)))
    for row in stats["void-examples"]:
        g.add((ds, VOID.exampleResource, URIRef(row["example"])))
    vocabularies = set()
    for row in stats["void-classes"]:
        part = _partition(ds, "class", row["class"])
        g.add((ds, VOID.classPartition, part))
        g.add((part, VOID["class"], URIRef(row["class"])))
        g.add((part, VOID.entities, _integer(row["entities"])))
        vocabularies.add(_namespace(row["class"]))
    for row in stats["void-properties"]:
        part = _partition(ds, "property", row["property"])
        g.add((ds, VOID.propertyPartition, part))
        g.add((part, VOID.property, URIRef(row["property"])))
        g.add((part, VOID.triples, _integer(row["triples"])))
        vocabularies.add(_namespace(row["property"]))
    for v in sorted(vocabularies):
        g.add((ds, VOID.vocabulary, URIRef(v)))
    for row in stats["void-graphs"]:
        subset = URIRef(row["graph"])
        g.add((ds, VOID.subset, subset))
        g.add((subset, RDF.type, VOID.Dataset))
        g.add((subset, RDF.type, SD.NamedGraph))
        g.add((subset, VOID.triples, _integer(row["triples"])))
        g.add((subset, VOID.distinctSubjects, _integer(row["subjects"])))
    _linksets(g, stats["void-linksets"], ds)
    return g


def _dcat(g: Graph, period: list[dict[str, str]], ds: URIRef, dataset: Dataset, dumps: list[Dump], *,
          version: int, issued: str, release: str) -> None:
    """DCAT 3 (DCAT-AP-friendly): the catalogue, this dataset's version, its distributions and the SPARQL service."""
    base, licence, publisher = dataset.base_iri, dataset.licence, dataset.publisher
    catalog, service, agent = URIRef(f"{base}.well-known/void#catalog"), URIRef(f"{base}sparql"), \
        URIRef(f"{base}.well-known/void#publisher")
    when = Literal(issued, datatype=XSD.dateTime)
    g.add((agent, RDF.type, FOAF.Agent))
    g.add((agent, FOAF.name, Literal(publisher)))
    g.add((catalog, RDF.type, DCAT.Catalog))
    g.add((catalog, DCTERMS.title, g.value(ds, DCTERMS.title)))
    g.add((catalog, DCTERMS.publisher, agent))
    g.add((catalog, FOAF.homepage, URIRef(base)))
    g.add((catalog, DCAT.dataset, ds))
    g.add((catalog, DCAT.service, service))
    g.add((ds, RDF.type, DCAT.Dataset))
    g.add((ds, DCTERMS.publisher, agent))
    g.add((ds, DCAT.landingPage, URIRef(base)))
    g.add((ds, DCAT.version, Literal(str(version))))
    g.add((ds, DCTERMS.modified, when))
    g.add((ds, DCAT.hasCurrentVersion, URIRef(f"{base}id/release/{release}")))
    if period and "start" in period[0] and "end" in period[0]:
        node = URIRef(f"{base}.well-known/void#period")
        g.add((ds, DCTERMS.temporal, node))
        g.add((node, RDF.type, DCTERMS.PeriodOfTime))
        g.add((node, DCAT.startDate, Literal(period[0]["start"], datatype=XSD.date)))
        g.add((node, DCAT.endDate, Literal(period[0]["end"], datatype=XSD.date)))
    for word in dataset.keywords:
        g.add((ds, DCAT.keyword, Literal(word, lang="en")))
    g.add((service, RDF.type, DCAT.DataService))
    g.add((service, DCAT.endpointURL, service))
    g.add((service, DCAT.endpointDescription, service))   # the SPARQL service description
    g.add((service, DCAT.servesDataset, ds))
    g.add((service, DCTERMS.conformsTo, URIRef("https://www.w3.org/TR/sparql11-protocol/")))
    g.add((service, DCTERMS.license, URIRef(licence)))
    for dump in dumps:
        url = URIRef(f"{base}dumps/{dump.file}")
        dist = URIRef(f"{base}.well-known/void#distribution-{dump.file}")
        checksum = URIRef(f"{dist}-sha256")
        g.add((ds, DCAT.distribution, dist))
        g.add((dist, RDF.type, DCAT.Distribution))
        g.add((dist, DCTERMS.title, Literal(f"{dump.format}: {dump.graphs}", lang="en")))
        g.add((dist, DCAT.downloadURL, url))
        g.add((dist, DCAT.accessURL, url))
        g.add((dist, DCAT.mediaType, URIRef(IANA + dump.media_type)))
        if dump.file.endswith(".gz"):
            g.add((dist, DCAT.compressFormat, URIRef(IANA + "application/gzip")))
        g.add((dist, DCAT.byteSize, Literal(dump.bytes, datatype=XSD.nonNegativeInteger)))
        g.add((dist, DCTERMS.license, URIRef(licence)))
        g.add((dist, DCTERMS.issued, when))
        g.add((dist, SPDX.checksum, checksum))
        g.add((checksum, SPDX.algorithm, SPDX.checksumAlgorithm_sha256))
        g.add((checksum, SPDX.checksumValue, Literal(dump.sha256, datatype=XSD.hexBinary)))
        conforms = CONFORMS.get(Path(dump.file).suffix)
        if conforms:
            g.add((dist, DCTERMS.conformsTo, conforms))
    sparql = URIRef(f"{base}.well-known/void#distribution-sparql")
    g.add((ds, DCAT.distribution, sparql))
    g.add((sparql, RDF.type, DCAT.Distribution))
    g.add((sparql, DCTERMS.title, Literal("SPARQL 1.1 endpoint", lang="en")))
    g.add((sparql, DCAT.accessURL, service))
    g.add((sparql, DCAT.accessService, service))
    g.add((sparql, DCTERMS.license, URIRef(licence)))


def _linksets(g: Graph, rows: list[dict[str, str]], ds: URIRef) -> None:
    """One VoID linkset per link predicate into Wikidata, so a harvester can find and count them."""
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


def write(stats: Statistics, out: Path, **kwargs) -> None:
    describe(stats, **kwargs).serialize(out, format="turtle")
