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
from collections.abc import Callable, Iterable, Iterator
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
    open_store: Callable[[Path, dict], ox.Store | RemoteStore]
    cache: dict = field(default_factory=dict)
    _making: dict[str, threading.Lock] = field(default_factory=dict, repr=False)

    @cached_property
    def store(self) -> ox.Store | RemoteStore:
        """The release's data, in its embedded store or in the remote one ([store].backend)."""
        return self.open_store(self.path, self.info)

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
        with closing(_read_only(path)) as db:
            yield db

    @cached_property
    def cards(self) -> Callable[[Iterable[str]], dict[str, index.Card]] | None:
        """The index's cards (lod.index.cards), read on one connection per thread that asks
        (every resource page asks, so opening one each time would cost more than the query);
        None for a release whose index has none, whose pages then ask the store."""
        path, connections = self.path / index.FILE_NAME, threading.local()
        if not path.exists():
            return None
        with closing(_read_only(path)) as db:
            if not index.has_cards(db):
                return None

        def read(iris: Iterable[str]) -> dict[str, index.Card]:   # not bound to self: no cycle to collect
            if not hasattr(connections, "db"):
                connections.db = _read_only(path)
            return index.cards(connections.db, iris)
        return read

    def cached(self, key: str, make):
        """Per-release memo (browse trees, list sections, the matcher's name forms): made once per
        worker and release, by one thread while others wait, then frozen out of the garbage
        collector's passes (`gc.freeze`). At a million letters the collector's passes over the
        matcher's objects cost 0.5 of the 1.8 s to make it and, once made, doubled the p99 of
        document pages (23 -> 48 ms; docs/performance.md)."""
        if key not in self.cache:
            with self._making.setdefault(key, threading.Lock()):
                if key not in self.cache:
                    self.cache[key] = _made_frozen(make)
        return self.cache[key]


def _read_only(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"{path.as_uri()}?mode=ro&immutable=1", uri=True)


def _made_frozen(make: Callable[[], object]) -> object:
    """Collect first, so no earlier garbage is frozen with the memo (after a release switch,
    the old release's cycles); make it with the collector paused; then freeze everything."""
    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        made = make()
    finally:
        if was_enabled:
            gc.enable()
    gc.freeze()
    return made


class Published:
    """Follows the `current` link under var/ and hands out the release it points at.

    `prepare` is called with each release switched to, on a thread of its own, so that the
    worker's slow per-release memos are made before a request needs them (lod.web.warm).
    """

    def __init__(self, config: Config, prepare: Callable[[Release], None] | None = None):
        self.link = config.path("var") / "current"
        self.base = config.dataset.base_iri
        self.open_store = functools.partial(store.reader, config)
        self.prepare = prepare
        self.preparing: threading.Thread | None = None
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
                self._switch(target)
            return self._release

    def _switch(self, target: str) -> None:
        if self._release is not None:
            # Memos refer back to their release (the matcher's entities read its index), so the old
            # release is cyclic garbage: emptying its memo frees it by reference counting, and the
            # unfrozen rest is collected before the next memo is frozen.
            self._release.cache.clear()
            gc.unfreeze()
        self._release = Release((self.link.parent / target).resolve(), self.base, self.open_store)
        self._target = target
        if self.prepare is not None:
            self.preparing = threading.Thread(target=self.prepare, args=(self._release,), daemon=True,
                                              name=f"prepare release {self._release.id}")
            self.preparing.start()
