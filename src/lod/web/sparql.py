"""The SPARQL 1.1 Protocol endpoint at /sparql, its service description and its query editor."""

from __future__ import annotations

import logging
import os
from functools import cache
from pathlib import Path

import pyoxigraph as ox
from flask import Blueprint, Response, abort, current_app, render_template, request

from lod.web import guard
from lod.web.formats import HTML, RESOURCE, SPARQL_GRAPH, SPARQL_RESULTS, Format
from lod.web.resources import Rendered, base, cached, choose, conditional, release, serialize, server

bp = Blueprint("sparql", __name__)
log = logging.getLogger(__name__)
TRUNCATED_HEADER = "SPARQL-Results-Truncated"
EXAMPLES = Path(__file__).parent.parent / "queries" / "examples"
SERVICE_DESCRIPTION = Path(__file__).parent / "service.ttl"
FORMS = {"application/x-www-form-urlencoded", "multipart/form-data"}


def _single(values: list[str], name: str) -> str | None:
    if len(values) > 1:
        abort(400, f"parameter {name} was given {len(values)} times; give it once")
    return values[0] if values else None


def _request_query() -> str | None:
    """The query of a GET or POST request per the SPARQL 1.1 Protocol (updates refused)."""
    if request.method == "GET":
        if "update" in request.args:
            abort(403, "this endpoint is read-only: SPARQL Update is not accepted")
        return _single(request.args.getlist("query"), "query")
    mime = request.mimetype
    if mime == "application/sparql-update" or (mime in FORMS and "update" in request.form):
        abort(403, "this endpoint is read-only: SPARQL Update is not accepted")
    if mime == "application/sparql-query":
        return request.get_data(as_text=True)
    if mime in FORMS:
        return _single(request.form.getlist("query"), "query")
    abort(415, f"POST a query as application/sparql-query or form-encoded (query=…), not {mime or 'no type'}")


def _graphs(name: str) -> list[ox.NamedNode] | None:
    values = request.values.getlist(name)
    try:
        return [ox.NamedNode(v) for v in values] or None
    except ValueError as err:
        abort(400, f"parameter {name}: not an absolute IRI ({err})")


def _body(answer: guard.Answer, fmt: Format) -> bytes:
    if answer.kind == "graph":
        if fmt.rdf.supports_datasets:
            return ox.serialize((ox.Quad(t.subject, t.predicate, t.object) for t in answer.triples), format=fmt.rdf)
        return serialize(answer.triples, fmt)
    if answer.kind == "ask":
        result = ox.parse_query_results(b"true" if answer.boolean else b"false", ox.QueryResultsFormat.TSV)
    else:
        # Rows were materialised (for the cap), so re-read them as a result set for pyoxigraph's
        # writers: SPARQL TSV cells are exactly the terms' N-Triples forms.
        lines = ["\t".join(f"?{v}" for v in answer.variables)]
        lines += ["\t".join("" if row[v] is None else str(row[v]) for v in answer.variables)
                  for row in answer.rows]
        result = ox.parse_query_results(("\n".join(lines) + "\n").encode(), ox.QueryResultsFormat.TSV)
    return result.serialize(format=fmt.results)


@bp.route("/sparql", methods=["GET", "POST"])
def endpoint():
    query = _request_query()
    if query is None:
        return _service_description()
    if not query.strip():
        abort(400, "parameter query is empty")
    default, named = _graphs("default-graph-uri"), _graphs("named-graph-uri")
    rel = release()
    # The same query over the same release and graphs, asked for the same formats, has the same answer.
    key = (rel.id, "sparql", query, tuple(g.value for g in default or ()), tuple(g.value for g in named or ()),
           request.headers.get("Accept", ""), request.values.get("format", ""))
    try:
        rendered = cached(key, lambda: _answer(rel.store, query, default, named))
    except guard.Refused as err:
        abort(403, str(err))
    except SyntaxError as err:
        abort(400, f"malformed query: {err}")
    except guard.Timeout as err:
        return _timed_out(str(err))
    response = Response(rendered.body, content_type=rendered.content_type)
    response.headers["SPARQL-Result-Limit"] = str(server().result_limit)
    if rendered.more:
        response.headers[TRUNCATED_HEADER] = f"true; only the first {server().result_limit} are included"
    if request.method in ("GET", "HEAD"):
        return conditional(response, rendered.etag, rel.modified, negotiated=True)
    response.vary.add("Accept")
    return response


def _answer(store, query: str, default: list[ox.NamedNode] | None, named: list[ox.NamedNode] | None) -> Rendered:
    """Run a query within the guards and render its answer in the negotiated format."""
    config = server()
    # Relative IRIs resolve against the dataset base, so `PREFIX lod: <ontology#>` works anywhere.
    options: dict = {"base_iri": base()}
    options.update({"default_graph": default} if default else {"use_default_graph_as_union": True})
    if named:
        options["named_graphs"] = named
    answer = guard.run(store, query, timeout=config.query_timeout, limit=config.result_limit, **options)
    fmt = choose(SPARQL_GRAPH if answer.kind == "graph" else SPARQL_RESULTS)
    body = _results_page(query, answer) if fmt is HTML else _body(answer, fmt)
    return Rendered(body, more=answer.truncated, content_type=fmt.content_type)


def _timed_out(message: str) -> Response:
    response = Response(f"503 Service Unavailable: {message}\n", 503, content_type="text/plain; charset=utf-8")
    if current_app.config["LOD_KILL_ON_TIMEOUT"]:
        # The abandoned query keeps running inside Oxigraph; only ending the process stops it.
        # Exit status 0: gunicorn replaces the worker (3 and 4 would make it halt the server).
        response.call_on_close(_end_worker)
    return response


def _end_worker() -> None:
    log.warning("worker %d exits to stop a cancelled query; gunicorn starts a new one", os.getpid())
    logging.shutdown()
    os._exit(0)


@cache
def examples(base_iri: str) -> list[dict]:
    """The editor's example queries: one .rq file each, titled by its first comment line; `{{base}}`
    becomes the dataset's base IRI (for queries meant to run elsewhere, such as on Wikidata)."""
    out = []
    for path in sorted(EXAMPLES.glob("*.rq")):
        text = path.read_text(encoding="utf-8").replace("{{base}}", base_iri)
        out.append({"id": path.stem, "title": text.splitlines()[0].lstrip("# ").strip(), "query": text})
    return out


def _results_page(query: str, answer: guard.Answer | None) -> str:
    presenter = current_app.extensions["lod.presenter"]
    return render_template("sparql.html", title="SPARQL", query=query, answer=answer, examples=examples(base()),
                           limit=server().result_limit, href=presenter.href, compact=presenter.compact,
                           endpoint=f"{base()}sparql")


@cache
def _service_triples(endpoint: str) -> list[ox.Triple]:
    """service.ttl with its relative IRIs resolved against the endpoint (parsed once)."""
    return list(ox.parse(path=str(SERVICE_DESCRIPTION), format=ox.RdfFormat.TURTLE, base_iri=endpoint))


def _service_description() -> Response:
    """GET /sparql without a query: the editor for browsers, the Service Description for machines."""
    fmt = choose(RESOURCE)
    if fmt is HTML:
        example = request.args.get("example")
        chosen = next((e["query"] for e in examples(base()) if e["id"] == example), examples(base())[0]["query"])
        body = _results_page(chosen, None)
    else:
        body = serialize(_service_triples(f"{base()}sparql"), fmt)
    response = Response(body, content_type=fmt.content_type)
    response.vary.add("Accept")
    return response
