"""Downloads and crawler aids: /dumps/ (listing and files, also of earlier releases kept on disk),
/cmif.xml and /beacon.txt (the harvesting files), sitemap.xml, robots.txt."""

from __future__ import annotations

import pyoxigraph as ox
import re
from datetime import datetime
from pathlib import Path

from flask import Blueprint, Response, abort, render_template, request, send_file, url_for

from lod import rq
from lod.provenance import sha256
from lod.web.published import Release
from lod.web.resources import base, release

bp = Blueprint("dumps", __name__)
SITEMAP_URLS = 50_000   # the sitemaps.org limit per file
RELEASE_ID = re.compile(r"[0-9]{8}T[0-9]{6}Z(-[0-9]+)?")


TYPES = {".gz": "application/gzip", ".xml": "application/xml; charset=utf-8",
         ".txt": "text/plain; charset=utf-8", ".json": "application/json"}


@bp.get("/dumps/")
def listing():
    return _listing(release(), "Downloads", "/dumps/")


@bp.get("/dumps/<name>")
def download(name: str):
    return send(release(), name)


@bp.get("/releases/<rid>/dumps/")
def release_listing(rid: str):
    return _listing(_kept(rid), f"Downloads of release {rid}", f"/releases/{rid}/dumps/")


@bp.get("/releases/<rid>/dumps/<name>")
def release_download(rid: str, name: str):
    return send(_kept(rid), name)


@bp.get("/cmif.xml")
def cmif_file():
    """The CMIF file at the URL its own idno names; Last-Modified is its publication date."""
    rel = release()
    published = rel.info.get("cmif", {}).get("published")
    return send(rel, "cmif.xml", modified=datetime.fromisoformat(published) if published else None)


@bp.get("/beacon.txt")
def beacon_file():
    return send(release(), "beacon.txt")


def _listing(rel: Release, title: str, prefix: str) -> str:
    return render_template("dumps.html", title=title, dumps=rel.manifest, modified=rel.modified,
                           prefix=prefix, shown_release=rel.id)


def _kept(rid: str) -> Release:
    """A release kept on disk (its id is a folder name under var/releases, never a path)."""
    current = release()
    folder = current.path.parent / rid
    if not RELEASE_ID.fullmatch(rid) or not (folder / "dumps" / "manifest.json").is_file():
        abort(404, f"no release {rid!r} is kept here; see /changes")
    return Release(folder, base(), current.open_store)


def send(rel: Release, name: str, modified: datetime | None = None) -> Response:
    """A release's file, with its SHA-256 as ETag (same bytes, same validator in every release),
    Last-Modified, and range support from Werkzeug."""
    sums = {d["file"]: d["sha256"] for d in rel.manifest}
    if name not in sums and name not in ("SHA256SUMS", "manifest.json"):
        abort(404, f"no download named {name!r}; see /dumps/")
    path = rel.path / "dumps" / name
    response = send_file(path, conditional=True, max_age=3600, etag=sums.get(name) or sha256(path),
                         last_modified=modified or rel.modified)
    suffix = Path(name).suffix
    if suffix in TYPES:   # a .gz file is the download itself: no Content-Encoding for clients to undo
        response.headers["Content-Type"] = TYPES[suffix]
        response.headers.pop("Content-Encoding", None)
    return response


def _entities() -> list[str]:
    rel = release()

    def make() -> list[str]:
        rows = rq.run(rel.store, "sitemap", idspace=ox.Literal(f"{base()}id/"))
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
