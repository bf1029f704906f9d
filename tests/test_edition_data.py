"""The tables hold the whole edition: counts and cross-checks against the edition's text."""

from __future__ import annotations

import csv
import gzip
import re
import shutil
import subprocess
import sys

import pytest

from conftest import REPO
from lod import normalise

EDITION = REPO.parent / "shared" / "sources" / "edition.md"
CHECKER = REPO.parent / "shared" / "tools" / "no_copied_text.py"
needs_edition = pytest.mark.skipif(not EDITION.is_file(), reason="the edition's text (../shared/sources) is absent")


def table(name: str) -> list[dict[str, str]]:
    with (REPO / "data" / f"{name}.csv").open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def glossary_headings() -> list[tuple[str, str]]:
    """(heading, what follows it) for every bold entry heading of the glossary."""
    text = EDITION.read_text(encoding="utf-8")
    glossary = text[text.index("## Glossary of Names"):text.index("\n# Index")]
    return re.findall(r"^(?:- |\*\*)([^*\n]+?)\*\*([^\n]{0,40})", glossary, flags=re.M)


def test_all_86_documents_numbered_once():
    assert sorted(int(d["number"]) for d in table("documents")) == list(range(1, 87))


def test_every_document_has_a_sender_and_an_addressee():
    agents = table("document_agents")
    for role in ("sender", "addressee"):
        assert {int(a["document"]) for a in agents if a["role"] == role} == set(range(1, 87)), role


@needs_edition
def test_every_glossary_entry_is_a_person():
    """Each heading that is not a cross-reference ('See …', 'Nickname for …') has its row."""
    entries = [h for h, rest in glossary_headings()
               if not re.match(r"\s*(See\b|\(?Nickname)", rest)]
    persons = [p for p in table("persons") if p["in_glossary"] == "yes"]
    assert len(entries) == len(persons) == 257
    names = [p["name"] for p in persons]
    for heading in entries:
        family = re.split(r"[,(]| \(", heading)[0].strip().rstrip(".").split()[0]
        assert any(n.startswith(family) for n in names), heading


def test_every_printed_date_agrees_with_its_bounds():
    for d in table("documents"):
        if not d["date_printed"]:
            assert not d["date_earliest"] and not d["date_latest"], d["number"]
            continue
        bounds = normalise.printed_date_bounds(d["date_printed"])
        assert (d["date_earliest"], d["date_latest"]) == (
            bounds.earliest.isoformat() if bounds.earliest else "",
            bounds.latest.isoformat() if bounds.latest else ""), d["number"]


@needs_edition
def test_every_citation_is_resolved_and_printed_in_the_edition():
    text = re.sub(r"\s+", " ", EDITION.read_text(encoding="utf-8").replace("*", ""))
    for c in table("citations"):
        assert c["fond"] and c["delo"] and c["archive"], c["id"]
        if c["as_printed"]:
            assert c["as_printed"] in text, c["id"]


def test_no_orphan_organisation():
    used = {o["organisation"] for o in table("offices")} | {
        a["organisation"] for a in table("document_agents")} | {m["organisation"] for m in table("mentions")}
    parents = {o["parent"] for o in table("organisations")}
    assert [o["id"] for o in table("organisations") if o["id"] not in used | parents] == []


def test_first_publications_as_the_note_on_the_documents_states():
    published = {d["number"]: d["first_published"] for d in table("documents")}
    assert {n for n, p in published.items() if p == "izvestiia-tsk-1990-9"} == {str(n) for n in range(1, 11)}
    assert {n for n, p in published.items() if p == "kommunist-1990-11"} == {
        "50", "56", "57", "59", "62", "65", "66", "68", "78", "79"}


def test_only_letter_83_is_typed():
    assert [d["number"] for d in table("documents") if d["medium"] == "typed"] == ["83"]


@needs_edition
def test_published_data_does_not_repeat_the_editions_wording(built_edition, tmp_path):
    """What a release publishes (dumps, VoID, vocabulary pages) keeps the facts, not the sentences."""
    _, result, _ = built_edition
    for dump in (result.path / "dumps").glob("*.gz"):
        (tmp_path / dump.name.replace(".nq.gz", ".nt").removesuffix(".gz")).write_bytes(
            gzip.decompress(dump.read_bytes()))
    shutil.copytree(result.path / "vocab", tmp_path / "vocab")
    shutil.copy(result.path / "void.ttl", tmp_path)
    check = subprocess.run([sys.executable, str(CHECKER), str(tmp_path), "--edition", str(EDITION)],
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stdout
