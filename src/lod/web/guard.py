"""The SPARQL endpoint's guards: what a query may do, how long it may run and how much it may return.

* Read-only and no federation: the query text is scanned (strings, IRIs and comments skipped) for
  update operations and SERVICE before anything runs — pyoxigraph would execute SERVICE, making
  outgoing requests to any address a client names.
* Timeout: the query runs in a thread (Oxigraph releases the GIL), the request waits at most
  `query_timeout`. A running Oxigraph query cannot be interrupted, so under gunicorn the worker
  process exits after answering and is replaced (gunicorn's own --timeout is the backstop).
  Each request thread keeps its query thread between queries: starting one per query cost a
  quarter of a look-up's time (thread-local set-up in Oxigraph and RocksDB, docs/performance.md);
  a thread left with a cancelled query is given up and a new one started.
* Row cap: at most `result_limit` rows or triples are materialised; the answer says it was cut.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import pyoxigraph as ox

from lod.sparqltext import keywords

UPDATE_WORDS = frozenset({"INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD", "WITH"})


class Refused(ValueError):
    """A query this endpoint will not run (an update, SERVICE); the message says why."""


class Timeout(RuntimeError):
    """The query ran past the configured limit."""


def check(query: str) -> None:
    words = keywords(query)
    if words & UPDATE_WORDS:
        raise Refused("this endpoint is read-only: SPARQL Update operations ("
                      + ", ".join(sorted(words & UPDATE_WORDS)) + ") are not accepted")
    if "SERVICE" in words:
        raise Refused("SERVICE (federated query) is not allowed: this server makes no outgoing "
                      "requests on a client's behalf; run federated queries on your own endpoint")


@dataclass
class Answer:
    """A query's answer, materialised up to the row cap."""

    kind: str                                   # "select", "ask" or "graph"
    variables: list[str] = field(default_factory=list)
    rows: list[ox.QuerySolution] = field(default_factory=list)
    triples: list[ox.Triple] = field(default_factory=list)
    boolean: bool | None = None
    truncated: bool = False


def _materialise(result, limit: int) -> Answer:
    if isinstance(result, ox.QueryBoolean):
        return Answer("ask", boolean=bool(result))
    if isinstance(result, ox.QuerySolutions):
        answer = Answer("select", variables=[v.value for v in result.variables])
        target = answer.rows
    else:
        answer = Answer("graph")
        target = answer.triples
    for item in result:
        if len(target) == limit:
            answer.truncated = True
            break
        target.append(item)
    return answer


_local = threading.local()


def _query_thread() -> ThreadPoolExecutor:
    """The calling request thread's query thread (one per gunicorn sync worker)."""
    if getattr(_local, "executor", None) is None:
        _local.executor = ThreadPoolExecutor(1, thread_name_prefix="sparql-query")
    return _local.executor


def run(store: ox.Store, query: str, *, timeout: float, limit: int, **options) -> Answer:
    """Check, execute and materialise a query within `timeout` seconds.

    Raises Refused, SyntaxError (with the parser's message) or Timeout.
    """
    check(query)
    future = _query_thread().submit(lambda: _materialise(store.query(query, **options), limit))
    try:
        return future.result(timeout)
    except TimeoutError:   # ours (the future is still running) or a remote store's own deadline
        message = f"the query was cancelled after {timeout:g} s (the endpoint's limit)"
        if future.done():
            raise Timeout(message) from None
        _local.executor.shutdown(wait=False)   # its thread stays with the cancelled query
        _local.executor = None
        raise Timeout(f"{message}; narrow it (more specific patterns, LIMIT) or use the dumps for "
                      "whole-corpus work") from None
