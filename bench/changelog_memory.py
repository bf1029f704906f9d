"""Benchmark: peak memory of loading a release's changelog graph into a store, the way the build
does it (`changes.to_rdf` streamed into `EmbeddedStore.load_triples`) or the way it did before
(all triples in a list, serialised to one N-Triples string). One way per run, in a fresh process:

    .venv/bin/python bench/changelog_memory.py bench/out/builds/1000000/var/current streamed
    .venv/bin/python bench/changelog_memory.py bench/out/builds/1000000/var/current listed
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

import pyoxigraph as ox

from lod import changes
from lod.store import EmbeddedStore


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("release", type=Path, help="a published release folder (records.tsv, changes.json)")
    ap.add_argument("way", choices=["streamed", "listed"])
    args = ap.parse_args()
    history = changes.read_history(args.release)
    comparison = changes.Comparison(history[-1], changes.read_records(args.release), history)
    base = "http://localhost:8080/"
    before = peak_mib()
    with tempfile.TemporaryDirectory(dir=args.release.parent) as folder:
        store = EmbeddedStore(Path(folder) / "store")
        start = time.perf_counter()
        triples = changes.to_rdf(comparison, {}, base, base + "dataset")
        if args.way == "listed":
            store.load_bytes(ox.serialize(list(triples), format=ox.RdfFormat.N_TRIPLES), ox.RdfFormat.N_TRIPLES,
                             graph=base + "graph/changes")
        else:
            store.load_triples(triples, graph=base + "graph/changes")
        store.flush()
        print(f"{args.way}: {len(store):,} triples in {time.perf_counter() - start:.1f} s; peak {peak_mib():,.0f} MiB "
              f"({before:,.0f} MiB after reading the release's index)")


if __name__ == "__main__":
    main()
