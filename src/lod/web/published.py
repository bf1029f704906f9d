"""The release being served: its store (opened read-only in each worker) and what it says about itself.

`var/current` is re-read on every request (one readlink); when a build publishes a new release,
each worker switches to it at its next request, and a failed build leaves the old one served.
"""

from __future__ import annotations

import functools
import gc
import json
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import cached_property
from pathlib import Path

import pyoxigraph as ox

from lod import changes, index, store
from lod.config import Config
from lod.store import RemoteStore


class NoRelease(RuntimeError):
    """Nothing has been published yet under the configured var/ folder."""


@dataclass
class Release:
    """One published release; everything derived from it is cached here and dropped with it."""

    path: Path
    base: str
    open_store: Callable[[Path, Sequence[str]], ox.Store | RemoteStore]
    cache: dict = field(default_factory=dict)

    @cached_property
    def store(self) -> ox.Store | RemoteStore:
        """The release's data, in its embedded store or in the remote one ([store].backend)."""
        return self.open_store(self.path, self.info.get("graphs", []))

    @cached_property
    def info(self) -> dict:
        return json.loads((self.path / "build.json").read_text(encoding="utf-8"))

    @property
    def id(self) -> str:
        return self.path.name

    @cached_property
    def modified(self) -> datetime:
        """When the build ended (releases from before build.json recorded it: the file's time)."""
        finished = self.info.get("finished")
        if finished:
            return datetime.fromisoformat(finished)
        return datetime.fromtimestamp((self.path / "build.json").stat().st_mtime, timezone.utc)

    @cached_property
    def tombstones(self) -> dict[str, changes.Tombstone]:
        """Retired IRIs (relative to the base) → their tombstone (lod.changes)."""
        return changes.read_published_tombstones(self.path)

    @cached_property
    def history(self) -> list[changes.Release]:
        """The changelog, oldest release first (empty for releases built before it existed)."""
        return changes.read_history(self.path) if (self.path / changes.CHANGES_FILE).exists() else []

    @cached_property
    def manifest(self) -> dict:
        return json.loads((self.path / "dumps" / "manifest.json").read_text(encoding="utf-8"))

    @contextmanager
    def index(self) -> Iterator[sqlite3.Connection]:
        """A read-only connection to the release's browse, search and reconciliation index
        (lod.index), closed after use."""
        path = self.path / index.FILE_NAME
        if not path.exists():
            raise NoRelease(f"release {self.id} has no {index.FILE_NAME} (published before the index "
                            "existed): run `lod build` to publish one that has")
        with closing(sqlite3.connect(f"{path.as_uri()}?mode=ro&immutable=1", uri=True)) as db:
            yield db

    def cached(self, key: str, make):
        """Per-release memo (browse trees, list sections, the matcher's name forms): computed once
        per worker and release with the garbage collector paused, then frozen out of its passes
        (`gc.freeze`). Everything made is kept; at a million letters the collector's passes over
        the matcher's objects cost 0.5 of the 1.8 s to make it and, once made, doubled the p99
        of document pages (23 -> 48 ms; docs/performance.md)."""
        if key not in self.cache:
            was_enabled = gc.isenabled()
            gc.disable()
            try:
                self.cache[key] = make()
            finally:
                if was_enabled:
                    gc.enable()
            gc.freeze()
        return self.cache[key]


class Published:
    """Follows the `current` link under var/ and hands out the release it points at."""

    def __init__(self, config: Config):
        self.link = config.path("var") / "current"
        self.base = config.dataset.base_iri
        self.open_store = functools.partial(store.reader, config)
        self._lock = threading.Lock()
        self._target: str | None = None
        self._release: Release | None = None

    def current(self) -> Release:
        try:
            target = os.readlink(self.link)   # one system call per request
        except OSError as err:
            raise NoRelease(f"nothing is published at {self.link}; run `lod build` first") from err
        with self._lock:
            if self._release is None or self._target != target:
                self._release = Release((self.link.parent / target).resolve(), self.base, self.open_store)
                self._target = target
            return self._release
