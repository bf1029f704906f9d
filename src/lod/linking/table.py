"""The links table (data/wikidata_links.csv) and the facts about persons the linkers compare.

The table is a source table like the others: reviewers edit it, `lod build` publishes it. The
reconciler only appends rows, so a reviewer's decisions are never overwritten.
"""

from __future__ import annotations

import csv
from dataclasses import asdict, dataclass, field
from pathlib import Path

from lod.tables import ENTITY_COLUMNS, rows

LINKS_FILE = "wikidata_links.csv"
COLUMNS = [*ENTITY_COLUMNS, "qid", "status", "score", "evidence", "decided_by", "decided_on", "note"]


@dataclass
class Link:
    person: str = ""
    organisation: str = ""
    place: str = ""
    qid: str = ""
    status: str = "candidate"
    score: str = ""
    evidence: str = ""
    decided_by: str = ""
    decided_on: str = ""
    note: str = ""


def read_links(data: Path) -> list[Link]:
    path = data / LINKS_FILE
    return [Link(**record) for _, record in rows(path)] if path.exists() else []


def write_links(data: Path, links: list[Link]) -> None:
    """Rewrite the table (via a temporary file, so an interrupted run leaves the old one intact)."""
    path = data / LINKS_FILE
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(asdict(link) for link in links)
    tmp.replace(path)


def year(value: str) -> int | None:
    """A year as the tables and their gYear literals hold it ('1932?' is uncertain: not compared)."""
    return int(value) if value.isdigit() else None


@dataclass
class Office:
    organisation: str
    start: int | None
    end: int | None


@dataclass
class Person:
    """What the linkers know of a person: every name form, life years, offices."""

    id: str
    label: str
    names: list[str]
    names_ru: list[str]
    family: str
    birth: int | None
    death: int | None
    party_member: bool
    offices: list[Office] = field(default_factory=list)


def read_persons(data: Path) -> list[Person]:
    offices: dict[str, list[Office]] = {}
    for _, o in rows(data / "offices.csv"):
        offices.setdefault(o["person"], []).append(
            Office(o["organisation"], year(o["start"][:4]), year(o["end"][:4])))
    persons = []
    for _, p in rows(data / "persons.csv"):
        latin = [p["name"], *(a.strip() for a in p["alt_names"].split(";") if a.strip()), p["real_name"]]
        if p["given_names"] and p["family_name"]:
            latin.append(f"{p['given_names']} {p['family_name']}")
        persons.append(Person(
            id=p["id"], label=p["name"], names=list(dict.fromkeys(n for n in latin if n)),
            names_ru=[p["name_ru"]] if p["name_ru"] else [], family=p["family_name"],
            birth=year(p["birth"]), death=year(p["death"]), party_member=bool(p["party_joined"]),
            offices=offices.get(p["id"], [])))
    return persons
