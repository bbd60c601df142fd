"""Blueprints: one per area of the app."""

from __future__ import annotations

from flask import Flask


def register_blueprints(app: Flask) -> None:
    from portfolio.views import (
        audit,
        auth,
        errors,
        imports,
        main,
        meetings,
        overview,
        projects,
        users,
    )

    app.register_blueprint(main.bp)
    app.register_blueprint(projects.bp)
    app.register_blueprint(imports.bp)
    app.register_blueprint(overview.bp)
    app.register_blueprint(meetings.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(users.bp)
    app.register_blueprint(audit.bp)
    errors.register(app)
    app.jinja_env.globals["url_with"] = url_with


def url_with(**changes: str | None) -> str:
    """The current URL with some query arguments replaced (None removes one); keeps repeats."""
    from urllib.parse import urlencode

    from flask import request

    args = request.args.copy()
    for key, value in changes.items():
        args.pop(key, None)
        if value is not None:
            args[key] = value
    query = urlencode(list(args.items(multi=True)))
    return f"{request.path}?{query}" if query else request.path
