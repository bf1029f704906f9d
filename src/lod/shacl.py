"""SHACL Core shapes compiled to SPARQL and run on the release's Oxigraph store.

pyshacl needs the whole data graph in rdflib (about 1.1 KB a quad: 55 GB at 1M letters), and
pyshacl over an Oxigraph store (its oxrdflib mode) was over 100x slower (docs/performance.md).
So each constraint of the shapes graph becomes a SELECT whose rows are its violations (those on
the same values share one), run on the on-disk store the build loads anyway, several at a time
(Oxigraph releases the GIL).

The queries are written so that Oxigraph reads a path's triples as a whole (a subquery) instead
of looking each focus node's values up in the store one at a time: about 3x faster at 100k
letters (docs/performance.md, bench/validation.py). A per-value check tests those triples first
and asks only the failing ones whether their subject is a focus node, and a check of type
(`sh:class`, or an `sh:or` of classes) subtracts the classes' instances, read once, from the values.

SHACL's "instance of C" is `rdf:type/rdfs:subClassOf* C`. The class hierarchy is small and fixed
for a run, so it is asked of the data once per class (`Classes`) and each check then matches
`rdf:type` against that list: the same answer, about a third cheaper than the path per value.

Only the part of SHACL Core our shapes use is compiled; anything else is refused with the shape
and the feature named, so a new shape can never be skipped silently. The tests check that the
report is pyshacl's, on the edition and on randomly damaged copies of it (tests/test_shacl.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from itertools import count

import pyoxigraph as ox
from rdflib import RDF, SH, BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.term import Node

TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
INSTANCE_OF = TYPE + "/<http://www.w3.org/2000/01/rdf-schema#subClassOf>*"
SUBCLASSES = "SELECT DISTINCT ?class WHERE {{ ?class <http://www.w3.org/2000/01/rdf-schema#subClassOf>* {of} }}"
STRING_TYPES = {str(RDF.langString), "http://www.w3.org/2001/XMLSchema#string"}
NODE_KINDS = {SH.IRI: "isIRI({v})", SH.BlankNode: "isBlank({v})", SH.Literal: "isLiteral({v})",
              SH.BlankNodeOrIRI: "(isBlank({v}) || isIRI({v}))", SH.IRIOrLiteral: "(isIRI({v}) || isLiteral({v}))",
              SH.BlankNodeOrLiteral: "(isBlank({v}) || isLiteral({v}))"}
# Parameters that are part of a shape or its path, not constraints of their own.
STRUCTURE = {SH.path, SH.property, SH.message, SH.name, SH.description, SH.order, SH.group, SH.targetClass,
             SH.targetObjectsOf, SH.targetSubjectsOf, SH.targetNode, SH.qualifiedMaxCount}
# Constraints that hold of each value node alone: a violation per value that fails.
PER_VALUE = {SH["class"], SH.datatype, SH.node, SH["or"], SH.languageIn, SH.pattern, SH.minInclusive,
             SH.maxInclusive, SH.minExclusive, SH.maxExclusive, SH.nodeKind}
COMPONENT = {SH["class"]: "Class", SH.datatype: "Datatype", SH.node: "Node", SH["or"]: "Or",
             SH.languageIn: "LanguageIn", SH.pattern: "Pattern", SH.minInclusive: "MinInclusive",
             SH.maxInclusive: "MaxInclusive", SH.minExclusive: "MinExclusive", SH.maxExclusive: "MaxExclusive",
             SH.nodeKind: "NodeKind", SH.minCount: "MinCount", SH.maxCount: "MaxCount", SH.hasValue: "HasValue",
             SH.lessThan: "LessThan", SH.lessThanOrEquals: "LessThanOrEquals",
             SH.qualifiedValueShape: "QualifiedMaxCount"}
COMPARISON = {SH.minInclusive: ">=", SH.maxInclusive: "<=", SH.minExclusive: ">", SH.maxExclusive: "<"}


class Unsupported(ValueError):
    """A shape uses a SHACL feature this compiler does not implement."""


@dataclass(frozen=True)
class Check:
    """One constraint of one shape, as a query whose rows (?this, ?value) are its violations.
    Constraints on the same values share one query; then `flag` names the row's boolean that
    says whether this one is broken."""
    shape: Node
    component: str           # e.g. "MinCount" (sh:MinCountConstraintComponent)
    path: Node | None        # the shape's sh:path as written in the shapes graph
    message: str | None
    query: str
    flag: str | None = None


@dataclass(frozen=True)
class Result:
    focus: ox.NamedNode | ox.BlankNode | ox.Literal
    value: ox.NamedNode | ox.BlankNode | ox.Literal | None
    check: Check


Classes = Callable[[Node], list[ox.NamedNode] | None]


def compile_shapes(shapes: Graph, classes: Classes | None = None) -> list[Check]:
    """A check per constraint of every targeted shape and of the property shapes it holds.
    `classes` gives a class with its subclasses (see `classes_in`); without it (or where it
    answers None) instance-of checks follow rdfs:subClassOf* in each query."""
    compiler = _Compiler(shapes, classes or (lambda _: None))
    return [check for shape in sorted(_targeted(shapes), key=str) for check in compiler.checks(shape)]


def classes_in(store: ox.Store, graphs: list[ox.NamedNode] | None) -> Classes:
    """Each class with every class below it (rdfs:subClassOf*, itself included) in the validated
    data, asked once per class; None if one of them is a blank node (no VALUES for those)."""
    @cache
    def below(cls: Node) -> list[ox.NamedNode] | None:
        rows = _select(store, SUBCLASSES.format(of=_term(cls)), graphs)
        found = [row["class"] for row in rows]
        return sorted(found, key=str) if all(isinstance(c, ox.NamedNode) for c in found) else None
    return below


def run(store: ox.Store, checks: list[Check], graphs: list[ox.NamedNode] | None, threads: int = 2) -> list[Result]:
    """Every violation in the union of `graphs` (None: of every graph in the store, which Oxigraph
    answers faster than a list), checks run `threads` at a time."""
    queries: dict[str, list[Check]] = {}
    for check in checks:
        queries.setdefault(check.query, []).append(check)

    def violations(query: str) -> list[Result]:
        return [Result(row["this"], row["value"], check) for row in _select(store, query, graphs)
                for check in queries[query] if check.flag is None or _true(row[check.flag])]
    with ThreadPoolExecutor(max_workers=threads) as pool:
        return [result for results in pool.map(violations, queries) for result in results]


def _true(value: ox.Literal | None) -> bool:
    return value is not None and value.value in ("true", "1")


def _select(store: ox.Store, query: str, graphs: list[ox.NamedNode] | None) -> ox.QuerySolutions:
    if graphs is None:
        return store.query(query, use_default_graph_as_union=True)
    return store.query(query, default_graph=graphs)


def _targeted(shapes: Graph) -> set[Node]:
    targets = (SH.targetClass, SH.targetObjectsOf, SH.targetSubjectsOf, SH.targetNode)
    return {s for t in targets for s in shapes.subjects(t, None)}


@dataclass(frozen=True)
class _Focus:
    """A shape's focus nodes: `union` binds ?this to each (its target alternatives)."""
    union: str

    @property
    def nodes(self) -> str:
        """A pattern that lists them, each once."""
        return f"{{ SELECT DISTINCT ?this WHERE {{ {self.union} }} }}"

    @property
    def test(self) -> str:
        """A filter: ?this, bound already, is one of them."""
        return f"FILTER EXISTS {{ {self.union} }}"


@dataclass(frozen=True)
class _Values:
    """The value nodes a shape constrains: its focus nodes themselves (a node shape, `pattern`
    None) or the objects of its path (`pattern` binds ?this and ?value)."""
    focus: _Focus
    pattern: str | None

    def failing(self, test: str, flags: str = "") -> str:
        """SELECT DISTINCT ?this ?value (and the `flags` `test` binds): the pairs that `test`
        (filters, binds or a MINUS) keeps. The path's triples are read as a whole and tested
        first; only the pairs left (in valid data, none) are asked whether ?this is a focus node."""
        variables = f"?this ?value {flags}".rstrip()
        if self.pattern is None:
            where = f"{self.focus.nodes} BIND(?this AS ?value) {test}"
        else:
            values = f"{{ SELECT ?this ?value WHERE {{ {self.pattern} }} }}"
            where = f"{{ SELECT {variables} WHERE {{ {values} {test} }} }} {self.focus.test}"
        return f"SELECT DISTINCT {variables} WHERE {{ {where} }}"


class _Compiler:
    def __init__(self, shapes: Graph, classes: Classes):
        self.g = shapes
        self.classes = classes
        self.names = count()

    def instance_of(self, v: str, cls: Node) -> str:
        """A pattern: `v` is an instance of `cls` (SHACL's rdf:type/rdfs:subClassOf*)."""
        below = self.classes(cls) if isinstance(cls, URIRef) else None
        if below is None:
            return f"{v} {INSTANCE_OF} {_term(cls)}"
        t = f"?t{next(self.names)}"
        return f"VALUES {t} {{ {' '.join(str(c) for c in below)} }} {v} {TYPE} {t}"

    def checks(self, node_shape: Node) -> Iterator[Check]:
        """The node shape's own constraints on its focus nodes, then each property shape's."""
        focus = self.targets(node_shape)
        yield from self.constraints(node_shape, _Values(focus, None))
        for prop in self.g.objects(node_shape, SH.property):
            yield from self.constraints(prop, _Values(focus, self.path_pattern(prop, "?this", "?value")))

    def targets(self, shape: Node) -> _Focus:
        alternatives = [self.instance_of("?this", c) for c in self.g.objects(shape, SH.targetClass)]
        alternatives += [f"?any {_term(p)} ?this" for p in self.g.objects(shape, SH.targetObjectsOf)]
        alternatives += [f"?this {_term(p)} ?any" for p in self.g.objects(shape, SH.targetSubjectsOf)]
        alternatives += [f"VALUES ?this {{ {_term(n)} }}" for n in self.g.objects(shape, SH.targetNode)]
        return _Focus(" UNION ".join(f"{{ {a} }}" for a in alternatives))

    def constraints(self, shape: Node, values: _Values) -> Iterator[Check]:
        """The shape's constraints: the per-value ones in one query (which finds the value nodes
        once, not per constraint), the rest one each."""
        message = self.g.value(shape, SH.message)
        message = str(message) if message else None
        path = self.g.value(shape, SH.path) if values.pattern else None
        parameters = self.parameters(shape)
        per_value = [(p, a) for p, a in parameters if p in PER_VALUE]
        for parameter, argument in parameters:
            if len(per_value) == 1 or parameter not in PER_VALUE:
                query = self.query(shape, parameter, argument, values)
                yield Check(shape, COMPONENT[parameter], path, message, query)
        if len(per_value) > 1:
            flags = [f"COALESCE(!{self.holds(p, a, '?value')}, false)" for p, a in per_value]
            names = " ".join(f"?f{i}" for i in range(len(flags)))
            query = values.failing(_flagged(flags), names)
            yield from _flagged_checks(shape, per_value, path, message, query)

    def query(self, shape: Node, parameter: Node, argument: Node, values: _Values) -> str:
        """SELECT ?this ?value: the focus nodes (and value nodes) that break one constraint.
        Per-value ones are `failing` (a check of type subtracts `members`), maximum counts
        `_over`, a minimum of one and sh:hasValue `_lacking`."""
        pattern, focus = values.pattern, values.focus
        members = self.members(parameter, argument, "?value")
        if members:
            # Every node that satisfies it read once and subtracted, instead of a look-up per value.
            return values.failing(f"MINUS {{ SELECT ?value WHERE {{ {members} }} }}")
        if parameter in PER_VALUE:
            return values.failing(f"FILTER(!{self.holds(parameter, argument, '?value')})")
        if parameter in (SH.lessThan, SH.lessThanOrEquals) and pattern:
            op = "<" if parameter == SH.lessThan else "<="
            return values.failing(f"{{ SELECT ?this ?other WHERE {{ ?this {_term(argument)} ?other }} }} "
                                  f"FILTER(!COALESCE(?value {op} ?other, false))")
        if parameter == SH.minCount and pattern and int(argument) == 1:
            return _lacking(focus, pattern)
        if parameter == SH.minCount and pattern:
            return (f"SELECT ?this WHERE {{ {focus.nodes} OPTIONAL {{ SELECT ?this ?value WHERE {{ {pattern} }} }} }} "
                    f"GROUP BY ?this HAVING (COUNT(DISTINCT ?value) < {int(argument)})")
        if parameter == SH.maxCount and pattern:
            return _over(focus, pattern, int(argument))
        if parameter == SH.hasValue and pattern:
            return _lacking(focus, f"{pattern} FILTER(sameTerm(?value, {_term(argument)}))")
        if parameter == SH.qualifiedValueShape and pattern:
            most = self.g.value(shape, SH.qualifiedMaxCount)
            if most is None or self.g.value(shape, SH.qualifiedMinCount) is not None:
                raise Unsupported(f"shape {shape}: only sh:qualifiedMaxCount is supported")
            return _over(focus, f"{pattern} FILTER({self.conforms(argument, '?value')})", int(most))
        raise Unsupported(f"shape {shape}: {parameter} is not supported here")

    def members(self, parameter: Node, argument: Node, v: str) -> str | None:
        """A pattern binding `v` to every node that satisfies a per-value constraint, for those
        that are a matter of type: sh:class, and sh:or of shapes that each state only an sh:class."""
        if parameter == SH["class"]:
            return self.instance_of(v, argument)
        if parameter != SH["or"]:
            return None
        classes = [self.only_class(shape) for shape in Collection(self.g, argument)]
        if not classes or None in classes:
            return None
        return " UNION ".join(f"{{ {self.instance_of(v, cls)} }}" for cls in classes)

    def only_class(self, shape: Node) -> Node | None:
        """The class a shape requires, if that is all it says."""
        parameters = self.parameters(shape)
        if self.g.value(shape, SH.property) is not None or [p for p, _ in parameters] != [SH["class"]]:
            return None
        return parameters[0][1]

    def holds(self, parameter: Node, argument: Node, v: str) -> str:
        """A SPARQL expression: value `v` satisfies this per-value constraint."""
        if parameter == SH["class"]:
            return f"EXISTS {{ {self.instance_of(v, argument)} }}"
        if parameter == SH.datatype:
            return _has_datatype(v, str(argument))
        if parameter == SH.node:
            return self.conforms(argument, v)
        if parameter == SH["or"]:
            return "(" + " || ".join(self.conforms(s, v) for s in Collection(self.g, argument)) + ")"
        if parameter == SH.languageIn:
            tags = " || ".join(f"langMatches(LANG({v}), {_term(Literal(str(t)))})" for t in Collection(self.g, argument))
            return f"(isLiteral({v}) && ({tags}))"
        if parameter == SH.pattern:
            return f"(!isBlank({v}) && REGEX(STR({v}), {_term(Literal(str(argument)))}))"
        if parameter in COMPARISON:
            return f"COALESCE({v} {COMPARISON[parameter]} {_term(argument)}, false)"
        if parameter == SH.nodeKind and argument in NODE_KINDS:
            return NODE_KINDS[argument].format(v=v)
        raise Unsupported(f"{parameter} {argument} is not supported inside a shape")

    def conforms(self, shape: Node, v: str) -> str:
        """A SPARQL expression: node `v` conforms to `shape` (for sh:node, sh:or, qualified shapes)."""
        parts = [self.property_conforms(p, v) for p in self.g.objects(shape, SH.property)]
        for parameter, argument in self.parameters(shape):
            if parameter in PER_VALUE:
                parts.append(self.holds(parameter, argument, v))
            else:
                raise Unsupported(f"shape {shape}: {parameter} is not supported in a nested shape")
        return "(" + " && ".join(parts or ["true"]) + ")"

    def property_conforms(self, prop: Node, v: str) -> str:
        """`v` meets every constraint of a nested property shape (hasValue, minCount 1, per-value)."""
        x = f"?v{next(self.names)}"
        pattern = self.path_pattern(prop, v, x)
        parts = []
        for parameter, argument in self.parameters(prop):
            if parameter == SH.hasValue:
                parts.append(f"EXISTS {{ {pattern} FILTER(sameTerm({x}, {_term(argument)})) }}")
            elif parameter == SH.minCount and int(argument) == 1:
                parts.append(f"EXISTS {{ {pattern} }}")
            elif parameter in PER_VALUE:
                parts.append(f"NOT EXISTS {{ {pattern} FILTER(!{self.holds(parameter, argument, x)}) }}")
            else:
                raise Unsupported(f"property shape {prop}: {parameter} is not supported in a nested shape")
        return "(" + " && ".join(parts or ["true"]) + ")"

    def parameters(self, shape: Node) -> list[tuple[Node, Node]]:
        """The shape's constraint parameters (SHACL terms that are not structure), in a fixed order."""
        return sorted((p, o) for p, o in self.g.predicate_objects(shape)
                      if str(p).startswith(str(SH)) and p not in STRUCTURE)

    def path_pattern(self, prop: Node, subject: str, value: str) -> str:
        path = self.g.value(prop, SH.path)
        if isinstance(path, URIRef):
            return f"{subject} {_term(path)} {value} ."
        inverse = self.g.value(path, SH.inversePath) if isinstance(path, BNode) else None
        if isinstance(inverse, URIRef):
            return f"{value} {_term(inverse)} {subject} ."
        raise Unsupported(f"property shape {prop}: only a predicate or sh:inversePath of one is supported as sh:path")


def _lacking(focus: _Focus, values: str) -> str:
    """The focus nodes with no row of `values` (which binds ?this): the focus nodes MINUS the
    subjects of those rows, each side read as a whole."""
    return f"SELECT DISTINCT ?this WHERE {{ {focus.nodes} MINUS {{ SELECT ?this WHERE {{ {values} }} }} }}"


def _over(focus: _Focus, values: str, most: int) -> str:
    """The focus nodes with more than `most` distinct ?value in `values`: counted from the values
    alone, and only the subjects over the bound are asked whether they are focus nodes."""
    return (f"SELECT ?this WHERE {{ {{ SELECT ?this WHERE {{ {values} }} GROUP BY ?this "
            f"HAVING (COUNT(DISTINCT ?value) > {most}) }} {focus.test} }}")


def _flagged_checks(shape: Node, group: list[tuple[Node, Node]], path: Node | None, message: str | None,
                    query: str) -> Iterator[Check]:
    """The checks of constraints sharing `query`, the i-th read from the row's ?f<i>."""
    return (Check(shape, COMPONENT[p], path, message, query, f"f{i}") for i, (p, _) in enumerate(group))


def _flagged(flags: list[str]) -> str:
    """Binds one boolean ?f<i> per expression and keeps the rows where any is true."""
    binds = " ".join(f"BIND({f} AS ?f{i})" for i, f in enumerate(flags))
    return f"{binds} FILTER({' || '.join(f'?f{i}' for i in range(len(flags)))})"


def _has_datatype(v: str, datatype: str) -> str:
    """A literal of the datatype whose lexical form is valid for it (an XSD cast to it succeeds)."""
    typed = f"(isLiteral({v}) && DATATYPE({v}) = <{datatype}>"
    if datatype in STRING_TYPES:
        return typed + ")"
    return typed + f" && COALESCE(DATATYPE(<{datatype}>(STR({v}))) = <{datatype}>, false))"


def _term(node: Node) -> str:
    """An rdflib term from the shapes graph, written in SPARQL syntax by pyoxigraph."""
    if isinstance(node, URIRef):
        return str(ox.NamedNode(str(node)))
    if isinstance(node, Literal):
        if node.language:
            return str(ox.Literal(str(node), language=node.language))
        datatype = ox.NamedNode(str(node.datatype)) if node.datatype else None
        return str(ox.Literal(str(node), datatype=datatype))
    raise Unsupported(f"{node!r} cannot be a constraint's argument")
