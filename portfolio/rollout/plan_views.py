"""The rollout's charts (a Gantt per app, coverage over time) and "Foreslå plan": settings →
preview (nothing written) → "Brug planen" (every cell at once, with history)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlmodel import Session
from werkzeug.wrappers import Response

from portfolio import charts as base_charts
from portfolio import static_assets
from portfolio.auth import current_actor
from portfolio.charts import PageChart
from portfolio.db import get_session, refused_with
from portfolio.domain import ChangeSource
from portfolio.formats import danish_day
from portfolio.i18n import chart_text
from portfolio.rollout import charts, planner
from portfolio.rollout import services as svc
from portfolio.rollout.plan_forms import ApplyPlanForm, PlanForm, query_data, settings_query

bp = Blueprint("rollout_plan", __name__, url_prefix="/udrulning")


def _apps(session: Session) -> list[tuple[int, str]]:
    return [(int(p.id), p.name) for p, _r in svc.rollouts(session) if p.id is not None]


def _total_users(session: Session, cells: Sequence[svc.GridCell]) -> int:
    """The municipality's users: the departments' head counts (or, where a department has
    none, the most users any of its cells counts)."""
    most: dict[int, int] = {}
    for c in cells:
        most[c.department_id] = max(most.get(c.department_id, 0), c.cell.users or 0)
    return sum(d.head_count or most.get(int(d.id or 0), 0) for d in svc.departments(session))


def _chart_figures(
    session: Session, cells: Sequence[svc.GridCell], apps: Sequence[tuple[int, str]]
) -> list[PageChart]:
    today = svc.today()
    text = chart_text()
    shown: list[PageChart] = []
    for pid, name in apps:
        these = [svc.cell_to_dict(c, json_ready=False) for c in cells if c.cell.project_id == pid]
        if not these:
            continue
        title = _("Udrulning af %(app)s", app=name)
        shown.append(
            PageChart(
                id=f"chart-gantt-{pid}",
                title=title,
                figure=base_charts.safe_figure_json(
                    charts.gantt_figure(these, today=today, title=title, text=text)
                ),
                label=charts.gantt_description(name, these, text),
                columns=charts.gantt_columns(),
                rows=charts.gantt_table(these, text),
            )
        )
    everything = [svc.cell_to_dict(c, json_ready=False) for c in cells]
    total = _total_users(session, cells)
    points = charts.coverage_series(everything, total_users=total, today=today)
    title = _("Andel af brugerne i drift over tid")
    shown.append(
        PageChart(
            id="chart-coverage",
            title=title,
            figure=base_charts.safe_figure_json(
                charts.coverage_figure(
                    everything, total_users=total, today=today, title=title, text=text
                )
            ),
            label=charts.coverage_description(points, today, text),
            columns=charts.coverage_columns(),
            rows=charts.coverage_table(points, text),
        )
    )
    return shown


@bp.get("/diagrammer", endpoint="charts")
def charts_page() -> str:
    session = get_session()
    apps = _apps(session)
    wanted = {int(v) for v in request.args.getlist("projekt") if v.isdigit()}
    picked = [(pid, name) for pid, name in apps if pid in wanted] or apps
    cells = svc.grid_cells(session, [pid for pid, _n in picked]) if picked else []
    return render_template(
        "rollout/charts.html",
        apps=apps,
        picked={pid for pid, _n in picked} if wanted else set(),
        charts=_chart_figures(session, cells, picked) if cells else [],
        plotly_map_style_id=static_assets.PLOTLY_MAP_STYLE_ID,
    )


# --- Foreslå plan ---------------------------------------------------------------------------------


def _lockable(session: Session, project_ids: Sequence[int]) -> list[tuple[int, str]]:
    """Cells a planner may move but that already have dates: these can be locked by hand."""
    cells = sorted(svc.grid_cells(session, project_ids), key=lambda g: (g.project, g.department))
    return [
        (
            int(c.cell.id or 0),
            f"{c.project} · {c.department}: "
            f"{danish_day(c.cell.planned_start)} – {danish_day(c.cell.planned_go_live)}",
        )
        for c in cells
        if c.cell.state in svc.PLANNABLE and c.cell.planned_start and c.cell.planned_go_live
    ]


def _plan_form(session: Session, data: Any) -> PlanForm:
    apps = _apps(session)
    form = PlanForm(formdata=data)
    form.set_choices(apps, _lockable(session, [pid for pid, _n in apps]))
    return form


@dataclass(frozen=True)
class PreviewRow:
    app: str
    department: str
    state: str
    planned_start: Any
    planned_go_live: Any
    weeks: int | None
    reasons: str
    locked: bool
    changed: bool


def _preview_rows(proposal: svc.Proposal) -> list[PreviewRow]:
    rows = [
        PreviewRow(
            app=g.project,
            department=g.department,
            state=charts.state_text(g.cell.state),
            planned_start=p.planned_start,
            planned_go_live=p.planned_go_live,
            weeks=g.cell.implementation_weeks,
            reasons="; ".join(planner.reason_text(r, _) for r in p.reasons),
            locked=p.locked,
            changed=(g.cell.planned_start, g.cell.planned_go_live)
            != (p.planned_start, p.planned_go_live),
        )
        for g, p in proposal.planned()
    ]
    return sorted(rows, key=lambda r: (r.planned_start, r.department, r.app))


def _preview(form: PlanForm, proposal: svc.Proposal, *, stale: str | None = None) -> str:
    query = settings_query(proposal.settings)
    apply_form = ApplyPlanForm(
        formdata=None, data={"settings": query, "fingerprint": proposal.fingerprint}
    )
    plan = proposal.plan
    slack = (plan.finish - plan.lower_bound).days if plan.finish and plan.lower_bound else None
    return render_template(
        "rollout/plan_preview.html",
        form=form,
        apply_form=apply_form,
        proposal=proposal,
        rows=_preview_rows(proposal),
        apps=[name for pid, name in _apps(get_session()) if pid in proposal.settings.project_ids],
        slack_weeks=None if slack is None else round(slack / 7),
        query=query,
        stale=stale,
        planned=sum(1 for _g, p in proposal.planned() if not p.locked),
    )


@bp.get("/foreslaa")
def propose() -> str | tuple[str, int]:
    session = get_session()
    submitted = "start" in request.args or "projekt" in request.args
    form = _plan_form(session, request.args if submitted else None)
    if not submitted:
        form.projekt.data = [pid for pid, _n in _apps(session)]
        form.start.data = svc.today()
        return render_template("rollout/plan.html", form=form, error=None)
    if not form.validate():
        return render_template("rollout/plan.html", form=form, error=None), 400
    try:
        proposal = svc.propose_plan(session, form.settings())
    except svc.RolloutError as exc:
        return render_template("rollout/plan.html", form=form, error=str(exc)), 400
    return _preview(form, proposal)


@bp.post("/foreslaa/brug")
def apply() -> str | Response | tuple[str, int]:
    session = get_session()
    apply_form = ApplyPlanForm()
    if not apply_form.validate_on_submit():
        abort(400)
    form = _plan_form(session, query_data(apply_form.settings.data or ""))
    if not form.validate():
        abort(400)
    settings = form.settings()

    def refused(exc: Exception) -> tuple[str, int]:
        if isinstance(exc, svc.StaleRolloutError):
            # The plan as it would be now, to look at before using it.
            return _preview(form, svc.propose_plan(session, settings), stale=str(exc)), 409
        return render_template("rollout/plan.html", form=form, error=str(exc)), 400

    with refused_with(svc.RolloutError, refused):
        proposal = svc.apply_proposal(
            session=session,
            settings=settings,
            expected_fingerprint=apply_form.fingerprint.data or "",
            actor=current_actor(),
            source=ChangeSource.plan,
        )
    planned = sum(1 for _g, p in proposal.planned() if not p.locked)
    flash(
        ngettext(
            "Planen er brugt: %(num)d celle er planlagt.",
            "Planen er brugt: %(num)d celler er planlagt.",
            planned,
        ),
        "success",
    )
    return redirect(url_for("rollout.index"))
