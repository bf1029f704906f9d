"""Serving a release: gunicorn (sync workers) in production, Flask's debug server with --dev.

Sync workers are processes: a SPARQL query that outruns its timeout takes its worker down with it
(see lod.web.guard), and gunicorn starts a fresh one while the others keep serving. Each worker
opens the store read-only after the fork (RocksDB handles must not cross a fork).
"""

from __future__ import annotations

from gunicorn.app.base import BaseApplication

from lod.config import Config
from lod.web import create_app, warm

# gunicorn kills a worker silent for this long beyond the query timeout: the backstop for
# anything else that hangs (the query guard answers first and restarts the worker itself).
BACKSTOP_SECONDS = 30


class Server(BaseApplication):
    def __init__(self, config: Config, host: str, port: int):
        self.config_ = config
        self.bind = f"{host}:{port}"
        super().__init__()

    def load_config(self) -> None:
        server = self.config_.server
        settings = {
            "bind": self.bind,
            "workers": server.workers,
            "worker_class": "sync",
            "timeout": int(server.query_timeout) + BACKSTOP_SECONDS,
            "graceful_timeout": 5,
            "accesslog": "-" if server.access_log else None,
            "access_log_format": '%(h)s "%(r)s" %(s)s %(b)s %(M)sms',
            "preload_app": False,
            "post_worker_init": lambda worker: warm(worker.wsgi),
        }
        for key, value in settings.items():
            self.cfg.set(key, value)

    def load(self):
        return create_app(self.config_, kill_on_timeout=True)


def run(config: Config, host: str, port: int, *, dev: bool = False) -> None:
    if dev:
        create_app(config).run(host=host, port=port, debug=True, threaded=True)
    else:
        Server(config, host, port).run()
