"""Releases over time, on a private copy of the edition: versions, the `iris` check and tombstones,
the changelog and its Activity Streams feed, CMIF's publication date, and what a harvester sees
over HTTP (a threaded WSGI server on loopback) between two releases."""

from __future__ import annotations

import csv
import dataclasses
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest
import requests
from lxml import etree
from werkzeug.serving import make_server

from conftest import BASE
from lod import cli
from lod.build import Pipeline
from lod.changes import IrisDropped
from lod.config import ReleasePolicy
from lod.release import Releases
from lod.web import create_app

TEI = {"tei": "http://www.tei-c.org/ns/1.0"}


def edit(path: Path, key: str, change) -> None:
    """Rewrite one table: `change(row)` returns the new row, or None to drop it."""
    with path.open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        fields, rows = reader.fieldnames, list(reader)
    rows = [r if r[fields[0]] != key else change(r) for r in rows]
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(r for r in rows if r is not None)


def add_tombstone(data: Path, iri: str, status: str, successor: str = "") -> None:
    with (data / "tombstones.csv").open("a", encoding="utf-8") as f:
        f.write(f"{iri},{status},{successor},2026-11-25,merged into another entry in review\n")


@contextmanager
def serving(config) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, create_app(config), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()


def newest(url: str, release: str) -> list[tuple]:
    """(type, object, target) of the activities of one release, read from the feed's last page."""
    collection = requests.get(f"{url}/changes", headers={"Accept": "application/activity+json"}, timeout=10).json()
    last = requests.get(collection["last"]["id"].replace(BASE, url + "/"), timeout=10).json()
    return [(a["type"], a["object"]["id"], a.get("target", {}).get("id")) for a in last["orderedItems"]
            if a["id"].startswith(f"{BASE}changes#{release}-")]


def build(config):
    return Pipeline(config).build(Releases(config.path("var")))


@pytest.fixture
def first(edition_copy, config_for):
    config = config_for(edition_copy)
    return config, build(config), edition_copy


def test_an_unchanged_rebuild_is_a_new_version_with_nothing_changed(first):
    config, one, _ = first
    two = build(config)
    assert (one.version, two.version) == (1, 2)
    info = json.loads((Releases(config.path("var")).current() / "build.json").read_text())
    assert info["changes"] == {"added": 0, "changed": 0, "removed": 0} and info["previous"] == one.release
    cmif = [etree.parse(str(r.path / "dumps" / "cmif.xml")) for r in (one, two)]
    dates = [c.find(".//tei:publicationStmt/tei:date", TEI).get("when") for c in cmif]
    assert dates[0] == dates[1]           # same content, same publication date for correspSearch
    assert (one.path / "dumps" / "cmif.xml").exists()   # the earlier release's downloads are kept


def test_the_changes_feed_lists_exactly_a_changed_record(first):
    config, one, data = first
    with serving(config) as url:
        etags = {p: requests.get(f"{url}/data/id/person/{p}.ttl", timeout=10).headers["ETag"]
                 for p in ("sukhanova", "stalin")}
        edit(data / "persons.csv", "sukhanova", lambda r: {**r, "birth": "1889"})
        two = build(config)
        assert newest(url, two.release) == [("Update", f"{BASE}id/person/sukhanova", None)]
        collection = requests.get(f"{url}/changes.json", timeout=10).json()
        assert collection["totalItems"] == 1 + sum(1 for _ in (one.path / "records.tsv").open())
        # A harvester holding the first release's ETags refetches only what changed.
        assert requests.get(f"{url}/data/id/person/stalin.ttl", headers={"If-None-Match": etags["stalin"]},
                            timeout=10).status_code == 304
        changed = requests.get(f"{url}/data/id/person/sukhanova.ttl",
                               headers={"If-None-Match": etags["sukhanova"]}, timeout=10)
        assert changed.status_code == 200 and '"1889"' in changed.text
        page = requests.get(f"{url}/changes", headers={"Accept": "text/html"}, timeout=10).text
        assert "Release 2" in page and 'href="/id/person/sukhanova"' in page
        turtle = requests.get(f"{url}/changes.ttl", timeout=10).text
        assert f"changes#{two.release}-1" in turtle and "as:Update" in turtle
        older = requests.get(f"{url}/releases/{one.release}/dumps/cmif.xml", timeout=10)
        assert older.status_code == 200 and older.content == (one.path / "dumps" / "cmif.xml").read_bytes()
        assert requests.get(f"{url}/releases/..%2F..%2Fetc/dumps/", timeout=10).status_code == 404
    cmif = [etree.parse(str(r.path / "dumps" / "cmif.xml")) for r in (one, two)]
    assert len({c.find(".//tei:publicationStmt/tei:date", TEI).get("when") for c in cmif}) == 1  # no CMIF field changed


def test_a_page_is_as_new_as_the_newest_record_it_shows(first):
    """Last-Modified is the latest change of the resource or of any record it names: renaming a
    person moves it for the letter naming them, not for a letter that does not."""
    config, _, data = first
    pages = ("/page/id/document/67", "/page/id/document/5")   # 67 names Amosov; 5 does not
    with serving(config) as url:
        before = [requests.get(url + p, timeout=10).headers["Last-Modified"] for p in pages]
        time.sleep(1)   # Last-Modified has whole seconds
        edit(data / "persons.csv", "amosov", lambda r: {**r, "name": "Amosov, A. M. (renamed)"})
        build(config)
        after = [requests.get(url + p, timeout=10) for p in pages]
    assert "Amosov, A. M. (renamed)" in after[0].text
    assert parsedate_to_datetime(after[0].headers["Last-Modified"]) > parsedate_to_datetime(before[0])
    assert after[1].headers["Last-Modified"] == before[1]


def test_a_dropped_iri_is_refused_until_a_tombstone_declares_it(first, capsys):
    config, one, data = first
    current = Releases(config.path("var")).current()
    edit(data / "persons.csv", "astrov", lambda r: None)
    with pytest.raises(IrisDropped) as refused:
        build(config)
    assert "id/person/astrov" in str(refused.value) and "tombstones.csv" in str(refused.value)
    assert Releases(config.path("var")).current() == current        # nothing published
    assert cli.main(["--config", str(config.root / "lod.toml"), "validate"]) == 1
    assert "id/person/astrov" in capsys.readouterr().err

    add_tombstone(data, "id/person/astrov", "gone")
    two = build(config)
    with serving(config) as url:
        for path in ("/id/person/astrov", "/page/id/person/astrov", "/data/id/person/astrov.ttl"):
            response = requests.get(url + path, allow_redirects=False, timeout=10)
            assert response.status_code == 410 and "merged into another entry" in response.text, path
        assert newest(url, two.release) == [("Delete", f"{BASE}id/person/astrov", None)]
    # The tombstone is carried into later releases, and its row may not be deleted.
    assert "id/person/astrov" in json.loads((build(config).path / "tombstones.json").read_text())
    (data / "tombstones.csv").write_text("iri,status,successor,retired_on,reason\n")
    with pytest.raises(IrisDropped, match="the tombstone of id/person/astrov .* was removed"):
        build(config)


def test_a_moved_iri_redirects_to_its_successor(first):
    config, _, data = first
    edit(data / "persons.csv", "miliukov", lambda r: None)
    add_tombstone(data, "id/person/miliukov", "moved", "id/person/riabushinskii")
    two = build(config)
    with serving(config) as url:
        for path, target in (("/id/person/miliukov", "/id/person/riabushinskii"),
                             ("/data/id/person/miliukov.ttl", "/data/id/person/riabushinskii.ttl")):
            response = requests.get(url + path, allow_redirects=False, timeout=10)
            assert response.status_code == 301 and response.headers["Location"].endswith(target)
        assert newest(url, two.release) == [
            ("Move", f"{BASE}id/person/miliukov", f"{BASE}id/person/riabushinskii")]


@pytest.mark.parametrize("row, message", [
    ("id/person/stalin,gone,,2026-11-25,wrong\n", "still publishes it"),
    ("id/person/nobody,moved,id/person/no-such,2026-11-25,wrong\n", "is not published by this build"),
    ("id/person/nobody,gone,id/person/stalin,2026-11-25,wrong\n", "use status 'moved'"),
])
def test_a_contradictory_tombstone_is_refused_with_its_row(first, row, message):
    config, _, data = first
    with (data / "tombstones.csv").open("a", encoding="utf-8") as f:
        f.write(row)
    with pytest.raises(IrisDropped) as refused:
        build(config)
    assert "tombstones.csv, row 2" in str(refused.value) and message in str(refused.value)


def test_older_releases_keep_their_downloads_but_not_their_stores(first):
    config, one, _ = first
    config = dataclasses.replace(config, releases=ReleasePolicy(keep_stores=2))
    two, three = build(config), build(config)
    assert [(r.path / "store").exists() for r in (one, two, three)] == [False, True, True]
    assert [(r.path / "index.sqlite").exists() for r in (one, two, three)] == [False, True, True]
    with serving(config) as url:
        assert requests.get(f"{url}/releases/{one.release}/dumps/cmif.xml", timeout=10).status_code == 200
        assert requests.get(f"{url}/data/id/person/stalin.ttl", timeout=10).status_code == 200


def test_a_release_from_before_the_changelog_still_lists_its_downloads(first):
    """A kept release whose build.json predates today's fields answers, never a 500."""
    config, one, _ = first
    old = one.path.parent / "20200101T000000Z"
    (old / "dumps").mkdir(parents=True)
    (old / "dumps" / "manifest.json").write_text("[]")
    (old / "dumps" / "SHA256SUMS").write_text("")
    (old / "build.json").write_text('{"release": "20200101T000000Z"}')
    with serving(config) as url:
        assert requests.get(f"{url}/releases/20200101T000000Z/dumps/", timeout=10).status_code == 200
        listing = requests.get(f"{url}/releases/20200101T000000Z/dumps/SHA256SUMS", timeout=10)
        assert listing.status_code == 200 and "Last-Modified" in listing.headers
        assert requests.get(f"{url}/releases/20200101T000000Z/dumps/x.nq.gz", timeout=10).status_code == 404


def test_a_release_without_a_browse_index_says_so_instead_of_failing(first):
    """A release published before the index existed: its browse pages are a 503 naming the file."""
    config, one, _ = first
    moved = one.path / "index.sqlite.away"
    (one.path / "index.sqlite").rename(moved)
    try:
        with serving(config) as url:
            answer = requests.get(f"{url}/browse/persons", timeout=10)
            assert answer.status_code == 503 and "index.sqlite" in answer.text
            assert requests.get(f"{url}/browse/organisations", timeout=10).status_code == 200
            page = requests.get(f"{url}/page/id/person/bukharin", timeout=10)   # names from the store
            assert page.status_code == 200 and "Bukharin" in page.text
    finally:
        moved.rename(one.path / "index.sqlite")
