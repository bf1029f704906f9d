"""The build's one-core parts spread over processes ([build].processes): one mechanism for checking
the tables and for the iris check's record digests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from multiprocessing import get_context


@contextmanager
def mapper(processes: int, *, tasks_per_process: int | None = None) -> Iterator[Callable]:
    """`map`: in this process, or over `processes` spawned ones (the build's process has threads,
    which a fork would copy mid-lock); results come in the order of the arguments.
    `tasks_per_process`: a process leaves after that many, its memory with it."""
    if processes < 2:
        yield map
        return
    with ProcessPoolExecutor(processes, mp_context=get_context("spawn"), max_tasks_per_child=tasks_per_process) as pool:
        yield pool.map
