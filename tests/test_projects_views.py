"""The project pages as a user meets them: list, filters in the URL, forms, history, conflicts."""

from __future__ import annotations

import re
from datetime import date

from flask.testing import FlaskClient
from sqlmodel import Session, select

from portfolio.projects.models import Project, StatusUpdate
from tests.conftest import count_rows, csrf_token, login, snapshot, version_on


def _rows(html: str) -> list[str]:
    """Project names in the list table, in order."""
    return re.findall(r'<th scope="row"><a href="/projekter/\d+">([^<]+)</a>', html)


def test_the_project_list_shows_the_projects(client: FlaskClient, make_project) -> None:
    # The front page is the overview now (tests/test_views_overview.py).
    make_project(name="Bilagsapp")
    response = client.get("/projekter/")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<html lang="da">' in html
    assert "<h1>Projekter</h1>" in html
    assert _rows(html) == ["Bilagsapp"]


def test_filters_and_sorting_live_in_the_url(client: FlaskClient, make_project) -> None:
    make_project(name="Rød national", scope="national", status="red", budget_dkk=100)
    make_project(name="Grøn national", scope="national", status="green", budget_dkk=300)
    make_project(name="Rød lokal", scope="department", status="red", budget_dkk=200)
    html = client.get("/projekter/?scope=national&sort=budget_dkk&dir=desc").get_data(as_text=True)
    assert _rows(html) == ["Grøn national", "Rød national"]
    # the chosen filter is shown as chosen, so the bookmarked view explains itself
    assert re.search(r'name="scope" value="national" checked', html)
    assert "2 projekter" in html
    assert 'aria-sort="descending"' in html
    html = client.get("/projekter/?status=red&q=lokal").get_data(as_text=True)
    assert _rows(html) == ["Rød lokal"]
    assert "1 projekt<" in html


def test_an_empty_result_says_so(client: FlaskClient, make_project) -> None:
    make_project()
    html = client.get("/projekter/?q=findes-ikke").get_data(as_text=True)
    assert "Ingen projekter matcher filtrene." in html


def test_project_page_shows_danish_dates_money_and_status_as_text(
    client: FlaskClient, make_project
) -> None:
    project = make_project(
        status="red", budget_dkk=1_250_000, end_date=date(2020, 10, 22), status_comment="Bagud"
    )
    html = client.get(f"/projekter/{project.id}").get_data(as_text=True)
    assert "1.250.000 kr." in html
    assert "22-10-2020" in html
    # status is spoken as a word, not only a colour
    assert re.search(r'class="status status-red">.*?Rød</span>', html)
    assert "Statushistorik" in html


def test_creating_a_project_with_errors_shows_danish_messages_and_saves_nothing(
    client: FlaskClient, session: Session
) -> None:
    token = csrf_token(client, "/projekter/ny")
    before = snapshot(session)
    response = client.post(
        "/projekter/ny",
        data={
            "csrf_token": token,
            "name": "",
            "scope": "municipal",
            "kind": "strategic",
            "phase": "idea",
            "start_date": "01-02-2021",
            "end_date": "31-12-2020",
            "budget_dkk": "mange penge",
            "link": "javascript:alert(1)",
        },
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Projektet er ikke gemt" in html
    assert "Projektet skal have et navn." in html
    assert "Slutdatoen kan ikke ligge før startdatoen." in html
    assert "Skriv beløbet i hele kroner, fx 1.250.000." in html
    assert 'aria-invalid="true"' in html
    # what the user typed is kept, so nothing is lost
    assert 'value="mange penge"' in html
    assert snapshot(session) == before


def test_creating_a_project(client: FlaskClient, session: Session) -> None:
    token = csrf_token(client, "/projekter/ny")
    response = client.post(
        "/projekter/ny",
        data={
            "csrf_token": token,
            "name": "Fraværsapp",
            "case_number": "85.13.00-P20-3-20",
            "scope": "municipal",
            "kind": "operational",
            "department": "Økonomi & Stab",
            "process_owner": "Peter Damgaard",
            "phase": "analysis",
            "status": "yellow",
            "start_date": "2020-09-01",
            "end_date": "31-12-2021",
            "budget_dkk": "1.250.000 kr.",
        },
        follow_redirects=True,
    )
    html = response.get_data(as_text=True)
    assert "Projektet “Fraværsapp” er oprettet." in html
    project = session.exec(select(Project).where(Project.name == "Fraværsapp")).one()
    assert project.budget_dkk == 1_250_000
    assert project.end_date == date(2021, 12, 31)
    assert project.start_date == date(2020, 9, 1)
    assert project.baseline_end_date == date(2021, 12, 31)


def test_a_case_number_cannot_be_used_twice(client: FlaskClient, session: Session, make_project):
    make_project(name="Første", case_number="85.13.00-P20-1-20")
    token = csrf_token(client, "/projekter/ny")
    before = count_rows(session, Project)
    html = client.post(
        "/projekter/ny",
        data={
            "csrf_token": token,
            "name": "Anden",
            "case_number": "85.13.00-P20-1-20",
            "scope": "national",
            "kind": "strategic",
            "phase": "idea",
        },
    ).get_data(as_text=True)
    assert "Sagsnummeret bruges allerede af projektet “Første”." in html
    assert count_rows(session, Project) == before


def test_a_form_without_csrf_token_is_refused_and_nothing_changes(
    client: FlaskClient, session: Session, make_project
) -> None:
    project = make_project(status="green")
    before = snapshot(session)
    response = client.post(
        f"/projekter/{project.id}/status",
        data={"status": "red", "phase": "analysis", "version": "1"},
    )
    assert response.status_code == 400
    assert "Formularen er udløbet" in response.get_data(as_text=True)
    assert snapshot(session) == before


def test_quick_status_update_shows_in_the_history(
    client: FlaskClient, session: Session, make_project
) -> None:
    project = make_project(status="green", phase="implementation")
    page = f"/projekter/{project.id}"
    response = client.post(
        f"{page}/status",
        data={
            "csrf_token": csrf_token(client, page),
            "version": version_on(client, page),
            "status": "red",
            "phase": "implementation",
            "status_comment": "Leverandøren er tre måneder bagud",
        },
        follow_redirects=True,
    )
    html = response.get_data(as_text=True)
    assert "Status er opdateret." in html
    history = html.split("Statushistorik", 1)[1]
    assert "Leverandøren er tre måneder bagud" in history
    assert re.search(r"status-green.*?Grøn.*?status-red.*?Rød", history, re.S)
    session.expire_all()
    assert session.get(Project, project.id).status == "red"  # type: ignore[union-attr]


def test_editing_from_a_stale_form_shows_a_conflict_and_overwrites_nothing(
    app, session: Session, make_project, make_user
) -> None:
    project = make_project(name="Kørselsapp", status="green")
    page = f"/projekter/{project.id}/rediger"
    alice, bob = app.test_client(), app.test_client()
    login(alice, make_user(role="editor", name="Alice").email)
    login(bob, make_user(role="editor", name="Bob").email)
    a_token, a_version = csrf_token(alice, page), version_on(alice, page)
    b_token, b_version = csrf_token(bob, page), version_on(bob, page)
    base = {"scope": "municipal", "kind": "operational", "phase": "implementation"}
    first = alice.post(
        page,
        data={
            **base,
            "csrf_token": a_token,
            "version": a_version,
            "name": "Kørselsapp",
            "status": "yellow",
        },
    )
    assert first.status_code == 302
    before = snapshot(session)
    second = bob.post(
        page,
        data={
            **base,
            "csrf_token": b_token,
            "version": b_version,
            "name": "Kørselsapp 2.0",
            "status": "red",
        },
    )
    html = second.get_data(as_text=True)
    assert second.status_code == 409
    assert "Projektet er ændret af en anden" in html
    assert "Kørselsapp 2.0" in html  # bob sees his own version ...
    assert "Gul" in html  # ... next to what alice saved
    assert snapshot(session) == before


def test_archiving_hides_a_project_from_the_list(client: FlaskClient, make_project) -> None:
    project = make_project(name="Kulturkalender")
    page = f"/projekter/{project.id}"
    client.post(
        f"{page}/arkiv",
        data={
            "csrf_token": csrf_token(client, page),
            "version": version_on(client, page),
            "archive": "1",
            "confirmed": "ja",
        },
    )
    assert _rows(client.get("/projekter/").get_data(as_text=True)) == []
    assert _rows(client.get("/projekter/?archived=1").get_data(as_text=True)) == ["Kulturkalender"]


def test_user_text_is_escaped_everywhere(client: FlaskClient, make_project) -> None:
    evil = '<script>alert("x")</script>'
    project = make_project(name=evil, status_comment=evil, department=evil, process_owner=evil)
    for url in ("/projekter/", f"/projekter/{project.id}", f"/projekter/{project.id}/rediger"):
        html = client.get(url).get_data(as_text=True)
        assert "<script>alert" not in html, url
        assert "&lt;script&gt;" in html, url


def test_unknown_pages_get_a_danish_404(client: FlaskClient) -> None:
    response = client.get("/projekter/999999")
    assert response.status_code == 404
    assert "Siden findes ikke" in response.get_data(as_text=True)
    assert "Traceback" not in response.get_data(as_text=True)


def test_security_headers_on_every_response(client: FlaskClient) -> None:
    for url in ("/projekter/", "/findes-ikke", "/static/css/app.css"):
        with client.get(url) as response:
            headers = response.headers
        assert "script-src 'self'" in headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "same-origin"


def test_no_page_loads_anything_from_another_host(client: FlaskClient, make_project) -> None:
    project = make_project()
    for url in ("/projekter/", f"/projekter/{project.id}", "/projekter/ny"):
        html = client.get(url).get_data(as_text=True)
        sources = re.findall(r'(?:src|href)="([^"]+)"', html)
        assets = [s for s in sources if s.split("?")[0].endswith((".js", ".css"))]
        assert assets and all(s.startswith("/") for s in assets), assets


def test_plotly_is_served_by_the_app(client: FlaskClient) -> None:
    with client.get("/static/vendor/plotly.min.js") as response:
        assert response.status_code == 200
        assert response.mimetype == "text/javascript"
        assert b"plotly" in response.data[:2000].lower()
        assert "max-age" in response.headers["Cache-Control"]
    assert client.get("/static/vendor/other.js").status_code == 404


def test_choosing_english_changes_formatting_and_is_remembered(
    client: FlaskClient, make_project
) -> None:
    project = make_project(budget_dkk=1_250_000)
    token = csrf_token(client, "/projekter/")
    response = client.post(
        "/sprog", data={"csrf_token": token, "language": "en", "next": f"/projekter/{project.id}"}
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/projekter/{project.id}")
    html = client.get(f"/projekter/{project.id}").get_data(as_text=True)
    assert '<html lang="en">' in html
    assert "DKK 1,250,000" in html


def test_the_language_form_is_no_open_redirect(client: FlaskClient) -> None:
    token = csrf_token(client, "/projekter/")
    for target in ("https://evil.example/", "//evil.example/", "javascript:alert(1)"):
        response = client.post(
            "/sprog", data={"csrf_token": token, "language": "da", "next": target}
        )
        assert response.headers["Location"].endswith("/projekter/"), target


def test_history_is_recorded_by_the_web(client: FlaskClient, session: Session, make_project):
    project = make_project(status="green")
    page = f"/projekter/{project.id}"
    client.post(
        f"{page}/status",
        data={
            "csrf_token": csrf_token(client, page),
            "version": version_on(client, page),
            "status": "yellow",
            "phase": "analysis",
        },
    )
    update = session.exec(
        select(StatusUpdate).where(
            StatusUpdate.field == "status", StatusUpdate.new_value == "yellow"
        )
    ).one()
    assert update.source == "web" and update.old_value == "green"
