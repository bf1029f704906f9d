"""BEACON (GBV's link-dump format): Wikidata QIDs → our person IRIs, one line each.

An authority-based project finds our persons from the identifiers it already holds. One file per
authority, since a BEACON file has one #PREFIX; GND and VIAF get their own when the links table has them.
"""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox

from lod import rq
from lod.config import Dataset

FILE_NAME = "beacon.txt"
WIKIDATA = "http://www.wikidata.org/entity/"


def write(store: ox.Store, path: Path, dataset: Dataset, timestamp: str) -> int:
    """Write the file; returns the number of links."""
    base = dataset.base_iri
    person_space = f"{base}id/person/"
    lines = []
    for row in rq.run(store, "beacon"):
        person = row["person"].value
        if person.startswith(person_space):
            lines.append(f"{row['qid'].value}|{row['name'].value}|{person[len(person_space):]}")
    header = ["#FORMAT: BEACON", f"#PREFIX: {WIKIDATA}", f"#TARGET: {person_space}{{ID}}",
              "#RELATION: http://www.w3.org/2004/02/skos/core#exactMatch",
              f"#NAME: {dataset.title}", f"#INSTITUTION: {dataset.publisher}", f"#FEED: {base}{FILE_NAME}",
              f"#HOMEPAGE: {base}", f"#TIMESTAMP: {timestamp}",
              "#DESCRIPTION: Persons of the edition with their Wikidata items (accepted links only)."]
    path.write_text("\n".join(header + lines) + "\n", encoding="utf-8")
    return len(lines)
