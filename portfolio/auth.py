"""Login sessions and the permission guard that every request passes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NoReturn

from flask import Flask, abort, current_app, g, redirect, request, url_for
from flask_login import AnonymousUserMixin, LoginManager, UserMixin, current_user
from werkzeug.wrappers import Response

from portfolio.db import get_session
from portfolio.domain import Role
from portfolio.finance.models import Benefit
from portfolio.permissions import (
    ENDPOINTS,
    OWN_BENEFITS_ONLY,
    OWN_DEPARTMENT_ONLY,
    OWN_PROJECTS_ONLY,
    Permission,
    has_permission,
)
from portfolio.projects.models import Department, Project
from portfolio.security import end_expired_session
from portfolio.users.models import User

login_manager = LoginManager()


@dataclass(frozen=True)
class SessionUser(UserMixin):  # type: ignore[misc]
    """The logged-in user as a request sees it; the cookie holds id and session version."""

    id: int
    name: str
    email: str
    role: Role
    person_id: int | None
    session_version: int

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    def can(
        self,
        permission: Permission,
        project: Project | None = None,
        department: Department | None = None,
        benefit: Benefit | None = None,
    ) -> bool:
        if not has_permission(self.role, permission):
            return False
        if project is not None and self.role == Role.owner and permission in OWN_PROJECTS_ONLY:
            return self.person_id is not None and project.process_owner_id == self.person_id
        if department is not None and self.role == Role.owner and permission in OWN_DEPARTMENT_ONLY:
            return self.person_id is not None and department.chief_id == self.person_id
        if benefit is not None and self.role == Role.owner and permission in OWN_BENEFITS_ONLY:
            return self.person_id is not None and benefit.owner_id == self.person_id
        return True


class Anonymous(AnonymousUserMixin):  # type: ignore[misc]
    name = ""
    role = None

    def can(
        self,
        permission: Permission,
        project: Project | None = None,
        department: Department | None = None,
        benefit: Benefit | None = None,
    ) -> bool:
        return False


def session_user(user: User) -> SessionUser:
    assert user.id is not None  # noqa: S101
    return SessionUser(
        id=user.id,
        name=user.name,
        email=user.email,
        role=Role(user.role),
        person_id=user.person_id,
        session_version=user.session_version,
    )


@login_manager.user_loader
def _load_user(user_id: str) -> SessionUser | None:
    try:
        uid, version = (int(part) for part in user_id.split(":"))
    except ValueError:
        return None
    user = get_session().get(User, uid)
    # A cookie from before a logout or password change carries an old version: refused.
    if user is None or not user.active or user.session_version != version:
        return None
    return session_user(user)


def current_actor() -> str:
    """The name recorded in history and the audit trail for this request's changes."""
    if current_user.is_authenticated:
        return f"{current_user.name} <{current_user.email}>"
    return "anonym"


def require(permission: Permission, project: Project | None = None) -> None:
    """Abort with 403 unless the user may do this (to this project)."""
    if not current_user.can(permission, project):
        _forbidden(permission)


def _forbidden(permission: Permission | None) -> None:
    forbidden(f"needs {permission}")


def forbidden(why: str) -> NoReturn:
    """403, logged with who asked for what and why it was refused."""
    # %r: a path or e-mail with a line break cannot forge a second log line.
    current_app.logger.warning(
        "403 %s %r for %r (role %s): %s",
        request.method,
        request.path,
        getattr(current_user, "email", "anonymous"),
        getattr(current_user, "role", None),
        why,
    )
    abort(403)


def _guard() -> Response | None:
    endpoint = request.endpoint
    if endpoint is None:
        return None  # 404/405 pages
    permission = ENDPOINTS[endpoint]
    if permission is None:
        return None
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    if not current_user.can(permission):
        _forbidden(permission)
    g.permission = permission
    return None


def check_every_route_is_declared(app: Flask) -> None:
    missing = sorted({r.endpoint for r in app.url_map.iter_rules()} - set(ENDPOINTS))
    if missing:
        raise RuntimeError(f"routes without a permission in portfolio/permissions.py: {missing}")


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.anonymous_user = Anonymous
    login_manager.session_protection = "strong"
    # An idle or too-old login ends first, so the guard below sees an anonymous user.
    app.before_request(end_expired_session)
    app.before_request(_guard)

    @app.context_processor
    def _permissions() -> dict[str, Any]:
        return {"Permission": Permission}


def landing_page(role: Role) -> str:
    """Where a login lands without a `next`: a chief (process owner) on their own projects,
    which wait for their review; everyone else on the start page."""
    return url_for("projects.mine") if role == Role.owner else url_for("main.index")
