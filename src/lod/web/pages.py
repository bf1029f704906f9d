"""What a historian browses: the home page, browse lists and the search box."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pyoxigraph as ox

from flask import Blueprint, abort, current_app, render_template, request

from lod.index import RICO
from lod.web import browse
from lod.web.browse import Node
from lod.web.resources import base, page_number, release, server, void_store

bp = Blueprint("pages", __name__, static_folder="static", static_url_path="/static")
TREE_SECTION = 500   # top-level entries shown of a tree's section (trees are small: bodies, archival units)
PAGED = {  # the index's lists (path = list name): (title, the parameter naming a section)
    "documents": ("Documents by year", "year"),
    "persons": ("Persons A–Z", "letter"),
    "places": ("Places", "letter"),
}
TREES = {  # path: (title, class)
    "organisations": ("Party and state bodies", f"{browse.ORG}Organization"),
    "archives": ("Archival units", f"{RICO}RecordSet"),
}


def _links(nodes: list[Node]) -> list[dict]:
    href = current_app.extensions["lod.presenter"].href
    return [{"href": href(n.iri), "text": n.text, "note": n.note, "children": _links(n.children)}
            for n in nodes]


def _sections(groups: dict[str, list[Node]]) -> list[dict]:
    return [{"heading": heading, "anchor": heading, "count": len(nodes),
             "entries": _links(nodes[:TREE_SECTION])} for heading, nodes in groups.items()]


def _indexed(name: str, param: str) -> list[dict]:
    """A list of the index: every section's first page, or one section a page at a time
    ([server].page_size entries, as a resource's incoming links)."""
    rel, size = release(), server().page_size
    counts = browse.sections(rel, name)
    chosen = request.args.get(param)
    if chosen is None:
        return [{"heading": s, "anchor": s, "count": n, "entries": _links(browse.entries(rel, name, s, 0, size)),
                 "more": f"?{urlencode({param: s})}" if n > size else None} for s, n in counts.items()]
    if chosen not in counts:
        abort(404, f"no {param}={chosen!r} in this list; {param}s: {', '.join(counts)}")
    page, pages = page_number(), -(-counts[chosen] // size)
    if page > pages:
        abort(404, f"{param}={chosen} has {pages} page(s) of {size}; page={page} is past the end")
    entries = browse.entries(rel, name, chosen, (page - 1) * size, size)
    here = f"?{urlencode({param: chosen})}&page="
    return [{"heading": chosen, "anchor": chosen, "count": counts[chosen], "entries": _links(entries),
             "prev": f"{here}{page - 1}" if page > 1 else None, "next": f"{here}{page + 1}" if page < pages else None}]


@bp.get("/")
def home():
    rel = release()
    config = current_app.config["LOD"].dataset
    dataset = {  # schema.org Dataset, for dataset search engines
        "@context": "https://schema.org/", "@type": "Dataset", "name": config.title,
        "description": config.description, "publisher": {"@type": "Organization", "name": config.publisher},
        "keywords": list(config.keywords),
        "url": base(), "license": config.licence, "dateModified": rel.info.get("finished"),
        "version": str(rel.info.get("version", rel.id)), "isAccessibleForFree": True,
        "distribution": [{"@type": "DataDownload", "encodingFormat": d["media_type"],
                          "contentUrl": f"{base()}dumps/{d['file']}"} for d in rel.manifest],
    }
    period = void_store().quads_for_pattern(ox.NamedNode(f"{base()}.well-known/void#period"), None, None)
    bounds = {q.predicate.value.rsplit("#", 1)[1]: q.object.value for q in period}
    if {"startDate", "endDate"} <= bounds.keys():   # the same span as DCAT's dcterms:temporal
        dataset["temporalCoverage"] = f"{bounds['startDate']}/{bounds['endDate']}"
    jsonld = json.dumps(dataset).replace("<", "\\u003c")
    return render_template("home.html", title="Home", coverage=rel.info.get("coverage", {}),
                           years=browse.sections(rel, "documents"), jsonld=jsonld)


@bp.get("/browse/<kind>")
def listing(kind: str):
    if kind in PAGED:
        title, param = PAGED[kind]
        return render_template("list.html", title=title, sections=_indexed(kind, param))
    if kind in TREES:
        title, cls = TREES[kind]
        return render_template("list.html", title=title, sections=_sections(browse.tree(release(), cls)))
    abort(404, f"no list named {kind!r}; lists: {', '.join([*PAGED, *TREES])}")


@bp.get("/search")
def search():
    q = request.args.get("q", "").strip()
    if len(q) > 200:
        abort(400, "parameter q is longer than 200 characters")
    hits = browse.search(release(), q) if q else []
    sections = [{"heading": f"Matches for “{q}”", "anchor": "hits", "count": len(hits),
                 "entries": _links(hits)}] if q else []
    return render_template("list.html", title="Search", query=q, sections=sections,
                           intro=None if q else "Search persons, bodies, places, documents and archival "
                                                "units by any of their names (transliterations, Russian, pseudonyms).")
