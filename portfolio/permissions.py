"""Who may do what: the role matrix, and the one table that gives every route its permission."""

from __future__ import annotations

from enum import StrEnum

from portfolio.domain import Role


class Permission(StrEnum):
    view = "view"  # read the portfolio, the overview and the history
    export = "export"  # download the portfolio and meeting packs
    update_status = "update_status"  # status, comment and phase (owners: own projects only)
    review = "review"  # mark own projects as reviewed ("gennemset")
    edit_project = "edit_project"  # every field of any project
    create_project = "create_project"
    archive_project = "archive_project"
    import_sheet = "import_sheet"
    manage_users = "manage_users"
    view_audit = "view_audit"
    manage_meetings = "manage_meetings"  # prepare, publish and minute Chefforum's packs
    plan_rollout = "plan_rollout"  # propose and apply rollout plans, change every cell
    update_rollout = "update_rollout"  # state, readiness, blocker, go-live (chiefs: own department)
    manage_finance = "manage_finance"  # pools, their movements, grants, spending, benefits
    record_benefit = "record_benefit"  # measurements and assessments (chiefs: own benefits)


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.admin: frozenset(Permission),
    Role.editor: frozenset(
        {
            Permission.view,
            Permission.export,
            Permission.update_status,
            Permission.edit_project,
            Permission.create_project,
            Permission.archive_project,
            Permission.view_audit,
            Permission.manage_meetings,
            Permission.plan_rollout,
            Permission.update_rollout,
            Permission.manage_finance,
            Permission.record_benefit,
        }
    ),
    Role.owner: frozenset(
        {
            Permission.view,
            Permission.export,
            Permission.update_status,
            Permission.review,
            Permission.update_rollout,
            Permission.record_benefit,
        }
    ),
    Role.reader: frozenset({Permission.view, Permission.export}),
}

# Permissions an owner holds only for the projects where they are process owner.
OWN_PROJECTS_ONLY: frozenset[Permission] = frozenset({Permission.update_status, Permission.review})
# Permissions an owner holds only for the departments they are the chief of (rollout cells).
OWN_DEPARTMENT_ONLY: frozenset[Permission] = frozenset({Permission.update_rollout})
# Permissions an owner holds only for the benefits they own (gevinstejer).
OWN_BENEFITS_ONLY: frozenset[Permission] = frozenset({Permission.record_benefit})

# Every endpoint of the app, and what it needs. None: open to anyone, also without login.
# create_app refuses to start if a route is missing here, so no route goes unguarded.
ENDPOINTS: dict[str, Permission | None] = {
    "static": None,
    "vendor": None,
    "auth.login": None,
    "auth.emergency": None,  # the password form when PORTFOLIO_LOCAL_LOGIN=0 (admins only)
    "sso.start": None,  # single sign-on: off to the provider
    "sso.callback": None,  # and back, with state, code and ID token checked
    "main.health": None,
    "main.language": None,  # the login page offers English too
    "auth.logout": Permission.view,
    "main.index": Permission.view,
    "projects.index": Permission.view,
    "projects.detail": Permission.view,
    "projects.export": Permission.export,
    "projects.create": Permission.create_project,
    "projects.edit": Permission.edit_project,
    "projects.update_status": Permission.update_status,
    "projects.review": Permission.review,
    "projects.archive": Permission.archive_project,
    "projects.mine": Permission.review,
    "imports.index": Permission.import_sheet,
    "imports.upload": Permission.import_sheet,
    "imports.preview": Permission.import_sheet,
    "imports.options": Permission.import_sheet,
    "imports.apply": Permission.import_sheet,
    "imports.run": Permission.import_sheet,
    "imports.values": Permission.import_sheet,
    "imports.save_values": Permission.import_sheet,
    "imports.undo_profile": Permission.import_sheet,
    "imports.profiles": Permission.import_sheet,
    "imports.delete_profile": Permission.manage_users,
    "users.index": Permission.manage_users,
    "users.create": Permission.manage_users,
    "users.edit": Permission.manage_users,
    "audit.index": Permission.view_audit,
    "overview.index": Permission.view,
    # Drafts are checked again in the views: only those who prepare packs see them.
    "meetings.index": Permission.view,
    "meetings.create": Permission.manage_meetings,
    "meetings.detail": Permission.view,
    "meetings.edit": Permission.manage_meetings,
    "meetings.flag": Permission.manage_meetings,
    "meetings.publish": Permission.manage_meetings,
    "meetings.decide": Permission.manage_meetings,
    "meetings.delete": Permission.manage_meetings,
    "meetings.start_review_round": Permission.manage_meetings,
    "meetings.export": Permission.export,
    # The grid and a cell's page are open to readers (read-only); the cell view itself lets a
    # chief (owner) change only their own department's cells, and only CHIEF_FIELDS.
    "rollout.index": Permission.view,
    "rollout.cell": Permission.view,
    "rollout.update_cell": Permission.update_rollout,
    "rollout.departments": Permission.view,
    "rollout.save_departments": Permission.plan_rollout,
    "rollout.app_settings": Permission.plan_rollout,
    "rollout.start": Permission.plan_rollout,
    "rollout_plan.charts": Permission.view,
    "rollout_plan.propose": Permission.plan_rollout,
    "rollout_plan.apply": Permission.plan_rollout,
    "rollout_sheet.export": Permission.export,
    "rollout_sheet.index": Permission.plan_rollout,
    "rollout_sheet.upload": Permission.plan_rollout,
    "rollout_sheet.preview": Permission.plan_rollout,
    "rollout_sheet.apply": Permission.plan_rollout,
    # Pools and their ledger: everyone reads; editors and admins write (and open the forms).
    "finance.index": Permission.view,
    "finance.create_pool": Permission.manage_finance,
    "finance.pool": Permission.view,
    "finance.deposit": Permission.manage_finance,
    "finance.grant": Permission.manage_finance,
    "finance.release": Permission.manage_finance,
    "finance.correction": Permission.manage_finance,
    "finance.confirm_return": Permission.manage_finance,
    "finance.record_return": Permission.manage_finance,
    "finance.set_spending": Permission.manage_finance,
    "finance_sheets.ledger": Permission.export,
    "finance_sheets.benefits": Permission.export,
    # Benefits: everyone reads; a measurement or assessment is checked again in the view (a
    # chief only on the benefits they own); editors and admins create and edit benefits.
    "benefits.index": Permission.view,
    "benefits.detail": Permission.view,
    "benefits.record": Permission.record_benefit,
    "benefits.create": Permission.manage_finance,
    "benefits.edit": Permission.manage_finance,
    # Help: every logged-in user reads every page (each says what the reader's role may do);
    # the login help is for those who cannot log in yet, and says nothing about the portfolio.
    "help.index": Permission.view,
    "help.topic": Permission.view,
    "help.login": None,
    # The JSON API: None here because the login guard (a redirect to the login page) is not
    # for it; portfolio/api/views.py lets in only a valid token (401 JSON otherwise), never a
    # session cookie, and the token acts with its user's rights (view; drafts: manage_meetings).
    "api.projects": None,
    "api.project": None,
    "api.project_history": None,
    "api.meetings": None,
    "api.meeting": None,
    "api.rollout_cells": None,
    "api.benefits": None,
    "api.elsewhere": None,  # 404 for other paths, 405 for any method but GET
    "api.openapi": None,  # the API's description: no portfolio data, no token needed
    # A user's own API tokens (their own only, checked in the views).
    "api_tokens.index": Permission.view,
    "api_tokens.create": Permission.view,
    "api_tokens.revoke": Permission.view,
}


def has_permission(role: Role | str, permission: Permission) -> bool:
    return permission in ROLE_PERMISSIONS[Role(role)]
