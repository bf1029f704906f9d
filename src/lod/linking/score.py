"""How a Wikidata item is scored as a match for one of our persons, with the reasons spelled out.

The weights (sum 1.0) and the acceptance rule are documented in docs/decisions.md ("Linking"):
  name 0.40 × the best similarity of any two name forms;
  birth year 0.20 if equal, 0.10 if one year apart; death year the same;
  Soviet (USSR or RSFSR) citizenship 0.05; party membership 0.05 (our person joined the party
  and the item is a member of the party we link to); a position held in a body where our person
  held an office, in overlapping years, 0.10.
A life year more than one year off rules the item out. Only a score of at least the configured
threshold with both life years equal is accepted without review.
"""

from __future__ import annotations

from dataclasses import dataclass

from lod.linking.names import best_similarity
from lod.linking.table import Office, Person
from lod.linking.wikidata import Item

# Soviet Union and RSFSR, as ../shared/reference/wikidata-reference.csv identifies them (never from memory).
SOVIET_CITIZENSHIPS = {"Q15180", "Q2184"}
WEIGHTS = {"name": 0.40, "birth": 0.20, "death": 0.20, "citizenship": 0.05, "party": 0.05, "position": 0.10}


@dataclass
class Scored:
    person: Person
    item: Item
    score: float
    reasons: list[str]
    years_agree: bool          # both life years known on both sides, and equal
    ruled_out: str | None      # why the item cannot be this person, if it cannot

    @property
    def explanation(self) -> str:
        return f"score {self.score:.2f}: " + "; ".join(self.reasons)


def _year_points(kind: str, ours: int | None, theirs: int | None, reasons: list[str]) -> tuple[float, str | None]:
    if ours is None or theirs is None:
        reasons.append(f"{kind} year not compared ({'ours' if ours is None else 'Wikidata'} unknown)")
        return 0.0, None
    if ours == theirs:
        reasons.append(f"{kind} year {ours} equal")
        return WEIGHTS[kind], None
    if abs(ours - theirs) == 1:
        reasons.append(f"{kind} year {theirs} one off ours {ours}")
        return WEIGHTS[kind] / 2, None
    return 0.0, f"{kind} year {theirs} on Wikidata, {ours} here"


def _positions(offices: list[Office], item: Item, bodies: dict[str, str]) -> list[str]:
    """Positions on Wikidata in a body (by our accepted links) where our person held an office,
    with overlapping years where both sides state them."""
    found = []
    for position, parts, start, end in item.positions:
        for office in offices:
            qid = bodies.get(office.organisation)
            if qid is None or qid not in parts:
                continue
            if all(v is not None for v in (start, end, office.start, office.end)) and (
                    end < office.start or office.end < start):
                continue
            found.append(f"{position} in {office.organisation}")
    return found


def score(person: Person, item: Item, bodies: dict[str, str], party: str | None) -> Scored:
    """`bodies`: our organisation id → accepted QID; `party`: the QID of the party our persons joined."""
    reasons: list[str] = []
    similarity, ours, theirs = best_similarity(person.names + person.names_ru, item.labels)
    total = WEIGHTS["name"] * similarity
    reasons.append(f"name {similarity:.2f} ('{ours}' ~ '{theirs}')")
    ruled_out = None
    for kind, a, b in (("birth", person.birth, item.birth), ("death", person.death, item.death)):
        points, out = _year_points(kind, a, b, reasons)
        total += points
        ruled_out = ruled_out or out
    if item.citizenships & SOVIET_CITIZENSHIPS:
        total += WEIGHTS["citizenship"]
        reasons.append("Soviet citizenship")
    if party and person.party_member and party in item.parties:
        total += WEIGHTS["party"]
        reasons.append(f"party member ({party})")
    held = _positions(person.offices, item, bodies)
    if held:
        total += WEIGHTS["position"]
        reasons.append("position " + ", ".join(held[:3]))
    years_agree = None not in (person.birth, person.death, item.birth, item.death) and (
        person.birth == item.birth and person.death == item.death)
    return Scored(person, item, round(total, 3), reasons, years_agree, ruled_out)
