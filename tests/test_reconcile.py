"""The reconciliation service over a socket (`lod serve`), every answer checked against the
W3C Reconciliation API 0.2 JSON Schemas; its accuracy on a test set of name variants; and the
Wikidata links as pages, VoID and SPARQL show them."""

from __future__ import annotations

import csv
import dataclasses
import gc
import json
import shutil
import weakref
from collections import Counter
from pathlib import Path
from types import SimpleNamespace

import pytest
import requests
from jsonschema import Draft7Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7
from rdflib import Graph, URIRef
from rdflib.namespace import SKOS, VOID
import pyoxigraph as ox

from conftest import REPO
from lod.linking import ours
from lod.linking.matcher import TYPES, Held, Matcher
from lod.linking.names import folded
from lod import serve
from lod.release import Releases
from lod.web import create_app, reconcile, warm

SCHEMAS = REPO.parent / "shared" / "reference" / "reconciliation-0.2"
VARIANTS = Path(__file__).parent / "fixtures" / "name-variants.csv"
needs_schemas = pytest.mark.skipif(not SCHEMAS.is_dir(), reason="../shared/reference/reconciliation-0.2 is absent")


@pytest.fixture(scope="module")
def schema():
    """name → validator, with the schemas' references ("type.json") resolved among themselves."""
    docs = {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in SCHEMAS.glob("*.json") if p.stem != "openapi"}
    registry = Registry().with_resources(
        (doc["$id"], Resource.from_contents(doc, default_specification=DRAFT7)) for doc in docs.values() if "$id" in doc)

    def check(name: str, instance) -> None:
        errors = list(Draft7Validator(docs[name], registry=registry).iter_errors(instance))
        assert not errors, f"{name}: " + "; ".join(e.message for e in errors[:3])
    return check


def _queries(rows: list[dict]) -> dict:
    out = {}
    for i, r in enumerate(rows):
        q = {"query": r["query"], "type": r["type"], "limit": 5}
        if r.get("birth_year"):
            q["properties"] = [{"pid": "birth_year", "v": int(r["birth_year"])}]
        out[f"q{i}"] = q
    return out


@needs_schemas
def test_manifest(server, schema):
    r = requests.get(f"{server}/reconcile", timeout=10)
    assert r.status_code == 200 and r.headers["Access-Control-Allow-Origin"] == "*"
    manifest = r.json()
    schema("manifest", manifest)
    assert manifest["versions"] == ["0.2"] and manifest["identifierSpace"] == "http://localhost:8080/id/"
    assert manifest["view"]["url"] == f"{server}/id/{{{{id}}}}"
    # the view template dereferences: person/bukharin → its page
    page = requests.get(manifest["view"]["url"].replace("{{id}}", "person/bukharin"), timeout=10)
    assert page.status_code == 200 and "Bukharin" in page.text


@needs_schemas
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_query_batch(server, schema, method):
    queries = {"q0": {"query": "Sinowjew", "type": "person"},
               "q1": {"query": "Каменев", "type": "person", "properties": [{"pid": "birth_year", "v": 1881}]},
               "q2": {"query": "Kamenev", "properties": [{"pid": "birth_year", "v": "1883"},
                                                         {"pid": "organisation", "v": "Politburo"}]},
               "q3": {"query": "TsKK", "type": ["organisation"]},
               "q4": {"properties": [{"pid": "wikidata", "v": "Q186709"}], "type": "person", "limit": 1}}
    schema("reconciliation-query-batch", queries)
    params = {"queries": json.dumps(queries)}
    r = (requests.get(f"{server}/reconcile", params=params, timeout=10) if method == "GET"
         else requests.post(f"{server}/reconcile", data=params, timeout=10))
    assert r.status_code == 200, r.text
    answer = r.json()
    schema("reconciliation-result-batch", answer)
    assert answer["q0"]["result"][0]["id"] == "person/zinoviev"
    assert answer["q1"]["result"][0]["id"] == "person/kamenev-s-s"       # the other Kamenev, b. 1881
    assert answer["q2"]["result"][0]["id"] == "person/kamenev" and answer["q2"]["result"][0]["match"]
    assert {f["id"] for f in answer["q2"]["result"][0]["features"]} == {"name", "birth_year", "organisation"}
    assert answer["q3"]["result"][0]["id"] == "organisation/central-control-commission"
    assert [x["id"] for x in answer["q4"]["result"]] == ["person/bukharin"]


@needs_schemas
def test_suggest_and_preview(server, schema):
    entities = requests.get(f"{server}/reconcile/suggest/entity", params={"prefix": "бухар"}, timeout=10).json()
    schema("suggest-entities-response", entities)
    assert entities["result"][0]["id"] == "person/bukharin"
    only_bodies = requests.get(f"{server}/reconcile/suggest/entity",
                               params={"prefix": "polit", "type": "organisation"}, timeout=10).json()
    assert only_bodies["result"] and all(e["id"].startswith("organisation/") for e in only_bodies["result"])
    types = requests.get(f"{server}/reconcile/suggest/type", params={"prefix": "pers"}, timeout=10).json()
    schema("suggest-types-response", types)
    assert [t["id"] for t in types["result"]] == ["person"]
    props = requests.get(f"{server}/reconcile/suggest/property", params={"prefix": "birth"}, timeout=10).json()
    schema("suggest-properties-response", props)
    assert [p["id"] for p in props["result"]] == ["birth_year"]
    card = requests.get(f"{server}/reconcile/preview", params={"id": "person/bukharin"}, timeout=10)
    assert card.status_code == 200 and "Bukharin, N. I." in card.text and "Q186709" in card.text


@needs_schemas
def test_data_extension(server, schema):
    proposal = requests.get(f"{server}/reconcile/extend/propose", params={"type": "person"}, timeout=10).json()
    schema("data-extension-property-proposal", proposal)
    assert {"birth_year", "offices", "wikidata"} <= {p["id"] for p in proposal["properties"]}
    query = {"ids": ["person/bukharin", "person/groman", "person/nobody"],
             "properties": [{"id": p} for p in ("birth_year", "death_year", "wikidata", "organisation", "offices")]}
    schema("data-extension-query", query)
    r = requests.post(f"{server}/reconcile", data={"extend": json.dumps(query)}, timeout=10)
    answer = r.json()
    schema("data-extension-response", answer)
    bukharin = answer["rows"]["person/bukharin"]
    assert bukharin["birth_year"] == [{"int": 1888}] and bukharin["wikidata"] == [{"str": "Q186709"}]
    assert {"id": "organisation/politburo", "name": "Politburo"} in bukharin["organisation"]
    assert answer["rows"]["person/groman"]["wikidata"] == [] and answer["rows"]["person/nobody"]["offices"] == []


@pytest.mark.parametrize("params, reason", [
    ({"queries": "{not json"}, "parameter 'queries' is not JSON"),
    ({"queries": json.dumps({"q0": {"query": "x", "type": "ship"}})}, "unknown type 'ship'"),
    ({"queries": json.dumps({"q0": {"query": "x", "properties": [{"pid": "height", "v": 2}]}})}, "unknown property 'height'"),
    ({"queries": json.dumps({"q0": {"query": "x", "limit": -1}})}, "'limit' must be a positive number"),
    ({"queries": json.dumps(["Bukharin"])}, "'queries' must be an object"),
    ({"extend": json.dumps({"ids": ["person/bukharin"], "properties": [{"id": "shoe_size"}]})}, "unknown properties"),
    ({"extend": json.dumps({"ids": [{"id": 1}], "properties": [{"id": "wikidata"}]})}, "must be a string"),
    ({"extend": json.dumps({"ids": ["person/bukharin"], "properties": [{"id": ["names"]}]})}, "must be a string"),
])
def test_bad_requests_get_400_with_the_reason(server, params, reason):
    r = requests.post(f"{server}/reconcile", data=params, timeout=10)
    assert r.status_code == 400 and reason in r.text


def test_name_variants_are_ranked_first(server):
    """Another project's spellings (transliterations, Cyrillic, initials, pseudonyms, namesakes with
    a birth year, abbreviations of bodies): how often the right entity comes first."""
    with VARIANTS.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    answer = requests.post(f"{server}/reconcile", data={"queries": json.dumps(_queries(rows))}, timeout=60).json()
    right, total = Counter(), Counter()
    for i, row in enumerate(rows):
        total[row["variant"]] += 1
        top = answer[f"q{i}"]["result"][:1]
        right[row["variant"]] += bool(top) and top[0]["id"] == f"{row['type']}/{row['expected']}"
    persons = sum(right[v] for v in total if v != "organisation") / sum(total[v] for v in total if v != "organisation")
    assert persons >= 0.97, right
    assert right["namesake"] == total["namesake"]            # a birth year settles namesakes
    assert sum(right.values()) / len(rows) >= 0.95, right


def test_person_page_shows_the_wikidata_link_and_its_evidence(server):
    page = requests.get(f"{server}/page/id/person/bukharin", timeout=10).text
    assert 'href="http://www.wikidata.org/entity/Q186709"' in page
    assert 'href="/id/person/bukharin/link/Q186709"' in page
    record = requests.get(f"{server}/page/id/person/bukharin/link/Q186709", timeout=10).text
    assert "public sources" in record and "accepted" in record and "reference:wikidata-reference.csv" in record


def test_link_record_names_do_not_leak_onto_subjects(server):
    """rdf:subject (a link record's) and dcterms:subject (a document's) share a local name only."""
    subject = requests.get(f"{server}/page/id/subject/grain-exports", timeout=10).text
    assert "Documents on this subject" in subject and "Links to Wikidata" not in subject
    document = requests.get(f"{server}/page/id/document/1", timeout=10).text
    assert ">Links</a></dt>" not in document and ">Subjects</a></dt>" in document


def test_void_has_a_linkset_counting_the_links(server, built_edition):
    _, _, store = built_edition
    exact = sum(1 for q in store.quads_for_pattern(None, ox.NamedNode(str(SKOS.exactMatch)), None)
                if q.object.value.startswith("http://www.wikidata.org/entity/"))
    g = Graph().parse(data=requests.get(f"{server}/.well-known/void.ttl", timeout=10).text, format="turtle")
    linksets = {g.value(ls, VOID.linkPredicate): int(g.value(ls, VOID.triples)) for ls in g.subjects(
        predicate=VOID.objectsTarget, object=URIRef("http://www.wikidata.org/"))}
    assert exact == 56 and linksets[SKOS.exactMatch] == exact


@pytest.fixture(scope="module")
def edition_matcher(built_edition):
    """The matcher over the edition's persons and bodies, as the build wrote them."""
    config, _, store = built_edition
    entities = ours.read(store, config.dataset.base_iri)
    return Matcher(ours.forms(entities), [e.type for e in entities], Held(entities))


def test_suggest_finds_what_a_scan_of_every_form_finds(edition_matcher):
    """Suggestions come from the sorted words; they must be those of the definition: every entity
    with a form that has a word starting with the prefix (every 1-4 letter start of every word)."""
    m = edition_matcher
    prefixes = {word[:n] for form in m.prefixes for word in form.split() for n in range(1, 5)}
    for prefix in sorted(prefixes):
        scanned = {m.owners[i] for i, form in enumerate(m.prefixes)
                   if form.startswith(prefix) or f" {prefix}" in form}
        suggested = {e.id for e in m.suggest(prefix, set(TYPES), limit=1000)}
        assert suggested == {m.entities.by_number([n])[n].id for n in scanned}, prefix


def test_queries_sharing_no_word_with_any_name_are_still_matched(edition_matcher):
    """Candidates are the forms sharing a word with the query; a query sharing none (a syllabic
    abbreviation) is compared with every form, as the matcher did before it had candidates."""
    assert edition_matcher._candidates(folded("Narkomindel")) is None
    assert edition_matcher.reconcile({"query": "Narkomindel"})[0].entity.id == \
        "organisation/commissariat-of-foreign-affairs"
    assert edition_matcher._candidates(folded("Bukharin")) and \
        edition_matcher.reconcile({"query": "Bukharin"})[0].entity.id == "person/bukharin"
    assert edition_matcher.reconcile({"query": "Buharinn"})[0].entity.id == "person/bukharin"   # a word alike


def test_each_worker_makes_the_matcher_before_its_first_request(built_edition, tmp_path, caplog):
    """gunicorn's post_worker_init hook waits for the served release's matcher, which the queries
    then use, frozen out of the garbage collector's passes; with nothing published the hook only
    logs, so the worker still starts."""
    config = built_edition[0]
    hook = serve.Server(config, "127.0.0.1", 0).cfg.post_worker_init
    app = create_app(config)
    frozen = gc.get_freeze_count()
    hook(SimpleNamespace(wsgi=app))
    made = app.extensions["lod.published"].current().cache["reconcile"]
    assert gc.get_freeze_count() > frozen + len(made.prefixes)   # out of the collector's passes
    with app.test_request_context("/reconcile"):
        assert reconcile.matcher() is made
    empty = dataclasses.replace(config, paths=dataclasses.replace(config.paths, var=tmp_path / "var"))
    hook(SimpleNamespace(wsgi=create_app(empty)))
    assert "nothing prepared ahead of requests: nothing is published" in caplog.text


class _Cycle:
    """A memo that only the garbage collector can free (it refers to itself)."""

    def __init__(self):
        self.me = self


def test_a_worker_prepares_each_new_release_and_lets_the_old_ones_memos_go(built_edition, tmp_path):
    """When a build publishes a new release, the worker makes its matcher without waiting for a
    reconciliation query, and the old release's memos, frozen out of the collector's passes, are
    collected once it is no longer served."""
    var = tmp_path / "var"
    shutil.copytree(built_edition[0].path("var"), var, symlinks=True)
    config = dataclasses.replace(built_edition[0], paths=dataclasses.replace(built_edition[0].paths, var=var))
    app = create_app(config)
    warm(app)
    published = app.extensions["lod.published"]
    old = published.current()
    memo, old_memos = weakref.ref(old.cached("cycle", _Cycle)), old.cache
    work = tmp_path / "next"
    shutil.copytree(old.path, work)
    del old
    Releases(var).publish("20991231T000000Z", work)

    new = published.current()
    assert old_memos == {}   # dropped at the switch: the matcher refers back to its release
    published.preparing.join()
    assert new.id == "20991231T000000Z" and "reconcile" in new.cache
    assert memo() is None   # a memo's own cycles: collected before the new memos were frozen
