"""Turns a Description into what the HTML templates show: labelled values, nested owned nodes,
incoming links under readable headings. No markup here (the templates escape every value)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pyoxigraph as ox

from lod.vocab import prefixes
from lod.web.describe import LABELS, RDF_TYPE, Description

# Headings for incoming links, by property IRI or local name: what the linking resources are to this one.
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
INCOMING = {
    "sender": "Documents sent", "recipient": "Documents received", "mentions": "Documents naming this",
    "member": "Offices held", "organization": "Office holders", "isPartOf": "Documents in this unit",
    "isOrWasIncludedIn": "Contents", "unitOf": "Units", "parentOrganization": "Sub-bodies",
    "isOrWasIdentifierOf": "Citations", "hasAddressee": "Addressed in", "hasSender": "Sent",
    "locationCreated": "Documents written here", "about": "Documents on this subject",
    "hasOrHadHolder": "Holdings", "firstPublishedIn": "Documents first published here",
    "isBirthDateOf": "Birth", "isDeathDateOf": "Death", f"{RDF}subject": "Links to Wikidata: review and evidence",
    "http://purl.org/dc/terms/subject": "Documents on this subject",
}


# Readable names for the standard properties a historian meets first (ours carry rdfs:label), by IRI
# where a local name is ambiguous (rdf:subject of a link record, dcterms:subject of a document).
PROPERTY_NAMES = {
    "sender": "From", "recipient": "To", "mentions": "Names", "locationCreated": "Written at",
    "hasCreationDate": "Date", "isPartOf": "Archival file", "isOrWasIncludedIn": "Part of",
    "hasDocumentaryFormType": "Kind", "hasProductionTechniqueType": "Medium", "editorialNote": "Note",
    "birthDate": "Born", "deathDate": "Died", "hasBirthDate": "Birth", "hasDeathDate": "Death",
    "alternateName": "Also known as", "altLabel": "Other names", "familyName": "Family name",
    "givenName": "Given names", "parentOrganization": "Parent body", "unitOf": "Unit of",
    "classification": "Type of body", "expressedDate": "As printed", "normalizedDateValue": "Normalised (EDTF)",
    "P82a_begin_of_the_begin": "Not before", "P82b_end_of_the_end": "Not after",
    "hasOrHadHolder": "Held by", "identifier": "Identifier", "about": "Subjects", "hasBeginning": "From",
    "hasEnd": "Until", "latitude": "Latitude", "longitude": "Longitude", "isOrWasIdentifierOf": "Identifies",
    "textualValue": "Text", "hasAddressee": "Addressee", "hasSender": "Sender",
    "exactMatch": "Same as", "sameAs": "Same as", f"{RDF}subject": "Links", f"{RDF}predicate": "As",
    f"{RDF}object": "To", "http://purl.org/dc/terms/date": "Date", "http://purl.org/dc/terms/subject": "Subjects",
    "http://purl.org/dc/terms/modified": "Last changed", "isReplacedBy": "Replaced by",
}


def natural_key(text: str) -> tuple:
    """Sort 'Letter 8' before 'Letter 10' and 'd. 9' before 'd. 10'."""
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in re.split(r"(\d+)", text.casefold()))


def local_name(iri: str) -> str:
    return iri.rsplit("#", 1)[-1].rsplit("/", 1)[-1]


def named(table: dict[str, str], iri: str) -> str | None:
    """A table's name for a property: by its full IRI, else by its local name."""
    return table.get(iri) or table.get(local_name(iri))


@dataclass
class Value:
    text: str
    href: str | None = None
    note: str | None = None                 # language or datatype of a literal
    nested: list["Fact"] | None = None     # an owned node's own facts


@dataclass
class Fact:
    label: str
    href: str
    values: list[Value] = field(default_factory=list)


@dataclass
class Group:
    heading: str
    total: int
    items: list[Value]


class Presenter:
    """Labels and links for one dataset base, shared by every page."""

    def __init__(self, base: str):
        self.base = base
        self.prefixes = sorted(prefixes(base).items(), key=lambda kv: -len(kv[1]))

    def href(self, iri: str) -> str:
        """Links to our own IRIs stay on the host serving them (base may differ in local runs)."""
        return "/" + iri[len(self.base):] if iri.startswith(self.base) else iri

    def compact(self, iri: str) -> str:
        for prefix, ns in self.prefixes:
            if iri.startswith(ns) and len(iri) > len(ns):
                return f"{prefix}:{iri[len(ns):]}"
        return iri

    def value(self, term, d: Description, owned: dict | None = None) -> Value:
        if isinstance(term, ox.Literal):
            note = term.language or (None if term.datatype.value.endswith("#string")
                                     else self.compact(term.datatype.value))
            return Value(term.value, note=note)
        text = d.label(term) or self.compact(term.value)
        if isinstance(term, ox.BlankNode):
            return Value(text)
        nested = self.facts(owned[term], d, term, owned) if owned and term in owned else None
        return Value(text, self.href(term.value), nested=nested)

    def facts(self, triples, d: Description, subject, owned: dict | None = None,
              skip: frozenset = frozenset()) -> list[Fact]:
        """The statements about `subject`, grouped by property; incoming ones read as "← property"."""
        by_prop: dict[tuple[str, bool], Fact] = {}
        for t in triples:
            outgoing = t.subject == subject
            if t.predicate.value in skip or (not outgoing and t.object != subject):
                continue
            key = (t.predicate.value, outgoing)
            if key not in by_prop:
                name = self.property_name(t.predicate, d)
                by_prop[key] = Fact(name if outgoing else f"← {name}", self.href(t.predicate.value))
            other = t.object if outgoing else t.subject
            by_prop[key].values.append(self.value(other, d, owned))
        facts, seen = [], set()
        for fact in sorted(by_prop.values(), key=lambda f: (":" in f.label, f.label)):
            values = tuple((v.text, v.href) for v in fact.values)
            if values not in seen:   # parallel properties (schema:sender, rico:hasSender) shown once
                seen.add(values)
                facts.append(fact)
        return sorted(facts, key=lambda f: f.label)

    def property_name(self, prop: ox.NamedNode, d: Description) -> str:
        return d.label(prop) or named(PROPERTY_NAMES, prop.value) or self.compact(prop.value)

    def page(self, d: Description) -> dict:
        """Everything a resource page shows."""
        skip = frozenset({RDF_TYPE.value, *(p.value for p in LABELS)})
        types = [self.value(t.object, d) for t in d.own if t.predicate == RDF_TYPE]
        groups, seen = [], set()
        for inc in d.incoming:
            subjects = frozenset(inc.subjects)
            if subjects in seen or subjects <= d.owned.keys():   # parallel property / own nodes
                continue
            seen.add(subjects)
            name = self.property_name(inc.predicate, d)
            heading = named(INCOMING, inc.predicate.value) or f"Linked as “{name}”"
            items = sorted((self._relation(s, inc.predicate, d) for s in inc.subjects),
                           key=lambda v: natural_key(v.text))
            groups.append(Group(heading, inc.total, items))
        return {
            "title": d.label(d.iri) or self.compact(d.iri.value),
            "iri": d.iri.value,
            "types": types,
            "breadcrumb": [self.value(a, d) for a in d.ancestors],
            "facts": self.facts(d.own, d, d.iri, d.owned, skip),
            "incoming": groups,
        }

    def _relation(self, subject, predicate, d: Description) -> Value:
        """A linking resource: its label, or for a relationship node what it relates (role, body, dates)."""
        if subject not in d.relations:
            return self.value(subject, d)
        dates, parts = [], []
        for t in d.relations[subject]:
            if t.subject != subject or t.predicate == predicate or t.predicate == RDF_TYPE:
                continue
            if isinstance(t.object, ox.NamedNode) and t.object.value.startswith(subject.value + "/"):
                dates.append(" – ".join(sorted(o.object.value for o in d.relations[subject]
                                               if o.subject == t.object and isinstance(o.object, ox.Literal))))
            else:
                parts.append(self.value(t.object, d).text)
        text = " · ".join([*dates, *sorted(parts)]) or self.compact(subject.value)
        return Value(text, self.href(subject.value))
