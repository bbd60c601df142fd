"""Mail against a real SMTP server: recorded once per reason, sent as text and HTML, a refused
or unreachable server logged and tried again later, never sent twice."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlmodel import Session, select

from portfolio.db import get_session, unit_of_work, utcnow
from portfolio.mail.models import MailMessage, MailState
from portfolio.mail.sending import (
    MailSettingsError,
    SmtpSettings,
    deliver_mail,
    release_unconfirmed,
)
from portfolio.mail.services import Mail, MailError, public_url, queue_mails, reason_key
from tests.conftest import count_rows
from tests.smtp_server import BASE_URL, PASSWORD, USER, SmtpServer, free_port, smtp_server

TO = "hanne.holm@kommune.example"


@pytest.fixture
def smtp(app: Flask) -> Iterator[SmtpServer]:
    with smtp_server() as server:
        server.configure(app)
        yield server


def _mail(reason: str = "test:1", **fields: str) -> Mail:
    data = {
        "reason": reason,
        "recipient": TO,
        "recipient_name": "Hanne Holm",
        "user_id": None,
        "subject": "Gennemgå dine projekter før Chefforum 8. december 2026",
        "body_text": "Kære Hanne Holm\n\nSe Børn & Unge <app>.\n",
        "body_html": "<p>Kære Hanne Holm</p><p>Se Børn &amp; Unge &lt;app&gt;.</p>",
    }
    data.update(fields)
    return Mail(**data)  # type: ignore[arg-type]


def _queue(app: Flask, *mails: Mail) -> list[int]:
    with app.app_context(), unit_of_work():
        return queue_mails(get_session(), mails)


def _deliver(app: Flask) -> tuple[list[int], list[int]]:
    with app.app_context():
        report = deliver_mail()
    return report.sent, report.failed


def _record(session: Session, reason: str = "test:1") -> MailMessage:
    session.commit()
    session.expire_all()
    row = session.exec(select(MailMessage).where(MailMessage.reason == reason)).one()
    return row


def test_a_mail_is_sent_once_as_danish_text_and_html(
    app: Flask, session: Session, smtp: SmtpServer
) -> None:
    [mail_id] = _queue(app, _mail())
    assert _deliver(app) == ([mail_id], [])

    [got] = smtp.inbox.messages
    assert got.rcpt_tos == [TO]
    assert got.message["To"] == "Hanne Holm <hanne.holm@kommune.example>"
    assert got.message["Subject"] == "Gennemgå dine projekter før Chefforum 8. december 2026"
    assert got.message["From"] == "Portefølje <portefolje@kommune.example>"
    assert got.message.get_content_type() == "multipart/alternative"
    assert "Se Børn & Unge <app>." in got.text
    assert "Se Børn &amp; Unge &lt;app&gt;." in got.html
    row = _record(session)
    assert (row.state, row.attempts, row.last_error) == (MailState.sent, 1, None)
    assert row.sent_at is not None

    # A second pass has nothing to send, and the same reason is never recorded again.
    assert _deliver(app) == ([], [])
    assert _queue(app, _mail(subject="Igen")) == []
    assert _deliver(app) == ([], [])
    assert len(smtp.inbox.messages) == 1
    assert count_rows(session, MailMessage) == 1


def test_a_refused_mail_is_logged_kept_as_failed_and_sent_by_a_later_pass(
    app: Flask, session: Session, smtp: SmtpServer, caplog: pytest.LogCaptureFixture
) -> None:
    smtp.inbox.refuse = "550 5.7.1 Afsender ikke tilladt"
    [mail_id] = _queue(app, _mail())
    with caplog.at_level(logging.WARNING, logger="portfolio.mail"):
        assert _deliver(app) == ([], [mail_id])
    assert "550" in caplog.text and TO in caplog.text
    row = _record(session)
    assert row.state == MailState.failed and row.attempts == 1
    assert row.last_error == "SMTP-serveren afviste mailen: 550 5.7.1 Afsender ikke tilladt"
    assert smtp.inbox.messages == []

    smtp.inbox.refuse = None
    assert _deliver(app) == ([mail_id], [])
    assert _deliver(app) == ([], [])
    assert len(smtp.inbox.messages) == 1
    row = _record(session)
    assert (row.state, row.attempts, row.last_error) == (MailState.sent, 2, None)


def test_an_unreachable_server_is_logged_and_the_mail_sent_when_it_is_back(
    app: Flask, session: Session, caplog: pytest.LogCaptureFixture
) -> None:
    with smtp_server() as server:
        server.configure(app, SMTP_PORT=free_port())  # nobody listens there
        [mail_id] = _queue(app, _mail())
        with caplog.at_level(logging.WARNING, logger="portfolio.mail"):
            assert _deliver(app) == ([], [mail_id])
        assert "kunne ikke nås" in caplog.text
        row = _record(session)
        assert row.state == MailState.failed
        assert row.last_error and row.last_error.startswith("SMTP-serveren kunne ikke nås")

        server.configure(app)
        assert _deliver(app) == ([mail_id], [])
        assert [m.rcpt_tos for m in server.inbox.messages] == [[TO]]


@pytest.mark.filterwarnings("ignore:Session.login_data is deprecated:DeprecationWarning")
def test_the_server_login_is_used_and_a_wrong_one_retried_after_it_is_fixed(
    app: Flask, session: Session
) -> None:
    with smtp_server(login=True) as server:
        server.configure(app, SMTP_USER=USER, SMTP_PASSWORD="forkert")
        [mail_id] = _queue(app, _mail())
        assert _deliver(app) == ([], [mail_id])
        row = _record(session)
        assert row.last_error and "afviste login" in row.last_error and "535" in row.last_error

        server.configure(app, SMTP_USER=USER, SMTP_PASSWORD=PASSWORD)
        assert _deliver(app) == ([mail_id], [])
        assert len(server.inbox.messages) == 1


def test_a_mail_cut_off_while_sending_is_not_sent_again_until_released(
    app: Flask, session: Session, smtp: SmtpServer
) -> None:
    """A crash after the server took the mail but before `sent` was recorded: the mail may
    have arrived, so the next pass leaves it; the operator releases it."""
    [mail_id] = _queue(app, _mail())
    session.execute(
        sa.update(MailMessage)
        .where(MailMessage.id == mail_id)  # type: ignore[arg-type]
        .values(state=MailState.sending, attempts=1, last_attempt_at=utcnow() - timedelta(hours=1))
    )
    session.commit()
    with app.app_context():
        report = deliver_mail()
        assert (report.sent, report.unconfirmed) == ([], 1)
        assert release_unconfirmed() == 1
        assert deliver_mail().sent == [mail_id]
    assert len(smtp.inbox.messages) == 1


def test_mail_waits_while_no_smtp_host_is_set(app: Flask, session: Session) -> None:
    [mail_id] = _queue(app, _mail())
    with app.app_context():
        report = deliver_mail()
    assert (report.sent, report.failed, report.waiting) == ([], [], 1)
    assert _record(session).state == MailState.queued


def test_a_failing_mail_is_given_up_after_the_most_attempts(
    app: Flask, session: Session, smtp: SmtpServer
) -> None:
    app.config["MAIL_MAX_ATTEMPTS"] = 2
    smtp.inbox.refuse = "554 Nej"
    [mail_id] = _queue(app, _mail())
    assert _deliver(app) == ([], [mail_id])
    assert _deliver(app) == ([], [mail_id])
    with app.app_context():
        report = deliver_mail()
    assert (report.failed, report.given_up) == ([], 1)
    assert _record(session).attempts == 2


def test_settings_from_the_environment_and_their_errors(app: Flask) -> None:
    config = {
        "SMTP_HOST": "smtp.kommune.example",
        "SMTP_PORT": 465,
        "SMTP_SECURITY": "SSL",
        "SMTP_USER": "portefolje",
        "SMTP_PASSWORD": 123456,  # PORTFOLIO_SMTP_PASSWORD=123456 arrives as a number
        "SMTP_SENDER": "portefolje@kommune.example",
        "SMTP_TIMEOUT_SECONDS": 5,
    }
    settings = SmtpSettings.from_config(config)
    assert settings is not None
    assert (settings.security, settings.port, settings.password) == ("ssl", 465, "123456")
    assert SmtpSettings.from_config({**config, "SMTP_HOST": None}) is None
    with pytest.raises(MailSettingsError, match="none, starttls eller ssl"):
        SmtpSettings.from_config({**config, "SMTP_SECURITY": "tls1.3"})
    with pytest.raises(MailSettingsError, match="PORTFOLIO_SMTP_SENDER"):
        SmtpSettings.from_config({**config, "SMTP_SENDER": None})


def test_links_are_built_from_the_public_base_url(app: Flask) -> None:
    with app.app_context():
        with pytest.raises(MailError, match="PORTFOLIO_PUBLIC_BASE_URL"):
            public_url("projects.mine")
        app.config["PUBLIC_BASE_URL"] = "https://intra.kommune.example/portefolje/"
        assert public_url("projects.mine") == (
            "https://intra.kommune.example/portefolje/projekter/mine"
        )
        app.config["PUBLIC_BASE_URL"] = BASE_URL
        assert public_url("projects.mine") == f"{BASE_URL}/projekter/mine"
    assert reason_key("review_round", 3, "user", 7, "invitation") == (
        "review_round:3:user:7:invitation"
    )
