"""The pool pages: figures, waterfall, movements, grants through the form, refusals, the return
to confirm, the project page's money and who may do what."""

from __future__ import annotations

import re
from datetime import date

from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session, select

from portfolio.domain import MovementKind, Role
from portfolio.finance import services as svc
from portfolio.finance.models import Pool, PoolMovement, ProjectSpending
from tests.conftest import csrf_token, login, snapshot
from tests.finance_fixtures import make_finance_world


def _version(client: FlaskClient, page: str, prefix: str) -> str:
    html = client.get(page).get_data(as_text=True)
    match = re.search(rf'name="{prefix}-version"[^>]*value="(\d+)"', html) or re.search(
        rf'value="(\d+)"[^>]*name="{prefix}-version"', html
    )
    assert match, f"no {prefix} version on {page}"
    return match.group(1)


def _post(client: FlaskClient, url: str, page: str, prefix: str, **fields: object):  # type: ignore[no-untyped-def]
    data = {f"{prefix}-{k}": v for k, v in fields.items()}
    data.setdefault(f"{prefix}-version", _version(client, page, prefix))
    data[f"{prefix}-csrf_token"] = csrf_token(client, page)
    return client.post(url, data=data)


def _movements(html: str) -> str:
    """The movements table as text."""
    start = html.index('class="movements"')
    return _text(html[start : html.index("</table>", start)])


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_pool_page_shows_the_minutes_pool_with_its_two_grants(
    client: FlaskClient, session: Session, make_project
) -> None:
    world = make_finance_world(session, make_project)
    html = client.get(f"/oekonomi/puljer/{world.pool.id}").get_data(as_text=True)
    assert re.search(r'id="pool-balance">0 kr\.<', html)
    text = _text(html)
    assert "Indskudt 600.000 kr." in text
    assert "Bevilget (netto) 600.000 kr." in text
    assert (
        "25 % af de realiserede økonomiske gevinster går tilbage til puljen, 75 % til det "
        "politiske råderum; investeringen betales tilbage først" in text
    )
    # the movements table: date, kind as a word, project, amount, decision, who
    assert "01-11-2017 Bevilling Fælles om Målet −350.000 kr. Sagsnr. 85.13.00-000-1-18" in text
    assert "01-09-2017 Indskud – 600.000 kr. – Digitaliseringsstyregruppen testfixture" in text
    # the waterfall's text alternative, and its figure
    assert "Indskud +600.000 kr. 600.000 kr." in text
    assert "Bevillinger −600.000 kr. 0 kr." in text
    assert "Saldo 0 kr. 0 kr." in text
    assert '"type":"waterfall"' in html
    # the list of pools
    index = _text(client.get("/oekonomi/").get_data(as_text=True))
    assert (
        "Digitaliseringsrådets pulje Digitaliseringsrådet 01-09-2017 0 kr. 600.000 kr. 0 kr."
        in index
    )
    assert "Økonomi og gevinster" in index


def test_the_movements_filter_and_sort_in_the_url(
    client: FlaskClient, session: Session, make_project
) -> None:
    world = make_finance_world(session, make_project)
    page = f"/oekonomi/puljer/{world.pool.id}"
    html = client.get(f"{page}?art=grant").get_data(as_text=True)
    assert "2 af 3 bevægelser" in _text(html)
    only_grants = _movements(html)
    assert "Digitaliseringsstyregruppen" not in only_grants and "350.000 kr." in only_grants
    quality = world.projects["Kvalitetskontrol af journalisering"]
    html = client.get(f"{page}?projekt={quality.id}").get_data(as_text=True)
    one = _movements(html)
    assert (
        "1 af 3 bevægelser" in _text(html) and "−250.000 kr." in one and "−350.000 kr." not in one
    )
    by_amount = client.get(f"{page}?sort=amount&dir=desc").get_data(as_text=True)
    table = _movements(by_amount)
    assert table.index("600.000 kr.") < table.index("250.000 kr.") < table.index("350.000 kr.")


def test_an_editor_grants_money_through_the_form(
    app: Flask, session: Session, make_project, make_user
) -> None:
    world = make_finance_world(session, make_project, granted=False)
    editor = make_user(role=Role.editor)
    client = app.test_client()
    login(client, editor.email)
    page = f"/oekonomi/puljer/{world.pool.id}"
    target = world.projects["Fælles om Målet"]
    response = _post(
        client,
        f"{page}/bevilling",
        page,
        "grant",
        project_id=target.id,
        amount="350.000 kr.",
        occurred_on="01-11-2017",
        decision_meeting_id="",
        decision_case_number="85.13.00-000-1-18",
        note="Direktørforum",
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    session.commit()
    session.expire_all()
    pool = session.get(Pool, world.pool.id)
    assert pool is not None
    assert svc.figures(session, pool.id or 0).balance == 250_000
    grant = session.exec(select(PoolMovement).where(PoolMovement.kind == MovementKind.grant)).one()
    assert (grant.amount_dkk, grant.project_id, grant.occurred_on) == (
        350_000,
        target.id,
        date(2017, 11, 1),
    )
    assert grant.created_by.startswith(editor.name)
    html = client.get(page).get_data(as_text=True)
    assert re.search(r'id="pool-balance">250.000 kr\.<', html)
    assert "Bevilling på 350.000 kr. er bogført." in html


def test_an_over_grant_is_refused_with_its_message_and_nothing_written(
    client: FlaskClient, session: Session, make_project
) -> None:
    world = make_finance_world(session, make_project)
    page = f"/oekonomi/puljer/{world.pool.id}"
    version = _version(client, page, "grant")
    before = snapshot(session)
    response = _post(
        client,
        f"{page}/bevilling",
        page,
        "grant",
        version=version,
        project_id=world.projects["Bilagsapp"].id,
        amount="100.000",
        occurred_on="01-05-2018",
        decision_case_number="85.13.00-000-2-18",
    )
    assert response.status_code == 400, _text(response.get_data(as_text=True))[:3000]
    assert (
        "Bevillingen på 100.000 kr. er større end puljens saldo på 0 kr. Intet er bevilget."
        in response.get_data(as_text=True)
    ), _text(response.get_data(as_text=True))[:5000]
    assert snapshot(session) == before


def test_a_stale_form_is_refused_and_nothing_written(
    client: FlaskClient, session: Session, make_project
) -> None:
    world = make_finance_world(session, make_project, granted=False)
    page = f"/oekonomi/puljer/{world.pool.id}"
    old = _version(client, page, "grant")
    # someone else grants from the same balance meanwhile
    fresh = _post(
        client,
        f"{page}/bevilling",
        page,
        "grant",
        project_id=world.projects["Fælles om Målet"].id,
        amount="400.000",
        occurred_on="01-11-2017",
        decision_case_number="1",
    )
    assert fresh.status_code == 302
    before = snapshot(session)
    response = _post(
        client,
        f"{page}/bevilling",
        page,
        "grant",
        version=old,
        project_id=world.projects["Bilagsapp"].id,
        amount="100.000",
        occurred_on="01-11-2017",
        decision_case_number="2",
    )
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "Puljen er ændret, siden du åbnede siden." in html
    assert re.search(r'id="pool-balance">200.000 kr\.<', html)  # the new balance is shown
    assert snapshot(session) == before


def test_readers_and_owners_may_read_but_not_write(
    app: Flask, session: Session, make_project, make_user
) -> None:
    world = make_finance_world(session, make_project, granted=False)
    page = f"/oekonomi/puljer/{world.pool.id}"
    for role in (Role.reader, Role.owner):
        user = make_user(role=role, person="Peter Damgaard" if role == Role.owner else None)
        client = app.test_client()
        login(client, user.email)
        html = client.get(page).get_data(as_text=True)
        assert "600.000 kr." in html
        assert 'name="grant-amount"' not in html and "Bogfør tilbageløb" not in html
        assert "Ny pulje" not in client.get("/oekonomi/").get_data(as_text=True)
        before = snapshot(session)
        token = csrf_token(client, page)
        for url, prefix in (
            (f"{page}/bevilling", "grant"),
            (f"{page}/indskud", "deposit"),
            (f"{page}/rettelse", "correction"),
            (
                f"/oekonomi/puljer/{world.pool.id}/tilbageloeb/{world.projects['Bilagsapp'].id}",
                "return",
            ),
            (f"/oekonomi/projekter/{world.projects['Bilagsapp'].id}/forbrug", "year-new"),
        ):
            response = client.post(
                url,
                data={
                    f"{prefix}-csrf_token": token,
                    f"{prefix}-version": str(world.pool.version),
                    f"{prefix}-amount": "1.000",
                    f"{prefix}-occurred_on": "01-01-2018",
                    f"{prefix}-source": "x",
                    f"{prefix}-note": "x",
                    f"{prefix}-year": "2018",
                },
            )
            assert response.status_code == 403, (role, url)
        response = client.post("/oekonomi/puljer", data={"csrf_token": token, "name": "Ny"})
        assert response.status_code == 403
        assert snapshot(session) == before


def test_user_text_is_escaped_on_the_pool_page(
    client: FlaskClient, session: Session, make_project
) -> None:
    world = make_finance_world(session, make_project)
    svc.add_movement(
        session=session,
        pool=world.pool,
        kind=MovementKind.correction,
        amount_dkk=1_000,
        occurred_on=date(2018, 5, 1),
        note="<script>alert(1)</script>",
        actor="<b>tester</b>",
    )
    session.commit()
    html = client.get(f"/oekonomi/puljer/{world.pool.id}").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<b>tester</b>" not in html


def test_deposit_release_and_correction_through_the_forms(
    client: FlaskClient, session: Session, make_project
) -> None:
    world = make_finance_world(session, make_project)
    page = f"/oekonomi/puljer/{world.pool.id}"
    quality = world.projects["Kvalitetskontrol af journalisering"]
    steps = [
        ("indskud", "deposit", {"amount": "1.000.000", "source": "Budget 2019"}),
        ("frigivelse", "release", {"project_id": quality.id, "amount": "50.000"}),
        ("rettelse", "correction", {"amount": "−25.000 kr.", "note": "Dobbelt indskud"}),
    ]
    for path, prefix, fields in steps:
        response = _post(client, f"{page}/{path}", page, prefix, occurred_on="01-06-2019", **fields)
        assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    session.commit()
    session.expire_all()
    assert svc.figures(session, world.pool.id or 0).balance == 1_000_000 + 50_000 - 25_000
    assert svc.net_grant(session, world.pool.id or 0, quality.id or 0) == 200_000
    text = _text(client.get(page).get_data(as_text=True))
    assert "Rettelse – −25.000 kr. – Dobbelt indskud" in text
    # a correction without its reason is refused
    before = snapshot(session)
    response = _post(
        client,
        f"{page}/rettelse",
        page,
        "correction",
        amount="-1",
        occurred_on="01-06-2019",
        note="",
    )
    assert response.status_code == 400
    assert snapshot(session) == before


def test_the_rule_offers_a_return_to_confirm(
    client: FlaskClient, session: Session, make_project
) -> None:
    world = make_finance_world(session, make_project)
    pool_page = f"/oekonomi/puljer/{world.pool.id}"
    target = world.projects["Fælles om Målet"]  # 200.000 kr./år realised, 350.000 kr. invested
    expected = svc.suggested_return(session, world.pool, target.id or 0)
    assert expected.due_now > 0
    html = client.get(pool_page).get_data(as_text=True)
    confirm = f"{pool_page}/tilbageloeb/{target.id}"
    assert confirm in html
    page = client.get(confirm).get_data(as_text=True)
    shown = f"{expected.due_now:,}".replace(",", ".")
    assert f'value="{shown}"' in page  # offered, not yet written
    assert svc.returned_for(session, world.pool.id or 0, target.id or 0) == 0
    response = _post(
        client,
        confirm,
        confirm,
        "return",
        project_id=target.id,
        amount=shown,
        occurred_on="01-01-2020",
        note="Tilbageløb 2019",
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    session.commit()
    session.expire_all()
    assert svc.returned_for(session, world.pool.id or 0, target.id or 0) == expected.due_now
    assert svc.suggested_return(session, world.pool, target.id or 0).due_now == 0
    text = _text(client.get(pool_page).get_data(as_text=True))
    assert f"Tilbageløb {expected.due_now:,} kr.".replace(",", ".") in text


def test_the_project_page_shows_its_money_and_takes_spending(
    client: FlaskClient, session: Session, make_project
) -> None:
    world = make_finance_world(session, make_project)
    target = world.projects["Fælles om Målet"]
    page = f"/projekter/{target.id}"
    token = csrf_token(client, page)
    response = client.post(
        f"/oekonomi/projekter/{target.id}/forbrug",
        data={
            "prefix": "year-new",
            "year-new-csrf_token": token,
            "year-new-year": "2018",
            "year-new-budget": "200.000",
            "year-new-actual": "150.000 kr.",
        },
    )
    assert response.status_code == 302
    text = _text(client.get(page).get_data(as_text=True))
    assert "Bevilget fra puljer 350.000 kr." in text
    assert "Forbrugt 150.000 kr." in text
    assert "Tilbage af bevillingen 200.000 kr." in text
    assert "Digitaliseringsrådets pulje 350.000 kr. 0 kr." in text
    # changing the year needs the version the row had
    version = session.exec(select(ProjectSpending)).one().version
    ok = client.post(
        f"/oekonomi/projekter/{target.id}/forbrug",
        data={
            "prefix": "year-2018",
            "year-2018-csrf_token": token,
            "year-2018-year": "2018",
            "year-2018-budget": "200.000",
            "year-2018-actual": "175.000",
            "year-2018-version": str(version),
        },
    )
    assert ok.status_code == 302
    before = snapshot(session)
    stale = client.post(
        f"/oekonomi/projekter/{target.id}/forbrug",
        data={
            "prefix": "year-2018",
            "year-2018-csrf_token": token,
            "year-2018-year": "2018",
            "year-2018-actual": "1",
            "year-2018-version": str(version),
        },
        follow_redirects=True,
    )
    assert "Året er ændret af en anden" in stale.get_data(as_text=True), _text(
        stale.get_data(as_text=True)
    )[:1500]
    assert snapshot(session) == before
    overview = _text(client.get("/overblik/").get_data(as_text=True))
    assert "bevilget 600.000 kr., forbrugt 175.000 kr., tilbage 425.000 kr." in overview


def test_a_new_pool_from_the_form(client: FlaskClient, session: Session) -> None:
    token = csrf_token(client, "/oekonomi/")
    data = {
        "csrf_token": token,
        "name": "Velfærdsteknologipuljen",
        "owner_body": "Direktionen",
        "established_on": "01-01-2026",
        "return_share_pct": "50",
    }
    response = client.post("/oekonomi/puljer", data=data)
    assert response.status_code == 302
    pool = svc.pool_by_name(session, "Velfærdsteknologipuljen")
    assert pool is not None and pool.return_share_pct == 50 and not pool.repay_investment
    text = _text(client.get(response.headers["Location"]).get_data(as_text=True))
    assert "50 % af de realiserede økonomiske gevinster går tilbage til puljen, 50 %" in text
    before = snapshot(session)
    again = client.post("/oekonomi/puljer", data=data)
    assert again.status_code == 400
    assert "Der er allerede en pulje med navnet" in again.get_data(as_text=True)
    assert snapshot(session) == before
