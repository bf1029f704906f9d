"""A local stand-in for the Wikidata Query Service: a real SPARQL 1.1 Protocol endpoint over
pyoxigraph, loaded with tests/fixtures/wikidata.ttl (Wikidata's RDF shape), on a loopback port.

Tests script its misbehaviour — a 429 with Retry-After, a slow answer — and read back every
request it received (User-Agent, query), so good citizenship is checked on the wire.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

FIXTURE = Path(__file__).parent / "fixtures" / "wikidata.ttl"


@dataclass
class Seen:
    user_agent: str
    query: str


@dataclass
class WikidataEndpoint:
    store: ox.Store
    script: list[tuple[str, float]] = field(default_factory=list)   # ("429", retry_after) | ("slow", seconds)
    seen: list[Seen] = field(default_factory=list)
    url: str = ""
    active: int = 0
    most_at_once: int = 0

    def __call__(self, environ, start_response):
        request = Request(environ)
        query = request.values.get("query", "")
        self.seen.append(Seen(request.headers.get("User-Agent", ""), query))
        self.active += 1
        self.most_at_once = max(self.most_at_once, self.active)
        try:
            return self._answer(query)(environ, start_response)
        finally:
            self.active -= 1

    def _answer(self, query: str) -> Response:
        if self.script:
            what, value = self.script.pop(0)
            if what == "429":
                return Response("Too Many Requests", 429, {"Retry-After": str(int(value))})
            time.sleep(value)
        if not query:
            return Response("no query", 400)
        try:
            results = self.store.query(query)
        except SyntaxError as err:
            return Response(str(err), 400)
        body = results.serialize(format=ox.QueryResultsFormat.JSON)
        return Response(body, 200, content_type="application/sparql-results+json")


def start() -> tuple[WikidataEndpoint, callable]:
    """Start the endpoint in a thread; returns it and a function that stops it."""
    store = ox.Store()
    store.load(path=str(FIXTURE), format=ox.RdfFormat.TURTLE)
    endpoint = WikidataEndpoint(store)
    server = make_server("127.0.0.1", 0, endpoint, threaded=True)
    endpoint.url = f"http://127.0.0.1:{server.server_port}/sparql"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return endpoint, server.shutdown
