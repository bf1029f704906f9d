"""Shared fixtures: a configuration whose tables and releases live in a temporary folder."""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
import requests

from lod import cli
from lod.build import Pipeline
from lod.config import Config, load
from lod.release import Releases
from oxigraph_server import OxigraphServer
from virtuoso import Virtuoso, free_port  # noqa: F401  (free_port: shared with tests and benchmarks)

REPO = Path(__file__).resolve().parents[1]
BASE = "http://localhost:8080/"


def write_config(folder: Path, data: Path, base: str = BASE, extra: str = "", processes: int = 1) -> Path:
    """A lod.toml pointing at the repository's mappings and shapes, and at `data` and `folder/var`;
    `extra`: more sections (a [store] for the remote backend); `processes`: the mapper's and the
    build's ([build])."""
    path = folder / "lod.toml"
    path.write_text(
        f'[dataset]\nbase_iri = "{base}"\n'
        f'[paths]\ndata = "{data}"\nschema = "{REPO / "data" / "datapackage.yaml"}"\n'
        f'mappings = "{REPO / "mappings"}"\nontology = "{REPO / "ontology"}"\n'
        f'shapes = "{REPO / "shapes"}"\nvar = "{folder / "var"}"\n'
        f'[mapper]\npython = "{REPO / ".venv-mapper" / "bin" / "python"}"\nprocesses = {processes}\n'
        f'[build]\nprocesses = {processes}\n' + extra,
        encoding="utf-8")
    return path


def alternate_settings(query: str, update: str, graph_store: str) -> str:
    """[store] lines naming a second engine (blue/green), to follow an engine's store_settings()."""
    return f'alternate_query = "{query}"\nalternate_update = "{update}"\nalternate_graph_store = "{graph_store}"\n'


@pytest.fixture
def edition_copy(tmp_path: Path) -> Path:
    """A private copy of the edition's tables that a test may spoil."""
    data = tmp_path / "data"
    shutil.copytree(REPO / "data", data)
    return data


@pytest.fixture
def config_for(tmp_path: Path):
    def make(data: Path, base: str = BASE) -> Config:
        return load(write_config(tmp_path, data, base))
    return make


@pytest.fixture(scope="session")
def built_edition(tmp_path_factory: pytest.TempPathFactory):
    """The real edition tables built once: (config, build result, read-only store)."""
    folder = tmp_path_factory.mktemp("edition")
    config = load(write_config(folder, REPO / "data"))
    result = Pipeline(config).build(Releases(config.path("var")))
    store = ox.Store.read_only(str(result.path / "store"))
    return config, result, store


def ask(store: ox.Store, query: str, **bindings: ox.NamedNode | ox.Literal) -> bool:
    """An ASK query over the union of the named graphs, with values bound, not pasted."""
    return bool(store.query(query, use_default_graph_as_union=True, substitutions={
        ox.Variable(k): v for k, v in bindings.items()}))


def select(store: ox.Store, query: str) -> list[dict[str, str]]:
    solutions = store.query(query, use_default_graph_as_union=True)
    names = [v.value for v in solutions.variables]
    return [{n: s[n].value for n in names if s[n] is not None} for s in solutions]


@pytest.fixture(scope="session")
def virtuoso(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Virtuoso]:
    """A Virtuoso server of the test session's own, on free loopback ports."""
    with Virtuoso(tmp_path_factory.mktemp("virtuoso")) as engine:
        yield engine


@pytest.fixture(scope="session")
def remote_edition(built_edition, virtuoso: Virtuoso, tmp_path_factory: pytest.TempPathFactory):
    """The same release as `built_edition`, served from Virtuoso (`lod upload`): (config, build result)."""
    return _uploaded(built_edition, virtuoso.store_settings(), tmp_path_factory.mktemp("edition-remote"))


def _uploaded(built_edition, store_settings: str, folder: Path) -> tuple[Config, object]:
    """The built edition's release in `folder`, uploaded to a remote engine (`lod upload`)."""
    config = load(write_config(folder, REPO / "data", extra=store_settings))
    shutil.copytree(built_edition[0].path("var"), config.path("var"), symlinks=True)
    result = dataclasses.replace(built_edition[1], path=Releases(config.path("var")).current())
    assert cli.main(["--config", str(config.root / "lod.toml"), "upload"]) == 0
    return config, result


class Counting:
    """A store that counts the triple patterns asked of it (the rest passed through). Shared with
    bench/pages.py."""

    def __init__(self, store: ox.Store):
        self.store, self.asked, self.patterns = store, 0, []

    def quads_for_pattern(self, *pattern):
        self.asked += 1
        self.patterns.append(pattern)
        return self.store.quads_for_pattern(*pattern)

    def __getattr__(self, name: str):
        return getattr(self.store, name)


def evict(files: Iterable[Path]) -> None:
    """Drop files from the OS page cache (the kernel keeps none of their clean pages): the state
    after a reboot. Shared with the serving benchmark's --cold."""
    for file in files:
        fd = os.open(file, os.O_RDONLY)
        try:
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)


def _serve(config: Config, log: Path) -> Iterator[str]:
    """`lod serve` (gunicorn, 2 sync workers) over a built release on a free port: its root URL.

    The dataset's base IRI (http://localhost:8080/) deliberately differs from the served address,
    as in any local run; a short query timeout and a small row cap make the guards testable.
    """
    path = config.root / "serve.toml"
    path.write_text((config.root / "lod.toml").read_text() + SERVER_SETTINGS, encoding="utf-8")
    port = free_port()
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "lod.cli", "--config", str(path), "serve",
                                 "--port", str(port)], stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if requests.get(url + "/", timeout=2).status_code == 200:
                break
        except requests.ConnectionError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError(f"the server did not start:\n{log.read_text()}")
        time.sleep(0.2)
    yield url
    proc.terminate()
    proc.wait(timeout=15)


@pytest.fixture(scope="session")
def embedded_server(built_edition, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    yield from _serve(built_edition[0], tmp_path_factory.mktemp("server") / "server.log")


def _web_machine(config: Config, folder: Path) -> Config:
    """A web machine of a remote deployment (docs/deploy.md): its own copy of var/ without the
    releases' embedded stores, which only the build machine needs."""
    var = folder / "var"
    shutil.copytree(config.path("var"), var, symlinks=True, ignore=shutil.ignore_patterns("store"))
    text = (config.root / "lod.toml").read_text(encoding="utf-8")
    (folder / "lod.toml").write_text(text.replace(f'var = "{config.path("var")}"', f'var = "{var}"'), encoding="utf-8")
    web = load(folder / "lod.toml")
    assert web.path("var") == var and not list(var.glob("releases/*/store"))
    return web


@pytest.fixture(scope="session")
def virtuoso_server(remote_edition, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The edition served from Virtuoso by a web machine that has no embedded store."""
    web = _web_machine(remote_edition[0], tmp_path_factory.mktemp("web-virtuoso"))
    yield from _serve(web, tmp_path_factory.mktemp("server") / "server.log")


@pytest.fixture(scope="session")
def oxigraph_server(built_edition, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The edition uploaded to an Oxigraph server (a second remote engine) and served from it by
    a web machine that has no embedded store."""
    with OxigraphServer(tmp_path_factory.mktemp("oxigraph")) as engine:
        config, _ = _uploaded(built_edition, engine.store_settings(), tmp_path_factory.mktemp("edition-oxigraph"))
        web = _web_machine(config, tmp_path_factory.mktemp("web-oxigraph"))
        yield from _serve(web, tmp_path_factory.mktemp("server") / "server.log")


@pytest.fixture(scope="session", params=["embedded", "virtuoso", "oxigraph"])
def server(request: pytest.FixtureRequest) -> str:
    """The edition served over a socket; every test using it runs three times: on the embedded
    store, and on Virtuoso and on an Oxigraph server (the remote backend), with the same expectations."""
    return request.getfixturevalue(f"{request.param}_server")


SERVER_SETTINGS = """
[server]
workers = 2
query_timeout = 3.0   # 2 s was missed once by a capped SELECT on Virtuoso, on a machine also bulk-loading 1M letters
result_limit = 500
page_size = 20
"""
