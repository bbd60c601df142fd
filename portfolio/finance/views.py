"""Økonomi: the pools, a pool's ledger (figures, waterfall, movements, returns by the rule) and
its forms, and a project's spending per year. Editors and admins change; everyone reads."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlmodel import Session, col, select
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from portfolio import charts as base_charts
from portfolio import static_assets
from portfolio.auth import current_actor
from portfolio.charts import PageChart
from portfolio.db import get_or_404, get_session, refused_with, utcnow
from portfolio.domain import ChangeSource, MovementKind, label
from portfolio.finance import charts
from portfolio.finance import services as svc
from portfolio.finance.forms import (
    CorrectionForm,
    DepositForm,
    GrantForm,
    MovementForm,
    PoolForm,
    ReleaseForm,
    ReturnForm,
    SpendingForm,
)
from portfolio.finance.models import Pool, PoolMovement
from portfolio.formats import danish_day
from portfolio.i18n import chart_text, format_money
from portfolio.meetings.models import Meeting
from portfolio.permissions import Permission
from portfolio.projects.models import Project

bp = Blueprint("finance", __name__, url_prefix="/oekonomi")

# The forms on a pool's page, by the movement they write; each has its own prefix (field ids).
MOVEMENT_FORMS: dict[MovementKind, type[MovementForm]] = {
    MovementKind.deposit: DepositForm,
    MovementKind.grant: GrantForm,
    MovementKind.release: ReleaseForm,
    MovementKind.correction: CorrectionForm,
}
PREFIX = {
    MovementKind.deposit: "deposit",
    MovementKind.grant: "grant",
    MovementKind.release: "release",
    MovementKind.correction: "correction",
    MovementKind.return_: "return",
}
SORTS = ("date", "kind", "project", "amount")


def today() -> date:
    return utcnow().date()


# --- the pools -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PoolRow:
    pool: Pool
    figures: Any  # rules.LedgerFigures


def _render_index(
    session: Session, form: PoolForm | None = None, message: str | None = None
) -> str:
    if form is None and current_user.can(Permission.manage_finance):
        form = PoolForm(formdata=None, data={"established_on": today()})
    rows = [PoolRow(p, svc.figures(session, p.id or 0)) for p in svc.pools(session)]
    return render_template(
        "finance/index.html",
        rows=rows,
        form=form,
        message=message,
        benefits_url=(
            url_for("benefits.index") if "benefits.index" in current_app.view_functions else None
        ),
    )


@bp.get("/")
def index() -> str:
    return _render_index(get_session())


@bp.post("/puljer")
def create_pool() -> str | Response | tuple[str, int]:
    session = get_session()
    form = PoolForm()
    if not form.validate_on_submit():
        return _render_index(session, form), 400

    def refused(exc: Exception) -> tuple[str, int]:
        return _render_index(session, form, message=str(exc)), 400

    with refused_with(svc.FinanceError, refused):
        pool = svc.create_pool(
            session=session,
            actor=current_actor(),
            source=ChangeSource.web,
            name=form.name.data or "",
            owner_body=form.owner_body.data or "",
            established_on=form.established_on.data,
            return_share_pct=int(form.return_share_pct.data or 0),
            repay_investment=bool(form.repay_investment.data),
            description=(form.description.data or "").strip() or None,
        )
    flash(_("Puljen “%(name)s” er oprettet.", name=pool.name), "success")
    return redirect(url_for("finance.pool", pool_id=pool.id))


# --- a pool's page -------------------------------------------------------------------------------


@dataclass(frozen=True)
class MovementFilter:
    """The movements table's filter and order, from the query string (bookmarkable)."""

    kind: str | None = None
    project: int | None = None
    sort: str = "date"
    descending: bool = False

    @classmethod
    def from_args(cls, args: MultiDict[str, str]) -> MovementFilter:
        kind = args.get("art") or None
        if kind not in {k.value for k in MovementKind}:
            kind = None
        raw_project = args.get("projekt", "")
        sort = args.get("sort", "date")
        return cls(
            kind=kind,
            project=int(raw_project) if raw_project.isdigit() else None,
            sort=sort if sort in SORTS else "date",
            descending=args.get("dir") == "desc",
        )

    def apply(self, rows: list[MovementRow]) -> list[MovementRow]:
        kept = [
            r
            for r in rows
            if (self.kind is None or r.movement.kind == self.kind)
            and (self.project is None or r.movement.project_id == self.project)
        ]
        keys: dict[str, Any] = {
            "date": lambda r: (r.movement.occurred_on, r.movement.id or 0),
            "kind": lambda r: (str(label(r.movement.kind)), r.movement.id or 0),
            "project": lambda r: (r.project.name.lower() if r.project else "", r.movement.id or 0),
            "amount": lambda r: (r.signed, r.movement.id or 0),
        }
        return sorted(kept, key=keys[self.sort], reverse=self.descending)


@dataclass(frozen=True)
class MovementRow:
    movement: PoolMovement
    project: Project | None
    meeting: Meeting | None

    @property
    def signed(self) -> int:
        """What the movement does to the balance."""
        if self.movement.kind == MovementKind.grant:
            return -self.movement.amount_dkk
        return self.movement.amount_dkk


@dataclass(frozen=True)
class ReturnRow:
    project: Project
    granted: int
    split: Any  # rules.ReturnSplit
    returned: int


def _pool_or_404(session: Session, pool_id: int) -> Pool:
    pool = session.get(Pool, pool_id)
    if pool is None:
        abort(404)
    return pool


def _project_choices(session: Session) -> list[tuple[int, str]]:
    rows = session.exec(
        select(Project.id, Project.name)
        .where(col(Project.archived).is_(False))
        .order_by(col(Project.name))
    ).all()
    return [(int(pid), name) for pid, name in rows if pid is not None]


def _meeting_choices(session: Session) -> list[tuple[str, str]]:
    meetings = session.exec(select(Meeting).order_by(col(Meeting.meeting_date).desc())).all()
    return [("", _("– intet møde –"))] + [
        (str(m.id), f"{danish_day(m.meeting_date)} {m.title}") for m in meetings
    ]


def _granted_projects(session: Session, pool: Pool) -> list[tuple[Project, int]]:
    """The projects that hold (or held) money from the pool, with their net grant."""
    ids = {
        m.project_id
        for m in svc.movements(session, pool.id or 0)
        if m.project_id is not None and m.kind == MovementKind.grant
    }
    found = []
    for project_id in ids:
        project = session.get(Project, project_id)
        if project is not None:
            found.append((project, svc.net_grant(session, pool.id or 0, project_id)))
    return sorted(found, key=lambda pair: pair[0].name.lower())


def _movement_forms(
    session: Session, pool: Pool, submitted: dict[MovementKind, MovementForm] | None = None
) -> dict[MovementKind, MovementForm]:
    """The pool page's forms, fresh (the pool's current version) unless one was submitted."""
    forms: dict[MovementKind, MovementForm] = {}
    held = [
        (p.id, f"{p.name} ({format_money(n)})") for p, n in _granted_projects(session, pool) if n
    ]
    for kind, cls in MOVEMENT_FORMS.items():
        form = (submitted or {}).get(kind) or cls(
            formdata=None,
            prefix=PREFIX[kind],
            data={"version": pool.version, "occurred_on": today()},
        )
        if isinstance(form, GrantForm):
            form.project_id.choices = _project_choices(session)
            form.decision_meeting_id.choices = _meeting_choices(session)
        elif isinstance(form, ReleaseForm):
            form.project_id.choices = held
        forms[kind] = form
    return forms


def _render_pool(
    session: Session,
    pool: Pool,
    *,
    submitted: dict[MovementKind, MovementForm] | None = None,
    message: str | None = None,
    open_form: MovementKind | None = None,
) -> str:
    assert pool.id is not None  # noqa: S101
    figures = svc.figures(session, pool.id)
    lines = svc.movements(session, pool.id)
    projects = {p.id: p for p in session.exec(select(Project)).all()}
    meeting_ids = {m.decision_meeting_id for m in lines if m.decision_meeting_id}
    meetings = {
        m.id: m for m in session.exec(select(Meeting).where(col(Meeting.id).in_(meeting_ids))).all()
    }
    rows = [
        MovementRow(
            m,
            projects.get(m.project_id) if m.project_id else None,
            meetings.get(m.decision_meeting_id) if m.decision_meeting_id else None,
        )
        for m in lines
    ]
    flt = MovementFilter.from_args(request.args)
    text = chart_text()
    title = _("Fra indskud til saldo")
    chart = PageChart(
        id="chart-waterfall",
        title=title,
        figure=base_charts.safe_figure_json(
            charts.waterfall_figure(figures, title=title, text=text)
        ),
        label=charts.waterfall_description(pool.name, figures, text),
        columns=charts.waterfall_columns(),
        rows=charts.waterfall_table(figures, text),
    )
    returns = [
        ReturnRow(
            project,
            granted,
            svc.suggested_return(session, pool, project.id or 0),
            svc.returned_for(session, pool.id, project.id or 0),
        )
        for project, granted in _granted_projects(session, pool)
    ]
    may_manage = current_user.can(Permission.manage_finance)
    used_projects = sorted(
        {r.project.id: r.project for r in rows if r.project}.values(), key=lambda p: p.name.lower()
    )
    return render_template(
        "finance/pool.html",
        pool=pool,
        figures=figures,
        chart=chart,
        rows=flt.apply(rows),
        total_rows=len(rows),
        flt=flt,
        kinds=list(MovementKind),
        used_projects=used_projects,
        returns=returns,
        forms=_movement_forms(session, pool, submitted) if may_manage else {},
        open_form=open_form,
        message=message,
        may_manage=may_manage,
        plotly_map_style_id=static_assets.PLOTLY_MAP_STYLE_ID,
    )


@bp.get("/puljer/<int:pool_id>")
def pool(pool_id: int) -> str:
    session = get_session()
    return _render_pool(session, _pool_or_404(session, pool_id))


def _post_movement(pool_id: int, kind: MovementKind) -> str | Response | tuple[str, int]:
    session = get_session()
    pool = _pool_or_404(session, pool_id)
    form = MOVEMENT_FORMS[kind](prefix=PREFIX[kind])
    forms = _movement_forms(session, pool, {kind: form})  # sets the choices before validating
    if not form.validate_on_submit():
        return _render_pool(session, pool, submitted=forms, open_form=kind), 400
    amount: int = form.amount.data or 0
    values: dict[str, Any] = {"note": form.note.data}
    if isinstance(form, DepositForm):
        values["source"] = form.source.data
    if isinstance(form, GrantForm):
        values["project_id"] = form.project_id.data
        values["decision_meeting_id"] = form.decision_meeting_id.data
        values["decision_case_number"] = form.decision_case_number.data
    if isinstance(form, ReleaseForm):
        values["project_id"] = form.project_id.data
        values["refers_to_id"] = _last_grant_id(session, pool, form.project_id.data)

    def refused(exc: Exception) -> tuple[str, int]:
        stale = isinstance(exc, svc.StaleFinanceError)
        session.expire_all()
        fresh = session.get(Pool, pool_id) or pool
        # A stale form is shown afresh (the new version and balance); otherwise as typed.
        again = None if stale else {kind: form}
        page = _render_pool(session, fresh, submitted=again, message=str(exc), open_form=kind)
        return page, 409 if stale else 400

    with refused_with(svc.FinanceError, refused):
        svc.add_movement(
            session=session,
            pool=pool,
            kind=kind,
            amount_dkk=amount,
            occurred_on=form.occurred_on.data,
            actor=current_actor(),
            expected_version=form.expected_version(),
            **values,
        )
    flash(
        _(
            "%(kind)s på %(amount)s er bogført.",
            kind=label(kind),
            amount=format_money(amount),
        ),
        "success",
    )
    return redirect(url_for("finance.pool", pool_id=pool.id))


def _last_grant_id(session: Session, pool: Pool, project_id: int | None) -> int | None:
    grants = [
        m.id
        for m in svc.movements(session, pool.id or 0)
        if m.kind == MovementKind.grant and m.project_id == project_id
    ]
    return grants[-1] if grants else None


@bp.post("/puljer/<int:pool_id>/indskud")
def deposit(pool_id: int) -> str | Response | tuple[str, int]:
    return _post_movement(pool_id, MovementKind.deposit)


@bp.post("/puljer/<int:pool_id>/bevilling")
def grant(pool_id: int) -> str | Response | tuple[str, int]:
    return _post_movement(pool_id, MovementKind.grant)


@bp.post("/puljer/<int:pool_id>/frigivelse")
def release(pool_id: int) -> str | Response | tuple[str, int]:
    return _post_movement(pool_id, MovementKind.release)


@bp.post("/puljer/<int:pool_id>/rettelse")
def correction(pool_id: int) -> str | Response | tuple[str, int]:
    return _post_movement(pool_id, MovementKind.correction)


# --- a return by the rule, confirmed by the user -------------------------------------------------


def _render_return(
    session: Session,
    pool: Pool,
    project: Project,
    form: ReturnForm | None = None,
    message: str | None = None,
) -> str:
    split = svc.suggested_return(session, pool, project.id or 0)
    if form is None:
        form = ReturnForm(
            formdata=None,
            prefix=PREFIX[MovementKind.return_],
            data={
                "version": pool.version,
                "amount": split.due_now or None,
                "occurred_on": today(),
                "project_id": project.id,
                "note": _("Tilbageløb efter puljens regel"),
            },
        )
    return render_template(
        "finance/movement.html",
        pool=pool,
        project=project,
        split=split,
        granted=svc.net_grant(session, pool.id or 0, project.id or 0),
        returned=svc.returned_for(session, pool.id or 0, project.id or 0),
        form=form,
        message=message,
    )


@bp.get("/puljer/<int:pool_id>/tilbageloeb/<int:project_id>")
def confirm_return(pool_id: int, project_id: int) -> str:
    session = get_session()
    return _render_return(
        session, _pool_or_404(session, pool_id), get_or_404(session, Project, project_id)
    )


@bp.post("/puljer/<int:pool_id>/tilbageloeb/<int:project_id>")
def record_return(pool_id: int, project_id: int) -> str | Response | tuple[str, int]:
    session = get_session()
    pool = _pool_or_404(session, pool_id)
    project = get_or_404(session, Project, project_id)
    form = ReturnForm(prefix=PREFIX[MovementKind.return_])
    if not form.validate_on_submit():
        return _render_return(session, pool, project, form), 400
    if form.project_id.data != str(project.id):
        abort(400)
    amount: int = form.amount.data or 0

    def refused(exc: Exception) -> tuple[str, int]:
        stale = isinstance(exc, svc.StaleFinanceError)
        session.expire_all()
        fresh = session.get(Pool, pool_id) or pool
        page = _render_return(session, fresh, project, None if stale else form, str(exc))
        return page, 409 if stale else 400

    with refused_with(svc.FinanceError, refused):
        svc.add_movement(
            session=session,
            pool=pool,
            kind=MovementKind.return_,
            amount_dkk=amount,
            occurred_on=form.occurred_on.data,
            actor=current_actor(),
            project_id=project.id,
            note=form.note.data,
            refers_to_id=_last_grant_id(session, pool, project.id),
            expected_version=form.expected_version(),
        )
    flash(
        _(
            "Tilbageløb på %(amount)s fra “%(project)s” er bogført.",
            amount=format_money(amount),
            project=project.name,
        ),
        "success",
    )
    return redirect(url_for("finance.pool", pool_id=pool.id))


# --- a project's money (the project page's section) ----------------------------------------------


@bp.post("/projekter/<int:project_id>/forbrug")
def set_spending(project_id: int) -> Response:
    session = get_session()
    project = get_or_404(session, Project, project_id)
    prefix = request.form.get("prefix", "year-new")
    if not prefix.startswith("year-") or len(prefix) > 12:
        abort(400)
    form = SpendingForm(prefix=prefix)
    back = url_for("projects.detail", project_id=project.id) + "#finance-heading"
    if not form.validate_on_submit():
        errors = "; ".join(e for errs in form.errors.values() for e in errs)
        flash(_("Forbruget er ikke gemt: %(errors)s", errors=errors), "error")
        return redirect(back)
    raw_version = form.version.data or ""
    year = int(form.year.data)
    exists = any(y.year == year for y in svc.spending(session, project_id))

    def refused(exc: Exception) -> Response:
        flash(str(exc), "error")
        return redirect(back)

    with refused_with(svc.FinanceError, refused):
        if exists and not raw_version.isdigit():
            raise svc.StaleFinanceError(
                _("%(year)d er allerede registreret: ret året i tabellen.", year=year)
            )
        svc.set_spending(
            session=session,
            actor=current_actor(),
            source=ChangeSource.web,
            project_id=project_id,
            year=year,
            budget_dkk=form.budget.data,
            actual_dkk=form.actual.data,
            expected_version=int(raw_version) if raw_version.isdigit() else None,
        )
    flash(_("Forbruget for %(year)d er gemt.", year=year), "success")
    return redirect(back)
