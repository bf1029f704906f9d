"""The vocabulary documents every term; the shapes cover every entity the data publishes."""

from rdflib import Graph, URIRef
from rdflib.namespace import RDF, RDFS, SH, SKOS

from conftest import BASE, REPO, select
from lod.docs import read_turtle

ONTOLOGY = read_turtle(REPO / "ontology" / "lod.ttl", BASE)
SHAPES = read_turtle(REPO / "shapes" / "shapes.ttl", BASE)


def test_every_term_has_a_label_and_a_definition():
    terms = {s for s in ONTOLOGY.subjects() if isinstance(s, URIRef) and s.startswith(f"{BASE}ontology#")}
    assert len(terms) > 50
    for term in terms:
        assert ONTOLOGY.value(term, RDFS.label) or ONTOLOGY.value(term, SKOS.prefLabel), term
        assert ONTOLOGY.value(term, SKOS.definition), term


def test_every_published_entity_is_the_focus_of_a_shape(built_edition):
    _, _, store = built_edition
    targets = {str(c) for c in SHAPES.objects(None, SH.targetClass)}
    rows = select(store, f"""SELECT DISTINCT ?s WHERE {{
        VALUES ?g {{ <{BASE}graph/documents> <{BASE}graph/glossary> <{BASE}graph/notes> <{BASE}graph/curation> }}
        GRAPH ?g {{ ?s a ?type }} }}""")
    typed = Graph()
    for q in store.quads_for_pattern(None, None, None, None):
        if q.predicate.value == str(RDF.type):
            typed.add((URIRef(q.subject.value), RDF.type, URIRef(q.object.value)))
    uncovered = [r["s"] for r in rows if not {str(t) for t in typed.objects(URIRef(r["s"]), RDF.type)} & targets]
    assert uncovered == []
