"""The features' blueprints, registered on the app, and the URL helper their templates share."""

from __future__ import annotations

from flask import Flask


def register_blueprints(app: Flask) -> None:
    from portfolio import errors, main
    from portfolio.api import token_views as api_tokens
    from portfolio.api import views as api
    from portfolio.finance import benefit_views as benefits
    from portfolio.finance import sheet_views as finance_sheets
    from portfolio.finance import views as finance
    from portfolio.help import views as help_pages
    from portfolio.imports import views as imports
    from portfolio.meetings import views as meetings
    from portfolio.overview import views as overview
    from portfolio.projects import views as projects
    from portfolio.rollout import plan_views as rollout_plan
    from portfolio.rollout import sheet_views as rollout_sheet
    from portfolio.rollout import views as rollout
    from portfolio.users import audit_views, login_views, sso_views
    from portfolio.users import views as users

    app.register_blueprint(main.bp)
    app.register_blueprint(projects.bp)
    app.register_blueprint(imports.bp)
    app.register_blueprint(overview.bp)
    app.register_blueprint(meetings.bp)
    app.register_blueprint(login_views.bp)
    app.register_blueprint(sso_views.bp)
    sso_views.init_app(app)  # the provider may receive our logout form's redirect
    app.register_blueprint(users.bp)
    app.register_blueprint(audit_views.bp)
    app.register_blueprint(rollout_plan.bp)
    app.register_blueprint(rollout_sheet.bp)
    app.register_blueprint(rollout.bp)
    app.register_blueprint(finance_sheets.bp)
    app.register_blueprint(finance.bp)
    app.register_blueprint(benefits.bp)
    app.register_blueprint(help_pages.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(api_tokens.bp)
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
