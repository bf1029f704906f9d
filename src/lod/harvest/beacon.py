"""BEACON (GBV's link-dump format): Wikidata QIDs → our person IRIs, one line each.

An authority-based project finds our persons from the identifiers it already holds. One file per
authority, since a BEACON file has one #PREFIX; GND and VIAF get their own when the links table has them.
"""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox

from lod import rq

FILE_NAME = "beacon.txt"
WIKIDATA = "http://www.wikidata.org/entity/"


def write(store: ox.Store, path: Path, *, base: str, title: str, publisher: str, timestamp: str) -> int:
    """Write the file; returns the number of links."""
    person_space = f"{base}id/person/"
    lines = []
    for row in store.query(rq.load("beacon"), use_default_graph_as_union=True):
        person = row["person"].value
        if person.startswith(person_space):
            lines.append(f"{row['qid'].value}|{row['name'].value}|{person[len(person_space):]}")
    header = ["#FORMAT: BEACON", f"#PREFIX: {WIKIDATA}", f"#TARGET: {person_space}{{ID}}",
              "#RELATION: http://www.w3.org/2004/02/skos/core#exactMatch",
              f"#NAME: {title}", f"#INSTITUTION: {publisher}", f"#FEED: {base}{FILE_NAME}",
              f"#HOMEPAGE: {base}", f"#TIMESTAMP: {timestamp}",
              "#DESCRIPTION: Persons of the edition with their Wikidata items (accepted links only)."]
    path.write_text("\n".join(header + lines) + "\n", encoding="utf-8")
    return len(lines)
