"""What a historian browses: the home page, browse lists and the search box."""

from __future__ import annotations

import json

import pyoxigraph as ox

from flask import Blueprint, abort, current_app, render_template, request

from lod.web import browse
from lod.web.browse import Node
from lod.web.resources import base, release, void_store

bp = Blueprint("pages", __name__, static_folder="static", static_url_path="/static")
PER_SECTION = 500
LISTS = {  # path: (title, how to list, class)
    "persons": ("Persons A–Z", browse.alphabetical, f"{browse.SDO}Person"),
    "organisations": ("Party and state bodies", browse.tree, f"{browse.ORG}Organization"),
    "places": ("Places", browse.alphabetical, f"{browse.SDO}Place"),
    "archives": ("Archival units", browse.tree, f"{browse.RICO}RecordSet"),
}


def _links(nodes: list[Node]) -> list[dict]:
    href = current_app.extensions["lod.presenter"].href
    return [{"href": href(n.iri), "text": n.text, "note": n.note, "children": _links(n.children)}
            for n in nodes]


def _sections(groups: dict[str, list[Node]]) -> list[dict]:
    return [{"heading": heading, "anchor": heading, "count": len(nodes),
             "entries": _links(nodes[:PER_SECTION])} for heading, nodes in groups.items()]


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
                           years=browse.documents_by_year(rel), jsonld=jsonld)


@bp.get("/browse/documents")
def documents():
    years = browse.documents_by_year(release())
    year = request.args.get("year")
    if year is not None:
        if year not in years:
            abort(404, f"no documents for year={year!r}; years: {', '.join(years)}")
        years = {year: years[year]}
    return render_template("list.html", title="Documents by year", sections=_sections(years))


@bp.get("/browse/<kind>")
def listing(kind: str):
    if kind not in LISTS:
        abort(404, f"no list named {kind!r}; lists: documents, {', '.join(LISTS)}")
    title, how, cls = LISTS[kind]
    return render_template("list.html", title=title, sections=_sections(how(release(), cls)))


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
