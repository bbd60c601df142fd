"""User administration: the web and the CLI create accounts through one service, with the
same audit rows; a change writes one row per changed field."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session, col, select

from portfolio.users.models import AuditEntry, User
from tests.conftest import csrf_token


def _audit(session: Session, action: str) -> list[tuple[Any, ...]]:
    session.commit()  # a fresh read transaction: see what the app committed
    rows = session.exec(
        select(AuditEntry).where(AuditEntry.action == action).order_by(col(AuditEntry.id))
    ).all()
    return [(r.source.value, r.field, r.old_value, r.new_value, r.project_id) for r in rows]


def test_web_and_cli_write_the_same_audit_rows_for_a_new_user(
    app: Flask, client: FlaskClient, session: Session
) -> None:
    response = client.post(
        "/brugere/ny",
        data={
            "csrf_token": csrf_token(client, "/brugere/ny"),
            "name": "Web Bruger",
            "email": "Bruger@Kommune.example",
            "role": "editor",
            "password": "hemmelig-kode-123",
        },
    )
    assert response.status_code == 302
    web = _audit(session, "user_create")
    # The same action again, from the CLI, on a database without the web's account.
    session.execute(sa.delete(AuditEntry))
    session.execute(sa.delete(User).where(col(User.email) == "bruger@kommune.example"))
    session.commit()
    result = app.test_cli_runner().invoke(
        args=[
            "create-user",
            "Bruger@Kommune.example",
            "--name",
            "Web Bruger",
            "--role",
            "editor",
            "--password-stdin",
        ],
        input="hemmelig-kode-123\n",
    )
    assert result.exit_code == 0, result.output
    cli = _audit(session, "user_create")
    assert web == [("web", "bruger@kommune.example:role", None, "editor", None)]
    assert [row[1:] for row in cli] == [row[1:] for row in web]
    assert cli[0][0] == "cli"


def test_editing_a_user_audits_each_changed_field_and_ends_their_sessions(
    client: FlaskClient, session: Session, make_user: Any
) -> None:
    user = make_user(role="reader", name="Før")
    version = user.session_version
    page = f"/brugere/{user.id}"
    response = client.post(
        page,
        data={
            "csrf_token": csrf_token(client, page),
            "name": "Efter",
            "email": user.email,
            "role": "editor",
            "person": "",
            "active": "y",
        },
    )
    assert response.status_code == 302
    assert _audit(session, "user_update") == [
        ("web", f"{user.email}:name", "Før", "Efter", None),
        ("web", f"{user.email}:role", "reader", "editor", None),
    ]
    session.expire_all()
    assert session.get(User, user.id).session_version == version + 1  # the cookie stops working


def test_an_owner_without_a_person_is_refused_on_the_person_field(
    client: FlaskClient, session: Session, make_user: Any
) -> None:
    user = make_user(role="reader")
    page = f"/brugere/{user.id}"
    response = client.post(
        page,
        data={
            "csrf_token": csrf_token(client, page),
            "name": user.name,
            "email": user.email,
            "role": "owner",
            "person": "",
            "active": "y",
        },
    )
    assert response.status_code == 200
    assert "En procesejer skal knyttes til en person." in response.get_data(as_text=True)
    assert _audit(session, "user_update") == []
    session.expire_all()
    assert session.get(User, user.id).role.value == "reader"


def test_a_user_with_a_long_email_is_created_and_edited_with_a_readable_audit_row(
    client: FlaskClient, session: Session
) -> None:
    """An e-mail may be 254 characters; the audit log's field column holds 40 (PostgreSQL
    refuses more), so the row keeps the e-mail's end and the field."""
    email = "karen.margrethe.christiansen-oestergaard.projektleder@kommune.example"
    response = client.post(
        "/brugere/ny",
        data={
            "csrf_token": csrf_token(client, "/brugere/ny"),
            "name": "Karen Lang",
            "email": email,
            "role": "reader",
            "password": "hemmelig-kode-123",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:1000]
    created = session.exec(select(User).where(col(User.email) == email)).one()
    assert created.name == "Karen Lang"
    (row,) = _audit(session, "user_create")
    assert row == ("web", "…" + f"{email}:role"[-39:], None, "reader", None)
    assert row[1].endswith("projektleder@kommune.example:role") and len(row[1]) == 40
