"""The changelog, for people and for harvesters: /changes.

    /changes            HTML: every release (version, date, what it added, changed, removed, its
                        downloads); Activity Streams 2.0 (application/activity+json or ld+json): an
                        OrderedCollection of Create/Update/Delete/Move activities, oldest first, in
                        pages (the shape of the IIIF Change Discovery API); Turtle, N-Triples, RDF/XML:
                        the graph/changes named graph
    /changes/<n>        one page of activities

A harvester remembers the time of its last visit, reads pages from `last` backwards until the
activities are older, and fetches only the objects named.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from flask import Blueprint, Response, abort, render_template

from lod import changes
from lod.web.formats import GRAPH, HTML, Format
from lod.web.resources import (Rendered, alternates, base, choose, conditional, named_graph, release,
                               represent, whole)

bp = Blueprint("changes", __name__)
ACTIVITY = Format("json", "application/activity+json",
                  ("application/activity+json", "application/ld+json", "application/json"))
OFFERS = [HTML, ACTIVITY, *(f for f in GRAPH if f.name != "jsonld")]
PAGE_SIZE = 1000
CONTEXT = "https://www.w3.org/ns/activitystreams"


def _activities() -> list[dict]:
    """Every activity of every release, oldest first, with the IRIs graph/changes gives them."""
    rel = release()

    def make() -> list[dict]:
        items = []
        for r in rel.history:
            for n, (kind, obj, target) in enumerate(changes.activities(r, rel.tombstones), start=1):
                item = {"id": changes.activity_iri(base(), r.release, n), "type": kind,
                        "object": {"id": base() + obj}, "endTime": r.published}
                if target:
                    item["target"] = {"id": base() + target}
                items.append(item)
        return items
    return rel.cached("activities", make)


def _pages() -> int:
    return max(1, -(-len(_activities()) // PAGE_SIZE))


def _collection() -> dict:
    total, pages = len(_activities()), _pages()
    return {"@context": CONTEXT, "id": f"{base()}changes", "type": "OrderedCollection",
            "summary": "Changes to the dataset's records, release by release",
            "totalItems": total,
            "first": {"id": f"{base()}changes/1", "type": "OrderedCollectionPage"},
            "last": {"id": f"{base()}changes/{pages}", "type": "OrderedCollectionPage"}}


def _page(n: int) -> dict:
    items, pages = _activities(), _pages()
    page = {"@context": CONTEXT, "id": f"{base()}changes/{n}", "type": "OrderedCollectionPage",
            "partOf": {"id": f"{base()}changes", "type": "OrderedCollection"},
            "startIndex": (n - 1) * PAGE_SIZE, "orderedItems": items[(n - 1) * PAGE_SIZE:n * PAGE_SIZE]}
    if n > 1:
        page["prev"] = {"id": f"{base()}changes/{n - 1}", "type": "OrderedCollectionPage"}
    if n < pages:
        page["next"] = {"id": f"{base()}changes/{n + 1}", "type": "OrderedCollectionPage"}
    return page


def _as_json(key: str, make: Callable[[], dict], *, negotiated: bool) -> Response:
    """An Activity Streams document, serialised once per worker and release."""
    rel = release()
    rendered = rel.cached(key, lambda: Rendered(json.dumps(make(), ensure_ascii=False, indent=1).encode()))
    return conditional(Response(rendered.body, content_type=ACTIVITY.content_type), rendered.etag,
                       rel.modified, negotiated=negotiated)


def _html(fmt: Format, page: int) -> Rendered:
    rel = release()
    kept = {r.release for r in rel.history if (rel.path.parent / r.release / "dumps" / "manifest.json").exists()}
    return Rendered(render_template("changes.html", title="Changelog", releases=rel.history[::-1], kept=kept,
                                    tombstones=rel.tombstones, base=base(),
                                    alternates=alternates("/changes") + [
                                        {"name": "Activity Streams", "media_type": ACTIVITY.media_type,
                                         "href": "/changes.json"}]))


@bp.get("/changes", defaults={"ext": ""})
@bp.get("/changes.<ext>")
def changelog(ext: str):
    fmt = next((f for f in OFFERS if f.name == ext), None) if ext else choose(OFFERS)
    if fmt is None:
        abort(404, f"/changes.{ext}: no such format; use " + ", ".join(f".{f.name}" for f in OFFERS))
    if fmt is ACTIVITY:
        return _as_json("changes", _collection, negotiated=not ext)
    graph = named_graph(f"{base()}graph/changes")
    return represent("changes", fmt, "/changes", whole(graph, _html), negotiated=not ext)


@bp.get("/changes/<int:n>")
def activity_page(n: int):
    if not 1 <= n <= _pages():
        abort(404, f"no page {n} of changes; pages 1–{_pages()}")
    return _as_json(f"changes/{n}", lambda: _page(n), negotiated=False)
