"""A throwaway Virtuoso Open Source server (Debian's virtuoso-opensource-7) on free loopback
ports, in a folder of its own: for the tests and the serving benchmark.

Anonymous SPARQL Update and Graph Store writes are granted, which is safe only because it listens
on 127.0.0.1 and lives as long as the test session (docs/deploy.md shows a real set-up).
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

import requests

SERVER = "virtuoso-t"
ISQL = "isql-vt"
INSTALL = "make virtuoso   # installs Debian's virtuoso-opensource-7"
BULK_LOAD = Path(__file__).resolve().parent.parent / "deploy" / "virtuoso-bulk-load"

INI = """\
[Database]
DatabaseFile = {dir}/virtuoso.db
ErrorLogFile = {dir}/virtuoso.log
LockFile = {dir}/virtuoso.lck
TransactionFile = {dir}/virtuoso.trx
xa_persistent_file = {dir}/virtuoso.pxa
[TempDatabase]
DatabaseFile = {dir}/virtuoso-temp.db
TransactionFile = {dir}/virtuoso-temp.trx
[Parameters]
ServerPort = 127.0.0.1:{sql_port}
DisableUnixSocket = 1
NumberOfBuffers = {buffers}
MaxDirtyBuffers = {dirty}
ThreadsPerQuery = 2
; the swap moves a whole release in one transaction; its log must not hit the 50 MB default
TransactionAfterImageLimit = 2000000000
; the folders its file functions (and so the bulk loader) may read: its own, the ones given, and
; TempDir, which Virtuoso adds to DirsAllowed (its default /tmp would let it read every test's files)
DirsAllowed = ., {dir}{readable}
TempDir = {dir}
[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = {dir}
ServerThreads = 32
MaxClientConnections = 32
MaxKeepAlives = 32
[SPARQL]
ResultSetMaxRows = 10000000
MaxQueryExecutionTime = 0
MaxQueryCostEstimationTime = 0
"""
GRANTS = ('GRANT SPARQL_UPDATE TO "SPARQL"; '
          "DB.DBA.RDF_DEFAULT_USER_PERMS_SET ('nobody', 7);")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Virtuoso:
    """`with Virtuoso(folder) as v:` starts the server and stops it; v.sparql, v.graph_store."""

    def __init__(self, folder: Path, memory_gb: float = 1.0, readable: Sequence[Path] = ()):
        self.folder = folder.resolve()   # the server runs in it and reads its ini by this path
        self.readable = [path.resolve() for path in readable]   # folders besides its own it may read
        self.http_port, self.sql_port = free_port(), free_port()
        # Virtuoso's rule of thumb: 85,000 buffers (8 KiB pages) per GB given to it.
        self.buffers = int(85000 * memory_gb)
        self.proc: subprocess.Popen | None = None

    @property
    def sparql(self) -> str:
        return f"http://127.0.0.1:{self.http_port}/sparql"

    @property
    def graph_store(self) -> str:
        return f"http://127.0.0.1:{self.http_port}/sparql-graph-crud"

    @property
    def loader(self) -> tuple[str, ...]:
        """[store].loader for this server: deploy/virtuoso-bulk-load through its SQL port."""
        return (str(BULK_LOAD), f"127.0.0.1:{self.sql_port}")

    def store_settings(self) -> str:
        """The [store] section of a lod.toml that points at this server."""
        return (f'[store]\nbackend = "remote"\nquery = "{self.sparql}"\nupdate = "{self.sparql}"\n'
                f'graph_store = "{self.graph_store}"\n')

    def rss_mib(self) -> float:
        """The server's resident memory now (MiB), from /proc."""
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
        return 0.0

    def __enter__(self) -> Virtuoso:
        if shutil.which(SERVER) is None:
            raise RuntimeError(f"{SERVER} is not installed; run `{INSTALL}`")
        self.folder.mkdir(parents=True, exist_ok=True)
        ini = self.folder / "virtuoso.ini"
        ini.write_text(INI.format(dir=self.folder, sql_port=self.sql_port, http_port=self.http_port,
                                  buffers=self.buffers, dirty=self.buffers * 3 // 4,
                                  readable="".join(f", {path}" for path in self.readable)), encoding="utf-8")
        with (self.folder / "server.out").open("wb") as out:
            self.proc = subprocess.Popen([SERVER, "+foreground", "+configfile", str(ini)], cwd=self.folder,
                                         stdout=out, stderr=subprocess.STDOUT)
        try:
            self._wait()
            subprocess.run([ISQL, str(self.sql_port), "dba", "dba", f"exec={GRANTS}"], check=True,
                           capture_output=True, timeout=60)
        except BaseException:
            self.__exit__()
            raise
        return self

    def _wait(self, seconds: float = 120) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            try:
                if requests.get(self.sparql, params={"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 1"},
                                timeout=2).status_code == 200:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.3)
        log = self.folder / "virtuoso.log"
        raise RuntimeError(f"Virtuoso did not start on port {self.http_port}:\n"
                           + (log.read_text(errors="replace")[-3000:] if log.exists() else ""))

    def __exit__(self, *exc) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
