"""The build: check tables → map → validate → load → dumps → vocabulary → publish.

Each phase is timed (seconds and peak memory) and shown on the terminal. Everything is written
into a private release directory; only when every phase succeeded is it published (see
lod.release), so bad input never replaces what is served.
"""

from __future__ import annotations

import json
import resource
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph
from rich.console import Console
from rich.table import Table

from lod import docs, dumps, mapping, provenance, rq, tables, validate, void
from lod.config import Config
from lod.release import Releases
from lod.store import EmbeddedStore

DUMP_NAME = "stalin-molotov"


class ValidationFailed(Exception):
    """The mapped data does not conform to the shapes."""

    def __init__(self, violations: list[validate.Violation]):
        self.violations = violations
        super().__init__(f"{len(violations)} SHACL violation(s)")


@dataclass
class Phase:
    name: str
    seconds: float
    peak_mib: float


@dataclass
class BuildResult:
    release: str
    path: Path | None
    phases: list[Phase] = field(default_factory=list)
    triples: int = 0
    coverage: dict[str, int] = field(default_factory=dict)
    unresolved: list[tables.Unresolved] = field(default_factory=list)


def _peak_mib() -> float:
    """Peak resident memory of this process and of finished children (the mapper), in MiB."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024


class Pipeline:
    """One run of the phases over one set of tables, reporting to a console."""

    def __init__(self, config: Config, console: Console | None = None):
        self.config = config
        self.console = console or Console(stderr=True)
        self.base = config.dataset.base_iri
        self.data = config.path("data")
        self.phases: list[Phase] = []

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        with self.console.status(f"[bold]{name}[/] …"):
            yield
        seconds = time.perf_counter() - start
        self.phases.append(Phase(name, round(seconds, 3), round(_peak_mib(), 1)))
        self.console.print(f"  [green]✓[/] {name:<10} {seconds:7.2f} s")

    def read_vocabulary(self) -> tuple[Graph, Graph]:
        return (docs.read_turtle(self.config.path("ontology") / "lod.ttl", self.base),
                docs.read_turtle(self.config.path("shapes") / "shapes.ttl", self.base))

    def check_map_validate(self, work: Path) -> tuple[mapping.Mappings, Path, Graph, Graph]:
        """The phases `lod validate` shares with `lod build`; raises on the first failure."""
        with self.phase("check"):
            tables.check(self.config.path("schema"), self.data)
        mappings = mapping.Mappings.load(self.config)
        with self.phase("map"):
            mapped = mapping.run(self.config, mappings, self.data, work / "mapped")
        with self.phase("validate"):
            ontology, shapes = self.read_vocabulary()
            graph = validate.rdflib_graph(mapped, ontology)
            violations = validate.validate(
                graph, shapes, lambda: provenance.source_rows(mappings, self.data), self.base)
            del graph
        if violations:
            raise ValidationFailed(violations)
        return mappings, mapped, ontology, shapes

    def build(self, releases: Releases) -> BuildResult:
        started = datetime.now(timezone.utc)
        release, work = releases.begin(started)
        self.console.print(f"Building release [bold]{release}[/] from {self.data}")
        try:
            result = self._build(release, work, started)
            result.path = releases.publish(release, work)
        except BaseException:
            releases.discard(work)
            raise
        self.console.print(f"Published release [bold]{release}[/] → {result.path}")
        return result

    def _build(self, release: str, work: Path, started: datetime) -> BuildResult:
        mappings, mapped, ontology, shapes = self.check_map_validate(work)
        result = BuildResult(release, None, self.phases)
        with self.phase("load"):
            store = EmbeddedStore(work / "store")
            store.load_quads(mapped)
            meta = provenance.build_record(
                base=self.base, release=release, started=started, ended=datetime.now(timezone.utc),
                mappings=mappings, data=self.data, code=self.config.path("mappings"),
                engine=mapping.engine_version(self.config))
            for graph, content in ((f"{self.base}graph/meta", meta), (f"{self.base}ontology", ontology),
                                   (f"{self.base}shapes", shapes)):
                store.load_bytes(content.serialize(format="nt", encoding="utf-8"),
                                 ox.RdfFormat.N_TRIPLES, graph=graph)
            store.flush()
            result.triples = len(store)
            result.coverage = self._coverage(store)
        with self.phase("dumps"):
            written = dumps.write(store, work / "dumps", DUMP_NAME, self.base)
        with self.phase("void"):
            dataset = self.config.dataset
            void.write(store.store, work / "void.ttl", base=self.base, title=dataset.title,
                       licence=dataset.licence, dumps=written)
        with self.phase("vocabulary"):
            docs.publish(ontology, shapes, work / "vocab")
        del store
        (work / "mapped" / "mapped.nq").unlink()
        result.unresolved = tables.unresolved_mentions(self.data)
        (work / "build.json").write_text(json.dumps({
            "release": release, "started": started.isoformat(),
            "finished": datetime.now(timezone.utc).isoformat(), "base_iri": self.base,
            "triples": result.triples, "coverage": result.coverage,
            "phases": [asdict(p) for p in self.phases]}, indent=2))
        return result

    @staticmethod
    def _coverage(store: EmbeddedStore) -> dict[str, int]:
        solutions = store.store.query(rq.load("coverage"), use_default_graph_as_union=True)
        names = [v.value for v in solutions.variables]
        row = next(iter(solutions))
        return {name: int(row[name].value) for name in names}


def print_summary(result: BuildResult, console: Console) -> None:
    """Per-phase timings and the coverage of the release."""
    timings = Table(title="Build phases", show_lines=False)
    for col in ("phase", "seconds", "peak MiB"):
        timings.add_column(col, justify="right" if col != "phase" else "left")
    for p in result.phases:
        timings.add_row(p.name, f"{p.seconds:.2f}", f"{p.peak_mib:.0f}")
    console.print(timings)
    coverage = Table(title=f"Coverage ({result.triples} quads)")
    coverage.add_column("what")
    coverage.add_column("count", justify="right")
    for key, value in result.coverage.items():
        coverage.add_row(key.replace("_", " "), str(value))
    coverage.add_row("unresolved names (review)", str(len(result.unresolved)))
    console.print(coverage)
    for u in result.unresolved:
        console.print(f"  review: document {u.document} names {u.name!r} (data/mentions.csv, row {u.row})")

