"""The SPARQL 1.1 Protocol endpoint over a real socket, with SPARQLWrapper and plain HTTP."""

from __future__ import annotations

import csv
import io
import threading
import time

import pyoxigraph as ox
import pytest
import requests
from markupsafe import escape
from rdflib import Dataset, Graph, Namespace, URIRef
from SPARQLWrapper import CSV, JSON, JSONLD, N3, POST, RDFXML, TSV, TURTLE, XML, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import QueryBadFormed

from conftest import BASE, select
from lod.web import guard

SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
PREFIXES = "PREFIX sdo: <https://schema.org/>\nPREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
DOCUMENTS = PREFIXES + "SELECT ?doc ?label WHERE { ?doc a sdo:Message ; rdfs:label ?label } ORDER BY ?doc"


def client(server: str, query: str, fmt: str = JSON, method: str = "GET") -> SPARQLWrapper:
    sw = SPARQLWrapper(f"{server}/sparql")
    sw.setQuery(query)
    sw.setReturnFormat(fmt)
    sw.setMethod(method)
    return sw


@pytest.mark.parametrize("method", ["GET", POST])
def test_select_json_matches_the_store(server, built_edition, method):
    _, _, store = built_edition
    rows = client(server, DOCUMENTS, method=method).queryAndConvert()["results"]["bindings"]
    expected = select(store, DOCUMENTS)
    assert [r["doc"]["value"] for r in rows] == [e["doc"] for e in expected]
    assert len(rows) == 86


def test_select_in_xml_csv_and_tsv(server):
    xml = client(server, DOCUMENTS, XML).queryAndConvert()
    assert len(xml.getElementsByTagName("result")) == 86
    table = list(csv.reader(io.StringIO(client(server, DOCUMENTS, CSV).queryAndConvert().decode())))
    assert table[0] == ["doc", "label"] and len(table) == 87
    tsv = client(server, DOCUMENTS, TSV).queryAndConvert().decode().splitlines()
    assert tsv[0] == "?doc\t?label" and len(tsv) == 87 and tsv[1].startswith(f"<{BASE}id/document/")


def test_ask_in_json_and_xml(server):
    query = PREFIXES + f"ASK {{ <{BASE}id/document/1> sdo:sender <{BASE}id/person/stalin> }}"
    assert client(server, query).queryAndConvert()["boolean"] is True
    xml = client(server, query.replace("stalin", "molotov"), XML).queryAndConvert()
    assert xml.getElementsByTagName("boolean")[0].firstChild.data == "false"


@pytest.mark.parametrize("fmt", [TURTLE, N3, RDFXML, JSONLD])
def test_construct_in_every_graph_format(server, fmt):
    query = PREFIXES + "CONSTRUCT { ?doc rdfs:label ?l } WHERE { ?doc a sdo:Message ; rdfs:label ?l }"
    graph = client(server, query, fmt).queryAndConvert()
    if not isinstance(graph, Graph):   # SPARQLWrapper hands Turtle and N3 back as bytes
        graph = Graph().parse(data=graph, format="turtle")
    assert len(graph) == 86


def test_describe_and_dataset_formats(server):
    query = f"DESCRIBE <{BASE}id/person/bukharin>"
    for fmt, parse_as in (("nq", "nquads"), ("trig", "trig"), ("nt", "nt")):
        r = requests.get(f"{server}/sparql", params={"query": query, "format": fmt})
        assert r.status_code == 200, r.text
        quads = list(Dataset().parse(data=r.text, format=parse_as).quads())
        assert sum(q[0] == URIRef(f"{BASE}id/person/bukharin") for q in quads) > 5, fmt


def test_post_sparql_query_body_and_accept_negotiation(server):
    r = requests.post(f"{server}/sparql", data=DOCUMENTS.encode(),
                      headers={"Content-Type": "application/sparql-query", "Accept": "text/csv"})
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/csv")
    assert "Accept" in r.headers["Vary"]


def test_default_and_named_graph_parameters(server):
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    params = {"query": count, "default-graph-uri": f"{BASE}graph/glossary", "format": "json"}
    glossary = int(requests.get(f"{server}/sparql", params=params).json()["results"]["bindings"][0]["n"]["value"])
    everything = int(requests.get(f"{server}/sparql", params={"query": count, "format": "json"})
                     .json()["results"]["bindings"][0]["n"]["value"])
    assert 0 < glossary < everything
    named = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
    r = requests.get(f"{server}/sparql", params={"query": named, "named-graph-uri": f"{BASE}graph/notes",
                                                 "format": "json"})
    assert [b["g"]["value"] for b in r.json()["results"]["bindings"]] == [f"{BASE}graph/notes"]
    bad = requests.get(f"{server}/sparql", params={"query": count, "default-graph-uri": "not an iri"})
    assert bad.status_code == 400 and "default-graph-uri" in bad.text


def test_malformed_query_gets_400_with_the_parsers_message(server):
    with pytest.raises(QueryBadFormed):
        client(server, "SELECT ?x WHERE { ?x ?y }").query()
    r = requests.get(f"{server}/sparql", params={"query": "SELECT ?x WHERE { ?x ?y }"})
    assert r.status_code == 400 and "malformed query" in r.text and "error at" in r.text
    # Virtuoso answers this one with a 500: the query is parsed before any engine sees it.
    r = requests.get(f"{server}/sparql", params={"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 1 OFFSET -1"})
    assert r.status_code == 400 and "malformed query" in r.text


@pytest.mark.parametrize("request_kwargs", [
    {"method": "GET", "params": {"update": "CLEAR ALL"}},
    {"method": "POST", "data": {"update": "DROP ALL"}},
    {"method": "POST", "data": "INSERT DATA { <a:b> <a:c> <a:d> }",
     "headers": {"Content-Type": "application/sparql-update"}},
    {"method": "GET", "params": {"query": "LOAD <http://example.org/x.ttl>"}},
    {"method": "POST", "data": {"query": "DELETE WHERE { ?s ?p ?o }"}},
])
def test_updates_are_refused(server, built_edition, request_kwargs):
    r = requests.request(url=f"{server}/sparql", **request_kwargs)
    assert r.status_code == 403 and "read-only" in r.text
    assert requests.get(f"{server}/sparql", params={"query": "ASK { ?s ?p ?o }", "format": "json"}).json()["boolean"]


def test_service_is_refused_but_the_word_in_a_string_is_not(server):
    federated = "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }"
    r = requests.get(f"{server}/sparql", params={"query": federated})
    assert r.status_code == 403 and "SERVICE" in r.text
    harmless = 'SELECT ?x WHERE { BIND ("SERVICE" AS ?x) } # SERVICE in a comment'
    r = requests.get(f"{server}/sparql", params={"query": harmless, "format": "json"})
    assert r.status_code == 200 and r.json()["results"]["bindings"][0]["x"]["value"] == "SERVICE"


def test_keywords_ignore_strings_iris_comments_and_names():
    query = 'PREFIX ex: <http://e/SERVICE/> SELECT ?load WHERE { ?load ex:insert "DROP" } # CLEAR'
    assert guard.keywords(query) & (guard.UPDATE_WORDS | {"SERVICE"}) == set()
    assert "SERVICE" in guard.keywords("select * { service <x:y> { ?s ?p ?o } }")


def test_results_are_capped_and_say_so(server):
    r = requests.get(f"{server}/sparql", params={"query": "SELECT * WHERE { ?s ?p ?o }", "format": "json"})
    assert len(r.json()["results"]["bindings"]) == 500
    assert r.headers["SPARQL-Results-Truncated"].startswith("true")
    small = requests.get(f"{server}/sparql", params={"query": DOCUMENTS, "format": "json"})
    assert "SPARQL-Results-Truncated" not in small.headers


def test_answers_carry_validators_and_repeat_from_the_cache_as_asked(server):
    """A release never changes, so an answer is kept per worker and revalidated by ETag; the
    format asked and the cut flag are part of what is kept."""
    params = {"query": "SELECT * WHERE { ?s ?p ?o }"}
    first, again = (requests.get(f"{server}/sparql", params=params, timeout=10,
                                 headers={"Accept": "application/sparql-results+json"}) for _ in range(2))
    assert first.status_code == again.status_code == 200 and first.content == again.content
    assert again.headers["SPARQL-Results-Truncated"].startswith("true")
    assert first.headers["ETag"] and "public" in first.headers["Cache-Control"] and "Accept" in first.headers["Vary"]
    unchanged = requests.get(f"{server}/sparql", params=params, timeout=10,
                             headers={"Accept": "application/sparql-results+json", "If-None-Match": first.headers["ETag"]})
    assert unchanged.status_code == 304 and not unchanged.content
    as_xml = requests.get(f"{server}/sparql", params=params, headers={"Accept": "application/sparql-results+xml"},
                          timeout=10)
    assert as_xml.headers["Content-Type"].startswith("application/sparql-results+xml") and \
        as_xml.headers["ETag"] != first.headers["ETag"]
    posted = requests.post(f"{server}/sparql", data=params, headers={"Accept": "application/sparql-results+json"},
                           timeout=10)
    assert posted.status_code == 200 and posted.content == first.content and "ETag" not in posted.headers


def test_a_runaway_query_is_cancelled_while_others_are_served(server):
    runaway = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
    outcome: dict = {}

    def slow() -> None:
        started = time.monotonic()
        outcome["response"] = requests.get(f"{server}/sparql", params={"query": runaway}, timeout=60)
        outcome["seconds"] = time.monotonic() - started

    thread = threading.Thread(target=slow)
    thread.start()
    time.sleep(0.5)
    started = time.monotonic()
    quick = requests.get(f"{server}/sparql", params={"query": DOCUMENTS, "format": "json"}, timeout=10)
    assert quick.status_code == 200 and time.monotonic() - started < 1.5
    thread.join()
    assert outcome["response"].status_code == 503
    assert "cancelled after 3 s" in outcome["response"].text
    assert outcome["seconds"] < 7
    # The worker that ran it was replaced; the service goes on answering.
    for _ in range(4):
        assert requests.get(f"{server}/sparql", params={"query": "ASK {}", "format": "json"}, timeout=10).ok


def test_service_description_and_editor(server):
    r = requests.get(f"{server}/sparql", headers={"Accept": "text/turtle"})
    g = Graph().parse(data=r.text, format="turtle")
    endpoint = URIRef(f"{BASE}sparql")
    assert (endpoint, SD.endpoint, endpoint) in g
    assert (endpoint, SD.feature, SD.UnionDefaultGraph) in g
    page = requests.get(f"{server}/sparql", headers={"Accept": "text/html"})
    assert page.status_code == 200 and page.text.count('href="/sparql?example=') == 14


def test_every_example_query_runs_and_answers(server):
    page = requests.get(f"{server}/sparql", headers={"Accept": "text/html"}).text
    from lod.web.sparql import examples
    for example in examples(BASE):
        r = requests.post(f"{server}/sparql", data={"query": example["query"]},
                          headers={"Accept": "application/sparql-results+json, text/turtle;q=0.9"})
        assert r.status_code == 200, (example["id"], r.text)
        if r.headers["Content-Type"].startswith("text/turtle"):
            assert len(Graph().parse(data=r.text, format="turtle")) > 0, example["id"]
        else:
            assert r.json()["results"]["bindings"], example["id"]
        assert str(escape(example["title"])) in page


def test_cors_preflight_and_headers(server):
    r = requests.options(f"{server}/sparql", headers={
        "Origin": "https://example.org", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "Content-Type"})
    assert r.status_code == 200
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in r.headers["Access-Control-Allow-Methods"]
    get = requests.get(f"{server}/sparql", params={"query": "ASK {}"}, headers={"Origin": "https://example.org"})
    assert get.headers["Access-Control-Allow-Origin"] == "*"


def test_unsupported_requests_get_4xx(server):
    assert requests.post(f"{server}/sparql", data=b"x", headers={"Content-Type": "image/png"}).status_code == 415
    r = requests.get(f"{server}/sparql", params={"query": DOCUMENTS, "format": "pdf"})
    assert r.status_code == 406 and "format" in r.text
    r = requests.get(f"{server}/sparql", params=[("query", "ASK {}"), ("query", "ASK {}")])
    assert r.status_code == 400


def test_a_cancelled_query_does_not_hold_up_the_next_one_on_its_thread():
    """The guard keeps its query thread between queries but gives up one left running a cancelled
    query: the next query from the same request thread runs at once (the runaway takes ~2 s)."""
    store = ox.Store()
    store.extend(ox.Quad(ox.NamedNode(f"urn:x:{i}"), ox.NamedNode("urn:x:p"), ox.Literal(i), ox.DefaultGraph())
                 for i in range(300))
    assert guard.run(store, "ASK { ?s ?p ?o }", timeout=5, limit=10).boolean
    with pytest.raises(guard.Timeout):
        guard.run(store, "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }", timeout=0.2, limit=10)
    assert guard.run(store, "ASK { ?s ?p ?o }", timeout=1, limit=10).boolean
