"""CMIF v1.1 — one TEI `correspDesc` per document — for correspSearch, generated from the store.

The edition is printed, so every `correspDesc` carries the edition's number as `@key`, our IRI as
`@ref` and points to the printed edition as its `bibl` source. Dates are `@when` (exact) or
`@notBefore`/`@notAfter` (ranges, open-ended); a date the document itself does not bear was
supplied by the editors and says `@evidence="conjecture"`. Persons and bodies carry every
authority IRI we have (Wikidata; GND/VIAF when the links table has them) and our own IRI.

The file is written as a stream, one `correspDesc` at a time, so a million letters take the
memory of one: documents and their correspondents come from two queries in the same order and
are merged. Its publication date depends on a digest of the rest of the file, so the documents
go to a side file first and are copied behind the header once the date is known.
"""

from __future__ import annotations

import hashlib
import shutil
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from itertools import groupby
from pathlib import Path

import pyoxigraph as ox

from lod import rq
from lod.config import Dataset

TEI = "http://www.tei-c.org/ns/1.0"
FILE_NAME = "cmif.xml"
INDENT = "  "


def bibl_id(base: str) -> str:
    """A UUID (as CMIF recommends), the same for the same base, that is also an NCName (as
    xml:id must be): the first name-based UUID in a fixed sequence that starts with a letter."""
    return next(u for n in range(64) if (u := str(uuid.uuid5(uuid.NAMESPACE_URL, f"{base}#edition-{n}")))[0].isalpha())


def _el(parent: ET.Element | None, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    """A TEI element. Tags are unqualified: every fragment sits inside the root's default
    namespace, so none needs to declare it again."""
    attrs = {"{http://www.w3.org/XML/1998/namespace}id" if k == "xml_id" else k: v for k, v in attrs.items() if v}
    e = ET.Element(tag, attrs) if parent is None else ET.SubElement(parent, tag, attrs)
    e.text = text
    return e


def _fragment(element: ET.Element, level: int) -> bytes:
    """One element, indented as the child of an element `level` deep, on its own lines."""
    ET.indent(element, INDENT, level)
    return (INDENT * level + ET.tostring(element, encoding="unicode") + "\n").encode("utf-8")


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


def _correspondents(parent: ET.Element, agents: list[dict[str, str]], role: str) -> None:
    for agent in agents:
        if agent["role"] == role:
            tag = "persName" if agent["kind"] == "person" else "orgName"
            _el(parent, tag, agent["name"], ref=_refs(agent.get("refs", ""), agent["agent"]))


def _correspondence(store: ox.Store, base: str) -> Iterator[tuple[dict[str, str], list[dict[str, str]]]]:
    """Each document with its senders and recipients. Both queries order by (number, document),
    so each document's correspondents are the next group of the second stream."""
    agents = groupby(rq.iter_rows(store, "cmif-correspondents", base=base), key=lambda a: a["doc"])
    group = next(agents, None)
    for doc in rq.iter_rows(store, "cmif-documents", base=base):
        if group is not None and group[0] == doc["doc"]:
            yield doc, sorted(group[1], key=lambda a: (a["name"], a["agent"]))
            group = next(agents, None)
        else:
            yield doc, []
    if group is not None:   # the two orders disagreed: never drop a correspondent silently
        raise RuntimeError(f"CMIF: correspondents of {group[0]} came after their document")


def _descs(store: ox.Store, base: str, bibl: str) -> Iterator[bytes]:
    for doc, agents in _correspondence(store, base):
        desc = _el(None, "correspDesc", key=doc["number"], ref=doc["doc"], source=f"#{bibl}")
        sent = _el(desc, "correspAction", type="sent")
        _correspondents(sent, agents, "sent")
        if "place" in doc:
            _el(sent, "placeName", doc["placeName"], ref=_refs(doc.get("placeRefs", ""), doc["place"]))
        _date(sent, doc)
        _correspondents(_el(desc, "correspAction", type="received"), agents, "received")
        yield _fragment(desc, 3)


def _frame(dataset: Dataset, published: str) -> tuple[bytes, bytes]:
    """What comes before the first `correspDesc` and after the last."""
    base = dataset.base_iri
    file_desc = _el(None, "fileDesc")
    title_stmt = _el(file_desc, "titleStmt")
    _el(title_stmt, "title", f"{dataset.title}: correspondence metadata (CMIF)")
    _el(title_stmt, "editor", dataset.publisher)    # who compiled this file
    pub = _el(file_desc, "publicationStmt")
    _el(_el(pub, "publisher"), "ref", dataset.publisher, target=base)
    _el(pub, "idno", f"{base}{FILE_NAME}", type="url")
    _el(pub, "date", when=published)
    _el(_el(pub, "availability"), "licence", "Our metadata about these letters (not the edition's "
        "text) may be reused under this licence.", target=dataset.licence)
    _el(_el(file_desc, "sourceDesc"), "bibl", dataset.edition, type="print", xml_id=bibl_id(base))
    head = (f"<?xml version='1.0' encoding='utf-8'?>\n<TEI xmlns=\"{TEI}\">\n{INDENT}<teiHeader>\n".encode()
            + _fragment(file_desc, 2) + f"{INDENT * 2}<profileDesc>\n".encode())
    text = _el(None, "text")
    _el(_el(text, "body"), "p")
    tail = f"{INDENT * 2}</profileDesc>\n{INDENT}</teiHeader>\n".encode() + _fragment(text, 1) + b"</TEI>\n"
    return head, tail


def write(store: ox.Store, dataset: Dataset, path: Path, published: Callable[[str], str]) -> tuple[str, str]:
    """Write the CMIF file; `published` chooses its `publicationStmt/date/@when` from the SHA-256
    of the file with that date left out (equal digests, equal content). Returns (digest, date)."""
    head, tail = _frame(dataset, "")
    digest = hashlib.sha256(head)
    side = path.with_name(f"{path.name}.documents")
    with side.open("wb") as documents:
        for chunk in _descs(store, dataset.base_iri, bibl_id(dataset.base_iri)):
            digest.update(chunk)
            documents.write(chunk)
    digest.update(tail)
    sha256 = digest.hexdigest()
    date = published(sha256)
    with path.open("wb") as out, side.open("rb") as documents:
        out.write(_frame(dataset, date)[0])
        shutil.copyfileobj(documents, out)
        out.write(tail)
    side.unlink()
    return sha256, date
