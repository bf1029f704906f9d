"""The project's SPARQL, kept in `queries/*.rq` files and read once."""

from __future__ import annotations

from functools import cache
from pathlib import Path

FOLDER = Path(__file__).parent / "queries"


@cache
def load(name: str) -> str:
    """The text of queries/<name>.rq."""
    return (FOLDER / f"{name}.rq").read_text(encoding="utf-8")
