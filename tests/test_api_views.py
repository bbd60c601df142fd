"""The read-only JSON API: projects with the UI's filters, paging and ETags, the status history,
meetings and their packs (drafts only for those who prepare them), rollout cells and benefits;
every answer checked against the OpenAPI document."""

from __future__ import annotations

import json
from datetime import date

import pytest
from flask import Flask
from openapi_spec_validator import validate
from sqlmodel import Session

from portfolio.api import schemas
from portfolio.cli import projects_command
from portfolio.domain import ChangeSource, Role
from portfolio.finance.services import record_measurement, save_benefit
from portfolio.meetings.pack import PackMode
from portfolio.meetings.services import create_meeting, publish_meeting
from portfolio.projects.services import update_project
from tests.api_fixtures import check, document, getter, token_for

API = "/api/v1"


def test_the_openapi_document_validates_and_names_every_route(app: Flask) -> None:
    served = app.test_client().get(f"{API}/openapi.json")
    assert served.status_code == 200
    body = served.get_json()
    validate(body)
    assert body == json.loads(json.dumps(document()))
    assert body["openapi"] == "3.1.0"
    api_rules = {
        r.rule
        for r in app.url_map.iter_rules()
        if r.endpoint in {f"api.{x.endpoint}" for x in schemas.ROUTES}
    }
    assert len(api_rules) == len(schemas.ROUTES) == len(body["paths"])


def test_projects_have_the_cli_json_shape_filters_and_pages(
    app: Flask, session: Session, make_project, make_user
) -> None:
    for n in range(5):
        make_project(name=f"Projekt {n}", status="red" if n % 2 else "green", budget_dkk=1_250_000)
    reader = make_user(role=Role.reader)
    get = getter(app.test_client(), token_for(session, reader))

    everything = get(f"{API}/projects")
    assert everything.status_code == 200
    check(everything.get_json(), schemas.ProjectPage)
    cli = json.loads(app.test_cli_runner().invoke(projects_command, ["--json"]).output)
    assert everything.get_json() == {"items": cli, "next": None}  # the same field names, values
    assert everything.get_json()["items"][0]["budget_dkk"] == 1_250_000  # whole kroner

    red = get(f"{API}/projects?status=red").get_json()["items"]
    assert [p["name"] for p in red] == ["Projekt 1", "Projekt 3"]
    assert get(f"{API}/projects?q=projekt%204").get_json()["items"][0]["name"] == "Projekt 4"

    seen, url, pages = [], f"{API}/projects?limit=2&status=red&status=green", 0
    while url:
        page = get(url)
        check(page.get_json(), schemas.ProjectPage)
        seen += [p["name"] for p in page.get_json()["items"]]
        url = page.get_json()["next"]
        assert url is None or ("status=red" in url and "limit=2" in url)
        pages += 1
    assert pages == 3 and seen == [f"Projekt {n}" for n in range(5)]

    for bad in ("limit=0", "limit=1001", "limit=x", "cursor=nonsense"):
        refused = get(f"{API}/projects?{bad}")
        assert refused.status_code == 400, bad
        check(refused.get_json(), schemas.Error)


def test_an_unchanged_list_answers_304_and_a_change_gives_a_new_etag(
    app: Flask, session: Session, make_project, make_user
) -> None:
    project = make_project(name="Lønsystem")
    get = getter(app.test_client(), token_for(session, make_user(role=Role.reader)))
    first = get(f"{API}/projects")
    tag = first.headers["ETag"]
    again = get(f"{API}/projects", headers={"If-None-Match": tag})
    assert again.status_code == 304 and again.get_data() == b""
    with app.test_request_context():
        update_project(
            session=session,
            project=project,
            data={"status_comment": "Forsinket leverance"},
            actor="test",
            source=ChangeSource.web,
        )
    session.commit()
    changed = get(f"{API}/projects", headers={"If-None-Match": tag})
    assert changed.status_code == 200 and changed.headers["ETag"] != tag
    assert changed.get_json()["items"][0]["status_comment"] == "Forsinket leverance"


def test_one_project_and_its_status_history(
    app: Flask, session: Session, make_project, make_user
) -> None:
    project = make_project(name="Sagssystem", status="green")
    with app.test_request_context():
        update_project(
            session=session,
            project=project,
            data={"status": "red"},
            actor="Lise",
            source=ChangeSource.web,
        )
    session.commit()
    get = getter(app.test_client(), token_for(session, make_user(role=Role.reader)))
    one = get(f"{API}/projects/{project.id}")
    check(one.get_json(), schemas.Project)
    assert one.get_json()["status"] == "red"
    history = get(f"{API}/projects/{project.id}/history").get_json()
    check(history, schemas.StatusChangePage)
    last = history["items"][-1]
    assert (last["field"], last["old_value"], last["new_value"]) == ("status", "green", "red")
    assert last["changed_at"][:4].isdigit() and "T" in last["changed_at"]  # ISO
    missing = get(f"{API}/projects/999999/history")
    assert missing.status_code == 404 and missing.is_json
    assert get(f"{API}/projects/999999").status_code == 404


def test_meetings_show_drafts_only_to_those_who_prepare_packs(
    app: Flask, session: Session, make_project, make_user
) -> None:
    make_project(name="Nyt ESDH", status="red")
    with app.test_request_context():
        published = create_meeting(
            session=session, meeting_date=date(2026, 11, 10), mode=PackMode.complete, actor="t"
        )
        publish_meeting(session=session, meeting=published, actor="t")
        create_meeting(
            session=session, meeting_date=date(2026, 12, 8), mode=PackMode.complete, actor="t"
        )
    session.commit()
    reader = getter(app.test_client(), token_for(session, make_user(role=Role.reader)))
    editor = getter(app.test_client(), token_for(session, make_user(role=Role.editor)))

    listed = reader(f"{API}/meetings").get_json()
    check(listed, schemas.MeetingPage)
    assert [m["meeting_date"] for m in listed["items"]] == ["2026-11-10"]
    assert reader(f"{API}/meetings/2026-12-08").status_code == 404  # the draft is not there
    pack = reader(f"{API}/meetings/2026-11-10").get_json()
    check(pack, schemas.MeetingPack)
    assert [p["name"] for p in pack["projects"]] == ["Nyt ESDH"]
    assert pack["for_decision"][0]["reasons"]  # status red

    drafts = editor(f"{API}/meetings").get_json()
    check(drafts, schemas.MeetingPage)
    assert {m["meeting_date"]: m["draft"] for m in drafts["items"]} == {
        "2026-11-10": False,
        "2026-12-08": True,
    }
    draft = editor(f"{API}/meetings/2026-12-08")
    assert draft.status_code == 200
    check(draft.get_json(), schemas.MeetingPack)
    assert reader(f"{API}/meetings/not-a-day").status_code == 404


def test_rollout_cells_and_benefits_with_measurements(
    app: Flask, session: Session, make_project, make_user
) -> None:
    from portfolio.rollout.services import start_rollout

    project = make_project(name="Ny intranet", department="Børn & Familie")
    with app.test_request_context():
        start_rollout(session=session, project=project, actor="t", source=ChangeSource.web)
        benefit = save_benefit(
            session=session,
            actor="test",
            source=ChangeSource.cli,
            project=project,
            values={
                "title": "Færre opkald",
                "type": "time",
                "unit": "timer/år",
                "hourly_value_dkk": 450,
            },
            owner=None,
            department=None,
        )
        record_measurement(
            session=session, benefit=benefit, measured_on=date(2026, 10, 1), value=120.0, actor="t"
        )
    session.commit()
    get = getter(app.test_client(), token_for(session, make_user(role=Role.reader)))
    cells = get(f"{API}/rollout/cells?project_id={project.id}").get_json()
    check(cells, schemas.RolloutCellPage)
    assert cells["items"] and all(c["project"] == "Ny intranet" for c in cells["items"])
    found = get(f"{API}/benefits").get_json()
    check(found, schemas.BenefitPage)
    (one,) = found["items"]
    assert one["title"] == "Færre opkald" and one["hourly_value_dkk"] == 450
    assert [(m["measured_on"], m["value"]) for m in one["measurements"]] == [("2026-10-01", 120.0)]


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_the_api_never_writes(app: Flask, session: Session, make_user, method: str) -> None:
    raw = token_for(session, make_user(role=Role.admin))
    client = app.test_client()
    for path in (f"{API}/projects", f"{API}/projects/1", f"{API}/meetings"):
        answer = client.open(path, method=method, headers={"Authorization": f"Bearer {raw}"})
        assert answer.status_code == 405, (method, path)
        check(answer.get_json(), schemas.Error)
