"""Matching another project's names against our persons and bodies (the reconciliation service).

Scores run from 0 to 100:
  * the name: 100 × the best similarity of the query with any of the entity's name forms
    (lod.linking.names: any script, romanisation, initials, word order);
  * each property the query gives moves it: a birth or death year equal +10, one year off +3,
    further off −30 (a namesake); a body the person held an office in +10, none −5; the same
    Wikidata QID +50, another −50.
A result is flagged `match` (safe to accept without review) when it scores at least 95 and leads
the next one by at least 10.

Only name forms that share a word with the query, or a word alike to one the forms never use (a
misspelling), are compared with it, unless there are none: at a million name forms, comparing
the query with every one took a third of a second (docs/performance.md).
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections.abc import Collection
from dataclasses import dataclass, field
from functools import cached_property
from itertools import islice
from typing import Protocol

from rapidfuzz import fuzz, process

from lod.linking.names import folded, plain, similarity

TYPES = {"person": "Person", "organisation": "Organisation (party or state body)"}
PROPERTIES = {   # id → (name, types it applies to)
    "birth_year": ("Birth year", ("person",)),
    "death_year": ("Death year", ("person",)),
    "organisation": ("Body served in (office held)", ("person",)),
    "wikidata": ("Wikidata QID", ("person", "organisation")),
    "offices": ("Offices held (role, body, years)", ("person",)),
    "names": ("Other names", ("person", "organisation")),
}
MATCH_SCORE, MATCH_LEAD = 95.0, 10.0
SHORTLIST = 60   # name forms considered per query before exact scoring
COMMON = 5000    # a word in more name forms than this (a given name) picks no candidates of its own
ALIKE = 70       # how alike (rapidfuzz ratio) a word the forms never use must be to one they do


class QueryError(ValueError):
    """A query the service cannot answer; the message says which part is wrong."""


@dataclass
class Office:
    body: str        # our id, e.g. organisation/politburo
    body_name: str
    role: str
    start: str
    end: str

    @property
    def text(self) -> str:
        years = "–".join(filter(None, (self.start[:4], self.end[:4])))
        return ", ".join(filter(None, (self.role, self.body_name, years)))


@dataclass
class Entity:
    id: str          # relative to the identifier space: person/bukharin
    type: str        # person | organisation
    name: str
    names: list[str] = field(default_factory=list)
    birth: int | None = None
    death: int | None = None
    wikidata: str | None = None
    offices: list[Office] = field(default_factory=list)

    @property
    def description(self) -> str:
        years = "–".join(str(y) if y else "?" for y in (self.birth, self.death)) if (self.birth or self.death) else ""
        return ", ".join(filter(None, [TYPES[self.type].split(" (")[0].lower(), years]))


@dataclass
class Result:
    entity: Entity
    score: float
    features: dict[str, float]
    match: bool = False


class Entities(Protocol):
    """Where the matcher fetches the entities it scores or returns (lod.web.reconcile: the index)."""

    def by_number(self, numbers: Collection[int]) -> dict[int, Entity]: ...

    def by_id(self, ids: Collection[str]) -> dict[str, Entity]: ...


class Held:
    """Entities kept in a list, numbered by position (tests and benchmarks; the service reads them
    from the release's index, lod.web.reconcile)."""

    def __init__(self, entities: list[Entity]):
        self.entities, self.ids = entities, {e.id: n for n, e in enumerate(entities)}

    def by_number(self, numbers: Collection[int]) -> dict[int, Entity]:
        return {n: self.entities[n] for n in numbers}

    def by_id(self, ids: Collection[str]) -> dict[str, Entity]:
        return {i: self.entities[self.ids[i]] for i in ids if i in self.ids}


class Matcher:
    """Holds only the name forms (and each entity's type); an entity is fetched when it is
    scored or returned, so a worker does not hold every person of a large corpus."""

    def __init__(self, forms: list[tuple[str, str, int]], types: list[str], entities: Entities):
        """`forms`: (comparison key, word form, entity number) as lod.linking.ours makes them."""
        self.keys = [key for key, _, _ in forms]
        self.prefixes = [word for _, word, _ in forms]
        self.owners = array("i", (number for _, _, number in forms))   # the entity of each form
        self.types = types                                             # an entity's type, by number
        self.entities = entities
        self.words: dict[str, array] = {}                              # word → the forms using it
        for index, key in enumerate(self.keys):
            for word in _words(key):
                _posting(self.words, word).append(index)
        self.vocabulary = list(self.words)

    def reconcile(self, query: dict) -> list[Result]:
        text = query.get("query", "")
        types = _types(query.get("type"))
        limit = _limit(query.get("limit", 10))
        properties = query.get("properties", [])
        if not isinstance(text, str) or not isinstance(properties, list):
            raise QueryError("'query' must be a string and 'properties' a list")
        wanted = self._shortlist(text, types) if text else [
            n for n, kind in enumerate(self.types) if kind in types]
        results = [self._score(e, text, properties) for e in self.entities.by_number(wanted).values()]
        results = [r for r in results if r.score > 0]
        results.sort(key=lambda r: (-r.score, r.entity.name))
        if results and results[0].score >= MATCH_SCORE and (
                len(results) == 1 or results[0].score - results[1].score >= MATCH_LEAD):
            results[0].match = True
        return results[:limit]

    def _shortlist(self, text: str, types: set[str]) -> list[int]:
        key = folded(text)
        candidates = self._candidates(key)
        keys = self.keys if candidates is None else [self.keys[i] for i in candidates]
        hits = process.extract(key, keys, scorer=fuzz.token_set_ratio, limit=SHORTLIST * 4)
        found: dict[int, None] = {}
        for _, _, position in hits:
            owner = self.owners[position if candidates is None else candidates[position]]
            if self.types[owner] in types:
                found.setdefault(owner)
        return list(found)[:SHORTLIST]

    def _candidates(self, key: str) -> list[int] | None:
        """The forms worth comparing with a query key; None (all of them) when no word of the key
        is or is like one of the forms' (initials only; 'Narkomindel', a syllabic abbreviation)."""
        postings = []
        for word in _words(key):
            alike = [word] if word in self.words else [
                found for found, _, _ in process.extract_iter(word, self.vocabulary, scorer=fuzz.ratio,
                                                              score_cutoff=ALIKE)]
            postings += [self.words[w] for w in alike]
        if not postings:
            return None
        telling = [p for p in postings if len(p) <= COMMON] or [min(postings, key=len)]
        return sorted({index for p in telling for index in p})

    def _score(self, entity: Entity, text: str, properties: list) -> Result:
        features = {"name": round(100 * max((similarity(text, n) for n in entity.names), default=0), 1)} \
            if text else {}
        for prop in properties:
            if not isinstance(prop, dict) or "pid" not in prop or "v" not in prop:
                raise QueryError("each property needs 'pid' and 'v'")
            features[prop["pid"]] = _property_points(entity, prop["pid"], prop["v"])
        return Result(entity, round(sum(features.values()), 1), features)

    def suggest(self, prefix: str, types: set[str], limit: int = 10) -> list[Entity]:
        """Entities one of whose name forms has a word starting with the prefix, best names first
        (entities are numbered in name order, so the number breaks ties)."""
        key = plain(prefix)
        if not key:
            return []
        found: dict[int, float] = {}
        for index in self._starting(key.split()[0]):
            form, number = self.prefixes[index], self.owners[index]
            if self.types[number] in types and (form.startswith(key) or f" {key}" in form):
                found[number] = max(found.get(number, 0), fuzz.ratio(key, form))
        best = sorted(found, key=lambda n: (-found[n], n))[:limit]
        fetched = self.entities.by_number(best)
        return [fetched[n] for n in best]

    def _starting(self, start: str) -> set[int]:
        """The word forms with a word that starts with `start` (a range of the sorted words)."""
        words, forms = self._word_starts
        found: set[int] = set()
        for word in islice(words, bisect_left(words, start), None):
            if not word.startswith(start):
                break
            found.update(forms[word])
        return found

    @cached_property
    def _word_starts(self) -> tuple[list[str], dict[str, array]]:
        """The words of the word forms, sorted, and the forms using each; made on the first
        suggestion (a worker that only reconciles never needs them)."""
        forms: dict[str, array] = {}
        for index, form in enumerate(self.prefixes):
            for word in form.split():
                _posting(forms, word).append(index)
        return sorted(forms), forms

    def extend(self, ids: list[str], properties: list[str]) -> dict[str, dict[str, list]]:
        fetched = self.entities.by_id(ids)
        return {id_: {p: (_values(fetched[id_], p) if id_ in fetched else []) for p in properties} for id_ in ids}


def _posting(table: dict[str, array], word: str) -> array:
    """The forms using a word, as an array added to `table` on first use (an array per word, not
    per occurrence: setdefault would build one each time)."""
    found = table.get(word)
    if found is None:
        found = table[word] = array("i")
    return found


def _words(key: str) -> list[str]:
    """The words of a key that can pick candidates: not initials ('n.'), not single letters."""
    return [w for w in key.split() if len(w) > 1 and not w.endswith(".")]


def _types(value) -> set[str]:
    if value is None:
        return set(TYPES)
    types = {value} if isinstance(value, str) else set(value) if isinstance(value, list) else None
    if not types or not types <= set(TYPES):
        raise QueryError(f"unknown type {value!r}; known types: {', '.join(TYPES)}")
    return types


def _limit(value) -> int:
    if not isinstance(value, int | float) or value < 1:
        raise QueryError(f"'limit' must be a positive number, not {value!r}")
    return min(int(value), 100)


def _year_points(ours: int | None, given) -> float:
    try:
        year = int(str(given.get("id", given.get("name")) if isinstance(given, dict) else given)[:4])
    except ValueError:
        raise QueryError(f"a year must be a number, not {given!r}") from None
    if ours is None:
        return 0.0
    return 10.0 if ours == year else 3.0 if abs(ours - year) == 1 else -30.0


def _property_points(entity: Entity, pid: str, value) -> float:
    values = value if isinstance(value, list) else [value]
    if pid in ("birth_year", "death_year"):
        ours = entity.birth if pid == "birth_year" else entity.death
        return max(_year_points(ours, v) for v in values) if values else 0.0
    if pid == "organisation":
        names = [v.get("id", v.get("name", "")) if isinstance(v, dict) else str(v) for v in values]
        held = any(n in (o.body, o.body.split("/")[-1]) or similarity(n, o.body_name) >= 0.85
                   for n in names for o in entity.offices)
        return 10.0 if held else -5.0
    if pid == "wikidata":
        qids = {(v.get("id") if isinstance(v, dict) else str(v)).rsplit("/", 1)[-1] for v in values}
        return 0.0 if entity.wikidata is None else 50.0 if entity.wikidata in qids else -50.0
    raise QueryError(f"unknown property {pid!r}; known: birth_year, death_year, organisation, wikidata")


def _values(entity: Entity, prop: str) -> list[dict]:
    if prop == "birth_year":
        return [{"int": entity.birth}] if entity.birth else []
    if prop == "death_year":
        return [{"int": entity.death}] if entity.death else []
    if prop == "wikidata":
        return [{"str": entity.wikidata}] if entity.wikidata else []
    if prop == "organisation":
        bodies = {o.body: o.body_name for o in entity.offices}
        return [{"id": b, "name": n} for b, n in bodies.items()]
    if prop == "offices":
        return [{"str": o.text} for o in entity.offices]
    if prop == "names":
        return [{"str": n} for n in dict.fromkeys(entity.names) if n != entity.name]
    raise QueryError(f"unknown property {prop!r}; known: {', '.join(PROPERTIES)}")
