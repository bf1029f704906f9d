"""Downloads and crawler aids: /dumps/ (listing and files), sitemap.xml, robots.txt."""

from __future__ import annotations

import pyoxigraph as ox
from flask import Blueprint, Response, abort, render_template, request, send_from_directory, url_for

from lod import rq
from lod.web.resources import base, release

bp = Blueprint("dumps", __name__)
SITEMAP_URLS = 50_000   # the sitemaps.org limit per file


@bp.get("/dumps/")
def listing():
    rel = release()
    return render_template("dumps.html", title="Downloads", dumps=rel.manifest, modified=rel.modified)


@bp.get("/dumps/<name>")
def download(name: str):
    """A dump file, with ETag/Last-Modified and range support from Werkzeug."""
    folder = release().path / "dumps"
    if not (folder / name).is_file():
        abort(404, f"no dump named {name!r}; see /dumps/")
    response = send_from_directory(folder, name, conditional=True, max_age=3600)
    if name.endswith(".gz"):  # the file itself is the download: no Content-Encoding for clients to undo
        response.headers["Content-Type"] = "application/gzip"
        response.headers.pop("Content-Encoding", None)
    return response


def _entities() -> list[str]:
    rel = release()

    def make() -> list[str]:
        rows = rel.store.query(rq.load("sitemap"), substitutions={ox.Variable("idspace"): ox.Literal(f"{base()}id/")})
        return [row["s"].value for row in rows]
    return rel.cached("sitemap", make)


@bp.get("/sitemap.xml")
def sitemap_index():
    """A sitemap index (one sitemap per 50,000 entity pages)."""
    chunks = range((len(_entities()) + SITEMAP_URLS - 1) // SITEMAP_URLS)
    root = request.host_url.rstrip("/")
    body = render_template("sitemap-index.xml", root=root, chunks=chunks, modified=release().modified)
    return Response(body, content_type="application/xml; charset=utf-8")


@bp.get("/sitemap-<int:n>.xml")
def sitemap(n: int):
    entities = _entities()[n * SITEMAP_URLS:(n + 1) * SITEMAP_URLS]
    if not entities:
        abort(404, f"no sitemap {n}; see /sitemap.xml")
    root = request.host_url.rstrip("/")
    pages = [f"{root}/page/{iri[len(base()):]}" for iri in entities]
    body = render_template("sitemap.xml", pages=pages, modified=release().modified)
    return Response(body, content_type="application/xml; charset=utf-8")


@bp.get("/robots.txt")
def robots():
    root = request.host_url.rstrip("/")
    text = (f"User-agent: *\nAllow: /\nDisallow: /sparql\nDisallow: /search\n"
            f"Sitemap: {root}{url_for('dumps.sitemap_index')}\n")
    return Response(text, content_type="text/plain; charset=utf-8")
