"""A thread that samples a running process from /proc while a benchmark waits on it: one
mechanism for the build's memory (build_phases.py) and the engine's reading of its load file
(upload.py)."""

from __future__ import annotations

import threading


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
