"""Prefixes of the standard vocabularies we use, for dumps and messages."""

from rdflib import Graph

PREFIXES = {
    "rico": "https://www.ica.org/standards/RiC/ontology#", "schema": "https://schema.org/",
    "org": "http://www.w3.org/ns/org#", "skos": "http://www.w3.org/2004/02/skos/core#",
    "time": "http://www.w3.org/2006/time#", "crm": "http://www.cidoc-crm.org/cidoc-crm/",
    "prov": "http://www.w3.org/ns/prov#", "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "xsd": "http://www.w3.org/2001/XMLSchema#", "dcterms": "http://purl.org/dc/terms/",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#", "owl": "http://www.w3.org/2002/07/owl#",
    "sh": "http://www.w3.org/ns/shacl#", "void": "http://rdfs.org/ns/void#",
    "foaf": "http://xmlns.com/foaf/0.1/", "wd": "http://www.wikidata.org/entity/",
    "dcat": "http://www.w3.org/ns/dcat#", "as": "https://www.w3.org/ns/activitystreams#",
}

# Properties that name a thing, in order of preference (descriptions, records, page titles).
LABEL_PROPERTIES = ("http://www.w3.org/2000/01/rdf-schema#label", "http://www.w3.org/2004/02/skos/core#prefLabel",
                    "https://schema.org/name")


def prefixes(base: str) -> dict[str, str]:
    """All prefixes including the dataset's own (`lod:` vocabulary, `id:` entities)."""
    return {"lod": f"{base}ontology#", "id": f"{base}id/", **PREFIXES}


def bind(graph: Graph, base: str) -> Graph:
    for prefix, iri in prefixes(base).items():
        graph.bind(prefix, iri, override=True)
    return graph
