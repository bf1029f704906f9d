"""Dereferencing: every IRI the build mints answers here, in the form the client negotiates.

Entities (`id/…`, things rather than documents) follow W3C "Cool URIs" with 303 See Other: the IRI
redirects to its HTML page (`/page/…`) or its data document (`/data/…`, content-negotiated, with
explicit `/data/….ttl` etc.). Documents themselves — the ontology, the shapes, the named graphs,
the VoID description — are answered directly with `Vary: Accept`. docs/decisions.md says why.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

import pyoxigraph as ox
from flask import Blueprint, Response, abort, current_app, redirect, render_template, request
from werkzeug.urls import iri_to_uri

from lod.config import Server
from lod.vocab import prefixes
from lod.web.describe import describe, last_modified
from lod.web.formats import GRAPH, HTML, RESOURCE, Format, by_name, negotiate
from lod.web.published import Release

bp = Blueprint("resources", __name__)
EXTENSIONS = {f.name: f for f in GRAPH}


# -- helpers shared by the other blueprints ------------------------------------------------------

def release() -> Release:
    return current_app.extensions["lod.published"].current()


def base() -> str:
    return current_app.config["LOD"].dataset.base_iri


def server() -> Server:
    return current_app.config["LOD"].server


def choose(offers: list[Format]) -> Format:
    """?format= (query string or form) if given, else the Accept header."""
    name = request.values.get("format")
    return by_name(offers, name) if name else negotiate(offers, request.accept_mimetypes)


def conditional(response: Response, etag: str, modified: datetime, *, negotiated: bool) -> Response:
    """Validators and caching headers; 304 (body dropped) when the client already holds it.

    If-None-Match wins over If-Modified-Since (RFC 9110 §13.2.2)."""
    response.set_etag(etag)
    response.last_modified = modified
    if request.if_none_match:
        fresh = etag in request.if_none_match
    else:
        fresh = bool(request.if_modified_since and request.if_modified_since >= modified.replace(microsecond=0))
    if fresh and response.status_code == 200:
        response.status_code = 304
        response.set_data(b"")
        response.headers.pop("Content-Type", None)
    response.cache_control.public = True
    response.cache_control.max_age = server().max_age
    if negotiated:
        response.vary.add("Accept")
    return response


def serialize(triples, fmt: Format) -> bytes:
    return ox.serialize(triples, format=fmt.rdf, prefixes=prefixes(base()) if fmt.name == "ttl" else None)


def json_ld_script(triples) -> str:
    """JSON-LD for a <script> element: '<' escaped so data can never close the element."""
    text = ox.serialize(triples, format=ox.RdfFormat.JSON_LD).decode()
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def alternates(path: str) -> list[dict]:
    """The explicit per-format URLs of one document (HTML page first), as URIs: they also go
    into the Link header, which carries ASCII only (an IRI's other characters percent-encoded)."""
    path = iri_to_uri(path)
    return [{"name": f.name.upper() if f is not HTML else "HTML", "media_type": f.media_type,
             "href": f"{path}.{f.name}" if f is not HTML else path} for f in RESOURCE]


def link_header(alts: list[dict]) -> str:
    return ", ".join(f'<{a["href"]}>; rel="alternate"; type="{a["media_type"]}"' for a in alts)


def minted(path: str) -> str:
    """The IRI a request path names under the base. A path no IRI can be written from (a quote,
    a bracket, a stray %) names nothing this dataset could have minted: 404, saying why."""
    iri = base() + path
    try:
        ox.NamedNode(iri)
    except ValueError as err:
        abort(404, f"/{path}: nothing is published here, for <{iri}> is not a valid IRI ({err})")
    return iri


def page_number() -> int:
    raw = request.args.get("page", "1")
    if not raw.isdigit() or int(raw) < 1:
        abort(400, f"parameter page must be a positive integer, got {raw!r}")
    return int(raw)


# -- one representation of one description --------------------------------------------------------

@dataclass(frozen=True)
class Rendered:
    """One rendered representation, as cached per worker."""

    body: bytes | str
    status: int = 200
    more: bool = False                  # another page of incoming links exists (SPARQL: rows were cut)
    modified: datetime | None = None    # when what it shows last changed (None: the release's date)
    content_type: str | None = None     # when the request does not settle it (a SPARQL answer's kind does)

    @cached_property
    def etag(self) -> str:
        """A strong validator from the bytes themselves: unchanged content keeps it across releases."""
        data = self.body.encode() if isinstance(self.body, str) else self.body
        return hashlib.sha256(data).hexdigest()[:32]


def cached(key: tuple, render: Callable[[], Rendered]) -> Rendered:
    """What was rendered for `key` in this worker (the key holds the release id): a release never
    changes, so neither does anything rendered from it. Kept within [server].cache_mib."""
    cache = current_app.extensions["lod.responses"]
    rendered = cache.get(key) if cache is not None else None
    if rendered is None:
        rendered = render()
        if cache is not None and cache.getsizeof(rendered) <= cache.maxsize:
            cache[key] = rendered
    return rendered


def represent(key: str, fmt: Format, doc_path: str, render: Callable[[Format, int], Rendered], *,
              negotiated: bool) -> Response:
    """One representation of one document, with validators, alternates and a per-worker cache."""
    rel, page = release(), page_number()
    rendered = cached((rel.id, key, fmt.name, page), lambda: render(fmt, page))
    response = Response(rendered.body, rendered.status, content_type=fmt.content_type)
    links = link_header(alternates(doc_path))
    if rendered.more:
        links += f', <{iri_to_uri(request.path)}?page={page + 1}>; rel="next"'
    response.headers["Link"] = links
    if negotiated:
        response.headers["Content-Location"] = iri_to_uri(doc_path if fmt is HTML else f"{doc_path}.{fmt.name}")
    return conditional(response, rendered.etag, rendered.modified or rel.modified, negotiated=negotiated)


def vocabulary_labels() -> dict[str, ox.Triple | None]:
    """The labels of properties and classes the release's pages have asked for (see describe)."""
    return release().cached("vocabulary labels", dict)


def description(source: ox.Store, iri: str, doc_path: str,
                known: dict[str, ox.Triple | None] | None = None) -> Callable[[Format, int], Rendered]:
    """Render the description of `iri` (see describe.py); 404 in the asked format when nothing is known."""
    def render(fmt: Format, page: int) -> Rendered:
        d = describe(source, ox.NamedNode(iri), page=page, size=server().page_size,
                     quiet=frozenset([ox.NamedNode(f"{base()}graph/changes")]), known=known, cards=release().cards)
        status, modified = (200, last_modified(source, d, f"{base()}id/")) if d.found else (404, None)
        if fmt is not HTML:
            return Rendered(serialize(d.triples(), fmt), status, d.more, modified)
        if not d.found:
            return Rendered(render_template("error.html", title="Not found",
                                            message=f"Nothing is known here about <{iri}>."), 404)
        view = current_app.extensions["lod.presenter"].page(d)
        body = render_template("resource.html", **view, alternates=alternates(doc_path), page=d.page,
                               more=d.more, page_size=server().page_size, jsonld=json_ld_script(d.own))
        return Rendered(body, 200, d.more, modified)
    return render


def whole(quads: Callable[[], Iterable[ox.Quad]], html: Callable[[Format, int], Rendered]):
    """Render a small graph whole as RDF (the ontology, the shapes, VoID), and `html` for people."""
    def render(fmt: Format, page: int) -> Rendered:
        if fmt is HTML:
            return html(fmt, page)
        return Rendered(serialize((q.triple for q in quads()), fmt))
    return render


def named_graph(graph: str) -> Callable[[], Iterable[ox.Quad]]:
    return lambda: release().store.quads_for_pattern(None, None, None, ox.NamedNode(graph))


def page_file(read: Callable[[], str]) -> Callable[[Format, int], Rendered]:
    return lambda fmt, page: Rendered(read())


def retired(rest: str, route: str, suffix: str = "") -> Response | None:
    """A retired IRI's answer: 301 to its successor (under the same route), or 410 Gone."""
    stone = release().tombstones.get(f"id/{rest}")
    if stone is None:
        return None
    if stone.status == "moved":
        response = redirect(f"/{route}{stone.successor.removeprefix('id/')}{suffix}", code=301)
        response.cache_control.public = True
        response.cache_control.max_age = server().max_age
        return response
    abort(410, f"<{base()}id/{rest}> was retired on {stone.retired_on}: {stone.reason}")


def _split_format(rest: str) -> tuple[str, Format | None]:
    stem, dot, ext = rest.rpartition(".")
    if dot and ext in EXTENSIONS:
        return stem, EXTENSIONS[ext]
    if dot and ext == "html":
        return stem, HTML
    return rest, None


# -- routes -------------------------------------------------------------------------------------------

@bp.get("/id/<path:rest>")
def entity(rest: str):
    """303 See Other from the thing to the document describing it (after checking it exists)."""
    if (gone := retired(rest, "id/")) is not None:
        return gone
    iri, fmt, store = ox.NamedNode(minted("id/" + rest)), choose(RESOURCE), release().store
    if next(store.quads_for_pattern(iri, None, None), None) is None and \
            next(store.quads_for_pattern(None, None, iri), None) is None:
        return represent(iri.value, fmt, f"/data/id/{rest}",
                         description(store, iri.value, f"/data/id/{rest}", vocabulary_labels()), negotiated=True)
    target = f"/page/id/{rest}" if fmt is HTML else f"/data/id/{rest}.{fmt.name}"
    response = redirect(target, code=303)
    response.vary.add("Accept")
    response.cache_control.public = True
    response.cache_control.max_age = server().max_age
    return response


@bp.get("/page/id/<path:rest>")
def page(rest: str):
    if (gone := retired(rest, "page/id/")) is not None:
        return gone
    iri, doc = minted("id/" + rest), f"/data/id/{rest}"
    return represent(iri, HTML, doc, description(release().store, iri, doc, vocabulary_labels()), negotiated=False)


@bp.get("/data/id/<path:rest>")
def data(rest: str):
    stem, fmt = _split_format(rest)
    if (gone := retired(stem, "data/id/", f".{fmt.name}" if fmt else "")) is not None:
        return gone
    negotiated = fmt is None
    fmt = fmt or choose(RESOURCE)
    if fmt is HTML:
        return redirect(f"/page/id/{stem}", code=303)
    iri, doc = minted("id/" + stem), f"/data/id/{stem}"
    return represent(iri, fmt, doc, description(release().store, iri, doc, vocabulary_labels()),
                     negotiated=negotiated)


def _document(iri: str, render_for: Callable[[str], Callable[[Format, int], Rendered]]):
    """A document answered directly at its own path, or at path.<ext>, with `Vary: Accept` (no redirect)."""
    rest = request.path.lstrip("/")
    stem, fmt = _split_format(rest)
    if fmt is None and "." in rest.rsplit("/", 1)[-1]:
        abort(404, f"/{rest}: no such format; use one of " + ", ".join(f".{f.name}" for f in RESOURCE))
    return represent(iri, fmt or choose(RESOURCE), f"/{stem}", render_for(f"/{stem}"), negotiated=fmt is None)


def _vocab_file(name: str) -> Callable[[], str]:
    return lambda: (release().path / "vocab" / name).read_text(encoding="utf-8")


@bp.get("/ontology", defaults={"ext": ""})
@bp.get("/ontology.<ext>")
def ontology(ext: str):
    """The vocabulary: pyLODE's page for people, the ontology graph for machines."""
    iri = base() + "ontology"
    return _document(iri, lambda doc: whole(named_graph(iri), page_file(_vocab_file("ontology.html"))))


@bp.get("/ontology/concepts")
def concepts():
    return Response(_vocab_file("concepts.html")(), content_type=HTML.content_type)


@bp.get("/shapes", defaults={"ext": ""})
@bp.get("/shapes.<ext>")
def shapes(ext: str):
    iri = base() + "shapes"

    def html() -> str:
        return render_template("text.html", title="SHACL shapes", text=_vocab_file("shapes.ttl")(),
                               alternates=alternates("/shapes"))
    return _document(iri, lambda doc: whole(named_graph(iri), page_file(html)))


def void_store() -> ox.Store:
    """The release's VoID description (void.ttl) in a small in-memory store, loaded once."""
    rel = release()

    def load() -> ox.Store:
        store = ox.Store()
        store.load(path=str(rel.path / "void.ttl"), format=ox.RdfFormat.TURTLE)
        return store
    return rel.cached("void", load)


@bp.get("/graph/<path:rest>")
def graph(rest: str):
    """A named graph's IRI: its VoID description (size, dumps); the content is in the dumps."""
    iri = minted(f"graph/{_split_format(rest)[0]}")
    return _document(iri, lambda doc: description(void_store(), iri, doc))


@bp.get("/.well-known/void", defaults={"ext": ""})
@bp.get("/.well-known/void.<ext>")
def void(ext: str):
    """The dataset's VoID description (statistics computed by the build from the store)."""
    iri = f"{base()}.well-known/void#dataset"
    return _document(iri, lambda doc: whole(lambda: void_store().quads_for_pattern(None, None, None),
                                            description(void_store(), iri, doc)))
