"""Reading SPARQL text as tokens (strings, IRIs and comments kept whole), for the two places that
must look inside a query without running it: the endpoint's guard (which keywords does it use?)
and a remote store (where do bound values go?)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import pyoxigraph as ox

Term = ox.NamedNode | ox.Literal

TOKENS = re.compile(r'''
    (?P<string>"""(?:[^"\\]|\\.|"(?!""))*"""|\'\'\'(?:[^'\\]|\\.|'(?!''))*\'\'\'
              |"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')
  | (?P<iri><[^<>"{}|^`\\\s]*>)
  | (?P<comment>\#[^\n]*)
  | (?P<var>[?$]\w+)
  | (?P<pname>[\w.-]*:[\w.:%-]*)
  | (?P<word>[A-Za-z_]+)
  | (?P<open>\{)
''', re.VERBOSE)


def keywords(query: str) -> set[str]:
    """The bare words of a query (keywords, function names), upper-cased; never inside strings/IRIs."""
    return {m.group("word").upper() for m in TOKENS.finditer(query) if m.lastgroup == "word"}


FORMS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")


def form(query: str) -> str:
    """The query form (SELECT, ASK, CONSTRUCT, DESCRIBE): the first such keyword outside strings,
    IRIs and comments; SELECT if none (the engine will then report the syntax error)."""
    for match in TOKENS.finditer(query):
        if match.lastgroup == "word" and match.group().upper() in FORMS:
            return match.group().upper()
    return "SELECT"


def bind(query: str, values: Mapping[ox.Variable, Term | Sequence[Term]]) -> str:
    """The query with `values` joined in as VALUES blocks at the start of its top-level WHERE
    group: the SPARQL 1.1 way to pre-bind variables for an engine that takes only query text.
    A variable given several terms takes each of them (every combination, if several are).
    Terms are written in their N-Triples form (escaped by pyoxigraph), never pasted raw."""
    if not values:
        return query
    after_where = False
    for match in TOKENS.finditer(query):
        if match.lastgroup == "word" and match.group().upper() == "WHERE":
            after_where = True
        elif match.lastgroup == "open" and after_where:
            blocks = " ".join(f"VALUES {var} {{ {' '.join(map(str, _terms(given)))} }}" for var, given in values.items())
            at = match.end()
            return f"{query[:at]} {blocks} {query[at:]}"
    raise ValueError("a query with bound values needs a WHERE clause")


def _terms(given: Term | Sequence[Term]) -> Sequence[Term]:
    return [given] if isinstance(given, ox.NamedNode | ox.Literal) else given


def with_base(query: str, base: str | None) -> str:
    """The query with a BASE declaration first, unless it declares its own (some engines,
    Virtuoso among them, refuse a second BASE)."""
    return f"BASE {ox.NamedNode(base)}\n{query}" if base and "BASE" not in keywords(query) else query
