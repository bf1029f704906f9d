"""Benchmark: `lod upload` of a built release into a fresh Virtuoso, by the Graph Store HTTP
Protocol and by Virtuoso's bulk loader ([store] loader, deploy/virtuoso-bulk-load).

Each way gets a Virtuoso of its own, started empty in bench/out/serving/upload-<way>; the upload
is timed as a whole (the first upload into an engine writes the public graphs, nothing is
moved), with the engine's resident memory after it, and checked: the engine holds the release, and as many triples as the release's store. Prints
a Markdown table for docs/performance.md and writes bench/out/serving/upload-<corpus>.json.
With the bulk loader it also follows the engine through the load file (how far it has read it,
and the CPU it used), to tell an engine that slows as its indexes grow from one that is slow
throughout, and one loader thread from several: the seconds and cores of each tenth of the file.
Each upload is also given against the yardstick (bench/yardstick.py) measured around it.

    .venv/bin/python bench/upload.py --build bench/out/builds/100000
    .venv/bin/python bench/upload.py --build bench/out/builds/1000000 --ways bulk-loader --virtuoso-gb 8
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pyoxigraph as ox

from serving import OUT, REPO
from sampler import Sampler
from conftest import alternate_settings
from virtuoso import Virtuoso
from lod.config import load
from lod.store import RemoteStore, holds_release
from yardstick import around

WAYS = ("graph-store", "bulk-loader")


def upload(build: Path, way: str, memory_gb: float) -> dict:
    folder = OUT / f"upload-{way}"
    shutil.rmtree(folder, ignore_errors=True)
    release = (build / "var" / "current").resolve()
    with Virtuoso(folder, memory_gb=memory_gb) as engine:
        # The script's output (isql's "-- N msec." per statement) is kept to split the engine's time.
        command = json.dumps(["/bin/sh", "-c", 'exec "$0" "$1" > "$2"', *engine.loader, str(folder / "loader.out")])
        loader = (f'loader = {command}\nalternate_loader = {command}\nloader_dir = "{folder / "load"}"\n'
                  if way == "bulk-loader" else "")
        # The release names the engine it was built into (the second, after a blue/green run):
        # both of [store]'s engines are this one.
        settings = folder / "lod.toml"
        settings.write_text((build / "lod.toml").read_text() + engine.store_settings() + "timeout = 7200\n" + loader
                            + alternate_settings(engine.sparql, engine.sparql, engine.graph_store))
        begun = time.perf_counter()
        with LoadFileReading(engine.proc.pid) as reading:
            done = subprocess.run([str(REPO / ".venv" / "bin" / "lod"), "--config", str(settings), "upload"],
                                  capture_output=True, text=True)
        seconds = time.perf_counter() - begun
        if done.returncode:
            raise SystemExit(f"{way}: the upload failed\n{done.stderr[-3000:]}")
        config = load(settings)
        remote = RemoteStore(config.store, json.loads((release / "build.json").read_text())["graphs"],
                             query_timeout=3600)
        expected = len(ox.Store.read_only(str(release / "store")))
        return {"way": way, "seconds": round(seconds, 1), "quads": expected, "engine_quads": len(remote),
                "holds_release": holds_release(remote, config.dataset.base_iri, release.name),
                "engine_rss_mib": engine.rss_mib(), **statement_seconds(folder / "loader.out"),
                "load_file_tenths": reading.tenths()}


def statement_seconds(output: Path) -> dict:
    """The bulk load's statements, timed by isql: ld_dir, rdf_loader_run, checkpoint, …"""
    if not output.exists():
        return {}
    msec = [int(m) for m in re.findall(r"-- (\d+) msec\.", output.read_text())]
    return {"rdf_loader_run_s": round(msec[1] / 1000, 1), "checkpoint_s": round(msec[2] / 1000, 1)}


class LoadFileReading(Sampler):
    """Samples, twice a second, how far the engine has read the load file (the offset of its
    descriptor, /proc/<pid>/fdinfo), its CPU seconds in user and kernel mode (/proc/<pid>/stat),
    the bytes it has read by system calls and from the disk (/proc/<pid>/io) and its resident
    memory: an engine whose buffers are too small for what it loads reads its own database
    back (from the page cache, in kernel time) as it goes."""

    every = 0.5

    def __init__(self, pid: int):
        super().__init__(pid)
        self.samples: list[dict[str, float]] = []
        self.tick = os.sysconf("SC_CLK_TCK")

    def sample(self) -> None:
        with contextlib.suppress(OSError):   # the file or descriptor may go between the reads
            for fd in Path(f"/proc/{self.pid}/fd").iterdir():
                if fd.readlink().name.endswith(".nq.gz"):
                    pos = int(re.search(r"pos:\s+(\d+)", Path(f"/proc/{self.pid}/fdinfo/{fd.name}").read_text())[1])
                    stat = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
                    io = dict(line.split(": ") for line in Path(f"/proc/{self.pid}/io").read_text().splitlines())
                    self.samples.append({"at": time.perf_counter(), "share": pos / fd.stat().st_size, "pos": pos,
                                         "user": int(stat[11]) / self.tick, "system": int(stat[12]) / self.tick,
                                         "rchar": int(io["rchar"]), "disk": int(io["read_bytes"]),
                                         "rss_mib": int(stat[21]) * os.sysconf("SC_PAGE_SIZE") / 2**20})

    def tenths(self) -> list[dict]:
        """For each tenth of the file: the seconds the engine took to read through it; the cores
        it kept busy meanwhile in user and kernel mode; the MB it read besides the load file (its
        database, from the page cache or the disk) and from the disk; its resident memory at the end."""
        if not self.samples:
            return []
        rows, last = [], self.samples[0]
        for tenth in range(1, 11):
            reached = next((s for s in self.samples if s["share"] >= tenth / 10), self.samples[-1])
            seconds = reached["at"] - last["at"]
            rows.append({"tenth": tenth, "seconds": round(seconds, 1),
                         **{f"{mode}_cores": round((reached[mode] - last[mode]) / seconds, 2) if seconds else None
                            for mode in ("user", "system")},
                         "other_reads_mb": round((reached["rchar"] - last["rchar"] - reached["pos"] + last["pos"]) / 1e6),
                         "disk_reads_mb": round((reached["disk"] - last["disk"]) / 1e6),
                         "rss_mib": round(reached["rss_mib"])})
            last = reached
        return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", type=Path, required=True, help="a folder of bench/build_phases.py (lod.toml, var/)")
    ap.add_argument("--ways", default=",".join(WAYS), help="comma-separated, in the order run")
    ap.add_argument("--virtuoso-gb", type=float, default=4.0, help="memory given to each Virtuoso's buffers")
    args = ap.parse_args()
    rows = []
    for way in args.ways.split(","):
        with around(rows):
            rows.append(upload(args.build.resolve(), way, args.virtuoso_gb))
        print(rows[-1], flush=True)
    (OUT / f"upload-{args.build.name}.json").write_text(json.dumps(rows, indent=2))
    print("\n| way | seconds | yardstick s | seconds ÷ yardstick | of which rdf_loader_run / checkpoint s "
          "| quads (release / engine) | holds the release | engine RSS MiB |\n|---|---|---|---|---|---|---|---|")
    for r in rows:
        split = f"{r['rdf_loader_run_s']} / {r['checkpoint_s']}" if "checkpoint_s" in r else "–"
        print(f"| {r['way']} | {r['seconds']} | {r['yardstick_s']:.2f} | {r['seconds'] / r['yardstick_s']:.1f} | {split} "
              f"| {r['quads']:,} / {r['engine_quads']:,} | {r['holds_release']} | {r['engine_rss_mib']} |")
    for r in rows:
        if r["load_file_tenths"]:
            print(f"\n{r['way']}, each tenth of the load file:\n\n| tenth | seconds | user cores | system cores "
                  "| MB read besides the file | MB read from disk | RSS MiB |\n|---|---|---|---|---|---|---|")
            for t in r["load_file_tenths"]:
                print("| " + " | ".join(str(v) for v in t.values()) + " |")


if __name__ == "__main__":
    main()
