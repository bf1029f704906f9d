"""The W3C Entity Reconciliation API 0.2 (the version OpenRefine speaks) over our persons and bodies.

    GET  /reconcile                     the service manifest
    GET|POST /reconcile?queries={…}     a batch of reconciliation queries (form-encoded when POSTed)
    GET|POST /reconcile?extend={…}      data extension: property values of reconciled entities
    GET  /reconcile/extend/propose      properties a type can be extended with
    GET  /reconcile/suggest/<kind>      autocomplete for entities, types and properties
    GET  /reconcile/preview?id=…        a small HTML card for OpenRefine's preview pop-up
Matching is lod.linking.matcher's, over the name forms the build wrote into the release's index
(read once per release and worker); entities are read from the index when scored or shown.
"""

from __future__ import annotations

import json
from collections.abc import Collection

from flask import Blueprint, abort, jsonify, render_template, request

from lod.linking import ours
from lod.linking.matcher import PROPERTIES, TYPES, Entity, Matcher, QueryError
from lod.web.published import Release
from lod.web.resources import base, release

bp = Blueprint("reconcile", __name__, url_prefix="/reconcile")


class IndexedEntities:
    """The release's persons and bodies as the build wrote them into its index (lod.index)."""

    BY_NUMBER = "SELECT number, entity FROM reconcile_entities WHERE number IN (SELECT value FROM json_each(?))"
    BY_ID = "SELECT id, entity FROM reconcile_entities WHERE id IN (SELECT value FROM json_each(?))"

    def __init__(self, rel: Release):
        self.rel = rel

    def by_number(self, numbers: Collection[int]) -> dict[int, Entity]:
        return self._fetch(self.BY_NUMBER, numbers)

    def by_id(self, ids: Collection[str]) -> dict[str, Entity]:
        return self._fetch(self.BY_ID, ids)

    def _fetch(self, sql: str, keys: Collection) -> dict:
        with self.rel.index() as db:
            return {key: ours.from_json(text) for key, text in db.execute(sql, (json.dumps(list(keys)),))}


def matcher() -> Matcher:
    """The name forms of the served release's index, read once per worker; entities fetched as needed."""
    return matcher_of(release())


def matcher_of(rel: Release) -> Matcher:
    def make() -> Matcher:
        with rel.index() as db:
            types = [kind for (kind,) in db.execute("SELECT type FROM reconcile_entities ORDER BY number")]
            forms = db.execute("SELECT key, word, number FROM reconcile_forms").fetchall()
        return Matcher(forms, types, IndexedEntities(rel))
    return rel.cached("reconcile", make)


def _json_param(name: str) -> object:
    try:
        return json.loads(request.values[name])
    except json.JSONDecodeError as err:
        abort(400, f"parameter '{name}' is not JSON: {err}")


@bp.errorhandler(QueryError)
def _bad_query(err: QueryError):
    return jsonify({"status": "error", "message": str(err)}), 400


@bp.route("", methods=["GET", "POST"])
def service():
    if "queries" in request.values:
        return jsonify(_batch(_json_param("queries")))
    if "extend" in request.values:
        return jsonify(_extend(_json_param("extend")))
    return jsonify(_manifest())


def _manifest() -> dict:
    here = request.host_url.rstrip("/")
    service_url = f"{here}/reconcile"
    return {
        "versions": ["0.2"],
        "name": "Stalin's letters to Molotov: persons and bodies",
        "identifierSpace": f"{base()}id/",
        "schemaSpace": f"{base()}ontology#",
        "documentation": f"{here}/",
        "defaultTypes": [{"id": t, "name": n} for t, n in TYPES.items()],
        "view": {"url": f"{here}/id/{{{{id}}}}"},
        "preview": {"url": f"{service_url}/preview?id={{{{id}}}}", "width": 400, "height": 120},
        "suggest": {kind: {"service_url": service_url, "service_path": f"/suggest/{kind}"}
                    for kind in ("entity", "type", "property")},
        "extend": {"propose_properties": {"service_url": service_url, "service_path": "/extend/propose"},
                   "property_settings": []},
    }


def _batch(queries: object) -> dict:
    if not isinstance(queries, dict):
        raise QueryError("'queries' must be an object of named queries, e.g. {\"q0\": {\"query\": \"Bukharin\"}}")
    m = matcher()
    out = {}
    for key, query in queries.items():
        if not isinstance(query, dict) or not ("query" in query or query.get("properties")):
            raise QueryError(f"query {key!r} needs a 'query' string or 'properties'")
        out[key] = {"result": [_result(r) for r in m.reconcile(query)]}
    return out


def _result(r) -> dict:
    e = r.entity
    return {"id": e.id, "name": e.name, "description": e.description, "score": r.score, "match": r.match,
            "type": [{"id": e.type, "name": TYPES[e.type]}],
            "features": [{"id": k, "value": v} for k, v in r.features.items()]}


def _extend(query: object) -> dict:
    if not isinstance(query, dict) or not isinstance(query.get("ids"), list) or not isinstance(
            query.get("properties"), list):
        raise QueryError("'extend' must be {\"ids\": [...], \"properties\": [{\"id\": ...}]}")
    props = [p.get("id") if isinstance(p, dict) else p for p in query["properties"]]
    if not all(isinstance(v, str) for v in [*query["ids"], *props]):
        raise QueryError("'extend': every id and property id must be a string")
    unknown = [p for p in props if p not in PROPERTIES]
    if unknown:
        raise QueryError(f"unknown properties {unknown}; known: {', '.join(PROPERTIES)}")
    return {"meta": [_property_meta(p) for p in props], "rows": matcher().extend(query["ids"], props)}


def _property_meta(pid: str) -> dict:
    meta = {"id": pid, "name": PROPERTIES[pid][0]}
    if pid == "organisation":
        meta["type"] = {"id": "organisation", "name": TYPES["organisation"]}
    return meta


@bp.get("/extend/propose")
def propose():
    kind = request.args.get("type", "person")
    if kind not in TYPES:
        raise QueryError(f"unknown type {kind!r}; known types: {', '.join(TYPES)}")
    return jsonify({"type": kind, "properties": [{"id": p, "name": name}
                                                 for p, (name, types) in PROPERTIES.items() if kind in types]})


@bp.get("/suggest/<kind>")
def suggest(kind: str):
    prefix = request.args.get("prefix", "")
    if kind == "entity":
        types = {request.args["type"]} if request.args.get("type") in TYPES else set(TYPES)
        found = matcher().suggest(prefix, types)
        return jsonify({"result": [{"id": e.id, "name": e.name, "description": e.description,
                                    "notable": [{"id": e.type, "name": TYPES[e.type]}]} for e in found]})
    if kind == "type":
        items = TYPES.items()
    elif kind == "property":
        items = ((p, name) for p, (name, _) in PROPERTIES.items())
    else:
        abort(404, f"no suggest service for {kind!r}: entity, type or property")
    p = prefix.casefold()
    return jsonify({"result": [{"id": i, "name": n} for i, n in items
                               if not p or i.startswith(p) or p in n.casefold()]})


@bp.get("/preview")
def preview():
    wanted = request.args.get("id", "")
    entity = matcher().entities.by_id([wanted]).get(wanted)
    if entity is None:
        abort(404, f"no person or body with id {wanted!r}")
    return render_template("reconcile-preview.html", e=entity)
