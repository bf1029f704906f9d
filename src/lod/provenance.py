"""Where each entity came from: its source table and row, and the build's PROV-O record."""

from __future__ import annotations

import hashlib
import subprocess
from datetime import datetime
from importlib.metadata import version
from pathlib import Path

from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, RDFS, XSD

from lod import __version__, tables
from lod.mapping import Mappings, fill

SPDX = Namespace("http://spdx.org/rdf/terms#")
SCHEMA = Namespace("https://schema.org/")


def source_rows(mappings: Mappings, data: Path) -> dict[str, tuple[str, int]]:
    """Entity IRI → (table file, row) of the first row whose subject template mints it.

    Built from the mappings themselves, so it cannot drift from the IRIs the engine mints.
    """
    index: dict[str, tuple[str, int]] = {}
    for template, files in mappings.subjects():
        for file in files:
            for row, record in tables.rows(data / file):
                iri = fill(template, record)
                if iri and iri not in index:
                    index[iri] = (f"{data.name}/{file}", row)
    return index


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def git_commit(folder: Path) -> str | None:
    """The commit of the checkout holding `folder` ('-dirty' if tracked files changed), if any."""
    try:
        head = subprocess.run(["git", "-C", str(folder), "rev-parse", "HEAD"], capture_output=True,
                              text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(folder), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    return head + ("-dirty" if dirty else "")


def build_record(*, base: str, release: str, started: datetime, ended: datetime,
                 mappings: Mappings, data: Path, code: Path, engine: str,
                 derived: dict[str, set[str]] | None = None) -> Graph:
    """The PROV-O description of one build: when, from which files (with checksums), by what.

    `derived`: graphs the build writes itself (not the mapper) → the tables they are read from."""
    g = Graph()
    build = URIRef(f"{base}id/release/{release}/build")
    g.add((build, RDF.type, PROV.Activity))
    g.add((build, RDFS.label, Literal(f"Build of release {release}", lang="en")))
    g.add((build, PROV.startedAtTime, Literal(started.isoformat(), datatype=XSD.dateTime)))
    g.add((build, PROV.endedAtTime, Literal(ended.isoformat(), datatype=XSD.dateTime)))
    tools = {"lod": __version__, "morph-kgc": engine,   # lod validates (lod.shacl, on pyoxigraph)
             "pyoxigraph": version("pyoxigraph"), "rdflib": version("rdflib")}
    commit = git_commit(code)
    for name, tool_version in tools.items():
        agent = URIRef(f"{base}id/release/{release}/software/{name}")
        g.add((build, PROV.wasAssociatedWith, agent))
        g.add((agent, RDF.type, PROV.SoftwareAgent))
        g.add((agent, RDFS.label, Literal(name)))
        g.add((agent, SCHEMA.softwareVersion, Literal(tool_version)))
        if name == "lod" and commit:
            g.add((agent, SCHEMA.version, Literal(f"git {commit}")))
    files: dict[str, URIRef] = {}
    for graph, sources in {**mappings.graph_sources(), **(derived or {})}.items():
        g.add((URIRef(graph), RDF.type, PROV.Entity))
        g.add((URIRef(graph), PROV.wasGeneratedBy, build))
        for name in sorted(sources):
            if name not in files:
                files[name] = _source_file(g, build, base, release, data / name)
            g.add((URIRef(graph), PROV.wasDerivedFrom, files[name]))
    return g


def _source_file(g: Graph, build: URIRef, base: str, release: str, path: Path) -> URIRef:
    node = URIRef(f"{base}id/release/{release}/source/{path.name}")
    checksum = URIRef(f"{node}#sha256")
    g.add((build, PROV.used, node))
    g.add((node, RDF.type, PROV.Entity))
    g.add((node, DCTERMS.title, Literal(f"{path.parent.name}/{path.name}")))
    g.add((node, SPDX.checksum, checksum))
    g.add((checksum, SPDX.algorithm, SPDX.checksumAlgorithm_sha256))
    g.add((checksum, SPDX.checksumValue, Literal(sha256(path), datatype=XSD.hexBinary)))
    return node
