"""The project's SPARQL, kept in `queries/*.rq` files, read once, and run with values bound."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path

import pyoxigraph as ox

from lod.sparqltext import bind

FOLDER = Path(__file__).parent / "queries"


@cache
def load(name: str) -> str:
    """The text of queries/<name>.rq."""
    return (FOLDER / f"{name}.rq").read_text(encoding="utf-8")


def run(store: ox.Store, name: str, *, base: str | None = None,
        **bindings: ox.NamedNode | ox.Literal | Sequence[ox.NamedNode | ox.Literal]):
    """queries/<name>.rq over the union of the named graphs; relative IRIs resolve against `base`.
    `bindings` are joined in as a VALUES block, a row per term where a variable is given several
    (terms serialised by pyoxigraph, never raw text), not passed as `substitutions`: Oxigraph
    plans the query without those and filters afterwards, so a bound class still scanned every
    typed entity (17 s instead of 0.01 s at 1M letters)."""
    query = bind(load(name), {ox.Variable(k): v for k, v in bindings.items()})
    return store.query(query, base_iri=base, use_default_graph_as_union=True)


def iter_rows(store: ox.Store, name: str, **kwargs) -> Iterator[dict[str, str]]:
    """`run`'s solutions as dicts of lexical values (unbound variables left out), one at a time."""
    solutions = run(store, name, **kwargs)
    names = [v.value for v in solutions.variables]
    return ({n: row[n].value for n in names if row[n] is not None} for row in solutions)


def rows(store: ox.Store, name: str, **kwargs) -> list[dict[str, str]]:
    """`iter_rows`, all at once."""
    return list(iter_rows(store, name, **kwargs))


def rows_each(store: ox.Store, queries: Mapping[str, Mapping[str, ox.NamedNode | ox.Literal]],
              threads: int) -> dict[str, list[dict[str, str]]]:
    """`rows` of each query (name → its bindings), `threads` at a time, started in the mapping's
    order (put the longest first). Oxigraph evaluates a query without holding the GIL, so a
    release's statistics share the cores (docs/performance.md, "VoID's statistics on threads")."""
    with ThreadPoolExecutor(max(1, threads)) as pool:
        answers = {name: pool.submit(rows, store, name, **bindings) for name, bindings in queries.items()}
        return {name: answer.result() for name, answer in answers.items()}
