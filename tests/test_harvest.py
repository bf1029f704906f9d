"""Harvesting: CMIF (validated with the reference RELAX NG and Schematron, and read back against the
store), BEACON, the DCAT/VoID description against the data, and conditional requests — all over
the gunicorn server of conftest."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest
import requests
from lxml import etree, isoschematron
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, RDF, VOID, XSD

from conftest import BASE, REPO, select

CMIF_REFERENCE = REPO.parent / "shared" / "reference" / "cmif"
TEI = {"tei": "http://www.tei-c.org/ns/1.0"}
SVRL = {"svrl": "http://purl.oclc.org/dsdl/svrl"}
DCAT = Namespace("http://www.w3.org/ns/dcat#")
SPDX = Namespace("http://spdx.org/rdf/terms#")
needs_cmif_reference = pytest.mark.skipif(not CMIF_REFERENCE.is_dir(),
                                          reason=f"CMIF schemas not found at {CMIF_REFERENCE}")


@pytest.fixture(scope="module")
def cmif(server) -> etree._ElementTree:
    response = requests.get(f"{server}/cmif.xml", timeout=10)
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("application/xml")
    return etree.ElementTree(etree.fromstring(response.content))


def schematron_failures(schema: Path, doc: etree._ElementTree) -> list[tuple[str, str]]:
    """(role, message) of every failed assertion. cmif.sch uses XPath 2 (queryBinding xslt2), which
    libxslt cannot run: lxml's ISO Schematron compiler writes the validator, Saxon-HE runs it."""
    from saxonche import PySaxonProcessor
    sch = etree.parse(str(schema))
    sch.getroot().set("queryBinding", "xslt")   # let lxml's skeleton compile it; Saxon evaluates XPath 2
    validator = isoschematron.iso_svrl_for_xslt1(isoschematron.iso_abstract_expand(
        isoschematron.iso_dsdl_include(sch)))
    with PySaxonProcessor(license=False) as proc:
        executable = proc.new_xslt30_processor().compile_stylesheet(stylesheet_text=str(validator))
        svrl = executable.transform_to_string(xdm_node=proc.parse_xml(xml_text=etree.tostring(doc).decode()))
    report = etree.fromstring(svrl.encode())
    return [(a.get("role"), a.findtext("svrl:text", namespaces=SVRL).strip())
            for a in report.iterfind(".//svrl:failed-assert", SVRL)]


@needs_cmif_reference
def test_cmif_is_valid_against_the_relax_ng_schema(cmif):
    schema = etree.RelaxNG(etree.parse(str(CMIF_REFERENCE / "cmi-customization.rng")))
    assert schema.validate(cmif), schema.error_log


@needs_cmif_reference
def test_cmif_passes_the_schematron_and_the_check_can_fail(cmif):
    assert schematron_failures(CMIF_REFERENCE / "cmif.sch", cmif) == []
    broken = etree.ElementTree(etree.fromstring(etree.tostring(cmif)))
    first = broken.find(".//tei:correspDesc", TEI)
    first.set("source", "#not-the-bibl")
    first.remove(first.find("tei:correspAction[@type='received']", TEI))
    codes = {message[:7] for _, message in schematron_failures(CMIF_REFERENCE / "cmif.sch", broken)}
    assert codes == {"[E0002]", "[E0003]"}


def test_cmif_reads_back_as_the_store_says(cmif, built_edition):
    """Same documents, correspondents and dates as the store; idno is the file's own URL."""
    _, _, store = built_edition
    assert cmif.findtext(".//tei:publicationStmt/tei:idno[@type='url']", namespaces=TEI) == f"{BASE}cmif.xml"
    read: dict[str, dict] = {}
    for desc in cmif.iterfind(".//tei:correspDesc", TEI):
        sent, received = (desc.find(f"tei:correspAction[@type='{t}']", TEI) for t in ("sent", "received"))
        ours = lambda action: {ref for n in action if n.tag.endswith(("persName", "orgName"))
                               for ref in n.get("ref").split() if ref.startswith(BASE)}
        date = sent.find("tei:date", TEI)
        read[desc.get("ref")] = {"key": desc.get("key"), "from": ours(sent), "to": ours(received),
                                 "dates": (date.get("when") or date.get("notBefore"),
                                           date.get("when") or date.get("notAfter")) if date is not None else None}
    expected: dict[str, dict] = {}
    for row in select(store, """PREFIX sdo: <https://schema.org/> PREFIX rico: <https://www.ica.org/standards/RiC/ontology#>
        PREFIX crm: <http://www.cidoc-crm.org/cidoc-crm/>
        SELECT ?doc ?n ?role ?agent ?early ?late WHERE {
          ?doc <http://localhost:8080/ontology#editionNumber> ?n .
          { ?doc sdo:sender ?agent BIND("from" AS ?role) } UNION { ?doc sdo:recipient ?agent BIND("to" AS ?role) }
          OPTIONAL { ?doc rico:hasCreationDate ?d OPTIONAL { ?d crm:P82a_begin_of_the_begin ?early }
                     OPTIONAL { ?d crm:P82b_end_of_the_end ?late } } }"""):
        doc = expected.setdefault(row["doc"], {"key": row["n"], "from": set(), "to": set(), "dates": None})
        doc[row["role"]].add(row["agent"])
        if "early" in row or "late" in row:
            doc["dates"] = (row.get("early"), row.get("late"))
    assert len(read) == 86
    assert read == expected


def test_cmif_marks_editor_supplied_dates_as_conjecture(cmif, built_edition):
    """A document bearing its own date has a plain date; the editors' dating says evidence=conjecture."""
    _, _, store = built_edition
    written = {r["n"] for r in select(store, """SELECT ?n WHERE {
        ?d <http://localhost:8080/ontology#editionNumber> ?n ; <http://localhost:8080/ontology#dateAsWritten> ?w }""")}
    for desc in cmif.iterfind(".//tei:correspDesc", TEI):
        date = desc.find(".//tei:date", TEI)
        if date is not None:
            assert (date.get("evidence") == "conjecture") == (desc.get("key") not in written), desc.get("key")
    undated = [d.get("key") for d in cmif.iterfind(".//tei:correspDesc", TEI) if d.find(".//tei:date", TEI) is None]
    assert undated == ["85", "86"]


def test_beacon_maps_every_linked_person_and_its_targets_resolve(server, built_edition):
    _, _, store = built_edition
    text = requests.get(f"{server}/beacon.txt", timeout=10).text
    meta = dict(line[1:].split(": ", 1) for line in text.splitlines() if line.startswith("#"))
    assert meta["FORMAT"] == "BEACON" and meta["PREFIX"] == "http://www.wikidata.org/entity/"
    links = {tuple(line.split("|")[::2]) for line in text.splitlines() if line and not line.startswith("#")}
    expected = {(r["item"].rsplit("/", 1)[1], r["p"].rsplit("/", 1)[1]) for r in select(store, """
        SELECT ?p ?item WHERE { ?p a <https://schema.org/Person> ; <http://www.w3.org/2004/02/skos/core#exactMatch> ?item }""")}
    assert links == expected and len(links) >= 30
    qid, person = sorted(links)[0]
    target = meta["TARGET"].replace("{ID}", person).replace(BASE, server + "/")
    assert requests.get(target, allow_redirects=False, timeout=10).status_code == 303


@pytest.fixture(scope="module")
def description(server) -> Graph:
    g = Graph()
    g.parse(data=requests.get(f"{server}/.well-known/void", headers={"Accept": "text/turtle"}, timeout=10).text,
            format="turtle")
    return g


def test_dcat_distributions_are_the_files_served(server, description, built_edition):
    """Every distribution's size and checksum are those of the file downloaded from its URL."""
    _, result, _ = built_edition
    ds = URIRef(f"{BASE}.well-known/void#dataset")
    distributions = set(description.objects(ds, DCAT.distribution))
    files = {}
    for dist in distributions:
        url = description.value(dist, DCAT.downloadURL)
        if url is None:
            assert description.value(dist, DCAT.accessService) == URIRef(f"{BASE}sparql")
            continue
        body = requests.get(str(url).replace(BASE, server + "/"), timeout=30).content
        checksum = description.value(description.value(dist, SPDX.checksum), SPDX.checksumValue)
        assert int(description.value(dist, DCAT.byteSize)) == len(body)
        assert str(checksum) == hashlib.sha256(body).hexdigest()
        files[str(url).rsplit("/", 1)[1]] = dist
    manifest = json.loads((result.path / "dumps" / "manifest.json").read_text())
    assert set(files) == {d["file"] for d in manifest} >= {"cmif.xml", "beacon.txt", "stalin-molotov.nq.gz"}
    rdf_dumps = {str(u).rsplit("/", 1)[1] for u in description.objects(ds, VOID.dataDump)}
    assert rdf_dumps == set(files) - {"beacon.txt", "cmif.xml"}


def test_dcat_and_void_agree_with_the_data_and_the_home_page(server, description, built_edition):
    _, result, store = built_edition
    ds = URIRef(f"{BASE}.well-known/void#dataset")
    assert (ds, RDF.type, DCAT.Dataset) in description and (ds, RDF.type, VOID.Dataset) in description
    assert description.value(ds, VOID.triples) == Literal(len(store), datatype=XSD.integer)
    assert str(description.value(ds, DCAT.version)) == str(result.version)
    service = URIRef(f"{BASE}sparql")
    assert description.value(service, DCAT.endpointURL) == service
    assert description.value(service, DCAT.servesDataset) == ds
    catalog = URIRef(f"{BASE}.well-known/void#catalog")
    assert description.value(catalog, DCAT.dataset) == ds and description.value(catalog, DCAT.service) == service
    assert description.value(ds, DCTERMS.license) == URIRef("https://creativecommons.org/licenses/by/4.0/")
    home = requests.get(server + "/", timeout=10).text
    jsonld = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', home, re.S).group(1))
    assert {d["contentUrl"] for d in jsonld["distribution"]} == {
        str(description.value(d, DCAT.downloadURL)) for d in description.objects(ds, DCAT.distribution)} - {"None"}
    assert jsonld["version"] == str(result.version) and jsonld["license"] == str(description.value(ds, DCTERMS.license))
    period = description.value(ds, DCTERMS.temporal)
    span = select(store, """SELECT (MIN(?b) AS ?first) WHERE { ?doc <https://www.ica.org/standards/RiC/ontology#hasCreationDate>
        / <http://www.cidoc-crm.org/cidoc-crm/P82a_begin_of_the_begin> ?b }""")
    assert str(description.value(period, DCAT.startDate)) == span[0]["first"] == "1925-07-01"
    assert jsonld["temporalCoverage"] == f"1925-07-01/{description.value(period, DCAT.endDate)}"


def test_resources_and_dumps_answer_conditional_requests(server):
    url = f"{server}/data/id/person/stalin.ttl"
    first = requests.get(url, timeout=10)
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    assert requests.get(url, headers={"If-None-Match": etag}, timeout=10).status_code == 304
    assert requests.get(url, headers={"If-Modified-Since": modified}, timeout=10).status_code == 304
    assert requests.get(url, headers={"If-None-Match": '"other"'}, timeout=10).status_code == 200
    dump = requests.get(f"{server}/dumps/cmif.xml", timeout=10)
    assert dump.headers["ETag"].strip('"') == hashlib.sha256(dump.content).hexdigest()
    assert requests.get(f"{server}/dumps/cmif.xml", headers={"If-None-Match": dump.headers["ETag"]},
                        timeout=10).status_code == 304
