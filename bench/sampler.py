"""A thread that samples a running process from /proc while a benchmark waits on it: one
mechanism for the build's memory (build_phases.py) and the engine's reading of its load file
(upload.py), and what a process holds (`rss_mib`)."""

from __future__ import annotations

import contextlib
import os
import threading
from pathlib import Path


class Sampler(threading.Thread):
    """`with SomeSampler(pid) as s:` calls `s.sample()` every `every` seconds until the block ends."""

    every = 1.0

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid, self.done = pid, threading.Event()

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.done.set()
        self.join()

    def run(self) -> None:
        while not self.done.wait(self.every):
            self.sample()

    def sample(self) -> None:
        raise NotImplementedError


def rss_mib(pid: int) -> float:
    """The resident memory of process `pid` (0 once it is gone)."""
    with contextlib.suppress(OSError, ValueError, IndexError):
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    return 0.0
