"""End to end: the edition's tables built into a release, then asked through the store."""

from __future__ import annotations

import csv
import gzip
import hashlib
import json
import multiprocessing
import operator
import os
import re
import time
from multiprocessing.connection import wait

import pyoxigraph as ox
import pytest

from conftest import BASE, REPO, ask, select
from lod import changes, dumps, rq, void
from lod.build import Pipeline
from lod.release import Releases
from lod.store import EmbeddedStore
from lod.synthetic import generate
from lod.vocab import prefixes as vocab_prefixes

ID = f"{BASE}id/"
PREFIXES = f"""
PREFIX rico: <https://www.ica.org/standards/RiC/ontology#>
PREFIX schema: <https://schema.org/>
PREFIX org: <http://www.w3.org/ns/org#>
PREFIX crm: <http://www.cidoc-crm.org/cidoc-crm/>
PREFIX time: <http://www.w3.org/2006/time#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX spdx: <http://spdx.org/rdf/terms#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX lod: <{BASE}ontology#>
"""


def table(name: str) -> list[dict[str, str]]:
    with (REPO / "data" / f"{name}.csv").open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def count(store: ox.Store, cls: str) -> int:
    return int(select(store, PREFIXES + f"SELECT (COUNT(DISTINCT ?x) AS ?n) WHERE {{ ?x a {cls} }}")[0]["n"])


def test_every_table_row_becomes_an_entity(built_edition):
    _, _, store = built_edition
    assert count(store, "schema:Message") == len(table("documents"))
    assert count(store, "rico:Person") == len(table("persons"))
    assert count(store, "org:Membership") == len(table("offices"))
    assert count(store, "org:Organization") == len(table("organisations"))
    assert count(store, "schema:Place") == len(table("places"))
    assert count(store, "lod:ArchivalCitation") == len(table("citations"))


def test_every_sender_addressee_commenter_and_mention_is_stated(built_edition):
    _, _, store = built_edition
    predicate = {"sender": "rico:hasSender", "addressee": "rico:hasAddressee", "commenter": "lod:annotatedBy"}
    for row in table("document_agents"):
        agent = f"person/{row['person']}" if row["person"] else f"organisation/{row['organisation']}"
        assert ask(store, PREFIXES + f"ASK {{ ?d {predicate[row['role']]} ?a }}",
                   d=ox.NamedNode(f"{ID}document/{row['document']}"), a=ox.NamedNode(ID + agent)), row
    resolved = [r for r in table("mentions") if r["person"] or r["organisation"] or r["place"]]
    assert resolved
    for row in resolved:
        kind, value = next((k, row[k]) for k in ("person", "organisation", "place") if row[k])
        assert ask(store, PREFIXES + "ASK { ?d schema:mentions ?e }",
                   d=ox.NamedNode(f"{ID}document/{row['document']}"),
                   e=ox.NamedNode(f"{ID}{kind}/{value}")), row


def test_letter_one_reads_as_in_the_edition(built_edition):
    _, _, store = built_edition
    rows = select(store, PREFIXES + f"""
        SELECT ?printed ?earliest ?latest ?edtf ?written ?estimate ?place ?delo ?fond ?archive ?pub WHERE {{
          BIND(<{ID}document/1> AS ?d)
          ?d rico:hasCreationDate ?date ; lod:dateAsWritten/rico:expressedDate ?written ;
             lod:recipientEstimatedDate/rico:expressedDate ?estimate ; schema:locationCreated/skos:prefLabel ?place ;
             rico:isOrWasIncludedIn ?delo ; lod:firstPublishedIn ?pub .
          ?date rico:expressedDate ?printed ; crm:P82a_begin_of_the_begin ?earliest ;
                crm:P82b_end_of_the_end ?latest ; rico:normalizedDateValue ?edtf .
          ?delo rico:isOrWasIncludedIn ?opis . ?opis rico:isOrWasIncludedIn ?fond .
          ?fond rico:isOrWasIncludedIn ?archive . ?archive a schema:ArchiveOrganization .
        }}""")
    assert rows == [{
        "printed": "12 July 1925", "earliest": "1925-07-12", "latest": "1925-07-12", "edtf": "1925-07-12",
        "written": "7/12", "estimate": "1925=?", "place": "Rostov-on-Don",
        "delo": f"{ID}archive/rtskhidni/f558/op1/d5388", "fond": f"{ID}archive/rtskhidni/f558",
        "archive": f"{ID}archive/rtskhidni", "pub": f"{ID}publication/izvestiia-tsk-1990-9"}]


def test_subjects_form_a_scheme_and_documents_are_about_them(built_edition):
    _, _, store = built_edition
    assignments = table("document_subjects")
    assert len(assignments) > 50
    for row in assignments:
        assert ask(store, PREFIXES + "ASK { ?d dcterms:subject ?s ; schema:about ?s . ?s skos:inScheme ?scheme }",
                   d=ox.NamedNode(f"{ID}document/{row['document']}"),
                   s=ox.NamedNode(f"{ID}subject/{row['subject']}"), scheme=ox.NamedNode(f"{ID}subject")), row


def test_unresolved_names_are_listed_for_review_not_dropped(built_edition):
    _, result, _ = built_edition
    unresolved = [r for r in table("mentions") if not (r["person"] or r["organisation"] or r["place"])]
    assert [(u.document, u.name) for u in result.unresolved] == [
        (r["document"], r["name_as_printed"]) for r in unresolved]


def test_open_ended_date_has_only_a_lower_bound(built_edition):
    _, _, store = built_edition
    rows = select(store, PREFIXES + f"""SELECT ?edtf ?latest ?extent WHERE {{
        <{ID}document/7> rico:hasCreationDate ?date . ?date rico:normalizedDateValue ?edtf ; lod:dateExtent ?extent .
        OPTIONAL {{ ?date crm:P82b_end_of_the_end ?latest }} }}""")
    assert rows == [{"edtf": "1925-08-02/..", "extent": f"{BASE}ontology#open-ended"}]


def test_every_dated_document_states_its_extent(built_edition):
    _, _, store = built_edition
    rows = select(store, PREFIXES + """SELECT ?n ?extent WHERE {
        ?d lod:editionNumber ?n ; rico:hasCreationDate/lod:dateExtent ?extent }""")
    extents = {int(r["n"]): r["extent"].rpartition("#")[2] for r in rows}
    for d in table("documents"):
        if d["date_printed"]:
            lo, hi = d["date_earliest"], d["date_latest"]
            expected = "exact" if lo == hi else "open-ended" if not (lo and hi) else "range"
            assert extents[int(d["number"])] == expected, d["number"]


def test_life_years_certain_and_doubted(built_edition):
    _, _, store = built_edition
    persons = {p["id"]: p for p in table("persons")}
    for pid, person in persons.items():
        rows = select(store, PREFIXES + f"""SELECT ?birth ?printed WHERE {{
            OPTIONAL {{ <{ID}person/{pid}> schema:birthDate ?birth }}
            OPTIONAL {{ <{ID}person/{pid}> rico:hasBirthDate/rico:expressedDate ?printed }} }}""")
        expected = {}
        if person["birth"]:
            expected["printed"] = person["birth"]
        if person["birth"].isdigit():
            expected["birth"] = person["birth"]
        assert rows == [expected], pid


def test_offices_carry_their_years_as_day_bounds(built_edition):
    _, _, store = built_edition
    office = next(o for o in table("offices") if o["start"] and o["end"] and len(o["end"]) == 4)
    rows = select(store, PREFIXES + f"""SELECT ?person ?begin ?end WHERE {{
        <{ID}office/{office['id']}> org:member ?person ; org:memberDuring ?p .
        ?p time:hasBeginning ?begin ; time:hasEnd ?end }}""")
    assert rows == [{"person": f"{ID}person/{office['person']}",
                     "begin": f"{office['start'][:4]}-{office['start'][5:7] or '01'}-01",
                     "end": f"{office['end']}-12-31"}]


def test_citations_resolve_to_files_and_notes(built_edition):
    _, _, store = built_edition
    abbreviations = {a["id"]: a["abbreviation"] for a in table("archives")}
    for c in table("citations"):
        owner = f"document/{c['document']}" if c["document"] else f"introduction/{c['intro']}"
        rows = select(store, PREFIXES + f"""SELECT ?text ?delo ?note WHERE {{
            <{ID}citation/{c['id']}> rico:textualValue ?text ; rico:isOrWasIdentifierOf ?delo ; lod:citedIn ?note .
            <{ID}{owner}> lod:hasNote ?note }}""")
        assert len(rows) == 1, c
        assert rows[0]["delo"] == f"{ID}archive/{c['archive']}/f{c['fond']}/op{c['opis']}/d{c['delo']}"
        assert rows[0]["text"].startswith(f"{abbreviations[c['archive']]} {c['fond']}/{c['opis']}/{c['delo']}")


def test_one_named_graph_per_source_and_a_meta_graph(built_edition):
    _, _, store = built_edition
    graphs = {g.value for g in store.named_graphs()}
    assert graphs == {f"{BASE}graph/{g}" for g in ("documents", "glossary", "notes", "curation", "links", "meta",
                                                       "changes")} | {
        f"{BASE}ontology", f"{BASE}shapes"}


def test_record_digests_read_in_parts_add_up_to_the_whole_file(built_edition, tmp_path):
    """The iris check reads the mapped file in parts at once; the parts' sums must give the
    digests of the whole file, whatever lines the cuts fall on."""
    _, result, store = built_edition
    data = [f"{BASE}graph/{g}" for g in ("documents", "glossary", "notes", "curation", "links")]
    mapped = tmp_path / "mapped.nq"
    with mapped.open("wb") as out:
        ox.serialize((q for g in data for q in store.quads_for_pattern(None, None, None, ox.NamedNode(g))),
                     out, ox.RdfFormat.N_QUADS)
    whole = changes.records_in(mapped, BASE, 1)
    assert whole.keys() == changes.read_records(result.path).keys()
    assert changes.records_in(mapped, BASE, 2) == whole
    assert changes.records_in(mapped, BASE, 3) == whole


def test_statistics_asked_on_threads_are_those_asked_one_at_a_time(built_edition):
    """VoID's statistics and the coverage, two queries at a time, each answer under its own name."""
    _, result, store = built_edition
    queries = {"coverage": {}, **void.queries(BASE)}
    one_by_one = {name: rq.rows(store, name, **bindings) for name, bindings in queries.items()}
    assert rq.rows_each(store, queries, 2) == one_by_one
    assert int(one_by_one["void-totals"][0]["triples"]) == result.triples == len(store)
    assert result.coverage["documents"] == int(one_by_one["coverage"][0]["documents"]) == 86


def test_provenance_names_each_source_file_with_its_checksum(built_edition):
    _, result, store = built_edition
    rows = select(store, PREFIXES + """SELECT ?title ?sum WHERE { GRAPH ?g {
        ?build a prov:Activity ; prov:used ?f . ?f dcterms:title ?title ; spdx:checksum/spdx:checksumValue ?sum } }""")
    sums = {r["title"].split("/")[-1]: r["sum"] for r in rows}
    assert set(sums) == {p.name for p in (REPO / "data").glob("*.csv")}
    for name, digest in sums.items():
        assert digest == hashlib.sha256((REPO / "data" / name).read_bytes()).hexdigest()
    tools = select(store, PREFIXES + "SELECT ?name WHERE { ?a a prov:SoftwareAgent ; rdfs:label ?name }")
    assert {t["name"] for t in tools} >= {"lod", "morph-kgc", "pyoxigraph"}
    commit = select(store, PREFIXES + "SELECT ?v WHERE { ?a schema:version ?v }")
    assert len(commit) == 1 and re.fullmatch(r"git [0-9a-f]{40}(-dirty)?", commit[0]["v"])


def test_each_phase_records_its_time_memory_and_cpu(built_edition):
    """The mapper runs in a child process: its CPU must count in `map`, or the cores a phase
    uses (bench/build_phases.py) would read low."""
    _, result, _ = built_edition
    phases = {p["name"]: p for p in json.loads((result.path / "build.json").read_text())["phases"]}
    assert list(phases)[:4] == ["check", "map", "load", "validate"]
    assert all(p["seconds"] > 0 and p["peak_mib"] > 0 and p["cpu_s"] >= 0 for p in phases.values())
    assert phases["map"]["cpu_s"] > 1   # morph-kgc's start alone takes seconds of CPU
    assert list(phases)[-5:] == ["vocabulary", "dumps", "void", "harvest", "index"]   # harvest, index: aside


def test_a_phase_run_aside_fails_the_build_with_its_own_error(config_for, edition_copy):
    pipeline = Pipeline(config_for(edition_copy))
    with pytest.raises(FileNotFoundError, match="no-such-store"):
        with pipeline.aside(("index", os.stat, (str(edition_copy / "no-such-store"),))):
            pass
    assert pipeline.phases == []


def test_a_phase_run_aside_is_stopped_when_the_phases_beside_it_fail(config_for, edition_copy):
    pipeline, begun = Pipeline(config_for(edition_copy)), time.monotonic()
    with pytest.raises(RuntimeError, match="dumps failed"):
        with pipeline.aside(("index", time.sleep, (600,))):
            raise RuntimeError("dumps failed")
    assert time.monotonic() - begun < 60 and pipeline.phases == []


def test_a_phase_run_aside_that_dies_is_named(config_for, edition_copy):
    pipeline = Pipeline(config_for(edition_copy))
    with pytest.raises(RuntimeError, match=r"the process of phase harvest and index ended without an answer "
                                           r"\(exit code 3\)"):
        with pipeline.aside(("harvest", operator.add, (2, 3)), ("index", os._exit, (3,))):
            pass


def test_phases_run_aside_hand_back_what_their_work_returned(config_for, edition_copy):
    pipeline = Pipeline(config_for(edition_copy))
    with pipeline.aside(("harvest", operator.add, (2, 3)), ("index", operator.neg, (4,))) as aside:
        pass
    assert aside.values == {"harvest": 5, "index": -4}
    assert [p.name for p in pipeline.phases] == ["harvest", "index"]


def test_a_phase_run_aside_counts_its_cpu_in_its_own_row_only(config_for, edition_copy):
    """Starting a process reaps every ended child (multiprocessing's, as `dumps` does when it
    starts its converter), and the reaped child's CPU joins this process's: the phase running
    then must not count it (it did: 2.0 CPU s for a child that used 1.4)."""
    pipeline = Pipeline(config_for(edition_copy))
    with pipeline.aside(("index", hashlib.pbkdf2_hmac, ("sha256", b"key", b"salt", 6_000_000))) as aside:
        with pipeline.phase("dumps"):
            wait([aside.child.sentinel])   # ended, not yet reaped
            multiprocessing.active_children()   # reaps it, as starting a process would
    phases = {p.name: p for p in pipeline.phases}
    # the phase's own threads and the test session's idle ones use a little: far less than the child
    assert phases["index"].cpu_s >= 0.6 and phases["dumps"].cpu_s < phases["index"].cpu_s / 2


def test_dumps_are_complete_and_checksummed(built_edition):
    _, result, store = built_edition
    dumps = result.path / "dumps"
    manifest = json.loads((dumps / "manifest.json").read_text())
    assert {d["format"] for d in manifest} == {"N-Quads", "Turtle", "JSON-LD", "CMIF (TEI correspDesc)", "BEACON"}
    for line in (dumps / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split("  ")
        assert hashlib.sha256((dumps / name).read_bytes()).hexdigest() == digest
    quads = set(ox.parse(gzip.open(dumps / "stalin-molotov.nq.gz"), ox.RdfFormat.N_QUADS))
    assert quads == set(store) and all(isinstance(q.graph_name, ox.NamedNode) for q in quads)
    turtle = {q.triple for q in ox.parse(gzip.open(dumps / "stalin-molotov.ttl.gz"), ox.RdfFormat.TURTLE)}
    assert turtle == {q.triple for q in quads}
    # Turtle is converted from the N-Quads file: the same bytes as the store's union CONSTRUCT gives.
    union = store.query("CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }")
    assert gzip.decompress((dumps / "stalin-molotov.ttl.gz").read_bytes()) == ox.serialize(
        union, format=ox.RdfFormat.TURTLE, prefixes=vocab_prefixes(BASE))
    assert set(ox.parse(gzip.open(dumps / "stalin-molotov.jsonld.gz"), ox.RdfFormat.JSON_LD)) == quads
    # JSON-LD is converted from the N-Quads file, not read from the store: the same bytes either way.
    assert gzip.decompress((dumps / "stalin-molotov.jsonld.gz").read_bytes()) == store.dump(format=ox.RdfFormat.JSON_LD)


def test_the_n_quads_dump_written_a_graph_per_thread_is_what_the_store_dumps(tmp_path):
    ex = "http://example.org/"
    s, p = ox.NamedNode(f"{ex}s"), ox.NamedNode(f"{ex}p")
    store = ox.Store(str(tmp_path / "store"))
    store.extend([ox.Quad(s, p, ox.Literal("in the default graph")),
                  ox.Quad(s, p, ox.Literal('a line ending " .\nand another'), ox.NamedNode(f"{ex}g1")),
                  ox.Quad(s, p, ox.BlankNode("b"), ox.BlankNode("g")),
                  *(ox.Quad(s, p, ox.Literal(str(i)), ox.NamedNode(f"{ex}g{i % 3}")) for i in range(3000))])
    written = dumps.nquads(store, tmp_path / "d.nq.gz", threads=2)
    assert gzip.decompress(written.read_bytes()) == store.dump(format=ox.RdfFormat.N_QUADS)
    assert set(tmp_path.iterdir()) == {tmp_path / "store", written}   # the members joined, then removed


def _quads(graphs: dict[str, list[str]]) -> list[ox.Quad]:
    """Quads a graph at a time, as `Store.dump` writes them: graph → objects of one subject's triples."""
    return [ox.Quad(ox.NamedNode("http://example.org/s"), ox.NamedNode("http://example.org/p"), ox.Literal(o),
                    ox.NamedNode(f"http://example.org/{g}")) for g, objects in graphs.items() for o in objects]


@pytest.mark.parametrize("bits", [1, 1 << 16])   # 1: every hash collides, so every triple is asked of the store
def test_the_turtle_union_writes_a_triple_two_graphs_share_once(tmp_path, bits):
    quads = _quads({"g1": ["a", "b"], "g2": ["b", "c"], "g3": ["a", "c", "d"]})
    store = ox.Store(str(tmp_path / "store"))
    store.extend(quads)
    written = [t.object.value for t in dumps.distinct_triples(quads, store, bits)]
    assert written == ["a", "b", "c", "d"]


def test_the_turtle_union_refuses_quads_not_a_graph_at_a_time(tmp_path):
    quads = _quads({"g1": ["a"], "g2": ["b"]}) + _quads({"g1": ["c"]})
    store = ox.Store(str(tmp_path / "store"))
    store.extend(quads)
    with pytest.raises(ValueError, match="graph <http://example.org/g1> comes back"):
        list(dumps.distinct_triples(quads, store, 1 << 16))


def test_a_failed_json_ld_conversion_says_why(tmp_path):
    """The JSON-LD converter is a child process: its failure stops the dumps with its own error."""
    store = EmbeddedStore(tmp_path / "store")
    store.load_bytes(b'<http://example.org/a> <http://example.org/b> "c" .', ox.RdfFormat.N_TRIPLES,
                     graph="http://example.org/g")
    (tmp_path / "out" / "d.jsonld.gz").mkdir(parents=True)   # where the converter must write
    with pytest.raises(IsADirectoryError, match="d.jsonld.gz"):
        dumps.write(store, tmp_path / "out", "d", BASE)


def test_vocabulary_is_published_with_html_docs(built_edition):
    _, result, _ = built_edition
    vocab = result.path / "vocab"
    html = (vocab / "ontology.html").read_text()
    assert "editorial note" in html and "<h1>Vocabulary of the Stalin–Molotov letters dataset</h1>" in html
    concepts = (vocab / "concepts.html").read_text()
    assert "coded telegram" in concepts and "candidate member" in concepts and "delo" in concepts
    terms = {q.subject.value for q in ox.parse(path=str(vocab / "ontology.ttl"), format=ox.RdfFormat.TURTLE)}
    assert f"{BASE}ontology#ArchivalCitation" in terms
    assert (vocab / "shapes.ttl").stat().st_size > 0


def test_two_builds_give_the_same_iris_and_triples(tmp_path, config_for):
    config = config_for(REPO / "data")
    releases = Releases(config.path("var"))
    stores = [ox.Store.read_only(str(Pipeline(config).build(releases).path / "store")) for _ in range(2)]
    sources = [f"{BASE}graph/{g}" for g in ("documents", "glossary", "notes", "curation")]
    data = [{q for q in s if q.graph_name.value in sources} for s in stores]
    assert data[0] == data[1] and len(data[0]) > 3000


def test_iris_follow_the_configured_base(tmp_path, config_for):
    generate(tmp_path / "synthetic", letters=12)
    base = "https://letters.example.org/molotov/"
    result = Pipeline(config_for(tmp_path / "synthetic", base=base)).build(Releases(tmp_path / "var"))
    store = ox.Store.read_only(str(result.path / "store"))
    subjects = {q.subject.value for q in store if isinstance(q.subject, ox.NamedNode)}
    assert f"{base}id/document/12" in subjects
    assert all(s.startswith(base) for s in subjects)


@pytest.mark.parametrize("letters", [40])
def test_synthetic_corpus_builds_with_everything_it_holds(tmp_path, config_for, letters):
    counts = generate(tmp_path / "synthetic", letters=letters)
    result = Pipeline(config_for(tmp_path / "synthetic")).build(Releases(tmp_path / "var"))
    assert result.coverage["documents"] == counts["documents"]
    assert result.coverage["persons"] == counts["persons"]
    assert result.coverage["offices"] == counts["offices"]
    assert result.coverage["citations"] == counts["citations"]
