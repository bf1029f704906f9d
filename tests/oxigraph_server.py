"""A throwaway Oxigraph server (the `oxigraph` command of the PyPI package of that name, a test
dependency) on a free loopback port, in a folder of its own: a second remote engine for the tests.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import requests

from virtuoso import free_port

COMMAND = Path(sys.executable).parent / "oxigraph"


class OxigraphServer:
    """`with OxigraphServer(folder) as o:` starts `oxigraph serve` and stops it; o.store_settings()."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def store_settings(self) -> str:
        """The [store] section of a lod.toml that points at this server. Its answers do not wait on
        reused connections, and with a connection per request it reset some of them mid-upload."""
        return (f'[store]\nbackend = "remote"\nquery = "{self.url}/query"\nupdate = "{self.url}/update"\n'
                f'graph_store = "{self.url}/store"\nkeep_alive = true\n')

    def __enter__(self) -> OxigraphServer:
        if not COMMAND.exists():
            raise RuntimeError(f"{COMMAND} is missing; run `make test`, which installs the test extras")
        self.folder.mkdir(parents=True, exist_ok=True)
        with (self.folder / "server.out").open("wb") as out:
            self.proc = subprocess.Popen([str(COMMAND), "serve", "--location", str(self.folder / "data"),
                                          "--bind", f"127.0.0.1:{self.port}"], stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and self.proc.poll() is None:
            try:
                if requests.get(f"{self.url}/query", params={"query": "ASK {}"}, timeout=2).status_code == 200:
                    return self
            except requests.ConnectionError:
                time.sleep(0.2)
        self.__exit__()
        raise RuntimeError(f"the Oxigraph server did not start:\n{(self.folder / 'server.out').read_text()}")

    def __exit__(self, *exc) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=30)
