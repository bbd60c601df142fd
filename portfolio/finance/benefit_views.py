"""Gevinster: the benefits overview across the portfolio, one benefit's page with its chart and
history, recording a measurement or an assessment (editors; a chief only on their own
benefits), and creating and editing benefits (editors)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlmodel import Session, col, select
from werkzeug.wrappers import Response

from portfolio import static_assets
from portfolio.auth import current_actor, forbidden
from portfolio.charts import PageChart, safe_figure_json
from portfolio.db import get_or_404, get_session, refused_with, utcnow
from portfolio.domain import BenefitType, ChangeSource
from portfolio.finance import benefit_charts as charts
from portfolio.finance import services as svc
from portfolio.finance.benefit_forms import (
    BENEFIT_LABELS,
    NUMERIC_FIELDS,
    BenefitForm,
    BenefitTypeForm,
    MeasurementForm,
)
from portfolio.finance.benefit_services import (
    BenefitFilter,
    BenefitRow,
    benefit_rows,
    display_helpers,
    gain_figures,
)
from portfolio.finance.models import Benefit
from portfolio.i18n import chart_text
from portfolio.permissions import Permission
from portfolio.projects.models import Department, Person, Project

bp = Blueprint("benefits", __name__, url_prefix="/oekonomi/gevinster")

NUMERIC_TYPES = (BenefitType.economic, BenefitType.time)


def _benefit_or_404(session: Session, benefit_id: int) -> tuple[Benefit, Project]:
    benefit = session.get(Benefit, benefit_id)
    project = session.get(Project, benefit.project_id) if benefit else None
    if benefit is None or project is None:
        abort(404)
    return benefit, project


def _helpers() -> dict[str, Any]:
    return {
        **display_helpers(),
        "benefit_labels": BENEFIT_LABELS,
        "plotly_map_style_id": static_assets.PLOTLY_MAP_STYLE_ID,
    }


# --- the overview --------------------------------------------------------------------------------


def _gain_charts(rows: list[BenefitRow]) -> list[PageChart]:
    text = chart_text()
    today = utcnow().date()
    figures = gain_figures(rows, today)
    shown = []
    for kind in NUMERIC_TYPES:
        if not any(f.type == kind for f in figures):
            continue
        unit = charts.unit_of(kind)
        for by, these, title, first in (
            (
                "year",
                figures,
                _("%(type)s gevinster pr. år (%(unit)s)", type=_type_word(kind), unit=unit),
                _("År"),
            ),
            (
                "department",
                [f for f in figures if f.year == today.year],
                _(
                    "%(type)s gevinster pr. afdeling i %(year)s (%(unit)s)",
                    type=_type_word(kind),
                    year=today.year,
                    unit=unit,
                ),
                _("Afdeling"),
            ),
        ):
            series = charts.gain_series(these, kind, by=by)
            if not series.categories:
                continue
            shown.append(
                PageChart(
                    id=f"chart-{kind.value}-{by}",
                    title=title,
                    figure=safe_figure_json(charts.gains_figure(series, kind, text)),
                    label=charts.gains_description(series, kind, text),
                    columns=charts.gains_columns(kind, first),
                    rows=charts.gains_table(series, kind, text),
                )
            )
    return shown


def _type_word(kind: BenefitType) -> str:
    return _("Økonomiske") if kind == BenefitType.economic else _("Tidsmæssige")


@bp.get("/")
def index() -> str:
    session = get_session()
    flt = BenefitFilter.from_args(request.args)
    everything = benefit_rows(session)
    rows = flt.apply(everything)
    return render_template(
        "finance/benefits.html",
        flt=flt,
        rows=rows,
        charts=_gain_charts(rows),
        types=list(BenefitType),
        departments=sorted({r.department for r in everything if r.department}),
        projects=sorted({(r.project.id, r.project.name) for r in everything}, key=lambda p: p[1]),
        behind=sum(1 for r in rows if r.status.behind_plan),
        **_helpers(),
    )


# --- one benefit ---------------------------------------------------------------------------------


def _measurement_chart(benefit: Benefit, rows: list[BenefitRow]) -> PageChart | None:
    if benefit.type == BenefitType.qualitative:
        return None
    history = rows[0].history if rows else []
    points = [
        charts.Point(m.measured_on, m.value, m.comment) for m in history if m.value is not None
    ]
    plan = charts.BenefitPlan(
        unit=benefit.unit or charts.unit_of(benefit.type),
        baseline_value=benefit.baseline_value,
        baseline_date=benefit.baseline_date,
        target_pessimistic=benefit.target_pessimistic,
        target_likely=benefit.target_likely,
        target_optimistic=benefit.target_optimistic,
        full_effect_on=benefit.full_effect_on,
    )
    text = chart_text()
    title = _("Målinger af “%(title)s” mod målene", title=benefit.title)
    return PageChart(
        id="chart-measurements",
        title=title,
        figure=safe_figure_json(charts.measurement_figure(plan, points, text)),
        label=charts.measurement_description(plan, points, text),
        columns=charts.measurement_columns(),
        rows=charts.measurement_table(plan, points, text),
    )


def _measurement_form(formdata: Any = None) -> MeasurementForm:
    if formdata is not None:
        return MeasurementForm(formdata=formdata)
    return MeasurementForm(formdata=None, data={"measured_on": utcnow().date()})


def _render_detail(
    session: Session,
    benefit: Benefit,
    project: Project,
    form: MeasurementForm | None = None,
    *,
    message: str | None = None,
) -> str:
    rows = [r for r in benefit_rows(session, project_id=project.id) if r.benefit.id == benefit.id]
    may_record = current_user.can(Permission.record_benefit, benefit=benefit)
    return render_template(
        "finance/benefit.html",
        benefit=benefit,
        project=project,
        row=rows[0],
        chart=_measurement_chart(benefit, rows),
        form=(form or _measurement_form()) if may_record else None,
        may_edit=current_user.can(Permission.manage_finance),
        message=message,
        **_helpers(),
    )


@bp.get("/<int:benefit_id>")
def detail(benefit_id: int) -> str:
    session = get_session()
    benefit, project = _benefit_or_404(session, benefit_id)
    return _render_detail(session, benefit, project)


@bp.post("/<int:benefit_id>/maaling")
def record(benefit_id: int) -> str | Response | tuple[str, int]:
    session = get_session()
    benefit, project = _benefit_or_404(session, benefit_id)
    if not current_user.can(Permission.record_benefit, benefit=benefit):
        forbidden("not this benefit's owner")
    form = _measurement_form(request.form)
    if not form.validate_on_submit():
        return _render_detail(session, benefit, project, form), 400

    def refused(exc: Exception) -> tuple[str, int]:
        return _render_detail(session, benefit, project, form, message=str(exc)), 400

    with refused_with(svc.FinanceError, refused):
        svc.record_measurement(
            session=session,
            benefit=benefit,
            measured_on=form.measured_on.data,
            actor=current_actor(),
            value=form.value.data,
            assessment=form.assessment.data or None,
            comment=form.comment.data,
        )
    if benefit.type == BenefitType.qualitative:
        flash(_("Vurderingen er gemt."), "success")
    else:
        flash(_("Målingen er gemt."), "success")
    return redirect(url_for("benefits.detail", benefit_id=benefit.id))


# --- creating and editing a benefit --------------------------------------------------------------


def _names(session: Session) -> dict[str, list[str]]:
    return {
        "people": list(session.exec(select(Person.name).order_by(col(Person.name)))),
        "department_names": list(
            session.exec(select(Department.name).order_by(col(Department.name)))
        ),
    }


def _form_data(session: Session, benefit: Benefit) -> dict[str, Any]:
    data: dict[str, Any] = {n: getattr(benefit, n) for n in svc.BENEFIT_FIELDS if n != "type"}
    owner, place = svc.owner_of(session, benefit), svc.department_of(session, benefit)
    data.update(
        owner=owner.name if owner else "",
        department=place.name if place else "",
        version=benefit.version,
    )
    return data


def _render_form(
    session: Session,
    form: BenefitForm,
    project: Project,
    kind: BenefitType,
    benefit: Benefit | None = None,
    message: str | None = None,
) -> str:
    shown = [
        form[n]
        for n in svc.BENEFIT_FIELDS
        if n != "type"
        and not (kind == BenefitType.qualitative and n in NUMERIC_FIELDS)
        and not (kind == BenefitType.economic and n == "hourly_value_dkk")
    ]
    return render_template(
        "finance/benefit_form.html",
        form=form,
        fields=shown,
        project=project,
        kind=kind,
        benefit=benefit,
        message=message,
        **_names(session),
        **_helpers(),
    )


def _save(
    session: Session,
    form: BenefitForm,
    project: Project,
    kind: BenefitType,
    benefit: Benefit | None,
) -> Benefit:
    values = form.benefit_values(kind)
    if benefit is None:
        values["type"] = kind
    return svc.save_benefit(
        session=session,
        actor=current_actor(),
        source=ChangeSource.web,
        project=project,
        values=values,
        owner=(form.owner.data or "").strip() or None,
        department=(form.department.data or "").strip() or None,
        benefit=benefit,
        expected_version=form.expected_version() if benefit else None,
    )


@bp.route("/ny/<int:project_id>", methods=["GET", "POST"])
def create(project_id: int) -> str | Response | tuple[str, int]:
    session = get_session()
    project = get_or_404(session, Project, project_id)
    raw = request.args.get("type", "")
    if raw not in {t.value for t in BenefitType}:
        if request.method == "POST":
            abort(400)
        return render_template(
            "finance/benefit_type.html",
            project=project,
            form=BenefitTypeForm(formdata=None),
            **_helpers(),
        )
    kind = BenefitType(raw)
    form = BenefitForm() if request.method == "POST" else BenefitForm(data={"version": 0})
    if not form.validate_on_submit():
        status = 400 if request.method == "POST" else 200
        return _render_form(session, form, project, kind), status

    def refused(exc: Exception) -> tuple[str, int]:
        return _render_form(session, form, project, kind, message=str(exc)), 400

    with refused_with(svc.FinanceError, refused):
        benefit = _save(session, form, project, kind, None)
    flash(_("Gevinsten “%(title)s” er oprettet.", title=benefit.title), "success")
    return redirect(url_for("benefits.detail", benefit_id=benefit.id))


@bp.route("/<int:benefit_id>/rediger", methods=["GET", "POST"])
def edit(benefit_id: int) -> str | Response | tuple[str, int]:
    session = get_session()
    benefit, project = _benefit_or_404(session, benefit_id)
    kind = BenefitType(benefit.type)
    if request.method == "GET":
        return _render_form(
            session, BenefitForm(data=_form_data(session, benefit)), project, kind, benefit
        )
    form = BenefitForm()
    if not form.validate_on_submit():
        return _render_form(session, form, project, kind, benefit), 400

    def refused(exc: Exception) -> tuple[str, int]:
        fresh = BenefitForm(formdata=None, data=_form_data(session, benefit))
        page = _render_form(session, fresh, project, kind, benefit, message=str(exc))
        return page, 409 if isinstance(exc, svc.StaleFinanceError) else 400

    with refused_with(svc.FinanceError, refused):
        if form.expected_version() != benefit.version:
            raise svc.StaleFinanceError(
                _(
                    "Gevinsten er ændret af en anden, siden du åbnede den. Intet er gemt: "
                    "se de nye værdier, og prøv igen."
                )
            )
        _save(session, form, project, kind, benefit)
    flash(_("Gevinsten er gemt."), "success")
    return redirect(url_for("benefits.detail", benefit_id=benefit.id))
