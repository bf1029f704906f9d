"""Releases on disk, and the atomic switch that publishes one.

    var/releases/<id>/        one finished build: store/, dumps/, vocab/, build.json, the changelog;
                              older releases lose their store/ ([releases].keep_stores)
    var/releases/.building-*  a build in progress (removed when it fails; stale ones are swept)
    var/current -> releases/<id>   the published release: a symlink swapped with rename(2)

A build writes only inside its own .building directory; `publish` renames it into place and
then replaces the `current` link in one atomic step, so a failed or interrupted build never
changes what is served.
"""

from __future__ import annotations

import os
import shutil
from datetime import datetime, timezone
from pathlib import Path

from lod import index

BUILDING = ".building-"


class Releases:
    def __init__(self, var: Path):
        self.var = var
        self.dir = var / "releases"
        self.link = var / "current"

    def begin(self, now: datetime | None = None) -> tuple[str, Path]:
        """A fresh release id and its private build directory; sweeps abandoned builds."""
        self.dir.mkdir(parents=True, exist_ok=True)
        for stale in self.dir.glob(BUILDING + "*"):
            if not _alive(stale):
                shutil.rmtree(stale, ignore_errors=True)
        stamp = (now or datetime.now(timezone.utc)).strftime("%Y%m%dT%H%M%SZ")
        release, n = stamp, 1
        while (self.dir / release).exists() or (self.dir / f"{BUILDING}{release}").exists():
            n += 1
            release = f"{stamp}-{n}"
        work = self.dir / f"{BUILDING}{release}"
        work.mkdir()
        (work / "pid").write_text(str(os.getpid()))
        return release, work

    def current(self) -> Path | None:
        """The published release's folder, if any (the last release a build compares with)."""
        return self.link.resolve() if self.link.exists() else None

    def publish(self, release: str, work: Path) -> Path:
        """Move a finished build into place and point `current` at it, atomically."""
        (work / "pid").unlink(missing_ok=True)
        final = self.dir / release
        work.rename(final)
        tmp_link = self.var / f".current-{release}"
        tmp_link.unlink(missing_ok=True)
        tmp_link.symlink_to(final.relative_to(self.var))
        tmp_link.replace(self.link)
        return final

    def prune_stores(self, keep: int) -> list[str]:
        """Delete the stores (and browse indexes) of all but the newest `keep` releases (never the
        current one's); their dumps and changelog stay. Returns the releases pruned."""
        current = self.current()
        published = sorted(p for p in self.dir.iterdir() if p.is_dir() and not p.name.startswith(BUILDING))
        pruned = []
        for old in published[:-keep]:
            if old != current and (old / "store").exists():
                shutil.rmtree(old / "store")
                (old / index.FILE_NAME).unlink(missing_ok=True)
                pruned.append(old.name)
        return pruned

    @staticmethod
    def discard(work: Path) -> None:
        shutil.rmtree(work, ignore_errors=True)


def _alive(work: Path) -> bool:
    """Whether the build that owns a .building directory is still running."""
    try:
        os.kill(int((work / "pid").read_text()), 0)
    except (OSError, ValueError):
        return False
    return True
