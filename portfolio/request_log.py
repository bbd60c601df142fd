"""What the access log (deploy/gunicorn.conf.py) needs from the app: the logged-in user's id,
left in the WSGI environ as `portfolio.user_id` for the server's one line per request."""

from __future__ import annotations

from flask import Flask, g, request
from werkzeug.wrappers import Response

USER_ID_KEY = "portfolio.user_id"


def _remember_user(response: Response) -> Response:
    # Only a user the request already loaded: logging never costs a query.
    user = g.get("_login_user")
    if user is not None and getattr(user, "is_authenticated", False):
        request.environ[USER_ID_KEY] = str(user.id)
    return response


def init_app(app: Flask) -> None:
    app.after_request(_remember_user)
