"""Talking to a Wikidata SPARQL endpoint as a good citizen, and reading its answers into Items.

Good citizenship (https://www.mediawiki.org/wiki/Wikidata_Query_Service/User_Manual#Query_limits):
a descriptive User-Agent, one request at a time, a batch of names or items per request (VALUES),
waiting as long as a 429's Retry-After says, backing off after timeouts and 5xx, and an on-disk
cache of answers so that a rerun asks nothing twice.
"""

from __future__ import annotations

import email.utils
import hashlib
import json
import re
import socket
import time
import urllib.error
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from string import Template

from rdflib import Literal
from SPARQLWrapper import JSON, POST, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import SPARQLWrapperException

from lod import rq

ENTITY = "http://www.wikidata.org/entity/"
QID = re.compile(r"Q[1-9][0-9]*")
PRECISION_YEAR = 9   # wikibase:timePrecision: 9 = year, 10 = month, 11 = day; below 9, no year


class WikidataError(RuntimeError):
    """The endpoint could not answer (after retries); the message names endpoint and reason."""


@dataclass
class Item:
    """What Wikidata says about one item, as far as the linkers compare it."""

    qid: str
    labels: list[str] = field(default_factory=list)      # labels and aliases, en and ru
    label_en: str = ""
    birth: int | None = None
    death: int | None = None
    citizenships: set[str] = field(default_factory=set)  # QIDs
    parties: set[str] = field(default_factory=set)
    positions: list[tuple[str, set[str], int | None, int | None]] = field(default_factory=list)
    # (position QID, QIDs it is part of, start year, end year)


def qid_of(iri: str) -> str:
    return iri.removeprefix(ENTITY)


def _year(value: str | None, precision: str | None = None) -> int | None:
    if not value or (precision is not None and int(precision) < PRECISION_YEAR):
        return None
    match = re.match(r"(-?\d{1,4})-", value.lstrip("+"))
    return int(match.group(1)) if match else None


def names_values(names: Iterable[tuple[str, str]]) -> str:
    """(text, language) pairs as a VALUES block's terms, escaped by rdflib (never pasted raw)."""
    return " ".join(Literal(text, lang=lang).n3() for text, lang in dict.fromkeys(names))


def items_values(qids: Iterable[str]) -> str:
    terms = []
    for qid in dict.fromkeys(qids):
        if not QID.fullmatch(qid):
            raise ValueError(f"not a Wikidata QID: {qid!r}")
        terms.append(f"<{ENTITY}{qid}>")
    return " ".join(terms)


class Client:
    """One endpoint, one request at a time, every answer cached on disk by (endpoint, query)."""

    def __init__(self, endpoint: str, user_agent: str, cache: Path, *, timeout: float = 60.0,
                 retries: int = 4, pause: float = 5.0, sleep: Callable[[float], None] = time.sleep):
        self.endpoint, self.user_agent, self.cache = endpoint, user_agent, cache
        self.timeout, self.retries, self.pause, self.sleep = timeout, retries, pause, sleep
        self.requests = 0   # sent over the network (a cached answer is not a request)
        cache.mkdir(parents=True, exist_ok=True)

    def select(self, query: str) -> list[dict[str, str]]:
        """The rows of a SELECT answer as {variable: value}; from the cache when asked before."""
        key = hashlib.sha256("\n".join((self.endpoint, query)).encode()).hexdigest()
        path = self.cache / f"{key}.json"
        if path.exists():
            answer = json.loads(path.read_text(encoding="utf-8"))
        else:
            answer = self._ask(query)
            tmp = path.with_suffix(".tmp")
            tmp.write_text(json.dumps(answer), encoding="utf-8")
            tmp.replace(path)
        return [{k: v["value"] for k, v in b.items()} for b in answer["results"]["bindings"]]

    def _ask(self, query: str) -> dict:
        sparql = SPARQLWrapper(self.endpoint, agent=self.user_agent)
        sparql.setQuery(query)
        sparql.setMethod(POST)
        sparql.setReturnFormat(JSON)
        sparql.setTimeout(self.timeout)
        reason = ""
        for attempt in range(self.retries + 1):
            self.requests += 1
            try:
                return sparql.queryAndConvert()
            except urllib.error.HTTPError as err:
                if err.code != 429 and err.code < 500:
                    raise WikidataError(f"{self.endpoint}: HTTP {err.code} {err.reason}") from err
                reason = f"HTTP {err.code}"
                wait = _retry_after(err.headers.get("Retry-After")) if err.code == 429 else None
            except (TimeoutError, socket.timeout, urllib.error.URLError) as err:
                reason, wait = f"no answer ({getattr(err, 'reason', err)})", None
            except SPARQLWrapperException as err:   # 400 bad query, 500 internal error
                raise WikidataError(f"{self.endpoint}: {err}") from err
            if attempt < self.retries:
                self.sleep(wait if wait is not None else self.pause * 2 ** attempt)
        raise WikidataError(f"{self.endpoint}: gave up after {self.retries + 1} attempts; last: {reason}")

    def candidates(self, names: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
        """(name, QID) pairs of humans labelled or aliased with one of the names."""
        query = Template(rq.load("wikidata-candidates")).substitute(names=names_values(names))
        return [(row["name"], qid_of(row["item"])) for row in self.select(query)]

    def items(self, qids: Iterable[str]) -> dict[str, Item]:
        qids = list(dict.fromkeys(qids))
        if not qids:
            return {}
        query = Template(rq.load("wikidata-items")).substitute(items=items_values(qids))
        items = {qid: Item(qid) for qid in qids}
        for row in self.select(query):
            _add_fact(items[qid_of(row["item"])], row)
        return items


def _add_fact(item: Item, row: dict[str, str]) -> None:
    field_, value = row["field"], row["value"]
    if field_ in ("label", "alias"):
        item.labels.append(value)
        if field_ == "label" and not item.label_en and re.fullmatch(r"[\x00-\u024f\s]+", value):
            item.label_en = value
    elif field_ in ("birth", "death"):
        year = _year(value, row.get("precision"))
        if year is not None and getattr(item, field_) is None:
            setattr(item, field_, year)
    elif field_ == "citizenship":
        item.citizenships.add(qid_of(value))
    elif field_ == "party":
        item.parties.add(qid_of(value))
    elif field_ == "position":
        parts = {qid_of(row["part"])} if row.get("part") else set()
        item.positions.append((qid_of(value), parts, _year(row.get("start")), _year(row.get("end"))))


def _retry_after(header: str | None) -> float | None:
    """Retry-After as seconds: either a number or an HTTP date."""
    if not header:
        return None
    if header.strip().isdigit():
        return float(header)
    when = email.utils.parsedate_to_datetime(header)
    return max(0.0, when.timestamp() - time.time()) if when else None
