"""Our persons and bodies as the reconciliation service matches them: read from a release's
store by the build, kept in its index (lod.index), fetched from there by the web workers."""

from __future__ import annotations

import dataclasses
import json

import pyoxigraph as ox

from lod import rq
from lod.linking.matcher import Entity, Office
from lod.linking.names import acronym, folded, plain
from lod.linking.table import year

KINDS = {"https://schema.org/Person": "person", "https://schema.org/Organization": "organisation"}
WIKIDATA = "http://www.wikidata.org/entity/"
Form = tuple[str, str, int]   # comparison key (folded), word form (plain), the entity's number


def read(store: ox.Store, base: str) -> list[Entity]:
    """Every person and body with its name forms (bodies' acronyms added: TsKK, VSNKh), life
    years, Wikidata item and offices; ordered by name, so that an entity's number is its rank."""
    local = f"{base}id/"
    entities: dict[str, Entity] = {}
    for row in rq.iter_rows(store, "reconcile-entities"):
        key = row["s"].removeprefix(local)
        e = entities.setdefault(key, Entity(key, KINDS[row["type"]], row["label"], [row["label"]]))
        field, value = row["field"], row["value"]
        if field == "name":
            e.names.append(value)
        elif field in ("birth", "death"):
            setattr(e, field, year(value))
        elif field == "wikidata":
            e.wikidata = value.removeprefix(WIKIDATA)
    for row in rq.iter_rows(store, "reconcile-offices"):
        person = entities.get(row["person"].removeprefix(local))
        if person is not None:
            person.offices.append(Office(row["body"].removeprefix(local), row["bodyLabel"],
                                         *(row.get(v, "") for v in ("roleLabel", "start", "end"))))
    for e in entities.values():
        if e.type == "organisation":
            e.names += [a for a in map(acronym, e.names) if a]
    return sorted(entities.values(), key=lambda e: (e.name, e.id))


def forms(entities: list[Entity]) -> list[Form]:
    """The distinct name forms of each entity, as the matcher compares them."""
    return [(folded(n), plain(n), number) for number, e in enumerate(entities) for n in dict.fromkeys(e.names)]


def to_json(entity: Entity) -> str:
    return json.dumps(dataclasses.asdict(entity), ensure_ascii=False)


def from_json(text: str) -> Entity:
    data = json.loads(text)
    return Entity(**{**data, "offices": [Office(**o) for o in data["offices"]]})
