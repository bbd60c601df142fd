"""gunicorn for Portefølje in production: `gunicorn -c deploy/gunicorn.conf.py`.

Settings from the environment (the same EnvironmentFile as the app's PORTFOLIO_* settings):
PORTFOLIO_BIND (default 127.0.0.1:8000; behind a proxy on the same machine) and
PORTFOLIO_WORKERS (default 2 × cores + 1, at most 8). The access log is one JSON line per
request on stdout: method, path (never the query string, which can hold a token), status,
duration, the logged-in user's id and the client address; errors go to stderr."""

from __future__ import annotations

import json
import os
from typing import Any

from gunicorn.glogging import Logger

wsgi_app = "portfolio:create_app()"
bind = [os.environ.get("PORTFOLIO_BIND", "127.0.0.1:8000")]


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))  # what this process may use (containers, cgroups)
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


# Sync workers, each one request at a time: 2 × cores + 1 keeps the cores busy while some wait
# for the database; more only add memory (each worker ~100 MB) and database connections.
workers = int(os.environ.get("PORTFOLIO_WORKERS") or min(2 * _cores() + 1, 8))
# A PDF or Word pack is rendered by Chromium within the request: allow it two minutes.
timeout = 120
graceful_timeout = 30
keepalive = 5
# Each worker is replaced now and then (spread out), so a slow leak never grows.
max_requests = 2000
max_requests_jitter = 200

accesslog = "-"
errorlog = "-"
loglevel = "info"
access_log_format = (
    '{"method": "%(m)s", "path": "%(U)s", "status": %(s)s, "duration_ms": %(M)s, '
    '"user_id": %(user_id)s, "remote": "%(h)s"}'
)


class RequestLogger(Logger):
    """gunicorn's logger, with the path escaped so that one request is always one valid JSON
    line (gunicorn escapes quotes; backslashes and control characters are done here), and the
    user id the app left in the environ (portfolio/request_log.py), null when none."""

    def atoms(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> Any:
        atoms = super().atoms(resp, req, environ, request_time)
        path = json.dumps(str(atoms.get("U") or ""), ensure_ascii=False)[1:-1]
        atoms["U"] = path.replace('\\"', '"')  # gunicorn's SafeAtoms escapes the quotes
        user = str(environ.get("portfolio.user_id", ""))
        atoms["user_id"] = user if user.isdigit() else "null"
        return atoms


logger_class = RequestLogger
