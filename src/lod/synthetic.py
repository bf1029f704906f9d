"""A synthetic correspondence corpus in the edition's table format, for benchmarks and tests.

Deterministic for a given size and seed. Proportions follow the edition's: persons about a
quarter of the letters, about five mentions a letter, two offices a person, a citation for
every other letter, a few hundred places and bodies. Names are coined from syllables, one family
name per person, with given names, patronymics and a second spelling as the edition has them, so
that name matching and search meet as many distinct names as a real corpus of that size.
"""

from __future__ import annotations

import calendar
import csv
import random
from datetime import date, timedelta
from pathlib import Path

ROLES = ["member", "candidate-member", "chairman", "deputy-chairman", "secretary", "head",
         "commissar", "deputy-commissar", "editor", "representative"]
ORG_TYPES = ["party", "state", "international", "foreign", "public", "enterprise"]
KINDS = ["letter", "letter", "letter", "coded-telegram", "note", "memo"]
START = date(1900, 1, 1)
SYLLABLES = ["bel", "vor", "gor", "dub", "kal", "lis", "mar", "nov", "pet", "rud", "sok", "tar", "chern",
             "shev", "zhur", "kuz", "med", "orl", "pav", "rom", "sav", "stol", "tom", "vas", "zel", "ber",
             "dan", "fil", "gal", "khar", "lun", "mik", "ost", "pol", "sem", "yar"]
FAMILY_ENDINGS = ["ov", "in", "sky", "enko", "ev", "ich", "ovsky", "yan"]
PLACE_ENDINGS = ["sk", "grad", "ovo", "insk", "ino", "evka"]
GIVEN = ["Aleksandr", "Boris", "Vasilii", "Grigorii", "Dmitrii", "Yevgenii", "Ivan", "Kliment", "Lev",
         "Mikhail", "Nikolai", "Pavel", "Sergei", "Fedor", "Yakov", "Anastas", "Valerian", "Andrei",
         "Avel", "Lazar", "Mariia", "Nadezhda", "Aleksandra", "Yelena"]
FATHERS = ["Aleksandr", "Ivan", "Petr", "Mikhail", "Nikolai", "Semen", "Fedor", "Vasilii", "Grigorii"]
BODY_KINDS = ["Soviet", "Party Committee", "Trust", "Commissariat", "Bureau", "Union", "Executive Committee"]
# Other romanisations of the same name (German-style), as a second spelling.
RESPELLINGS = [("ch", "tsch"), ("sh", "sch"), ("zh", "sch"), ("kh", "ch"), ("v", "w"), ("y", "j")]
FEMININE = [("sky", "skaya"), ("ov", "ova"), ("ev", "eva"), ("in", "ina")]


def _write(path: Path, header: list[str], rows: list[list[object]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def _printed(rng: random.Random, day: date) -> tuple[str, str, str]:
    """A printed date and its bounds: mostly exact days, some months, some open-ended."""
    month = calendar.month_name[day.month]
    roll = rng.random()
    if roll < 0.8:
        return f"{day.day} {month} {day.year}", day.isoformat(), day.isoformat()
    if roll < 0.93:
        last = calendar.monthrange(day.year, day.month)[1]
        return f"{month} {day.year}", day.replace(day=1).isoformat(), day.replace(day=last).isoformat()
    return (f"Later than {day.day} {month} {day.year}", (day + timedelta(days=1)).isoformat(), "")


def coined(number: int, endings: list[str]) -> str:
    """A distinct pronounceable name for each number: two or more syllables and an ending."""
    ending, rest = endings[number % len(endings)], number // len(endings)
    parts = []
    while rest or len(parts) < 2:
        parts.append(SYLLABLES[rest % len(SYLLABLES)])
        rest //= len(SYLLABLES)
    return ("".join(parts) + ending).capitalize()


def respelled(name: str) -> str:
    for old, new in RESPELLINGS:
        name = name.replace(old, new)
    return name


def person_names(i: int, n_persons: int) -> list[object]:
    """A person's name columns: name, family_name, given_names, name_ru, alt_names, real_name."""
    family, given = coined(i, FAMILY_ENDINGS), GIVEN[i % len(GIVEN)]
    father = FATHERS[(i // len(GIVEN)) % len(FATHERS)]
    patronymic = father + ("ovna" if given.endswith("a") else "ovich")
    if given.endswith("a"):
        family = next((family[:-len(m)] + f for m, f in FEMININE if family.endswith(m)), family)
    return [f"{family}, {given[0]}. {patronymic[0]}.", family, f"{given} {patronymic}", "",
            f"{given} {patronymic} {family};{respelled(given)} {respelled(family)}",
            coined(i + n_persons, FAMILY_ENDINGS) if i % 13 == 0 else ""]


def generate(out: Path, letters: int, seed: int = 1925) -> dict[str, int]:
    """Write all tables of a corpus of `letters` documents into `out`; returns row counts."""
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    n_persons = max(4, letters // 4)
    n_orgs = max(6, min(2000, letters // 50))
    n_places = max(3, min(500, letters // 200))
    persons = [f"person-{i}" for i in range(n_persons)]
    orgs = [f"body-{i}" for i in range(n_orgs)]
    places = [f"place-{i}" for i in range(n_places)]
    counts: dict[str, int] = {}

    def table(name: str, header: list[str], rows: list[list[object]]) -> None:
        _write(out / f"{name}.csv", header, rows)
        counts[name] = len(rows)

    table("archives", ["id", "name", "abbreviation", "current_name", "current_abbreviation", "note"],
          [["archive-a", "Synthetic State Archive", "SSA", "", "", ""]])
    table("publications", ["id", "title", "year", "issue", "pages", "note"],
          [["journal-1990-1", "Synthetic Journal", 1990, 1, "1–10", ""]])
    table("places", ["id", "name", "alt_names", "lat", "long", "note"],
          [[p, name, respelled(name), round(rng.uniform(40, 60), 2), round(rng.uniform(20, 60), 2), ""]
           for i, p in enumerate(places) for name in [coined(i, PLACE_ENDINGS)]])
    table("organisations", ["id", "name", "alt_names", "name_ru", "type", "parent", "parent_relation", "note"],
          [[o, f"{BODY_KINDS[i % len(BODY_KINDS)]} of {coined(i, PLACE_ENDINGS)}", "", "", ORG_TYPES[i % len(ORG_TYPES)],
            orgs[(i - 1) // 3] if i else "", ("unit" if i % 2 else "sub") if i else "", ""]
           for i, o in enumerate(orgs)])
    person_rows, office_rows = [], []
    for i, p in enumerate(persons):
        born = 1850 + i % 60
        died = "" if i % 7 == 0 else (f"{born + 40 + i % 30}?" if i % 11 == 0 else born + 40 + i % 30)
        person_rows.append([p, *person_names(i, n_persons), born, died, 1900 + i % 20,
                            "yes" if i % 5 == 0 else "", "yes" if i % 3 else "no", ""])
        for k in range(2):
            start = 1917 + rng.randrange(15)
            office_rows.append([f"{p}-office-{k}", p, ROLES[(i + k) % len(ROLES)], rng.choice(orgs),
                                start, start + rng.randrange(6) if k else "", ""])
    table("persons", ["id", "name", "family_name", "given_names", "name_ru", "alt_names", "real_name",
                      "birth", "death", "party_joined", "repressed", "in_glossary", "note"], person_rows)
    table("offices", ["id", "person", "role", "organisation", "start", "end", "note"], office_rows)
    # Every tenth person linked to a fictional item (QIDs from 990000000 up do not exist).
    table("wikidata_links", ["person", "organisation", "place", "qid", "status", "score", "evidence",
                             "decided_by", "decided_on", "note"],
          [[p, "", "", f"Q{990000000 + i}", "accepted", "", "synthetic", "synthetic", "2026-01-01", ""]
           for i, p in enumerate(persons) if i % 10 == 0])

    documents, agents, mentions, citations = [], [], [], []
    for n in range(1, letters + 1):
        printed, earliest, latest = _printed(rng, START + timedelta(days=rng.randrange(40 * 365)))
        documents.append([n, rng.choice(KINDS), printed, earliest, latest, f"{n % 12 + 1}/{n % 28 + 1}",
                          "" if n % 3 else "1925=?", rng.choice(places) if n % 4 else "", "handwritten",
                          "archive-a", 558, 1, 5000 + n // 500, "", "note-on-documents",
                          "journal-1990-1" if n % 10 == 0 else "", ""])
        sender, addressee = rng.sample(persons, 2)
        agents += [[n, "sender", sender, "", ""], [n, "addressee", addressee, "", ""]]
        if n % 9 == 0:
            agents.append([n, "addressee", "", rng.choice(orgs), ""])
        for m in rng.sample(persons, min(4, len(persons))):
            mentions.append([n, m, "", "", f"name of {m}", ""])
        mentions.append([n, "", rng.choice(orgs), "", "a body", ""])
        if n % 2 == 0:
            citations.append([f"d{n}-n1-1", n, "", 1, "archive-a", 17, 3, 400 + n % 900,
                              f"l. {n % 50 + 1}", f"f. 17, op. 3, d. {400 + n % 900}", "note", ""])
    subjects = [f"topic-{i}" for i in range(max(2, min(50, letters // 100)))]
    table("subjects", ["id", "label", "alt_labels", "index_heading", "note"],
          [[t, f"Topic {i}", f"Theme {i}", f"Topic {i}", ""] for i, t in enumerate(subjects)])
    table("document_subjects", ["document", "subject", "note"],
          [[n, subjects[n % len(subjects)], ""] for n in range(1, letters + 1) if n % 3 == 0])
    table("documents", ["number", "kind", "date_printed", "date_earliest", "date_latest", "date_written",
                        "date_molotov", "place", "medium", "archive", "fond", "opis", "delo", "folios",
                        "location_source", "first_published", "note"], documents)
    table("document_agents", ["document", "role", "person", "organisation", "note"], agents)
    table("mentions", ["document", "person", "organisation", "place", "name_as_printed", "note"], mentions)
    table("citations", ["id", "document", "intro", "note_no", "archive", "fond", "opis", "delo", "folios",
                        "as_printed", "supports", "note"], citations)
    table("tombstones", ["iri", "status", "successor", "retired_on", "reason"], [])
    return counts
