"""The one typed place for configuration: a TOML file over dataclass defaults.

Unknown sections or keys are errors (a typo must not silently fall back to a default).
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

CONFIG_ENV = "LOD_CONFIG"
DEFAULT_FILE = "lod.toml"


class ConfigError(ValueError):
    """A configuration file that cannot be used; the message names file and key."""


@dataclass(frozen=True)
class Dataset:
    base_iri: str = "http://localhost:8080/"
    title: str = "Stalin's Letters to Molotov, 1925–1936 — linked data"
    licence: str = "https://creativecommons.org/licenses/by/4.0/"
    description: str = ("The 86 letters, coded telegrams and notes of the printed edition as linked open data: "
                        "who wrote to whom, when and where, the persons and party and state bodies they name "
                        "(with dated offices), and the archival reference of every document.")
    publisher: str = "The Stalin–Molotov letters linked-data project"
    keywords: tuple[str, ...] = ("Soviet history", "letters", "Stalin", "Molotov", "Politburo", "archives")
    # The printed edition the facts are read from: the CMIF file's bibliographic source.
    edition: str = ("Lars T. Lih, Oleg V. Naumov and Oleg V. Khlevniuk (eds.), Stalin's Letters to Molotov, "
                    "1925–1936, trans. Catherine A. Fitzpatrick. New Haven: Yale University Press, 1995. "
                    "ISBN 0-300-06211-7.")


@dataclass(frozen=True)
class Paths:
    data: Path = Path("data")
    schema: Path = Path("data/datapackage.yaml")
    mappings: Path = Path("mappings")
    ontology: Path = Path("ontology")
    shapes: Path = Path("shapes")
    var: Path = Path("var")
    wikidata_cache: Path = Path("var/cache/wikidata")   # answers of the Wikidata endpoint, by query


@dataclass(frozen=True)
class Mapper:
    python: Path = Path(".venv-mapper/bin/python")
    processes: int = 2


@dataclass(frozen=True)
class Build:
    # Processes the build spreads its one-core parts over: checking the tables (a table each) and
    # the iris check's record digests (a part of the mapped file each); 1: the build's own process.
    # Also the threads VoID's statistics queries run on. The RML engine's are [mapper].processes.
    processes: int = 2


@dataclass(frozen=True)
class Server:
    host: str = "127.0.0.1"
    port: int = 8080
    workers: int = 2               # gunicorn sync workers (processes; see docs/decisions.md)
    query_timeout: float = 30.0    # seconds before a SPARQL query is cancelled (its worker restarts)
    result_limit: int = 10000      # rows (or triples) a SPARQL answer may carry; more are cut and flagged
    page_size: int = 100           # incoming links shown per relation on a resource, per page
    max_age: int = 300             # Cache-Control max-age (seconds) for pages and data
    cache_mib: int = 256           # rendered pages, data and SPARQL answers kept per worker (0: none)
    access_log: bool = True        # one line per request on stdout (costs throughput; see docs/performance.md)
    warm_release: bool = True      # read the release's index, and its embedded store, into the OS page
                                   # cache before listening, each if it fits in memory (docs/deploy.md)


@dataclass(frozen=True)
class Linking:
    endpoint: str = "https://query.wikidata.org/sparql"
    # Wikidata's policy asks for a User-Agent that names the tool and a way to reach its operator.
    user_agent: str = "lod-publisher/0.1 (Stalin-Molotov letters linked data; set [linking].user_agent to add your contact)"
    batch_size: int = 10             # persons per request (their name forms go into one VALUES block)
    timeout: float = 60.0            # seconds per request
    retries: int = 4                 # after a 429, a 5xx or a timeout
    retry_pause: float = 5.0         # seconds before the first retry without Retry-After; doubles each time
    accept_threshold: float = 0.9    # score at or above which, with both life years equal, a link is accepted


@dataclass(frozen=True)
class ReleasePolicy:
    # Published releases that keep their store (the current one always does). Older releases
    # keep their dumps, changelog and harvesting files, still downloadable at /releases/<id>/dumps/.
    keep_stores: int = 3


@dataclass(frozen=True)
class StoreSettings:
    """Where the web workers read the published release from (docs/deploy.md).

    "embedded": the release's own Oxigraph store on disk. "remote": any SPARQL 1.1 engine, spoken to
    through the SPARQL 1.1 Query and Update protocols and the Graph Store HTTP Protocol; the build
    uploads each release into staging graphs and swaps them in with one Update request, or, given
    a second engine, loads the engine that is not serving.
    """

    backend: str = "embedded"
    query: str = ""             # SPARQL 1.1 Query endpoint (remote)
    update: str = ""            # SPARQL 1.1 Update endpoint (remote; used by the build only)
    graph_store: str = ""       # Graph Store HTTP Protocol endpoint, indirect identification ?graph= (remote)
    union_graph: str = "urn:x-lod:union"   # holds the union of the release's graphs (src/lod/store/remote.py)
    user: str = ""              # HTTP basic/digest user for update and graph store; password in $LOD_STORE_PASSWORD
    timeout: float = 1800.0     # seconds per upload or update request; the swap is one request for the whole
                                # release (over 120 s on Virtuoso at 100k letters). Queries: [server].query_timeout
    chunk_triples: int = 100000  # triples per Graph Store upload request
    keep_alive: bool = False    # reuse connections to the engine: only for engines that turn Nagle's
                                # algorithm off (Virtuoso 7 does not: 40 ms more per long answer)
    # A second engine (blue/green): releases alternate between the two; a build loads the one not
    # serving, and moving `current` is the switch. Nothing is swapped inside an engine.
    alternate_query: str = ""
    alternate_update: str = ""
    alternate_graph_store: str = ""
    # A command run once a release is loaded into an engine, before it is published, with the
    # engine's URLs in LOD_ENGINE_QUERY/_UPDATE/_GRAPH_STORE: e.g. restart Virtuoso, whose plans
    # are slow after a load until it restarts. The build then waits until the engine answers.
    after_load: tuple[str, ...] = ()
    # The engine's own bulk loader instead of Graph Store uploads: a command run with LOD_LOAD_FILE,
    # one gzipped N-Quads file of the release's graphs and their union, under the names they are
    # loaded into, written into loader_dir (a folder the engine can read); e.g.
    # ["deploy/virtuoso-bulk-load", "localhost:1111"]. The build then checks every graph's size.
    loader: tuple[str, ...] = ()
    loader_dir: str = ""
    alternate_loader: tuple[str, ...] = ()   # the second engine's (its own SQL port, say)

    def engines(self) -> list[StoreSettings]:
        """The engines releases are loaded into: one, or two in turn."""
        if not self.alternate_query:
            return [self]
        return [self, dataclasses.replace(self, query=self.alternate_query, update=self.alternate_update,
                                          graph_store=self.alternate_graph_store, loader=self.alternate_loader)]


BACKENDS = ("embedded", "remote")


@dataclass(frozen=True)
class Config:
    root: Path = Path(".")
    dataset: Dataset = field(default_factory=Dataset)
    paths: Paths = field(default_factory=Paths)
    mapper: Mapper = field(default_factory=Mapper)
    build: Build = field(default_factory=Build)
    server: Server = field(default_factory=Server)
    linking: Linking = field(default_factory=Linking)
    releases: ReleasePolicy = field(default_factory=ReleasePolicy)
    store: StoreSettings = field(default_factory=StoreSettings)

    def path(self, name: str) -> Path:
        """A configured path, resolved against the configuration file's folder."""
        value = getattr(self.paths, name)
        return value if value.is_absolute() else (self.root / value).resolve()

    @property
    def mapper_python(self) -> Path:
        p = self.mapper.python
        return p if p.is_absolute() else self.root / p

    def with_paths(self, **changes: Path) -> Config:
        """A copy with some paths replaced (tests and benchmarks build other tables)."""
        return dataclasses.replace(self, paths=dataclasses.replace(self.paths, **changes))


def _section(cls: type, values: dict, where: str) -> object:
    known = {f.name: f for f in dataclasses.fields(cls)}
    kwargs = {}
    for key, value in values.items():
        if key not in known:
            raise ConfigError(f"{where}: unknown key {key!r} (known: {', '.join(known)})")
        default = known[key].default
        kind = type(default)
        if isinstance(default, Path) and isinstance(value, str):
            value = Path(value)
        elif kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        elif kind is tuple and isinstance(value, list) and all(isinstance(v, str) for v in value):
            value = tuple(value)
        elif not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise ConfigError(f"{where}.{key}: expected {kind.__name__}, got {value!r}")
        kwargs[key] = value
    return cls(**kwargs)


def load(path: Path | str | None = None) -> Config:
    """Read the configuration: the given file, else $LOD_CONFIG, else ./lod.toml, else defaults."""
    path = Path(path or os.environ.get(CONFIG_ENV) or DEFAULT_FILE)
    if not path.is_file():
        return Config(root=Path.cwd())
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{path}: not valid TOML: {err}") from err
    sections = {"dataset": Dataset, "paths": Paths, "mapper": Mapper, "build": Build, "server": Server, "linking": Linking,
                "releases": ReleasePolicy, "store": StoreSettings}
    kwargs: dict[str, object] = {"root": path.resolve().parent}
    for name, values in raw.items():
        if name not in sections:
            raise ConfigError(f"{path}: unknown section [{name}] (known: {', '.join(sections)})")
        kwargs[name] = _section(sections[name], values, f"{path} [{name}]")
    config = Config(**kwargs)
    for where, processes in (("[mapper].processes", config.mapper.processes), ("[build].processes", config.build.processes)):
        if processes < 1:
            raise ConfigError(f"{path} {where} must be at least 1")
    if config.releases.keep_stores < 1:
        raise ConfigError(f"{path} [releases].keep_stores must be at least 1 (the published release's store)")
    _check_store(config.store, f"{path} [store]")
    if not config.dataset.base_iri.endswith("/"):
        raise ConfigError(f"{path} [dataset].base_iri must end with '/': {config.dataset.base_iri!r}")
    return config


def _check_store(store: StoreSettings, where: str) -> None:
    if store.backend not in BACKENDS:
        raise ConfigError(f"{where}.backend: {store.backend!r} is not one of {', '.join(BACKENDS)}")
    if store.backend == "remote":
        missing = [k for k in ("query", "update", "graph_store") if not getattr(store, k)]
        if missing:
            raise ConfigError(f"{where}: backend = \"remote\" needs the endpoint URLs " + ", ".join(missing))
        alternate = [f"alternate_{k}" for k in ("query", "update", "graph_store")]
        given = [k for k in alternate if getattr(store, k)]
        if given and len(given) < len(alternate):
            raise ConfigError(f"{where}: a second engine needs all of " + ", ".join(alternate))
        if store.after_load and not given:
            raise ConfigError(f"{where}.after_load needs a second engine (alternate_*): run on the only "
                              "engine, after its swap, it would act on the engine readers are using")
    if (store.loader or store.alternate_loader) and not os.path.isabs(store.loader_dir):
        raise ConfigError(f"{where}.loader needs loader_dir: the absolute path of a folder the engine can read")
    if store.chunk_triples < 1:
        raise ConfigError(f"{where}.chunk_triples must be at least 1")
