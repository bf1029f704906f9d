"""The Wikidata reconciler against a local endpoint in Wikidata's RDF shape (tests/fixtures/wikidata.ttl):
its decisions and their explanations, batching, caching, User-Agent, 429 and timeouts, --verify."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from lod import cli
from lod.config import load
from lod.linking.reconciler import Reconciler, client
from lod.linking.table import read_links
from lod.linking.wikidata import WikidataError

from conftest import write_config
from wikidata_endpoint import start

PERSONS = ["bukharin", "zinoviev", "kamenev", "rykov", "tomskii", "groman"]
UA = "lod-tests/1.0 (offline test suite; nobody@example.invalid)"


@pytest.fixture
def wikidata():
    endpoint, stop = start()
    yield endpoint
    stop()


def _links_without_persons(data: Path, keep: dict[str, str]) -> None:
    """Keep the bodies' links (positions are compared through them) and only the given persons'."""
    path = data / "wikidata_links.csv"
    with path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    rows = [r for r in rows if not r["person"] or r["person"] in keep]
    for r in rows:
        if r["person"]:
            r["qid"] = keep[r["person"]]
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


@pytest.fixture
def setup(tmp_path: Path, edition_copy: Path, wikidata):
    """A configuration over a copy of the tables whose person links are gone, pointed at the stand-in."""
    _links_without_persons(edition_copy, {"yagoda": "Q141869"})
    path = write_config(tmp_path, edition_copy)
    text = path.read_text(encoding="utf-8").replace(
        "[paths]\n", f'[paths]\nwikidata_cache = "{tmp_path / "cache"}"\n')
    path.write_text(text + f'[linking]\nendpoint = "{wikidata.url}"\nuser_agent = "{UA}"\n'
                    "timeout = 1.0\nretries = 2\nretry_pause = 0.1\n", encoding="utf-8")
    return load(path), path


def _reconcile(config, **kwargs):
    c = client(config)
    for k, v in kwargs.items():
        setattr(c, k, v)
    run = Reconciler(config, c)
    return run, run.run(PERSONS)


def test_true_matches_accepted_namesakes_ruled_out_and_explained(setup, wikidata):
    config, _ = setup
    run, outcome = _reconcile(config)
    accepted = {s.person.id: s.item.qid for s in outcome.accepted}
    assert accepted == {"bukharin": "Q186709", "zinoviev": "Q207459", "kamenev": "Q165854",
                        "rykov": "Q990000010", "tomskii": "Q990000020"}
    # the namesakes with other life dates are ruled out, with the reason
    ruled = {(s.person.id, s.item.qid): s.ruled_out for s in outcome.ruled_out}
    assert ruled[("bukharin", "Q990000001")] == "birth year 1951 on Wikidata, 1888 here"
    assert ("rykov", "Q990000011") in ruled
    # the near namesake (dates one year off) stays a candidate for review, scored lower
    candidates = {(s.person.id, s.item.qid): s for s in outcome.candidates}
    near = candidates[("kamenev", "Q990000002")]
    assert near.score < config.linking.accept_threshold and not near.years_agree
    assert "birth year 1884 one off ours 1883" in near.explanation
    # the ship named after Bukharin is not a human: never a candidate
    assert all(s.item.qid != "Q990000030" for s in outcome.accepted + outcome.candidates + outcome.ruled_out)
    assert [p.id for p in outcome.without_item] == ["groman"]
    bukharin = next(s for s in outcome.accepted if s.person.id == "bukharin")
    for reason in ("name 1.00", "birth year 1888 equal", "death year 1938 equal", "Soviet citizenship",
                   "party member (Q79854)", "position Q990000040 in politburo"):
        assert reason in bukharin.explanation
    tomskii = next(s for s in outcome.accepted if s.person.id == "tomskii")
    assert "birth year 1880 equal" in tomskii.explanation   # a year-precision date still has its year


def test_decisions_are_written_to_the_links_table_and_never_repeated(setup, wikidata):
    config, _ = setup
    _reconcile(config)
    links = {(link.person, link.qid): link for link in read_links(config.path("data")) if link.person}
    assert links[("bukharin", "Q186709")].status == "accepted"
    assert links[("kamenev", "Q990000002")].status == "candidate"
    assert links[("bukharin", "Q186709")].evidence.startswith("Nikolai Bukharin: score 1.00: name 1.00")
    assert links[("bukharin", "Q186709")].decided_by == f"lod link wikidata ({wikidata.url})"
    assert ("bukharin", "Q990000001") not in links          # ruled out: not proposed
    # the candidate is rejected by a reviewer; a second run proposes nothing again
    rows = read_links(config.path("data"))
    for link in rows:
        if (link.person, link.qid) == ("kamenev", "Q990000002"):
            link.status = "rejected"
    from lod.linking.table import write_links
    write_links(config.path("data"), rows)
    _, again = _reconcile(config)
    assert again.accepted == [] and again.candidates == []
    statuses = [link.status for link in read_links(config.path("data")) if link.person == "kamenev"]
    assert sorted(statuses) == ["accepted", "rejected"]


def test_one_batch_two_requests_with_our_user_agent(setup, wikidata):
    config, _ = setup
    run, _ = _reconcile(config)
    assert run.client.requests == 2 == len(wikidata.seen)   # names → items, items → facts
    assert {s.user_agent for s in wikidata.seen} == {UA}
    assert "VALUES ?name" in wikidata.seen[0].query and '"Николай Иванович Бухарин"@ru' in wikidata.seen[0].query
    assert wikidata.most_at_once == 1


def test_a_rerun_is_answered_from_the_cache(setup, wikidata, tmp_path):
    config, _ = setup
    snapshot = (config.path("data") / "wikidata_links.csv").read_bytes()
    _, first = _reconcile(config)
    (config.path("data") / "wikidata_links.csv").write_bytes(snapshot)
    run, second = _reconcile(config)
    assert run.client.requests == 0 and len(wikidata.seen) == 2
    assert [s.item.qid for s in second.accepted] == [s.item.qid for s in first.accepted]


def test_429_waits_as_long_as_retry_after_says(setup, wikidata):
    config, _ = setup
    wikidata.script = [("429", 3)]
    waits: list[float] = []
    run, outcome = _reconcile(config, sleep=waits.append)
    assert waits == [3.0]
    assert run.client.requests == 3 and len(outcome.accepted) == 5


def test_a_timeout_is_retried_then_reported_without_touching_the_table(setup, wikidata):
    config, path = setup
    wikidata.script = [("slow", 1.5)]
    run, outcome = _reconcile(config)
    assert run.client.requests == 3 and len(outcome.accepted) == 5   # one timed out, retried

    before = (config.path("data") / "wikidata_links.csv").read_bytes()
    wikidata.script = [("slow", 1.5)] * 3
    with pytest.raises(WikidataError, match="gave up after 3 attempts; last: no answer"):
        _reconcile(config)
    assert (config.path("data") / "wikidata_links.csv").read_bytes() == before


def test_command_line_reconciles_then_verify_reports_drift(setup, wikidata, capsys):
    config, path = setup
    assert cli.main(["--config", str(path), "link", "wikidata"] + sum((["--person", p] for p in PERSONS), [])) == 0
    err = capsys.readouterr().err
    assert "5 accepted, 1 candidate(s) for review" in err and "bukharin → Q186709" in err
    # Yagoda's item on the stand-in has another death year than ours: --verify says so and fails
    assert cli.main(["--config", str(path), "link", "wikidata", "--verify"]) == 1
    err = capsys.readouterr().err
    assert "yagoda → Q141869: death year 1938 here, 1941 on Wikidata" in err
    assert "bukharin" not in err.split("agree with Wikidata:")[1]


def test_unreachable_endpoint_is_a_clear_error(setup, capsys):
    _, path = setup
    assert cli.main(["--config", str(path), "link", "wikidata", "--person", "groman",
                     "--endpoint", "http://127.0.0.1:9/sparql"]) == 1
    assert "Wikidata did not answer; the links table is unchanged:" in capsys.readouterr().err
