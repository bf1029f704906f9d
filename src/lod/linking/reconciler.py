"""`lod link wikidata`: propose Wikidata items for our persons, and re-check accepted links.

For every person without an accepted link, one batch request asks for humans labelled with any of
the batch's name forms (English forms in several romanisations, Russian forms in several orders);
a second asks what Wikidata says about the items found. Each item is scored (lod.linking.score)
and written to the links table as a candidate, or accepted when the score and both life years
allow it. Rows already in the table (a reviewer's rejection included) are never re-proposed.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from lod.config import Config
from lod.linking.names import best_similarity, russian_forms, spellings
from lod.linking.score import Scored, score
from lod.linking.table import Link, Person, read_links, read_persons, write_links
from lod.linking.wikidata import Client

Progress = Callable[[int, int], None]   # (done, total) after each batch
VERIFY_NAME_SIMILARITY = 0.8


def client(config: Config) -> Client:
    c = config.linking
    return Client(c.endpoint, c.user_agent, config.path("wikidata_cache"), timeout=c.timeout,
                  retries=c.retries, pause=c.retry_pause)


def lookup_names(person: Person) -> list[tuple[str, str]]:
    """The exact strings to look for among Wikidata's labels and aliases, with their language."""
    english = [n for n in person.names if "," not in n and len(n.split()) > 1]
    for name_ru in person.names_ru:
        english += spellings(name_ru, person.family)
    russian = [f for name_ru in person.names_ru for f in russian_forms(name_ru)]
    return [*((n, "en") for n in dict.fromkeys(english)), *((n, "ru") for n in russian)]


def _batches(items: list, size: int) -> Iterator[list]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


@dataclass
class Outcome:
    accepted: list[Scored]
    candidates: list[Scored]
    ruled_out: list[Scored]
    without_item: list[Person]


class Reconciler:
    def __init__(self, config: Config, client: Client, progress: Progress | None = None):
        self.data = config.path("data")
        self.batch = config.linking.batch_size
        self.threshold = config.linking.accept_threshold
        self.client, self.progress = client, progress or (lambda done, total: None)
        self.links = read_links(self.data)
        self.bodies = {link.organisation: link.qid for link in self.links
                       if link.organisation and link.status == "accepted"}
        self.party = self.bodies.get("communist-party")

    def run(self, only: list[str] | None = None) -> Outcome:
        """Reconcile every person without an accepted link (or just `only`) and append to the table."""
        linked = {link.person for link in self.links if link.person and link.status == "accepted"}
        known = {(link.person, link.qid) for link in self.links if link.person}
        persons = [p for p in read_persons(self.data)
                   if p.id not in linked and (only is None or p.id in only)]
        outcome = Outcome([], [], [], [])
        for done, batch in enumerate(_batches(persons, self.batch), start=1):
            self._reconcile(batch, known, outcome)
            self.progress(min(done * self.batch, len(persons)), len(persons))
        self._record(outcome)
        return outcome

    def _reconcile(self, batch: list[Person], known: set, outcome: Outcome) -> None:
        names = {p.id: lookup_names(p) for p in batch}
        found = self.client.candidates(n for p in batch for n in names[p.id])
        items = self.client.items(qid for _, qid in found)
        for person in batch:
            mine = {text for text, _ in names[person.id]}
            qids = [qid for name, qid in found if name in mine and (person.id, qid) not in known]
            scored = sorted((score(person, items[q], self.bodies, self.party) for q in dict.fromkeys(qids)),
                            key=lambda s: -s.score)
            if not qids:
                outcome.without_item.append(person)
            outcome.ruled_out += [s for s in scored if s.ruled_out]
            viable = [s for s in scored if not s.ruled_out]
            # Accepted only if exactly one item clears the bar: two would need a reviewer.
            strong = [s for s in viable if s.score >= self.threshold and s.years_agree]
            for s in viable:
                (outcome.accepted if len(strong) == 1 and s is strong[0] else outcome.candidates).append(s)

    def _record(self, outcome: Outcome) -> None:
        today = datetime.date.today().isoformat()
        by = f"lod link wikidata ({self.client.endpoint})"
        for status, group in (("accepted", outcome.accepted), ("candidate", outcome.candidates)):
            self.links += [Link(person=s.person.id, qid=s.item.qid, status=status, score=f"{s.score:.2f}",
                                evidence=f"{s.item.label_en or s.item.qid}: {s.explanation}",
                                decided_by=by, decided_on=today) for s in group]
        write_links(self.data, self.links)

    def verify(self) -> list[str]:
        """Accepted person links whose Wikidata label or life years no longer agree with ours."""
        persons = {p.id: p for p in read_persons(self.data)}
        accepted = [link for link in self.links if link.person and link.status == "accepted"]
        problems = []
        for done, batch in enumerate(_batches(accepted, self.batch), start=1):
            items = self.client.items(link.qid for link in batch)
            for link in batch:
                problems += _disagreements(persons[link.person], items[link.qid])
            self.progress(min(done * self.batch, len(accepted)), len(accepted))
        return problems


def _disagreements(person: Person, item) -> list[str]:
    where = f"{person.id} → {item.qid}"
    if not item.labels:
        return [f"{where}: the item has no label or alias in en/ru (deleted or merged?)"]
    out = []
    similarity, _, theirs = best_similarity(person.names + person.names_ru, item.labels)
    if similarity < VERIFY_NAME_SIMILARITY:
        out.append(f"{where}: no Wikidata label or alias is like ours (closest '{theirs}', {similarity:.2f})")
    for kind, ours, wd in (("birth", person.birth, item.birth), ("death", person.death, item.death)):
        if ours is not None and wd is not None and abs(ours - wd) > 1:
            out.append(f"{where}: {kind} year {ours} here, {wd} on Wikidata")
    return out
