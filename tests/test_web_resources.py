"""Dereferencing, pages, dumps and dataset description over a real socket (lod serve, gunicorn)."""

from __future__ import annotations

import dataclasses
import gc
import gzip
import hashlib
import json
import re
import shutil
import socket
import sqlite3
import time
import weakref
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing

import pyoxigraph as ox
import pytest
import requests
from rdflib import Graph, URIRef
from rdflib.namespace import RDFS, VOID

from conftest import BASE, Counting, select
from lod.changes import spread_records
from lod.web import WARM_PAGES, create_app, warm
from lod import index
from lod.web.describe import LABELS, MODIFIED, describe, labels, last_modified
from lod.web.published import Release

ENTITIES = ["document/5", "person/bukharin", "organisation/politburo", "place/sochi",
            "archive/rtskhidni/f558/op1/d5388", "office/bukharin-politburo-member", "citation/d5-n2-1",
            "document/5/date"]
RDF = [("text/turtle", "turtle", "ttl"), ("application/n-triples", "nt", "nt"),
       ("application/ld+json", "json-ld", "jsonld"), ("application/rdf+xml", "xml", "rdf")]


def get(server: str, path: str, accept: str = "text/html", **kwargs) -> requests.Response:
    return requests.get(server + path, headers={"Accept": accept, **kwargs.pop("headers", {})},
                        allow_redirects=False, timeout=10, **kwargs)


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", re.sub(r"<script.*?</script>", "", html, flags=re.S)))


@pytest.mark.parametrize("entity", ENTITIES)
@pytest.mark.parametrize("accept,parse_as,ext", RDF)
def test_entities_303_to_their_data_in_every_format(server, entity, accept, parse_as, ext):
    r = get(server, f"/id/{entity}", accept)
    assert r.status_code == 303 and r.headers["Location"].endswith(f"/data/id/{entity}.{ext}")
    assert "Accept" in r.headers["Vary"]
    doc = requests.get(server + r.headers["Location"], timeout=10)
    assert doc.status_code == 200 and doc.headers["Content-Type"].startswith(accept)
    g = Graph().parse(data=doc.text, format=parse_as)
    iri = URIRef(f"{BASE}id/{entity}")       # the dataset's IRIs, whatever host serves them
    assert (iri, None, None) in g
    assert 'rel="alternate"' in doc.headers["Link"]


@pytest.mark.parametrize("entity", ENTITIES)
def test_entities_303_to_their_page_for_browsers(server, entity):
    r = get(server, f"/id/{entity}", "text/html,application/xhtml+xml,*/*;q=0.8")
    assert r.status_code == 303 and r.headers["Location"].endswith(f"/page/id/{entity}")
    page = requests.get(server + r.headers["Location"], timeout=10)
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    assert f"{BASE}id/{entity}" in page.text
    assert '<script type="application/ld+json">' in page.text


def test_data_document_negotiates_directly(server):
    r = get(server, "/data/id/person/bukharin", "application/n-triples")
    assert r.status_code == 200 and r.headers["Content-Location"] == "/data/id/person/bukharin.nt"
    assert "Accept" in r.headers["Vary"]
    assert get(server, "/data/id/person/bukharin", "image/png").status_code == 406


def test_description_has_owned_nodes_labels_and_incoming_links(server):
    g = Graph().parse(data=get(server, "/data/id/document/5.ttl", "*/*").text, format="turtle")
    date = URIRef(f"{BASE}id/document/5/date")
    assert (date, None, None) in g                                                     # owned node
    assert (URIRef(f"{BASE}id/person/stalin"), RDFS.label, None) in g                  # linked label
    person = Graph().parse(data=get(server, "/data/id/person/bukharin.ttl", "*/*").text, format="turtle")
    letter = URIRef(f"{BASE}id/document/10")
    assert (letter, URIRef("https://schema.org/mentions"), URIRef(f"{BASE}id/person/bukharin")) in person


def test_incoming_links_are_paged(server, built_edition):
    _, _, store = built_edition
    unit = f"{BASE}id/archive/rtskhidni/f558/op1/d5388"
    total = len(select(store, f"SELECT DISTINCT ?d WHERE {{ ?d <https://schema.org/isPartOf> <{unit}> }}"))
    assert total > 20
    first = get(server, "/page/id/archive/rtskhidni/f558/op1/d5388")
    assert f"({total})" in first.text and 'rel="next"' in first.headers["Link"]
    second = get(server, "/page/id/archive/rtskhidni/f558/op1/d5388?page=2")
    assert second.status_code == 200 and 'rel="prev"' in second.text
    assert get(server, "/page/id/document/5?page=zero").status_code == 400


def test_labels_of_properties_and_classes_are_asked_once_per_release(built_edition):
    """describe's `known` (kept per release by the web): the same descriptions as asking the
    store each time, and fewer lookups once the vocabulary's labels are known."""
    _, _, store = built_edition
    counting, known = Counting(store), {}
    asked = []
    for _ in range(2):
        before = counting.asked
        for entity in ENTITIES:
            iri = ox.NamedNode(BASE + "id/" + entity)
            kept, fresh = describe(counting, iri, known=known), describe(store, iri)
            assert (kept.triples(), kept.labels) == (fresh.triples(), fresh.labels)
        asked.append(counting.asked - before)
    assert str(RDFS.label) in known and "https://schema.org/mentions" in known
    assert asked[1] < asked[0]


def test_a_label_is_the_preferred_one_and_asked_no_further_than_it():
    """rdfs:label before skos:prefLabel before schema:name; once a subject's preferred label is
    found, the embedded store is not asked for the others, nor for a subject whose statements are held."""
    store = ox.Store()
    both, name_only = ox.NamedNode(BASE + "id/both"), ox.NamedNode(BASE + "id/name-only")
    for s, p, o in [(both, LABELS[1], "pref"), (both, LABELS[0], "label"), (name_only, LABELS[2], "name")]:
        store.add(ox.Quad(s, p, ox.Literal(o)))
    counting = Counting(store)
    found = labels(counting, [both])
    assert found[both.value].object.value == "label" and counting.asked == 1
    assert labels(counting, [name_only])[name_only.value].object.value == "name" and counting.asked == 4
    held = {name_only: [ox.Triple(name_only, LABELS[1], ox.Literal("held"))]}   # statements read already
    assert labels(counting, [name_only], held)[name_only.value].object.value == "held" and counting.asked == 4


def test_pages_name_and_date_the_iris_they_show_from_the_index_cards(built_edition):
    """The index's cards (lod.index): the same descriptions and last changes as asking the store,
    which is asked for no IRI's label or last change."""
    _, result, store = built_edition
    cards, counting = Release(result.path, BASE, lambda *_: store).cards, Counting(store)
    for entity in ENTITIES:
        iri = ox.NamedNode(BASE + "id/" + entity)
        carded, fresh = describe(counting, iri, cards=cards), describe(store, iri)
        assert (carded.triples(), carded.labels) == (fresh.triples(), fresh.labels)
        assert last_modified(counting, carded, f"{BASE}id/") == last_modified(store, fresh, f"{BASE}id/")
    assert counting.asked and not [p for p in counting.patterns if len(p) > 1 and p[1] in (*LABELS, MODIFIED)]


def test_a_page_reads_each_iris_card_from_the_index_once(built_edition):
    """Its labels, then its last changes, name mostly the same IRIs: asked of SQLite once."""
    _, result, store = built_edition
    cards, asked = Release(result.path, BASE, lambda *_: store).cards, []

    def counted(iris):
        asked.extend(iris)
        return cards(iris)
    for entity in ENTITIES:
        asked.clear()
        d = describe(store, ox.NamedNode(BASE + "id/" + entity), cards=counted)
        described = list(asked)
        assert last_modified(store, d, f"{BASE}id/") is not None
        assert asked == described and len(asked) == len(set(asked)), entity


def test_a_page_asks_the_store_for_no_pattern_twice(built_edition):
    """A resource's own nodes that link back to it (a person's birth, a document's date as
    written) are read with it, not again as relationship nodes."""
    _, result, store = built_edition
    cards = Release(result.path, BASE, lambda *_: store).cards
    for entity in ENTITIES:
        counting = Counting(store)
        describe(counting, ox.NamedNode(BASE + "id/" + entity), cards=cards)
        assert len(counting.patterns) == len(set(counting.patterns)), entity


def test_a_release_whose_index_has_no_cards_has_its_pages_named_from_the_store(built_edition, tmp_path):
    """An index written before the cards existed: `Release.cards` is None, so describe asks the store."""
    _, result, store = built_edition
    shutil.copy(result.path / index.FILE_NAME, tmp_path / index.FILE_NAME)
    with closing(sqlite3.connect(tmp_path / index.FILE_NAME)) as db, db:
        db.execute("DROP TABLE cards")
    assert Release(result.path, BASE, lambda *_: store).cards is not None
    assert Release(tmp_path, BASE, lambda *_: store).cards is None


def test_a_release_whose_pages_read_its_cards_is_freed_once_dropped(built_edition):
    """By reference counting, not left to the collector (a switch would keep the old store open)."""
    _, result, store = built_edition
    rel = Release(result.path, BASE, lambda *_: store)
    assert rel.cards([BASE + "id/person/bukharin"])
    released = weakref.ref(rel)
    gc.disable()
    try:
        del rel
        assert released() is None
    finally:
        gc.enable()


def test_a_card_names_an_iri_by_its_preferred_label_and_dates_it_by_its_last_change(tmp_path):
    store, stamp = ox.Store(), ox.NamedNode("http://www.w3.org/2001/XMLSchema#dateTime")
    both, number, dated = (ox.NamedNode(BASE + f"id/{name}") for name in ("both", "number", "dated"))
    graphs = [ox.NamedNode(BASE + "graph/one"), ox.NamedNode(BASE + "graph/two")]
    for s, p, o, g in [(both, LABELS[1], ox.Literal("pref", language="en"), 0), (both, LABELS[0], ox.Literal("label"), 1),
                       (both, MODIFIED, ox.Literal("2026-01-02T00:00:00Z", datatype=stamp), 0),
                       (both, MODIFIED, ox.Literal("2026-03-04T00:00:00Z", datatype=stamp), 1),
                       (number, LABELS[2], ox.Literal(7), 0),
                       (dated, MODIFIED, ox.Literal("2026-01-02T00:00:00Z", datatype=stamp), 0)]:
        store.add(ox.Quad(s, p, o, graphs[g]))
    index.write(store, tmp_path / index.FILE_NAME, BASE)
    with closing(sqlite3.connect(tmp_path / index.FILE_NAME)) as db:
        found = index.cards(db, [both.value, number.value, dated.value, BASE + "id/unknown"])
    assert found == {both.value: ("label", None, None, "2026-03-04T00:00:00Z"),
                     number.value: ("7", None, "http://www.w3.org/2001/XMLSchema#integer", None),
                     dated.value: (None, None, None, "2026-01-02T00:00:00Z")}
    assert labels(store, [number])[number.value].object == ox.Literal(7)


@pytest.mark.parametrize("accept,expected", [("text/html", "text/html"), ("text/turtle", "text/turtle"),
                                             ("application/ld+json", "application/ld+json")])
def test_unknown_iris_get_404_in_the_negotiated_form(server, accept, expected):
    r = get(server, "/id/person/nobody-at-all", accept)
    assert r.status_code == 404 and r.headers["Content-Type"].startswith(expected)
    assert get(server, "/no/such/path").status_code == 404


@pytest.mark.parametrize("path", ["/id/person/%22", "/page/id/person/a%25", "/data/id/document/%7B%7D.ttl",
                                  "/graph/%3Cscript%3E", "/page/id/%00"])
def test_a_path_no_iri_can_be_written_from_is_a_404_that_says_why(server, path):
    """A quote, a bracket, a stray % or a NUL cannot be in an IRI: nothing was minted there."""
    r = get(server, path)
    assert r.status_code == 404 and "not a valid IRI" in r.text


def test_the_headers_of_a_page_hold_its_address_percent_encoded(server):
    """An IRI may hold any Unicode character, a header only ASCII: the Link and Content-Location
    of a path beyond Latin-1 are percent-encoded (written raw, gunicorn answered 500)."""
    r = get(server, "/data/id/person/%E2%80%AE", "text/turtle")
    assert r.status_code == 404 and "</data/id/person/%E2%80%AE.ttl>" in r.headers["Link"]
    assert r.headers["Content-Location"] == "/data/id/person/%E2%80%AE.ttl"
    assert get(server, "/page/id/person/%E6%97%A5%E6%9C%AC").status_code == 404


ODD = ["%22", "%25", "%7B%7D", "%3Cx%3E", "%00", "%0D%0AX-Injected:%201", "%E2%80%AE", "%E6%97%A5", "%C3%BC",
       "a%20b", "%5C", "o'brien", "..%2F..", "x" * 2000]


def test_no_odd_path_makes_a_server_error(server):
    """Every route that takes a path, given characters an IRI cannot hold or rarely does, answers
    with a client status, never a 5xx."""
    for prefix in ("/id/", "/id/person/", "/page/id/", "/data/id/", "/data/id/document/", "/graph/", "/changes/",
                   "/browse/", "/dumps/", "/releases/"):
        for odd in ODD:
            for accept in ("text/html", "text/turtle"):
                r = get(server, prefix + odd, accept)
                assert r.status_code < 500, (prefix + odd, accept, r.status_code)


def test_etag_and_last_modified_give_304(server):
    first = get(server, "/data/id/document/5.ttl", "*/*")
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    assert "max-age" in first.headers["Cache-Control"]
    assert get(server, "/data/id/document/5.ttl", "*/*", headers={"If-None-Match": etag}).status_code == 304
    assert get(server, "/data/id/document/5.ttl", "*/*",
               headers={"If-Modified-Since": modified}).status_code == 304
    other = get(server, "/data/id/document/6.ttl", "*/*", headers={"If-None-Match": etag})
    assert other.status_code == 200


def test_document_page_shows_what_a_historian_needs(server):
    page = text_of(get(server, "/page/id/document/5").text)
    for fact in ["Letter 5 (July 1925)", "July 1925", "1925-07-01", "1925-07-31", "Stalin, J. V.",
                 "Molotov, V. M.", "RTsKhIDNI f. 558, op. 1, d. 5388", "RTsKhIDNI f. 558, op. 1 ›",
                 "Izvestiia TsK 1990, no. 9", "Dzerzhinsky, F. Ye.", "Note 2 to document 5",
                 "RTsKhIDNI 558/1/5272"]:
        assert fact in page, fact


def test_person_organisation_and_unit_pages(server):
    person = text_of(get(server, "/page/id/person/bukharin").text)
    for fact in ["Bukharin, N. I.", "Бухарин Николай Иванович", "1888", "1938", "Offices held",
                 "1924-01-01 – 1929-12-31 · Politburo · member", "Documents naming this (26)"]:
        assert fact in person, fact
    body = text_of(get(server, "/page/id/organisation/politburo").text)
    assert "Office holders" in body and "Bukharin, N. I." in body and "Central Committee ›" in body
    place = text_of(get(server, "/page/id/place/sochi").text)
    assert "Documents written here" in place


def test_browse_lists_and_search(server):
    docs = text_of(get(server, "/browse/documents").text)
    assert "1925" in docs and "Letter 1 (12 July 1925)" in docs
    assert "Politburo" in text_of(get(server, "/browse/organisations").text)
    assert "RTsKhIDNI f. 558, op. 1, d. 5388" in text_of(get(server, "/browse/archives").text)
    for q in ["bukharin", "Бухарин", "Nikolai", "bu"]:
        assert 'href="/id/person/bukharin"' in get(server, "/search", params={"q": q}).text, q
    first = re.search(r'href="(/id/[^"]+)"', get(server, "/search", params={"q": "Molotov"}).text)
    assert first.group(1) == "/id/person/molotov"   # the exact name before those containing it
    echoed = get(server, "/search", params={"q": "<script>alert(1)</script>"}).text
    assert "<script>alert" not in echoed and "&lt;script&gt;alert" in echoed


def _walk(server: str, kind: str, param: str) -> tuple[list[str], int]:
    """Every entry of a paged list, section by section and page by page; and the pages walked."""
    sections = re.findall(r'<h2 id="([^"]+)">', get(server, f"/browse/{kind}").text)
    hrefs, pages = [], 0
    for section in sections:
        page = 1
        while True:
            answer = get(server, f"/browse/{kind}", params={param: section, "page": page})
            assert answer.status_code == 200, (section, page)
            hrefs += re.findall(r'<li><a href="([^"]+)"', answer.text)
            pages += 1
            if 'rel="next"' not in answer.text:
                break
            page += 1
    return hrefs, pages


def test_long_lists_are_paged_and_hold_every_entity_once(server, built_edition):
    _, _, store = built_edition
    persons = {r["s"].removeprefix(BASE) for r in select(store, "SELECT ?s { ?s a <https://schema.org/Person> }")}
    hrefs, pages = _walk(server, "persons", "letter")
    assert sorted(h.removeprefix("/") for h in hrefs) == sorted(persons)
    assert pages > len(set(h[len("/id/person/")] for h in hrefs))   # some letter needed a second page
    documents, _ = _walk(server, "documents", "year")
    assert len(documents) == len(set(documents)) == 86
    assert documents[:2] == ["/id/document/1", "/id/document/2"]    # edition order within a year
    home = text_of(get(server, "/").text)
    assert sum(int(n) for n in re.findall(r"\b(?:19\d\d|undated) \((\d+)\)", home)) == 86


@pytest.mark.parametrize("path,status,reason", [
    ("/browse/persons?letter=B&page=0", 400, "page must be a positive integer"),
    ("/browse/persons?letter=B&page=99", 404, "past the end"),
    ("/browse/documents?year=1800", 404, "in this list; years: 1925"),
    ("/browse/letters", 404, "lists: documents, persons"),
])
def test_bad_list_requests_say_why(server, path, status, reason):
    answer = get(server, path)
    assert answer.status_code == status and reason in answer.text


def test_vocabulary_shapes_and_graphs_resolve(server):
    onto = get(server, "/ontology", "text/turtle")
    assert onto.status_code == 200 and "Accept" in onto.headers["Vary"]
    g = Graph().parse(data=onto.text, format="turtle")
    assert (URIRef(f"{BASE}ontology#editionNumber"), None, None) in g
    assert "editionNumber" in get(server, "/ontology").text
    assert get(server, "/shapes.ttl", "*/*").status_code == 200
    graph = Graph().parse(data=get(server, "/graph/documents", "text/turtle").text, format="turtle")
    assert (URIRef(f"{BASE}graph/documents"), VOID.triples, None) in graph


def test_void_statistics_match_the_data(server, built_edition):
    _, _, store = built_edition
    void = Graph().parse(data=get(server, "/.well-known/void", "text/turtle").text, format="turtle")
    ds = URIRef(f"{BASE}.well-known/void#dataset")
    assert int(void.value(ds, VOID.triples)) == len(store)
    assert void.value(ds, VOID.sparqlEndpoint) == URIRef(f"{BASE}sparql")
    messages = [p for p in void.objects(ds, VOID.classPartition)
                if void.value(p, VOID["class"]) == URIRef("https://schema.org/Message")]
    assert int(void.value(messages[0], VOID.entities)) == 86
    dumps = {str(o).rsplit("/", 1)[-1] for o in void.objects(ds, VOID.dataDump)}
    assert "stalin-molotov.nq.gz" in dumps
    assert (ds, VOID.vocabulary, URIRef("https://schema.org/")) in void


def test_dumps_listing_and_files(server):
    listing = get(server, "/dumps/").text
    manifest = json.loads(requests.get(server + "/dumps/manifest.json", timeout=10).text)
    for dump in manifest:
        assert dump["file"] in listing and dump["sha256"] in listing
    nq = requests.get(server + "/dumps/stalin-molotov.nq.gz", timeout=10)
    assert hashlib.sha256(nq.content).hexdigest() == manifest[0]["sha256"]
    assert gzip.decompress(nq.content).startswith(b"<")
    assert requests.get(server + "/dumps/nothing.gz", timeout=10).status_code == 404


def test_sitemap_and_robots(server):
    index = get(server, "/sitemap.xml").text
    assert "/sitemap-0.xml" in index
    pages = get(server, "/sitemap-0.xml").text
    assert "/page/id/document/1</loc>" in pages and "/page/id/person/bukharin</loc>" in pages
    assert "Sitemap:" in get(server, "/robots.txt").text


def test_home_page_has_dataset_jsonld(server):
    home = get(server, "/").text
    data = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', home, re.S).group(1))
    assert data["@type"] == "Dataset" and data["distribution"]


def test_literals_are_escaped(tmp_path):
    """A <script> in the data renders as text, in the page and in its embedded JSON-LD."""
    release = tmp_path / "var" / "releases" / "r1"
    (release / "dumps").mkdir(parents=True)
    store = ox.Store(str(release / "store"))
    evil = "</script><script>alert(1)</script>"
    s = ox.NamedNode(f"{BASE}id/person/x")
    store.add(ox.Quad(s, ox.NamedNode(str(RDFS.label)), ox.Literal(evil), ox.NamedNode(f"{BASE}graph/glossary")))
    store.flush()
    del store
    (release / "build.json").write_text(json.dumps({"finished": "2026-01-01T00:00:00+00:00", "coverage": {}}))
    (release / "dumps" / "manifest.json").write_text("[]")
    (tmp_path / "var" / "current").symlink_to("releases/r1")
    from lod.config import Config
    config = Config(root=tmp_path)
    page = create_app(config).test_client().get("/page/id/person/x").get_data(as_text=True)
    assert "<script>alert(1)" not in page and "&lt;/script&gt;&lt;script&gt;alert(1)" in page
    assert "\\u003c/script\\u003e\\u003cscript\\u003ealert(1)" in page   # in the embedded JSON-LD


def test_a_memo_is_made_once_however_many_threads_ask_for_it(tmp_path):
    """A worker's threads (and the one preparing a new release) wait for the memo being made
    rather than each making it: at a million letters the matcher takes over a second."""
    rel = Release(tmp_path, BASE, open_store=None)
    made = []

    def make() -> object:
        made.append(object())
        time.sleep(0.2)
        return made[-1]

    with ThreadPoolExecutor(4) as pool:
        got = list(pool.map(lambda _: rel.cached("slow", make), range(4)))
    assert len(made) == 1 and all(memo is made[0] for memo in got)


def test_a_worker_renders_pages_of_each_kind_of_record_before_it_serves(built_edition):
    """The store's first reads (its index and filter blocks, tens of MB at a million letters) are
    paid by the warm step, not by the first visitors: pages of records spread over the list are
    rendered, not only its first lines (all of one kind)."""
    config, result, _ = built_edition
    app = create_app(config)
    warm(app)
    spread = spread_records(result.path, WARM_PAGES)
    assert len({path.split("/")[1] for path in spread}) >= 3   # archives, documents, offices…
    rendered = {key[1] for key in app.extensions["lod.responses"]}
    assert {BASE + path for path in spread} <= rendered


def test_a_worker_over_a_remote_engine_asks_it_nothing_before_it_serves(built_edition):
    """The engine's cache is warmed by every worker's traffic, and one that hangs would hold each
    new worker in its warm step past gunicorn's timeout: no page is rendered there."""
    config = built_edition[0]
    silent = socket.create_server(("127.0.0.1", 0))   # accepts connections, never answers
    silent.settimeout(0.5)
    query = f"http://127.0.0.1:{silent.getsockname()[1]}/sparql"
    remote = dataclasses.replace(config, store=dataclasses.replace(config.store, backend="remote", query=query))
    with silent:
        warm(create_app(remote))
        with pytest.raises(TimeoutError):
            silent.accept()
