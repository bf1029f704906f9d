"""What the server says about a resource — its description, defined here rather than left to DESCRIBE.

A description holds:
  * the resource's own statements;
  * its owned nodes (IRIs minted under its own, e.g. id/document/5/date) with their statements;
  * the chain of containers above it (archival hierarchy, parent bodies), for breadcrumbs;
  * its incoming links, counted per property and paged; unlabelled subjects of incoming links are
    relationship nodes (an office held, a citation) and are described inline;
  * a label for every IRI it mentions.
The labels and last changes of the IRIs a page shows come from the release index's cards
(lod.index), in two SQLite queries per page. The rest is read with the store's triple-pattern
API: no query parsing on the hot path of the embedded store; on a remote store the resource's
statements and links in, its relationship nodes, and each further level of the nodes it and
they own are each one request (`lod.store.quads_around`, `quads_for_subjects`; the first level
comes with its owner's statements), not one per term. Without cards (an
index written before them) labels and last changes are asked of the store in the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from itertools import chain

import pyoxigraph as ox

from lod.index import MODIFIED as MODIFIED_IRI, Card
from lod.store import minted_under, quads_around, quads_for_subjects
from lod.vocab import LABEL_PROPERTIES

RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
LABELS = [ox.NamedNode(p) for p in LABEL_PROPERTIES]
# Properties that point from a part to its container: followed upwards for the breadcrumb.
CONTAINERS = [ox.NamedNode("https://www.ica.org/standards/RiC/ontology#isOrWasIncludedIn"),
              ox.NamedNode("http://www.w3.org/ns/org#unitOf"),
              ox.NamedNode("https://www.ica.org/standards/RiC/ontology#hasOrHadHolder")]
MAX_DEPTH = 8
MODIFIED = ox.NamedNode(MODIFIED_IRI)   # a record's last change (lod.changes)
Cards = Callable[[Iterable[str]], Mapping[str, Card]]   # a release's lod.index.cards


@dataclass
class Incoming:
    """The subjects linking to the resource through one property: a page of them and the total."""

    predicate: ox.NamedNode
    total: int = 0
    subjects: list[ox.NamedNode | ox.BlankNode] = field(default_factory=list)


@dataclass
class Description:
    iri: ox.NamedNode
    own: list[ox.Triple]
    owned: dict[ox.NamedNode, list[ox.Triple]]
    ancestors: list[ox.NamedNode]
    incoming: list[Incoming]
    relations: dict[ox.NamedNode | ox.BlankNode, list[ox.Triple]]
    labels: dict[str, str]
    page: int
    more: bool                     # another page of incoming links exists
    extra: list[ox.Triple] = field(default_factory=list)   # ancestors' links, label statements
    # Every statement of the nodes read whole (the resource, its nodes, its relationship nodes' nodes).
    held: dict[ox.NamedNode | ox.BlankNode, list[ox.Triple]] = field(default_factory=dict)
    cards: Cards | None = None     # the index's cards, each IRI's read once for the page (`_once`)

    @property
    def found(self) -> bool:
        return bool(self.own) or any(i.total for i in self.incoming)

    def label(self, term: ox.NamedNode | ox.BlankNode) -> str | None:
        return self.labels.get(term.value)

    def triples(self) -> list[ox.Triple]:
        """Every statement of the description, each once (the RDF representations)."""
        out = list(self.own)
        for triples in (*self.owned.values(), *self.relations.values()):
            out.extend(triples)
        for inc in self.incoming:
            out.extend(ox.Triple(s, inc.predicate, self.iri) for s in inc.subjects)
        out.extend(self.extra)
        return list(dict.fromkeys(out))


def _triples(around: list[ox.Quad], subject) -> list[ox.Triple]:
    return list(dict.fromkeys(q.triple for q in around if q.subject == subject))


def _statements(store: ox.Store, terms: Iterable, predicates: list[ox.NamedNode], held: Mapping | None,
                first: bool = False) -> Iterator[ox.Quad | ox.Triple]:
    """`quads_for_subjects`, except that the terms whose statements are `held` already (a page's
    own nodes) are read from them: on the embedded store an unlabelled node would cost a look-up
    per label property, and on a remote one it lengthens the request."""
    held, terms = held or {}, list(terms)
    asked = quads_for_subjects(store, [t for t in terms if t not in held], predicates, first=first)
    kept = (t for term in terms if term in held for t in held[term] if t.subject == term and t.predicate in predicates)
    return chain(asked, kept)


def _carded(terms: list, cards: Cards | None) -> tuple[list[tuple[ox.NamedNode, Card]], list]:
    """The IRIs among `terms` that have a card, with it, and the terms left to ask the store (all
    of them without cards; blank nodes have none)."""
    if cards is None:
        return [], terms
    iris = {t.value: t for t in terms if isinstance(t, ox.NamedNode)}
    return [(iris[iri], card) for iri, card in cards(iris).items()], [t for t in terms if not isinstance(t, ox.NamedNode)]


def _once(cards: Cards) -> Cards:
    """`cards`, remembering for one page what each IRI's card was (or that it has none): the
    labels, then the last changes, ask again for most of the IRIs (a third of the SQLite time)."""
    read: dict[str, Card | None] = {}

    def remembered(iris: Iterable[str]) -> Mapping[str, Card]:
        iris = list(iris)
        if new := [iri for iri in iris if iri not in read]:
            found = cards(new)
            read.update((iri, found.get(iri)) for iri in new)
        return {iri: card for iri in iris if (card := read[iri]) is not None}
    return remembered


def _name(term: ox.NamedNode, card: Card) -> ox.Triple:
    label, language, datatype, _ = card
    return ox.Triple(term, LABELS[0], ox.Literal(label, language=language,
                                                 datatype=ox.NamedNode(datatype) if datatype else None))


def labels(store: ox.Store, terms: Iterable, held: Mapping | None = None,
           cards: Cards | None = None) -> dict[str, ox.Triple]:
    """Each term's label as an rdfs:label statement, from rdfs:label, skos:prefLabel or
    schema:name (in that order of preference), asked for all the terms at once."""
    carded, terms = _carded(list(terms), cards)
    found: dict[str, tuple[int, ox.Triple]] = {}
    for q in _statements(store, terms, LABELS, held, first=True):
        rank = LABELS.index(q.predicate)
        if rank < found.get(q.subject.value, (len(LABELS),))[0]:
            found[q.subject.value] = (rank, ox.Triple(q.subject, LABELS[0], q.object))
    named = {term.value: _name(term, card) for term, card in carded if card[0] is not None}
    return named | {value: statement for value, (_, statement) in found.items()}


def label_statement(store: ox.Store, term) -> ox.Triple | None:
    """One term's label statement (see `labels`)."""
    return labels(store, [term]).get(term.value)


def _owned(store: ox.Store, roots: dict) -> dict[ox.NamedNode | ox.BlankNode, dict[ox.NamedNode, list[ox.Triple]]]:
    """For each root (a resource or relationship node, with its statements): the nodes minted under
    its IRI, followed down (dates, names, notes, periods), with their statements and the links
    into them from elsewhere (a note's citations). One level of every root's nodes at a time, so
    that a remote store is asked once per level, not once per node."""
    owned: dict = {root: {} for root in roots}
    found = [(root, t.object) for root, triples in roots.items() for t in triples]
    while level := {node: root for root, node in found if minted_under(node, root) and node not in owned[root]}:
        outgoing: dict = {node: {} for node in level}
        incoming: dict = {node: {} for node in level}
        for q in quads_around(store, level):
            if q.subject in level:
                outgoing[q.subject][q.triple] = None
            if q.object in level and q.subject != level[q.object]:
                incoming[q.object][q.triple] = None
        for node, root in level.items():
            owned[root][node] = list(dict.fromkeys([*outgoing[node], *incoming[node]]))
        found = [(level[node], t.object) for node in level for t in outgoing[node]]
    return owned


def _ancestors(store: ox.Store, iri: ox.NamedNode, own: list[ox.Triple]) -> tuple[list[ox.NamedNode], list[ox.Triple]]:
    """The containers above `iri`, nearest last. The first step is read from its own statements:
    most pages have no container, and on a remote store asking would cost a request."""
    chain: list[ox.NamedNode] = []
    links: list[ox.Triple] = []
    up = _container(own)
    while up is not None and up.object not in chain and up.object != iri:
        links.append(up)
        chain.append(up.object)
        if len(chain) == MAX_DEPTH:
            break
        up = _container([q.triple for q in quads_for_subjects(store, [up.object], CONTAINERS, first=True)])
    return chain[::-1], links


def _container(triples: list[ox.Triple]) -> ox.Triple | None:
    """The statement naming the container, by the order of preference of CONTAINERS."""
    ups = [t for t in triples if t.predicate in CONTAINERS]
    return min(ups, key=lambda t: CONTAINERS.index(t.predicate)) if ups else None


def _incoming(around: list[ox.Quad], iri: ox.NamedNode, page: int, size: int,
              quiet: frozenset) -> tuple[list[Incoming], bool]:
    """Incoming links per property: the total, and the page's slice. Subjects are sorted by IRI,
    so a page holds the same links whatever order the store (embedded or remote) returns them in."""
    groups: dict[ox.NamedNode, set] = {}
    for q in around:
        if q.object == iri and q.graph_name not in quiet:
            groups.setdefault(q.predicate, set()).add(q.subject)
    start, more, out = (page - 1) * size, False, []
    for predicate in sorted(groups, key=lambda p: p.value):
        subjects = sorted(groups[predicate], key=lambda s: s.value)
        out.append(Incoming(predicate, len(subjects), subjects[start:start + size]))
        more = more or len(subjects) > start + size
    return out, more


def _said(store: ox.Store, nodes: list, quiet: frozenset) -> dict:
    """Unlabelled subjects of incoming links are relationship nodes (an office held, a citation):
    what each says (the nodes it owns are read with the resource's, `_owned`)."""
    said: dict = {node: {} for node in nodes}
    for q in quads_for_subjects(store, nodes):
        if q.graph_name not in quiet:
            said[q.subject][q.triple] = None
    return {node: list(triples) for node, triples in said.items()}


def describe(store: ox.Store, iri: ox.NamedNode, *, page: int = 1, size: int = 100,
             quiet: frozenset[ox.NamedNode] = frozenset(),
             known: dict[str, ox.Triple | None] | None = None, cards: Cards | None = None) -> Description:
    """`quiet` graphs (the changelog) add to the resource's own statements only: their links into
    it (activities naming it) and their statements about related nodes (last changed) are left out.

    `known`: the labels of vocabulary terms (properties, classes) asked already, kept by the caller
    for the release. Every page names the same few hundred, most with no label in the store, and
    each unlabelled term costs a lookup per label property (at 1M letters, half the label lookups
    of a person page).

    `cards`: the release index's (lod.index), for the labels of IRIs (and, kept with the
    description, for their last changes: `last_modified`)."""
    cards = None if cards is None else _once(cards)
    around = list(quads_around(store, [iri]))
    own = _triples(around, iri)
    ancestors, up_links = _ancestors(store, iri, own)
    incoming, more = _incoming(around, iri, page, size, quiet)
    named: dict[str, str] = {}
    asked: set[str] = set()
    extra: list[ox.Triple] = list(up_links)
    held = {iri: own}

    known = {} if known is None else known

    def add_labels(terms: Iterable, vocabulary: frozenset = frozenset()) -> None:
        new = list(dict.fromkeys(t for t in terms if isinstance(t, ox.NamedNode | ox.BlankNode) and t.value not in asked))
        asked.update(t.value for t in new)
        found = labels(store, [t for t in new if t.value not in known], held, cards)
        known.update((t.value, found.get(t.value)) for t in new if t in vocabulary and t.value not in known)
        for statement in (found.get(t.value) or known.get(t.value) for t in new):
            if statement is not None:
                named[statement.subject.value] = statement.object.value
                extra.append(statement)

    subjects = list(dict.fromkeys(s for inc in incoming for s in inc.subjects))
    add_labels(subjects)
    # Not the resource's own nodes linking back to it (a date "of" it): they are read with it.
    said = _said(store, [s for s in subjects if s.value not in named and not minted_under(s, iri)], quiet)
    # The nodes of the resource and of its relationship nodes, a level of them all at a time:
    # on a remote store one request fewer per level than reading them apart.
    nodes = _owned(store, {iri: own, **said})
    owned = nodes.pop(iri)
    relations = {node: [*triples, *(t for ts in nodes[node].values() for t in ts)] for node, triples in said.items()}
    for theirs in (owned, *nodes.values()):
        held.update(theirs)
    mentioned = [t for ts in (own, *owned.values(), *relations.values()) for t in ts]
    vocabulary = frozenset([*(inc.predicate for inc in incoming), *(m.predicate for m in mentioned),
                            *(m.object for m in mentioned if m.predicate == RDF_TYPE)])
    add_labels([iri, *ancestors, *(inc.predicate for inc in incoming),
                *(t for m in mentioned for t in (m.subject, m.predicate, m.object))], vocabulary)
    return Description(iri, own, owned, ancestors, incoming, relations, named, page, more, extra, held, cards)


def last_modified(store: ox.Store, d: Description, records: str) -> datetime | None:
    """When anything the description shows last changed: the latest `dcterms:modified` of the
    resource and of every record it names (labels, incoming links, relationship nodes). Only
    records carry one (lod.changes: IRIs under `records`; the unlabelled nodes a record owns are
    dated by it): vocabulary terms are not asked."""
    shown = [d.iri, *d.relations, *(ox.NamedNode(v) for v in d.labels if v.startswith(records))]
    carded, shown = _carded(list(dict.fromkeys(shown)), d.cards)
    stamps = [card[3] for _, card in carded if card[3] is not None]
    stamps += [t.object.value for t in _statements(store, shown, [MODIFIED], d.held)]
    return datetime.fromisoformat(max(stamps)) if stamps else None
