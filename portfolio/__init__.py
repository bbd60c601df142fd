"""Portefølje: the municipality's IT project portfolio as a Flask application."""

from __future__ import annotations

from pathlib import Path

from flask import Flask


def _template_folder() -> str:
    # Source checkout and editable install: ../templates; wheel: packaged copy.
    here = Path(__file__).parent
    for candidate in (here / "templates", here.parent / "templates"):
        if candidate.is_dir():
            return str(candidate)
    raise RuntimeError("Portefølje cannot find its templates folder")


def create_app(
    test_config: dict[str, object] | None = None, *, check_schema: bool = True, pages: bool = True
) -> Flask:
    """The app. `check_schema=False` (the CLI) skips looking at the database at start;
    `pages=False` (commands that only read and write data) registers no pages: importing every
    view and form was two thirds of building the app."""
    from portfolio.db import PortfolioFlask  # each request one unit of work

    app = PortfolioFlask(
        __name__, template_folder=_template_folder(), instance_relative_config=True
    )

    from portfolio import (
        auth,
        compression,
        config,
        db,
        edge,
        i18n,
        request_log,
        security,
        static_assets,
    )
    from portfolio.blueprints import register_blueprints
    from portfolio.cli import register_commands

    config.load_config(app, test_config, serving=check_schema)
    # First of the before_request hooks: pages answer 503 until the schema is ready.
    db.init_app(app, check_schema=check_schema)
    # Input no column can hold is a 400 (NUL) or a 404 (an id beyond INTEGER), not a 500.
    edge.init_app(app)
    i18n.init_app(app)
    # The login guard runs before CSRF: a forbidden POST gets 403 or the login page, not 400.
    auth.init_app(app)
    security.init_app(app)
    static_assets.init_app(app)
    compression.init_app(app)  # pages gzipped on the way out; static files come gzipped
    request_log.init_app(app)  # the user id for the access log line
    if pages:
        register_blueprints(app)
        auth.check_every_route_is_declared(app)
    register_commands(app)
    return app
