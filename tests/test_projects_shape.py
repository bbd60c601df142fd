"""One project shape: a field added to ProjectBase (or its references) must reach the form, the
JSON, the sheet, the pack snapshot, the overview row and the labels, or one of these fails."""

from __future__ import annotations

import json
import re
import typing
from collections.abc import Callable
from datetime import date
from enum import StrEnum
from io import BytesIO
from typing import Any

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from flask.testing import FlaskClient
from flask_wtf import FlaskForm
from sqlmodel import Field, Session, SQLModel

from importers import values as sheet_values
from importers.columns import FIELDS as SHEET_FIELDS
from importers.columns import NOT_IN_SHEET, VALUE_LABELS
from importers.fields import MAX_LENGTHS
from importers.workbook import read_workbook
from portfolio.charts import TimelineRow
from portfolio.db import make_engine, upgrade_database
from portfolio.domain import FIELD_LABELS, LABELS, is_slipped
from portfolio.forms import DanishDateField, MoneyField
from portfolio.meetings.pack import PACK_FIELDS, PackProject
from portfolio.meetings.services import live_projects
from portfolio.overview.services import ProjectRow, overview_projects
from portfolio.overview.views import TABLE_COLUMNS
from portfolio.projects.export import export_portfolio_sheet
from portfolio.projects.forms import FIELDSETS, ProjectForm, form_layout, project_field
from portfolio.projects.models import (
    PROJECT_FIELDS,
    PUBLIC_FIELDS,
    Department,
    Person,
    Project,
    ProjectBase,
    ProjectCreate,
    ProjectPublic,
    form_hints,
    shown,
)
from portfolio.projects.services import ENUMS, ProjectFilter, project_to_dict

# Every field of the shape set to something other than its default.
FULL: dict[str, Any] = {
    "name": "Nyt ESDH-system",
    "case_number": "85.13.00-P20-7-26",
    "scope": "national",
    "kind": "strategic",
    "department": "Økonomi & Stab",
    "process_owner": "Peter Damgaard",
    "project_lead": "Mette Sørensen",
    "phase": "procurement",
    "status": "yellow",
    "status_comment": "Leverandøren er forsinket.",
    "start_date": date(2026, 1, 5),
    "end_date": date(2027, 9, 30),
    "baseline_end_date": date(2027, 6, 30),
    "budget_dkk": 4_500_000,
    "description": "Et nyt system til sager og dokumenter.",
    "link": "https://kommune.sharepoint.example/esdh",
}


def _plain(value: object) -> object:
    return value.value if isinstance(value, StrEnum) else value


def _kinds(*wanted: type) -> set[str]:
    """The shape's fields whose annotation is (or is optionally) one of `wanted`."""
    return {
        name
        for name, info in ProjectCreate.model_fields.items()
        for kind in (info.annotation, *typing.get_args(info.annotation))
        if isinstance(kind, type) and issubclass(kind, wanted) and not issubclass(kind, bool)
    }


def test_the_example_sets_every_field_of_the_shape() -> None:
    # keeps the tests below honest: a new field must be given a value here too
    assert set(FULL) == set(PROJECT_FIELDS) == set(ProjectCreate.model_fields)


def test_every_field_has_a_label_and_the_reading_order_follows_the_labels() -> None:
    assert set(PUBLIC_FIELDS) - {"id"} <= set(FIELD_LABELS)
    labelled = [name for name in FIELD_LABELS if name in PUBLIC_FIELDS]
    assert list(PUBLIC_FIELDS) == ["id", *labelled]
    assert set(ProjectPublic.model_fields) == set(PUBLIC_FIELDS)


def test_the_form_has_every_field_and_gives_every_field_back(app: Flask) -> None:
    with app.test_request_context():
        form = ProjectForm(meta={"csrf": False})
        assert set(PROJECT_FIELDS) <= {f.name for f in form}
        assert set(form.project_data()) == set(PROJECT_FIELDS)


def test_the_new_project_page_renders_an_input_for_every_field(client: FlaskClient) -> None:
    html = client.get("/projekter/ny").get_data(as_text=True)
    for name in PROJECT_FIELDS:
        assert re.search(rf'name="{name}"', html), name
    assert re.findall(r"<legend>([^<]+)</legend>", html) == [str(v) for v in FIELDSETS.values()]


def test_each_form_field_follows_its_type_and_required_fields_say_what_is_missing(
    app: Flask,
) -> None:
    expected = {date: "DanishDateField", int: "MoneyField", StrEnum: "SelectField"}
    with app.test_request_context():
        form = ProjectForm(meta={"csrf": False})
        for name in PROJECT_FIELDS:
            info = ProjectCreate.model_fields[name]
            field = form[name]
            assert field.label.text == FIELD_LABELS[name], name
            kinds = [k for k in expected if name in _kinds(k)]
            if kinds:
                assert field.type == expected[kinds[0]], name
            elif name in ProjectBase.model_fields and _is_text_column(name):
                assert field.type == "TextAreaField", name
            else:
                assert field.type == "StringField", name
            if info.is_required():
                assert field.flags.required and form_hints(info)["required"], name
            else:
                assert not field.flags.required, name
            assert form_hints(info)["group"] in FIELDSETS, name


def test_a_field_added_to_the_model_gets_its_form_field_without_a_form_edit(
    app: Flask, monkeypatch: Any
) -> None:
    # the probe: what a maintainer writes when adding two fields, and nothing in forms.py
    class Probe(ProjectCreate):
        go_live: date | None = Field(default=None, schema_extra=shown("plan"))
        risk: str | None = Field(default=None, max_length=40, sa_type=sa.Text)
        cost: int | None = None

    monkeypatch.setitem(FIELD_LABELS, "go_live", "Idriftsat")
    monkeypatch.setitem(FIELD_LABELS, "risk", "Risiko")
    monkeypatch.setitem(FIELD_LABELS, "cost", "Driftsudgift")
    with app.test_request_context():
        fields = {n: project_field(n, info) for n, info in Probe.model_fields.items()}
        form = type("ProbeForm", (FlaskForm,), fields)(meta={"csrf": False})
        assert isinstance(form["go_live"], DanishDateField)
        assert isinstance(form["cost"], MoneyField)
        assert form["risk"].type == "TextAreaField" and form["risk"].label.text == "Risiko"
    layout = form_layout(Probe.model_fields)
    assert ("go_live", None) in layout["plan"] and ("risk", None) in layout["project"]


def test_the_json_is_the_public_shape_with_every_value(
    make_project: Callable[..., Project], session: Session
) -> None:
    project = make_project(**FULL)
    data = project_to_dict(session.get(Project, project.id))  # type: ignore[arg-type]
    assert list(data) == list(PUBLIC_FIELDS)
    for name, value in FULL.items():
        assert data[name] == (value.isoformat() if isinstance(value, date) else value), name
    assert data["id"] == project.id and data["archived"] is False


def test_the_sheet_has_a_column_for_every_field_but_the_ones_it_leaves_out() -> None:
    assert set(SHEET_FIELDS).isdisjoint(NOT_IN_SHEET)
    assert set(SHEET_FIELDS) | NOT_IN_SHEET == set(PROJECT_FIELDS)


def test_every_field_goes_out_to_the_sheet_and_comes_back_in(
    make_project: Callable[..., Project], session: Session
) -> None:
    make_project(**FULL)
    out = BytesIO()
    assert export_portfolio_sheet(session, ProjectFilter(), out) == 1
    (row,) = read_workbook(out.getvalue()).rows
    for name in SHEET_FIELDS:
        assert row.values[name] == FULL[name], name


def test_the_sheet_reader_parses_each_field_by_the_models_type() -> None:
    # importers/ may not import portfolio, so its per-column kinds are checked against the model
    assert set(sheet_values.DATE_FIELDS) == _kinds(date)
    assert set(sheet_values.ENUM_FIELDS) == _kinds(StrEnum) == set(VALUE_LABELS)
    assert set(sheet_values.MONEY_FIELDS) == _kinds(int)
    text = _kinds(str) - _kinds(StrEnum)
    long_text = {name for name in text & set(ProjectBase.model_fields) if _is_text_column(name)}
    assert set(sheet_values.LONG_TEXT_FIELDS) == long_text
    # and the sheet's words for each value are the app's Danish labels
    assert set(ENUMS) == set(VALUE_LABELS)
    for name, labels in VALUE_LABELS.items():
        assert labels == {m.value: str(LABELS[m]) for m in ENUMS[name]}, name


def _is_text_column(name: str) -> bool:
    return isinstance(Project.__table__.c[name].type, sa.Text)  # type: ignore[attr-defined]


def test_text_limits_are_the_ones_the_form_and_the_importer_check() -> None:
    text_fields = _kinds(str) - _kinds(StrEnum)
    assert set(MAX_LENGTHS) == text_fields
    for name in text_fields:
        metadata = ProjectCreate.model_fields[name].metadata
        (limit,) = [m.max_length for m in metadata if hasattr(m, "max_length")]
        assert limit == MAX_LENGTHS[name], name
        column = Project.__table__.c.get(name)  # type: ignore[attr-defined]
        if column is not None and not isinstance(column.type, sa.Text):
            assert column.type.length == MAX_LENGTHS[name], name
    department = Department.__table__.c.name.type.length  # type: ignore[attr-defined]
    assert department == MAX_LENGTHS["department"]
    person = Person.__table__.c.name.type.length  # type: ignore[attr-defined]
    assert person == MAX_LENGTHS["process_owner"] == MAX_LENGTHS["project_lead"]


def test_the_pack_snapshot_holds_every_field(
    make_project: Callable[..., Project], session: Session
) -> None:
    # PackProject inherits the shape, so a new field is frozen, compared and exported with it
    assert issubclass(PackProject, ProjectCreate)
    assert PACK_FIELDS == ("id", *PROJECT_FIELDS)
    project = make_project(**FULL)
    frozen = live_projects(session)[project.id]  # type: ignore[index]
    for name, value in FULL.items():
        assert _plain(getattr(frozen, name)) == value, name
    assert PackProject.from_json(frozen.to_json()) == frozen


def test_snapshots_published_in_the_current_format_still_load() -> None:
    # A row of meeting_snapshot.data exactly as PackProject.to_json wrote it before this change.
    published = (
        '{"baseline_end_date": "2027-06-30", "budget_dkk": 4500000, "case_number": '
        '"85.13.00-P20-7-26", "department": "Økonomi & Stab", "description": null, '
        '"end_date": "2027-09-30", "id": 7, "kind": "strategic", "link": null, "name": '
        '"Nyt ESDH-system", "phase": "procurement", "process_owner": "Peter Damgaard", '
        '"project_lead": "Mette Sørensen", "scope": "national", "start_date": "2026-01-05", '
        '"status": "yellow", "status_comment": "Leverandøren er forsinket."}'
    )
    project = PackProject.from_json(published)
    assert project.end_date == date(2027, 9, 30) and project.budget_dkk == 4_500_000
    assert project.slipped
    # written back, it says the same (plus None for any field added since)
    assert json.loads(project.to_json()).items() >= json.loads(published).items()
    # one frozen before a field existed: the field is None; a key since dropped is ignored
    older = json.loads(published)
    del older["link"]
    older["retired_field"] = "x"
    assert PackProject.from_json(json.dumps(older)).link is None
    # a text longer than today's limit (were one lowered) still loads: a published pack opens
    longer = {**json.loads(published), "name": "N" * (MAX_LENGTHS["name"] + 50)}
    assert PackProject.from_json(json.dumps(longer)).name == longer["name"]
    # so a field added later needs a default: only these have been in every snapshot
    required = {name for name, info in PackProject.model_fields.items() if info.is_required()}
    assert required == {"id", "name", "scope", "kind", "phase"}


def test_the_overview_shows_its_chosen_columns_of_the_shape(
    make_project: Callable[..., Project], session: Session, client: FlaskClient
) -> None:
    # By design a subset (README): the row holds what the charts count and the table shows.
    counted = ProjectRow._fields[:-1]  # the last, `shown`, holds the table's columns
    assert set(counted) <= {"id", *PROJECT_FIELDS}
    assert set(TABLE_COLUMNS) <= set(PROJECT_FIELDS)
    project = make_project(**FULL)
    (row,) = overview_projects(session, ProjectFilter())
    assert row.id == project.id
    for name in counted[1:]:
        assert row._asdict()[name] == FULL[name], name
    assert row.shown == tuple(FULL[name] for name in TABLE_COLUMNS)
    html = client.get("/overblik/").get_data(as_text=True)
    table = html[html.index('class="projects cards overview-projects"') :]
    head = table[: table.index("</thead>")]
    titles = [
        re.sub(r"<[^>]+>|[▲▼]", "", t).strip()
        for t in re.findall(r'<th scope="col"[^>]*>(.*?)</th>', head, re.S)
    ]
    assert titles == [str(FIELD_LABELS[name]) for name in TABLE_COLUMNS]
    cells = table[table.index("<tbody>") : table.index("</tbody>")]
    for text in (FULL["name"], FULL["department"], FULL["process_owner"], "4.500.000"):
        assert text in cells.replace("&amp;", "&"), text


def test_slipped_is_one_rule_in_the_pack_the_overview_and_the_timeline() -> None:
    start = date(2026, 3, 1)
    cases = [
        (date(2026, 12, 31), date(2026, 6, 30), True),
        (date(2026, 6, 30), date(2026, 6, 30), False),
        (date(2026, 5, 1), date(2026, 6, 30), False),
        (date(2026, 12, 31), None, False),
        # a baseline before the start: the pack always called this slipped, the timeline did not
        (date(2026, 12, 31), date(2026, 1, 31), True),
    ]
    for end, baseline, expected in cases:
        fields = {**FULL, "start_date": start, "end_date": end, "baseline_end_date": baseline}
        pack = PackProject(id=1, **fields)
        row = ProjectRow(**{name: fields.get(name, 1) for name in ProjectRow._fields})
        timeline = TimelineRow(1, "x", "national", None, start, end, baseline, "/p/1")
        assert is_slipped(end, baseline) is expected
        assert pack.slipped is row.slipped is timeline.slipped is expected, (end, baseline)


def test_migrations_at_head_match_the_models(empty_database_url: str) -> None:
    engine = make_engine(empty_database_url)
    try:
        upgrade_database(engine)
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            assert compare_metadata(context, SQLModel.metadata) == []
    finally:
        engine.dispose()
