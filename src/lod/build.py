"""The build: check tables → map → load → validate → iris → meta → vocabulary → dumps → void →
publish. Harvest, then index, run in one child process beside the dumps and void.

Each phase is timed (seconds and peak memory) and shown on the terminal. Everything is written
into a private release directory; only when every phase succeeded is it published (see
lod.release), so bad input never replaces what is served.
"""

from __future__ import annotations

import json
import resource
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from multiprocessing import get_context
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph
from rich.console import Console
from rich.progress import MofNCompleteColumn, Progress, SpinnerColumn, TimeElapsedColumn
from rich.table import Table

from lod import changes, docs, dumps, index, mapping, provenance, rq, tables, validate, void
from lod.harvest import beacon, cmif
from lod.config import Config, Dataset, StoreSettings
from lod.release import BUILDING, Releases
from lod.store import EmbeddedStore, RemoteStore, StoreError, holds_release, run_command

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
    cpu_s: float   # its process's threads and finished children (the mapper), not asides: cores = cpu_s / seconds

    @classmethod
    def since(cls, name: str, start: float, cpu_s: float, peak_mib: float) -> Phase:
        """The phase begun at `start` (perf_counter), which used `cpu_s`, ending now."""
        return cls(name, round(time.perf_counter() - start, 3), round(peak_mib, 1), round(cpu_s, 1))


@dataclass
class Checked:
    """What the checking phases hand to the rest of the build."""

    mappings: mapping.Mappings
    mapped: Path
    store: EmbeddedStore   # the mapped graphs and the ontology, validated
    ontology: Graph
    shapes: Graph
    comparison: changes.Comparison
    tombstones: dict[str, changes.Tombstone]


@dataclass
class BuildResult:
    release: str
    path: Path | None
    version: int = 0
    phases: list[Phase] = field(default_factory=list)
    triples: int = 0
    coverage: dict[str, int] = field(default_factory=dict)
    graphs: list[str] = field(default_factory=list)
    unresolved: list[tables.Unresolved] = field(default_factory=list)


def read_record(release: Path | None) -> dict:
    """A published release's build.json ({} when there is none yet)."""
    return json.loads((release / "build.json").read_text(encoding="utf-8")) if release else {}


def _usage() -> tuple[float, float]:
    """(peak resident MiB, CPU seconds so far) of this process, all its threads, and its finished
    children (the mapper): the peak is the larger of the two, the CPU their sum."""
    own, children = (resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    cpu = sum(u.ru_utime + u.ru_stime for u in (own, children))
    return max(own.ru_maxrss, children.ru_maxrss) / 1024, cpu


Step = tuple[str, Callable[..., object], tuple]   # a phase run aside: its name, work and arguments


def _timed(name: str, work: Callable[..., object], args: tuple) -> tuple[Phase, object]:
    """`work(*args)` timed as phase `name` in the child process that runs it, and what it
    returned. Its peak is read from /proc, reset first (Linux carries a parent's ru_maxrss over
    into a spawned child, and the child may have run a phase before)."""
    Path("/proc/self/clear_refs").write_text("5")
    start, cpu = time.perf_counter(), _usage()[1]
    value = work(*args)
    status = Path("/proc/self/status").read_text()
    return Phase.since(name, start, _usage()[1] - cpu, int(status.split("VmHWM:")[1].split()[0]) / 1024), value


def _run_aside(send: Connection, steps: tuple[Step, ...]) -> None:
    """The child's side of `Pipeline.aside`: each phase's figures and value, or the error one
    raised; either with the CPU the child used in all (its start included)."""
    try:
        outcome: object = [_timed(*step) for step in steps]
    except BaseException as err:   # re-raised in the build's process
        outcome = err
    send.send((outcome, _usage()[1]))


@dataclass
class Aside:
    """Phases running in a child process (see `Pipeline.aside`); `values` holds what their work
    returned, by phase name, once the block is left."""

    name: str
    child: BaseProcess
    answer: Connection
    outcome: object = None   # what the child sent, once it has ended
    values: dict[str, object] = field(default_factory=dict)

    def settle(self) -> float:
        """Once the child has ended (and so been reaped), take its answer; the CPU it used is
        returned this once, for the build's process to leave out of its own phases."""
        if self.outcome is not None or self.child.is_alive():
            return 0.0
        try:
            self.outcome, cpu = self.answer.recv()
        except EOFError:
            self.outcome, cpu = RuntimeError(f"the process of phase {self.name} ended without an answer "
                                             f"(exit code {self.child.exitcode})"), 0.0
        return cpu


def _write_index(store: Path, target: Path, base: str) -> None:
    """The index phase's work in a child process: the store opened read-only there."""
    index.write(ox.Store.read_only(str(store)), target, base)


def _write_harvest(store: Path, out: Path, dataset: Dataset, before: dict, now: str) -> tuple[dict, list[dumps.Dump]]:
    """The harvest phase's work in a child process: CMIF and BEACON beside the dumps. The CMIF
    file keeps the last release's publication date (`before`) while its content is unchanged, so
    correspSearch re-reads it only when it changed."""
    source = ox.Store.read_only(str(store))
    digest, published = cmif.write(source, dataset, out / cmif.FILE_NAME,
                                   lambda d: before["published"] if before.get("sha256") == d else now)
    beacon.write(source, out / beacon.FILE_NAME, dataset, timestamp=now)
    return {"sha256": digest, "published": published}, [
        dumps.described(out / cmif.FILE_NAME, "CMIF (TEI correspDesc)", "application/tei+xml",
                        "documents: senders, recipients, places, dates"),
        dumps.described(out / beacon.FILE_NAME, "BEACON", "text/plain",
                        "persons: Wikidata QID to our IRI")]


class Pipeline:
    """One run of the phases over one set of tables, reporting to a console."""

    def __init__(self, config: Config, console: Console | None = None):
        self.config = config
        self.console = console or Console(stderr=True)
        self.base = config.dataset.base_iri
        self.data = config.path("data")
        self.phases: list[Phase] = []
        self.asides: list[Aside] = []
        self.aside_cpu = 0.0   # CPU seconds of ended asides, which this process's own usage counts

    def _cpu(self) -> float:
        """CPU seconds so far of this process and the children it ran, less the asides': whatever
        starts a process reaps every ended child (multiprocessing does), so an aside's CPU would
        otherwise count in the phase that happened to start one."""
        self.aside_cpu += sum(aside.settle() for aside in self.asides)
        return _usage()[1] - self.aside_cpu

    @contextmanager
    def phase(self, name: str, spinner: bool = True) -> Iterator[None]:
        """Time a phase; `spinner=False` for a phase that shows its own progress bar."""
        start, cpu = time.perf_counter(), self._cpu()
        with self.console.status(f"[bold]{name}[/] …") if spinner else nullcontext():
            yield
        self._done(Phase.since(name, start, self._cpu() - cpu, _usage()[0]))

    @contextmanager
    def aside(self, *steps: Step) -> Iterator[Aside]:
        """Run phases (`steps`, one after another) in a child process while the block runs phases
        that do not need them, so that one-core phases share the two cores. Their figures are the
        child's own; the child exits when done (its memory with it), and is stopped if the block
        fails."""
        spawn = get_context("spawn")
        receive, send = spawn.Pipe(duplex=False)
        name = " and ".join(step[0] for step in steps)
        aside = Aside(name, spawn.Process(target=_run_aside, args=(send, steps), daemon=True), receive)
        aside.child.start()
        send.close()   # the child's end: reading then ends if the child dies
        self.asides.append(aside)
        try:
            yield aside
            with self.console.status(f"[bold]{name}[/] … (begun beside the phases above)"):
                aside.child.join()
                self.aside_cpu += aside.settle()
        finally:
            aside.child.terminate()
            aside.child.join()
            receive.close()
            self.asides.remove(aside)
        if isinstance(aside.outcome, BaseException):
            raise aside.outcome
        for phase, value in aside.outcome:
            aside.values[phase.name] = value
            self._done(phase)

    def _done(self, phase: Phase) -> None:
        self.phases.append(phase)
        self.console.print(f"  [green]✓[/] {phase.name:<10} {phase.seconds:7.2f} s")

    def read_vocabulary(self) -> tuple[Graph, Graph]:
        return (docs.read_turtle(self.config.path("ontology") / "lod.ttl", self.base),
                docs.read_turtle(self.config.path("shapes") / "shapes.ttl", self.base))

    def check_map_validate(self, work: Path, last: Path | None, release: str = "(unpublished)",
                           started: datetime | None = None) -> Checked:
        """The phases `lod validate` shares with `lod build`; raises on the first failure.

        `last` is the published release the `iris` phase compares with (None: the first release).
        """
        with self.phase("check"):
            tables.check(self.config.path("schema"), self.data, self.config.build.processes)
        mappings = mapping.Mappings.load(self.config)
        with self.phase("map"):
            mapped = mapping.run(self.config, mappings, self.data, work / "mapped")
        with self.phase("load"):
            ontology, shapes = self.read_vocabulary()
            store = EmbeddedStore(work / "store")
            store.load_quads(mapped)
            store.load_bytes(ontology.serialize(format="nt", encoding="utf-8"), ox.RdfFormat.N_TRIPLES,
                             graph=f"{self.base}ontology")
        with self.phase("validate"):   # before any other graph is added: the store is what is validated
            violations = validate.validate(
                store.store, shapes, lambda: provenance.source_rows(mappings, self.data), self.base)
        if violations:
            raise ValidationFailed(violations)
        with self.phase("iris"):
            stones = changes.read_tombstones(self.data)
            records = changes.records_in(mapped, self.base, self.config.build.processes)
            comparison = changes.compare(records, last, stones, release=release, data=self.data,
                                         published=(started or datetime.now(timezone.utc)).replace(microsecond=0).isoformat())
        return Checked(mappings, mapped, store, ontology, shapes, comparison, stones)

    def build(self, releases: Releases) -> BuildResult:
        started = datetime.now(timezone.utc)
        release, work = releases.begin(started)
        self.console.print(f"Building release [bold]{release}[/] from {self.data}")
        try:
            last = releases.current()
            before = read_record(last)
            engine = self._next_engine(before)
            result = self._build(release, work, started, last, engine)
            if engine is not None:
                self.upload(work, self.config.store.engines()[engine], retired=before.get("graphs", []),
                            direct=len(self.config.store.engines()) > 1)
            result.path = releases.publish(release, work)
        except BaseException:
            releases.discard(work)
            raise
        self.console.print(f"Published release [bold]{release}[/] → {result.path}")
        for old in releases.prune_stores(self.config.releases.keep_stores):
            self.console.print(f"  removed the store of release {old} (its downloads are kept)")
        return result

    def _next_engine(self, before: dict) -> int | None:
        """Remote backend: which engine of [store] the release goes into. With two, the one not
        serving the last release (`before`, its build.json): loading it touches nothing readers see."""
        if self.config.store.backend != "remote":
            return None
        if len(self.config.store.engines()) == 1 or not before:
            return 0
        return 1 - before.get("engine", 0)

    def _build(self, release: str, work: Path, started: datetime, last: Path | None,
               engine: int | None) -> BuildResult:
        checked = self.check_map_validate(work, last, release, started)
        entry = checked.comparison.entry
        result = BuildResult(release, None, entry.version, self.phases)
        dataset, store = self.config.dataset, checked.store
        with self.phase("meta"):
            meta = provenance.build_record(
                base=self.base, release=release, started=started, ended=datetime.now(timezone.utc),
                mappings=checked.mappings, data=self.data, code=self.config.path("mappings"),
                engine=mapping.engine_version(self.config),
                derived={f"{self.base}graph/changes": {"tombstones.csv"}})
            for graph, content in ((f"{self.base}graph/meta", meta), (f"{self.base}shapes", checked.shapes)):
                store.load_bytes(content.serialize(format="nt", encoding="utf-8"),
                                 ox.RdfFormat.N_TRIPLES, graph=graph)
            history = changes.to_rdf(checked.comparison, checked.tombstones, self.base,
                                     str(void.dataset_iri(self.base)))
            store.load_triples(history, graph=f"{self.base}graph/changes")
            store.flush()
            result.graphs = sorted(g.value for g in store.store.named_graphs())
        with self.phase("vocabulary"):
            docs.publish(checked.ontology, checked.shapes, work / "vocab")
        # Written now, so that the records index and the history (a record each) are not held
        # through the dumps and the statistics, when the harvest child holds memory too.
        changes.write(work, checked.comparison, checked.tombstones)
        checked.mapped.unlink()
        header = {"release": release, "version": entry.version, "previous": entry.previous,
                  "started": started.isoformat(), "base_iri": self.base,
                  "changes": {k: len(getattr(entry, k)) for k in ("added", "changed", "removed")}}
        published_on, last_cmif = entry.published, read_record(last).get("cmif", {})
        del checked, entry
        (work / "dumps").mkdir(exist_ok=True)   # the harvest child writes there too
        with self.aside(("harvest", _write_harvest, (work / "store", work / "dumps", dataset, last_cmif,
                                                     published_on)),
                        ("index", _write_index, (work / "store", work / index.FILE_NAME, self.base))) as aside:
            with self.phase("dumps"):
                written = dumps.write(store, work / "dumps", DUMP_NAME, self.base, self.config.build.processes)
            # VoID's statistics need nothing the child writes, so they are counted while it works;
            # the coverage report is counted with them, on their threads.
            with self.phase("void"):
                stats = rq.rows_each(store.store, {"coverage": {}, **void.queries(self.base)},
                                     self.config.build.processes)
        published, files = aside.values["harvest"]
        written += files
        dumps.write_manifest(work / "dumps", written)
        result.coverage = {name: int(value) for name, value in stats["coverage"][0].items()}
        result.triples = int(stats["void-totals"][0]["triples"])
        void.write(stats, work / "void.ttl", dataset=dataset, dumps=written, version=result.version,
                   issued=published_on, release=release)
        del store
        result.unresolved = tables.unresolved_mentions(self.data)
        (work / "build.json").write_text(json.dumps({
            **header, "finished": datetime.now(timezone.utc).isoformat(), "triples": result.triples,
            "graphs": result.graphs, "coverage": result.coverage, "cmif": published,
            "phases": [asdict(p) for p in self.phases], **({} if engine is None else {"engine": engine})},
            indent=2))
        return result

    def upload(self, release: Path, engine: StoreSettings, retired: list[str] | None = None, *,
               direct: bool = False) -> None:
        """Remote backend: upload a release (its embedded store) into `engine` (one of [store]'s),
        into staging graphs, then swap them in with one Update request, dropping `retired` public
        graphs the release lacks. `direct`: the engine serves no reader (the second of
        blue/green), so its graphs are replaced in place. In a build it is the last step before
        `current` moves, so a failure publishes nothing."""
        source = ox.Store.read_only(str(release / "store"))
        graphs = sorted(source.named_graphs(), key=lambda g: g.value)
        # With [store].loader the bar counts the load file's lines, then stays full while the
        # engine loads it (minutes at 1M letters): the spinner and the clock show it is working.
        columns = (SpinnerColumn(), *Progress.get_default_columns(), MofNCompleteColumn(), TimeElapsedColumn())
        step = "write the load file, then run the engine's loader" if engine.loader else "upload to the remote store"
        with self.phase("upload", spinner=False), Progress(*columns, console=self.console) as bar:
            task = bar.add_task(step, total=len(source))
            remote = RemoteStore(engine, [], query_timeout=engine.timeout)
            staged = remote.stage(release.name.removeprefix(BUILDING), source, graphs, direct=direct,
                                  progress=lambda n: bar.advance(task, n))
            try:
                staged.swap(retired=retired or [])
            except BaseException:
                staged.drop()
                raise
        if self.config.store.after_load:
            self._after_load(engine, release.name.removeprefix(BUILDING))

    def _after_load(self, engine: StoreSettings, release: str) -> None:
        """Run [store].after_load for the engine just loaded, then wait (up to [store].timeout)
        until it answers again and holds the release: a restart must not lose it."""
        with self.phase("after load"):
            run_command("after_load", self.config.store.after_load, engine)
            if not self._answer_after_load(engine, release):
                raise StoreError(f"after [store].after_load, {engine.query} answers but no longer holds "
                                 f"release {release}")

    def _answer_after_load(self, engine: StoreSettings, release: str) -> bool:
        """Whether the engine holds the release, asked until it answers (it may be restarting)."""
        remote = RemoteStore(engine, [], query_timeout=10)
        deadline = time.monotonic() + engine.timeout
        while True:
            try:
                return holds_release(remote, self.base, release)
            except (StoreError, TimeoutError) as err:
                if time.monotonic() > deadline:
                    raise StoreError(f"after [store].after_load, {engine.query} did not answer within "
                                     f"{engine.timeout:g} s: {err}") from err
                time.sleep(1)


def print_summary(result: BuildResult, console: Console) -> None:
    """Per-phase timings and the coverage of the release."""
    timings = Table(title="Build phases", show_lines=False)
    for col in ("phase", "seconds", "CPU s", "peak MiB"):
        timings.add_column(col, justify="right" if col != "phase" else "left")
    for p in result.phases:
        timings.add_row(p.name, f"{p.seconds:.2f}", f"{p.cpu_s:.1f}", f"{p.peak_mib:.0f}")
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

