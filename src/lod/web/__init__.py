"""The publishing server: one Flask application, built by `create_app`, with six blueprints.

    resources  dereferencing: /id/… (303 to /page/… or /data/…), /ontology, /shapes, /graph/…, VoID
    pages      what a historian browses: home, browse lists, search
    sparql     the SPARQL 1.1 Protocol endpoint and its query editor
    dumps      /dumps/ (and earlier releases' /releases/<id>/dumps/), /cmif.xml, /beacon.txt,
               sitemap.xml, robots.txt
    changes    the changelog: HTML, RDF and an Activity Streams feed for incremental harvesting
    reconcile  the W3C Reconciliation API for OpenRefine and other projects
"""

from __future__ import annotations

import logging
from functools import partial

from cachetools import LRUCache
from flask import Flask, Response, current_app, render_template, request
from flask_cors import CORS
from werkzeug.exceptions import HTTPException

from lod.changes import spread_records
from lod.config import Config
from lod.store import StoreError
from lod.web import changes, dumps, pages, reconcile, resources, sparql
from lod.web.formats import HTML, NotAcceptable, negotiate
from lod.web.present import Presenter
from lod.web.published import NoRelease, Published, Release

log = logging.getLogger(__name__)
WARM_PAGES = 5   # records whose pages a worker renders before it serves (see _render_first_pages)
EXPOSED = ["ETag", "Link", "Location", "Content-Location", "Last-Modified", sparql.TRUNCATED_HEADER]


def create_app(config: Config, *, kill_on_timeout: bool = False) -> Flask:
    """The application over the release published under config's var/ folder.

    `kill_on_timeout`: the worker process exits after answering a timed-out query (gunicorn
    restarts it), because a running Oxigraph query cannot be interrupted (docs/decisions.md).
    """
    app = Flask(__name__)
    # A remote engine's query ends with its HTTP request; only Oxigraph's needs the process to end.
    kill_on_timeout = kill_on_timeout and config.store.backend == "embedded"
    app.config.update(LOD=config, LOD_KILL_ON_TIMEOUT=kill_on_timeout, JSON_SORT_KEYS=False)
    app.extensions["lod.published"] = Published(config, prepare=partial(_prepare, app))
    app.extensions["lod.presenter"] = Presenter(config.dataset.base_iri)
    size = config.server.cache_mib << 20   # rendered representations per worker; 0 turns it off
    app.extensions["lod.responses"] = LRUCache(maxsize=size, getsizeof=lambda r: len(r.body)) if size else None
    CORS(app, expose_headers=EXPOSED, max_age=86400, send_wildcard=True)  # public, read-only data
    for bp in (resources.bp, pages.bp, sparql.bp, dumps.bp, changes.bp, reconcile.bp):
        app.register_blueprint(bp)
    app.context_processor(_site)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(NoRelease, _no_release)
    app.register_error_handler(StoreError, lambda err: _error(502, "Bad Gateway", str(err)))
    app.register_error_handler(TimeoutError, lambda err: _error(504, "Gateway Timeout", str(err)))
    app.register_error_handler(NotAcceptable, lambda err: _error(406, "Not Acceptable", str(err)))
    return app


def warm(app: Flask) -> None:
    """Wait, before the worker takes requests (gunicorn's post_worker_init), for the served
    release to be prepared. Releases published later are prepared as each worker switches to them."""
    published: Published = app.extensions["lod.published"]
    try:
        published.current()
    except NoRelease as err:   # never keeps a worker from serving: its requests will say what is wrong
        log.warning("nothing prepared ahead of requests: %s", err)
        return
    published.preparing.join()


def _prepare(app: Flask, rel: Release) -> None:
    """Do, ahead of the requests that would wait for it, a release's slowest per-worker work: make
    the reconciliation matcher (over a second at a million letters), then, on the embedded store,
    render a few pages. Not on a remote one: its cache is the engine's, warmed by every worker's
    traffic, and an engine that hangs would hold each new worker past gunicorn's timeout."""
    try:
        reconcile.matcher_of(rel)
    except Exception as err:  # the first query will say what is wrong
        log.warning("the reconciliation matcher of release %s was not made ahead of requests: %s", rel.id, err)
    if app.config["LOD"].store.backend == "embedded":
        _render_first_pages(app, rel)


def _render_first_pages(app: Flask, rel: Release) -> None:
    """A worker's first resource page reads the store's index and filter blocks: at a million
    letters about 35 MB and 50-70 ms, and a few MB more for each of the next pages. Rendering a
    few records' pages here (spread over the kinds of record) keeps that from the first visitors
    and those queued behind them, and compiles the page templates too (docs/performance.md)."""
    client = app.test_client()
    for path in spread_records(rel.path, WARM_PAGES):
        try:
            status = client.get(f"/page/{path}").status_code
        except Exception as err:  # its visitors will be told what is wrong
            status = err
        if status != 200:
            log.warning("release %s: the page of %s was not rendered ahead of requests (%s)", rel.id, path, status)


def _site() -> dict:
    """What every page's frame shows: the dataset's title and licence, the release served."""
    config: Config = current_app.config["LOD"]
    try:
        release = current_app.extensions["lod.published"].current().id
    except NoRelease:
        release = "(none published)"
    return {"site_title": config.dataset.title, "licence": config.dataset.licence, "release": release}


def _wants_html() -> bool:
    try:
        return negotiate([HTML], request.accept_mimetypes) is HTML and request.accept_mimetypes.best != "*/*"
    except NotAcceptable:
        return False


def _error(status: int, title: str, message: str) -> Response:
    """An error in the form the client reads: a page for browsers, plain text for everyone else."""
    if _wants_html() and not request.path.startswith("/sparql"):
        body = render_template("error.html", title=title, message=message)
        return Response(body, status, content_type=HTML.content_type)
    return Response(f"{status} {title}: {message}\n", status, content_type="text/plain; charset=utf-8")


def _http_error(err: HTTPException) -> Response:
    return _error(err.code or 500, err.name, err.description or "")


def _no_release(err: NoRelease) -> Response:
    log.error("%s", err)
    return _error(503, "Service Unavailable", str(err))
