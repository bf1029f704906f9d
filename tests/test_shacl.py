"""The SPARQL-compiled validator (lod.shacl) gives pyshacl's report: on the edition, and on copies
of it damaged at random in the ways source tables go wrong (missing, doubled, ill-typed,
mistyped and misplaced values, stray types). pyshacl is the reference here, as it was the
build's validator until it ran out of memory at scale (docs/decisions.md)."""

from __future__ import annotations

import random

import pyoxigraph as ox
import pyshacl
import pytest
from rdflib import RDF, SH, BNode, Graph, Literal, URIRef

from lod import shacl

XSD = "http://www.w3.org/2001/XMLSchema#"
TYPE = ox.NamedNode(str(RDF.type))
Report = set[tuple[str, str | None, str, str]]


@pytest.fixture(scope="module")
def edition(built_edition) -> tuple[list[ox.Triple], Graph]:
    """The published edition's triples (every graph) and the shapes graph it was built with."""
    config, _, store = built_edition
    shapes = Graph().parse(config.path("shapes") / "shapes.ttl", publicID=config.dataset.base_iri)
    triples = {ox.Triple(q.subject, q.predicate, q.object) for q in store.quads_for_pattern(None, None, None)}
    return sorted(triples, key=str), shapes


def test_edition_conforms_for_both(edition):
    triples, shapes = edition
    assert ours(triples, shapes) == reference(triples, shapes) == set()


@pytest.mark.parametrize("seed", range(12))
def test_damaged_edition_gives_pyshacls_report(edition, seed):
    triples, shapes = edition
    damaged = damage(triples, random.Random(seed), changes=40, keep_comparable=compared(shapes))
    expected = reference(damaged, shapes)
    assert len(expected) >= 5   # the damage was seen: the comparison is not between two empty reports
    # both ways of asking: the store's union or a list of graphs; classes listed or followed by path
    assert ours(damaged, shapes, with_list=seed % 2 == 1, listed_classes=seed % 3 != 0) == expected


def test_values_that_cannot_be_compared_are_a_violation(edition):
    """SHACL: a pair that cannot be compared breaks sh:lessThanOrEquals (pyshacl raises instead)."""
    triples, shapes = edition
    begin = ox.NamedNode("http://www.cidoc-crm.org/cidoc-crm/P82a_begin_of_the_begin")
    date = next(t for t in triples if t.predicate == begin)
    damaged = [t for t in triples if t != date] + [ox.Triple(date.subject, begin, ox.Literal("spring 1925"))]
    report = ours(damaged, shapes)
    assert {(c, v) for f, v, _, c in report if f == str(date.subject)} == \
        {("Datatype", '"spring 1925"'), ("LessThanOrEquals", '"spring 1925"')}


SMALL_SHAPES = """
@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix x: <urn:x:> .
x:Kept a sh:NodeShape ; sh:targetClass x:Box ;
    sh:property [ sh:path x:tag ; sh:hasValue x:red ] ,
                [ sh:path x:part ; sh:minCount 2 ; sh:maxCount 3 ] ,
                [ sh:path x:part ; sh:qualifiedValueShape [ sh:class x:Lid ] ; sh:qualifiedMaxCount 1 ] ,
                [ sh:path [ sh:inversePath x:holds ] ; sh:maxCount 1 ] .
x:Named a sh:NodeShape ; sh:targetNode x:b1 , x:nothing ; sh:targetSubjectsOf x:label ;
    sh:property [ sh:path x:label ; sh:minCount 1 ; sh:maxCount 1 ; sh:datatype <http://www.w3.org/2001/XMLSchema#string> ] .
x:Held a sh:NodeShape ; sh:targetObjectsOf x:holds ; sh:class x:Box .
"""
SMALL_DATA = """
@prefix x: <urn:x:> .
x:b1 a x:Box ; x:tag x:red ; x:part x:p1 , x:p2 ; x:label "one" .
x:b2 a x:Box ; x:tag x:blue ; x:colour x:red ; x:part x:p1 ; x:label "two" , "deux" .
x:b3 a x:Box ; x:tag x:red , x:blue ; x:part x:p1 , x:p2 , x:p3 , x:p4 , x:l1 , x:l2 .
x:l1 a x:Lid . x:l2 a x:Lid . x:crate x:part x:l1 , x:l2 , x:p1 , x:p2 . x:s1 x:holds x:b1 . x:s2 x:holds x:b1 , x:p1 . x:p1 x:label 5 .
"""


def test_forms_the_edition_does_not_use_give_pyshacls_report():
    """Top-level sh:hasValue, counts other than one, qualified counts, inverse paths and the other
    kinds of target, on a small made-up graph: each compiled form is checked, not only the ones
    the edition's shapes need."""
    shapes = Graph().parse(data=SMALL_SHAPES, format="turtle")
    store = ox.Store()
    store.load(SMALL_DATA.encode(), ox.RdfFormat.TURTLE)
    triples = [ox.Triple(q.subject, q.predicate, q.object) for q in store]
    expected = reference(triples, shapes)
    assert {c for *_, c in expected} >= {"HasValue", "MinCount", "MaxCount", "QualifiedMaxCount", "Datatype", "Class"}
    assert ours(triples, shapes) == expected


def test_unsupported_feature_is_refused_with_the_shape_named():
    shapes = Graph()
    shape, prop = URIRef("urn:x:S"), BNode()
    shapes.add((shape, SH.targetClass, URIRef("urn:x:C")))
    shapes.add((shape, SH.property, prop))
    shapes.add((prop, SH.path, URIRef("urn:x:p")))
    shapes.add((prop, SH.uniqueLang, Literal(True)))
    with pytest.raises(shacl.Unsupported, match="uniqueLang"):
        shacl.compile_shapes(shapes)


def ours(triples: list[ox.Triple], shapes: Graph, with_list: bool = False, listed_classes: bool = True) -> Report:
    """Our report, over the store's union graph as the build asks it, or over a list of graphs."""
    store = ox.Store()
    graph = ox.NamedNode("urn:x-test:data")
    store.extend(ox.Quad(t.subject, t.predicate, t.object, graph) for t in triples)
    graphs = [graph] if with_list else None
    checks = shacl.compile_shapes(shapes, shacl.classes_in(store, graphs) if listed_classes else None)
    return {(str(r.focus), str(r.value) if r.value is not None else None, str(r.check.shape), r.check.component)
            for r in shacl.run(store, checks, graphs)}


def reference(triples: list[ox.Triple], shapes: Graph) -> Report:
    data = Graph()
    for t in triples:
        data.add((_rdflib(t.subject), _rdflib(t.predicate), _rdflib(t.object)))
    _, results, _ = pyshacl.validate(data, shacl_graph=shapes + Graph(), inference="none")
    report = set()
    for r in results.objects(None, SH.result):   # the report's results; nested sh:detail ones are not required
        value = results.value(r, SH.value)
        component = str(results.value(r, SH.sourceConstraintComponent)).removeprefix(str(SH))
        report.add((str(_oxigraph(results.value(r, SH.focusNode))), str(_oxigraph(value)) if value is not None else None,
                    str(results.value(r, SH.sourceShape)), component.removesuffix("ConstraintComponent")))
    return report


def compared(shapes: Graph) -> set[ox.NamedNode]:
    """Properties compared by sh:lessThan(OrEquals): pyshacl 0.40 stops with an error when one of
    their values is a blank node or cannot be compared, so the random damage leaves their values
    comparable; the incomparable case has its own test."""
    pairs = [(s, o) for p in (SH.lessThan, SH.lessThanOrEquals) for s, o in shapes.subject_objects(p)]
    return {ox.NamedNode(str(n)) for s, o in pairs for n in (shapes.value(s, SH.path), o)}


def damage(triples: list[ox.Triple], rng: random.Random, changes: int,
           keep_comparable: set[ox.NamedNode]) -> list[ox.Triple]:
    """`changes` random edits of the kinds a bad source row makes."""
    data = list(triples)
    by_predicate: dict[ox.NamedNode, list[ox.Triple]] = {}
    for t in data:
        by_predicate.setdefault(t.predicate, []).append(t)
    classes = sorted({t.object for t in by_predicate[TYPE]}, key=str)
    for _ in range(changes):
        i = rng.randrange(len(data))
        s, p, o = data[i].subject, data[i].predicate, data[i].object
        edit = rng.choice(("drop", "double", "ill-typed", "untyped", "retype", "literal", "blank", "other", "stray"))
        if p in keep_comparable and edit in ("ill-typed", "other", "blank"):
            continue
        if edit == "drop":
            data.pop(i)
        elif edit == "double":   # a second value, taken from another row with this property
            data.append(ox.Triple(s, p, rng.choice(by_predicate[p]).object))
        elif edit == "ill-typed" and isinstance(o, ox.Literal):
            data[i] = ox.Triple(s, p, ox.Literal(rng.choice(("x", "1925-13-40", "1.5", "")), datatype=o.datatype))
        elif edit == "untyped" and isinstance(o, ox.Literal):
            data[i] = ox.Triple(s, p, ox.Literal(o.value, language=rng.choice(("de", None))))
        elif edit == "retype":
            data.append(ox.Triple(s, TYPE, rng.choice(classes)))
        elif edit == "literal" and isinstance(o, ox.NamedNode):
            data[i] = ox.Triple(s, p, ox.Literal(o.value))
        elif edit == "blank":
            data[i] = ox.Triple(s, p, ox.BlankNode())
        elif edit == "other":    # a value of some other property
            data[i] = ox.Triple(s, p, rng.choice(data).object)
        elif edit == "stray" and isinstance(o, ox.NamedNode):   # a thing of a checked class with nothing said of it
            data.append(ox.Triple(o, TYPE, rng.choice(classes)))
    return data


def _rdflib(t):
    if isinstance(t, ox.NamedNode):
        return URIRef(t.value)
    if isinstance(t, ox.BlankNode):
        return BNode(t.value)
    if t.language:
        return Literal(t.value, lang=t.language)
    datatype = None if t.datatype.value == XSD + "string" else URIRef(t.datatype.value)
    return Literal(t.value, datatype=datatype, normalize=False)   # the lexical form as written, as Oxigraph keeps it


def _oxigraph(t):
    if isinstance(t, URIRef):
        return ox.NamedNode(str(t))
    if isinstance(t, BNode):
        return ox.BlankNode(str(t))
    if t.language:
        return ox.Literal(str(t), language=t.language)
    return ox.Literal(str(t), datatype=ox.NamedNode(str(t.datatype)) if t.datatype else None)
