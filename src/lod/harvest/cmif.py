"""CMIF v1.1 — one TEI `correspDesc` per document — for correspSearch, generated from the store.

The edition is printed, so every `correspDesc` carries the edition's number as `@key`, our IRI as
`@ref` and points to the printed edition as its `bibl` source. Dates are `@when` (exact) or
`@notBefore`/`@notAfter` (ranges, open-ended); a date the document itself does not bear was
supplied by the editors and says `@evidence="conjecture"`. Persons and bodies carry every
authority IRI we have (Wikidata; GND/VIAF when the links table has them) and our own IRI.
"""

from __future__ import annotations

import hashlib
import uuid
import xml.etree.ElementTree as ET
from collections import defaultdict

import pyoxigraph as ox

from lod import rq
from lod.config import Dataset

TEI = "http://www.tei-c.org/ns/1.0"
XML_ID = "{http://www.w3.org/XML/1998/namespace}id"
FILE_NAME = "cmif.xml"
ET.register_namespace("", TEI)


def bibl_id(base: str) -> str:
    """A UUID (as CMIF recommends), the same for the same base, that is also an NCName (as
    xml:id must be): the first name-based UUID in a fixed sequence that starts with a letter."""
    return next(u for n in range(64) if (u := str(uuid.uuid5(uuid.NAMESPACE_URL, f"{base}#edition-{n}")))[0].isalpha())


def _el(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    e = ET.SubElement(parent, f"{{{TEI}}}{tag}", {XML_ID if k == "xml_id" else k: v
                                                   for k, v in attrs.items() if v})
    e.text = text
    return e


def _refs(authorities: str, ours: str) -> str:
    """Authority IRIs (sorted: GROUP_CONCAT's order is not fixed) and then our own."""
    return " ".join([*sorted(authorities.split()), ours])


def _date(parent: ET.Element, doc: dict[str, str]) -> None:
    earliest, latest = doc.get("earliest"), doc.get("latest")
    if not (earliest or latest):
        return      # undated by the editors: no date is claimed
    evidence = "" if doc["written"] == "true" else "conjecture"
    if earliest and earliest == latest:
        _el(parent, "date", when=earliest, evidence=evidence)
    else:
        _el(parent, "date", notBefore=earliest or "", notAfter=latest or "", evidence=evidence)


def _correspondent(parent: ET.Element, agent: dict[str, str]) -> None:
    tag = "persName" if agent["kind"] == "person" else "orgName"
    _el(parent, tag, agent["name"], ref=_refs(agent.get("refs", ""), agent["agent"]))


def document(store: ox.Store, dataset: Dataset) -> ET.ElementTree:
    """The CMIF document, from the store and what [dataset] says of the edition and us; its
    `publicationStmt/date` is filled in by `write`."""
    base, bibl = dataset.base_iri, bibl_id(dataset.base_iri)
    agents: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for a in sorted(rq.rows(store, "cmif-correspondents", base=base), key=lambda a: (a["name"], a["agent"])):
        agents[a["doc"]][a["role"]].append(a)
    tei = ET.Element(f"{{{TEI}}}TEI")
    header = _el(tei, "teiHeader")
    file_desc = _el(header, "fileDesc")
    title_stmt = _el(file_desc, "titleStmt")
    _el(title_stmt, "title", f"{dataset.title}: correspondence metadata (CMIF)")
    _el(title_stmt, "editor", dataset.publisher)    # who compiled this file
    pub = _el(file_desc, "publicationStmt")
    _el(_el(pub, "publisher"), "ref", dataset.publisher, target=base)
    _el(pub, "idno", f"{base}{FILE_NAME}", type="url")
    _el(pub, "date")
    _el(_el(pub, "availability"), "licence", "Our metadata about these letters (not the edition's "
        "text) may be reused under this licence.", target=dataset.licence)
    _el(_el(file_desc, "sourceDesc"), "bibl", dataset.edition, type="print", xml_id=bibl)
    profile = _el(header, "profileDesc")
    for doc in rq.rows(store, "cmif-documents", base=base):
        desc = _el(profile, "correspDesc", key=doc["number"], ref=doc["doc"], source=f"#{bibl}")
        sent = _el(desc, "correspAction", type="sent")
        for a in agents[doc["doc"]]["sent"]:
            _correspondent(sent, a)
        if "place" in doc:
            _el(sent, "placeName", doc["placeName"], ref=_refs(doc.get("placeRefs", ""), doc["place"]))
        _date(sent, doc)
        received = _el(desc, "correspAction", type="received")
        for a in agents[doc["doc"]]["received"]:
            _correspondent(received, a)
    _el(_el(_el(tei, "text"), "body"), "p")
    ET.indent(tei)
    return ET.ElementTree(tei)


def content_digest(tree: ET.ElementTree) -> str:
    """SHA-256 of the file with its publication date left empty: equal digests, equal content."""
    return hashlib.sha256(ET.tostring(tree.getroot(), encoding="utf-8")).hexdigest()


def write(tree: ET.ElementTree, path, published: str) -> None:
    """Set `publicationStmt/date/@when` (kept from the last release when the content is unchanged)."""
    tree.getroot().find(f".//{{{TEI}}}publicationStmt/{{{TEI}}}date").set("when", published)
    tree.write(path, encoding="utf-8", xml_declaration=True)
