"""Check the source tables before mapping: a bad cell is reported by file, row and column.

Structure, types, keys and references come from the Frictionless Data Package in
data/datapackage.yaml; the checks here are the ones a table schema cannot express.
Row numbers are spreadsheet rows: the header is row 1, the first record row 2.
"""

from __future__ import annotations

import csv
import operator
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from itertools import repeat
from pathlib import Path

import frictionless
import yaml

from lod import normalise, pool

ENTITY_COLUMNS = ("person", "organisation", "place")   # the linkable kinds, as table columns


@dataclass(frozen=True)
class Problem:
    file: str
    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = self.file + (f", row {self.row}" if self.row else "") + (
            f", column '{self.column}'" if self.column else "")
        return f"{where}: {self.message}"


class TableError(Exception):
    """The source tables cannot be built; carries every problem found."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass(frozen=True)
class Unresolved:
    """A name in a document that no identifier was found for: listed for review."""

    document: str
    name: str
    row: int


def rows(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    """(row number, record) pairs of a CSV file; empty cells are empty strings."""
    with path.open(newline="", encoding="utf-8") as f:
        for number, record in enumerate(csv.DictReader(f), start=2):
            yield number, {k: (v or "").strip() for k, v in record.items() if k is not None}


def _package(schema: Path, data: Path) -> frictionless.Package:
    return frictionless.Package(yaml.safe_load(schema.read_text(encoding="utf-8")), basepath=str(data.resolve()))


def _schema_problems(schema: Path, data: Path, resource: str) -> list[Problem]:
    """One table checked against the package: its schema, and its foreign keys into the others."""
    report = _package(schema, data).validate(name=resource)
    problems = []
    for task in report.tasks:
        file = f"{data.name}/{Path(task.place).name}"
        for error in task.errors:
            column = (getattr(error, "field_name", None) or getattr(error, "label", None)
                      or ", ".join(getattr(error, "field_names", []) or []) or None)
            cell = getattr(error, "cell", None)
            value = f" (value {cell!r})" if cell else ""
            problems.append(Problem(file, getattr(error, "row_number", None), column,
                                    f"{error.title.lower()}: {error.note or error.message}{value}"))
    return problems


def _document_problems(data: Path) -> list[Problem]:
    problems = []
    file = f"{data.name}/documents.csv"
    for row, doc in rows(data / "documents.csv"):
        if not doc["date_printed"]:  # undated by the editors: no bounds may be claimed
            problems += [Problem(file, row, column, "a document without a printed date cannot have date bounds")
                         for column in ("date_earliest", "date_latest") if doc[column]]
            continue
        try:
            bounds = normalise.printed_date_bounds(doc["date_printed"])
        except normalise.DateFormError as err:
            problems.append(Problem(file, row, "date_printed", str(err)))
            continue
        for column, expected in (("date_earliest", bounds.earliest), ("date_latest", bounds.latest)):
            stated = doc.get(column, "")
            if stated != (expected.isoformat() if expected else ""):
                problems.append(Problem(file, row, column, (
                    f"{stated or 'empty'} disagrees with the printed date "
                    f"{doc['date_printed']!r}, which gives {expected or 'no bound (open)'}")))
    return problems


def _agent_problems(data: Path) -> list[Problem]:
    file = f"{data.name}/document_agents.csv"
    return [Problem(file, row, "person", "fill exactly one of 'person' and 'organisation'")
            for row, agent in rows(data / "document_agents.csv")
            if bool(agent["person"]) == bool(agent["organisation"])]


def _office_problems(data: Path) -> list[Problem]:
    file = f"{data.name}/offices.csv"
    problems = []
    for row, office in rows(data / "offices.csv"):
        if office["start"] and office["end"] and office["end"] < office["start"]:
            problems.append(Problem(file, row, "end", f"ends ({office['end']}) before it starts ({office['start']})"))
    return problems


def _mention_problems(data: Path) -> list[Problem]:
    file = f"{data.name}/mentions.csv"
    return [Problem(file, row, "person", "fill at most one of 'person', 'organisation', 'place'")
            for row, m in rows(data / "mentions.csv")
            if sum(bool(m[k]) for k in ("person", "organisation", "place")) > 1]


def _link_problems(data: Path) -> list[Problem]:
    """One entity per row, each (entity, QID) once, at most one accepted QID per entity."""
    file = f"{data.name}/wikidata_links.csv"
    problems, seen, accepted = [], set(), {}
    for row, link in rows(data / "wikidata_links.csv"):
        entities = [(k, link[k]) for k in ENTITY_COLUMNS if link[k]]
        if len(entities) != 1:
            problems.append(Problem(file, row, "person", "fill exactly one of 'person', 'organisation', 'place'"))
            continue
        if (entities[0], link["qid"]) in seen:
            problems.append(Problem(file, row, "qid", f"{link['qid']} is linked to {entities[0][1]} twice"))
        seen.add((entities[0], link["qid"]))
        if link["status"] == "accepted":
            if entities[0] in accepted:
                problems.append(Problem(file, row, "status", (
                    f"{entities[0][1]} already has an accepted link ({accepted[entities[0]]}); "
                    "a second one would make two Wikidata items the same")))
            accepted.setdefault(entities[0], link["qid"])
    return problems


def unresolved_mentions(data: Path) -> list[Unresolved]:
    """Names in documents not (yet) resolved to a person, body or place."""
    return [Unresolved(m["document"], m["name_as_printed"], row)
            for row, m in rows(data / "mentions.csv")
            if not (m["person"] or m["organisation"] or m["place"])]


ROW_CHECKS = (_document_problems, _agent_problems, _office_problems, _mention_problems, _link_problems)


def check(schema: Path, data: Path, processes: int = 1) -> None:
    """Raise TableError listing every problem in the tables under `data`, table by table in the
    package's order. With `processes` > 1, that many tables are checked at once, the largest
    first: Frictionless reads every row in Python, so one table keeps one core busy."""
    files = {resource.name: data / resource.path for resource in _package(schema, data).resources}
    largest = sorted(files, key=lambda name: -_size(files[name]))
    with pool.mapper(processes) as map_:
        found = dict(zip(largest, map_(partial(_schema_problems, schema, data), largest)))
        problems = [problem for name in files for problem in found[name]]
        if not problems:  # the row-level checks assume well-formed tables
            problems = [p for found_ in map_(operator.call, ROW_CHECKS, repeat(data)) for p in found_]
    if problems:
        raise TableError(problems)


def _size(path: Path) -> int:
    return path.stat().st_size if path.is_file() else 0   # a missing file is Frictionless's to report
