"""A real SMTP server in the test process (aiosmtpd on a free loopback port), whose inbox the
tests read, and which can refuse what it is sent or demand a login."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from flask import Flask

SENDER = "Portefølje <portefolje@kommune.example>"
BASE_URL = "https://portefolje.kommune.example"
USER, PASSWORD = "portefolje", "hemmelig-123"


def free_port() -> int:
    """A loopback port nobody listens on (closed again at once: connecting is refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage

    @property
    def text(self) -> str:
        part = self.message.get_body(preferencelist=("plain",))
        assert part is not None
        return str(part.get_content()).replace("\r\n", "\n")  # type: ignore[attr-defined]

    @property
    def html(self) -> str:
        part = self.message.get_body(preferencelist=("html",))
        assert part is not None
        return str(part.get_content())  # type: ignore[attr-defined]


@dataclass
class Inbox:
    """The aiosmtpd handler: keeps what it accepts; `refuse` is the answer to DATA instead."""

    messages: list[Received] = field(default_factory=list)
    refuse: str | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        if self.refuse:
            return self.refuse
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        with self.lock:
            self.messages.append(Received(envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 OK"

    def to(self, address: str) -> list[Received]:
        return [m for m in self.messages if address in m.rcpt_tos]


def _authenticator(
    server: Any, session: Any, envelope: Any, mechanism: str, data: Any
) -> AuthResult:
    ok = (
        isinstance(data, LoginPassword)
        and data.login == USER.encode()
        and data.password == PASSWORD.encode()
    )
    # handled=False: aiosmtpd answers 535 itself to a wrong login.
    return AuthResult(success=ok, handled=False, auth_data=data if ok else None)


@dataclass
class SmtpServer:
    inbox: Inbox
    port: int

    def configure(self, app: Flask, **overrides: object) -> None:
        """Point the app's mail at this server."""
        app.config.update(
            SMTP_HOST="127.0.0.1",
            SMTP_PORT=self.port,
            SMTP_SECURITY="none",
            SMTP_SENDER=SENDER,
            PUBLIC_BASE_URL=BASE_URL,
            SMTP_TIMEOUT_SECONDS=10,
        )
        app.config.update(overrides)


@contextmanager
def smtp_server(*, login: bool = False) -> Iterator[SmtpServer]:
    """A running server; with `login`, one that takes only USER/PASSWORD (AUTH without TLS,
    as on a trusted relay: the test has no certificate)."""
    inbox = Inbox()
    port = free_port()
    options: dict[str, Any] = (
        {"authenticator": _authenticator, "auth_require_tls": False} if login else {}
    )
    controller = Controller(inbox, hostname="127.0.0.1", port=port, **options)
    controller.start()
    try:
        yield SmtpServer(inbox, port)
    finally:
        controller.stop()
