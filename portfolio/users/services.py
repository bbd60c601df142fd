"""Accounts: creating and changing users (with their audit rows), checking passwords with
throttling, and ending sessions."""

from __future__ import annotations

import functools
import math
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app, has_app_context
from flask_babel import gettext as _
from sqlmodel import Session, col, func, select
from werkzeug.security import check_password_hash, generate_password_hash

from portfolio.config import DEFAULTS
from portfolio.db import utcnow
from portfolio.domain import ChangeSource, Role
from portfolio.projects.services import References
from portfolio.users.audit import audit_entry, user_field
from portfolio.users.models import LoginAttempt, User

MIN_PASSWORD_LENGTH = 10


class UserError(ValueError):
    """A user could not be created or changed; the message is Danish and for the user, and
    `field` names the form field it is about."""

    def __init__(self, message: str, field: str = "email") -> None:
        super().__init__(message)
        self.field = field


def normalise_email(email: str) -> str:
    return email.strip().lower()


def user_by_email(session: Session, email: str) -> User | None:
    """The account with this e-mail, compared as stored (trimmed, lower case)."""
    return session.exec(select(User).where(User.email == normalise_email(email))).first()


def password_hash_method() -> str:
    """The app's PASSWORD_HASH_METHOD; outside an app, the production default (scrypt)."""
    if has_app_context():
        return str(current_app.config["PASSWORD_HASH_METHOD"])
    return str(DEFAULTS["PASSWORD_HASH_METHOD"])


def hash_password(password: str, method: str | None = None) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(
            f"Adgangskoden skal være mindst {MIN_PASSWORD_LENGTH} tegn.", field="password"
        )
    return generate_password_hash(password, method=method or password_hash_method())


def create_user(
    *,
    session: Session,
    email: str,
    name: str,
    role: Role | str,
    password: str | None,
    person: str | None = None,
    actor: str | None = None,
    source: ChangeSource | None = None,
) -> User:
    """A new account. Given `actor` and `source` (user administration on the web or in the
    CLI), the creation is written to the audit log; the demo and tests make accounts without."""
    email = normalise_email(email)
    if "@" not in email or len(email) > 254:
        raise UserError("Skriv en gyldig e-mailadresse.")
    if user_by_email(session, email) is not None:
        raise UserError(f"Der findes allerede en bruger med e-mailen {email}.")
    role = Role(role)
    linked = References(session).person(person) if person else None
    if role == Role.owner and linked is None:
        raise UserError("En procesejer skal knyttes til en person (procesejeren på projekterne).")
    user = User(
        email=email,
        name=name.strip(),
        role=role,
        person=linked,
        password_hash=hash_password(password) if password else None,
    )
    session.add(user)
    if actor is not None and source is not None:
        session.add(
            audit_entry(
                actor=actor,
                action="user_create",
                source=source,
                field=user_field(user.email, "role"),
                new=user.role,
            )
        )
    session.flush()
    return user


def update_user(
    *,
    session: Session,
    user: User,
    name: str,
    role: Role | str,
    person: str | None,
    active: bool,
    password: str | None,
    actor: str,
    source: ChangeSource,
) -> list[str]:
    """Change an account, one audit row per changed field; returns the changed fields. A new
    role or a deactivation ends the user's sessions at once. Raises UserError (nothing
    changed) for an owner without a person or a too short password."""
    role = Role(role)
    linked = References(session).person(person) if person else None
    if role == Role.owner and linked is None:
        raise UserError(_("En procesejer skal knyttes til en person."), field="person")
    new_hash = hash_password(password) if password else None
    name = name.strip()
    changes: dict[str, tuple[object, object]] = {
        "name": (user.name, name),
        "role": (user.role.value, role.value),
        "person": (user.person.name if user.person else None, linked.name if linked else None),
        "active": (user.active, active),
    }
    user.name, user.role, user.person, user.active = name, role, linked, active
    if new_hash is not None:
        user.password_hash = new_hash
        user.session_version += 1
        changes["password"] = ("***", "*** (ny)")
    if role.value != changes["role"][0] or not active:
        user.session_version += 1  # new rights take effect at once
    changed = [field for field, (old, new) in changes.items() if old != new]
    for field in changed:
        old, new = changes[field]
        session.add(
            audit_entry(
                actor=actor,
                action="user_update",
                source=source,
                field=user_field(user.email, field),
                old=old,
                new=new,
            )
        )
    session.add(user)
    session.flush()
    return changed


def end_sessions(session: Session, user: User) -> None:
    """Every cookie issued to this user so far stops working (logout, lost laptop)."""
    user.session_version += 1
    session.add(user)
    session.flush()


# --- logging in: throttling per (e-mail, address) and per address, with growing delays --------

# A pair's failures count until a success from that pair clears them, but for at most this long.
PAIR_MEMORY = timedelta(hours=24)
# An address's failures (any e-mail) count this long: short, as a whole office may share one.
ADDRESS_MEMORY = timedelta(hours=1)
PRUNE_INTERVAL = timedelta(minutes=10)


@functools.cache
def _dummy_hash(method: str) -> str:
    """Checked when there is no password to check, so an unknown e-mail costs the same time
    as a known one (hashed with the same method)."""
    return generate_password_hash("not-a-real-password", method=method)


@dataclass(frozen=True)
class LoginPolicy:
    """How logins are throttled (the LOGIN_* settings)."""

    free_failures: int = 5  # per e-mail and address before any delay
    free_failures_per_address: int = 50  # per address, any e-mail, within ADDRESS_MEMORY
    max_delay: int = 900  # seconds; the delay doubles with each further failure up to this
    hash_concurrency: int = 2  # password hashes at once in one process
    hash_wait: float = 2.0  # seconds to wait for a free hash before answering "busy"
    retention_days: int = 30  # login attempts older than this are deleted
    hash_method: str = "scrypt"  # PASSWORD_HASH_METHOD: what the dummy hash is made with

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> LoginPolicy:
        return cls(
            free_failures=int(config["LOGIN_FREE_FAILURES"]),
            free_failures_per_address=int(config["LOGIN_FREE_FAILURES_PER_ADDRESS"]),
            max_delay=int(config["LOGIN_MAX_DELAY_SECONDS"]),
            hash_concurrency=int(config["LOGIN_HASH_CONCURRENCY"]),
            hash_wait=float(config["LOGIN_HASH_WAIT_SECONDS"]),
            retention_days=int(config["LOGIN_ATTEMPT_RETENTION_DAYS"]),
            hash_method=str(config["PASSWORD_HASH_METHOD"]),
        )


def failure_delay(failures: int, free: int, cap: int) -> int:
    """Seconds to wait after `failures` failures: none for the first `free`, then 1, 2, 4 … cap."""
    if failures <= free:
        return 0
    return min(cap, 2 ** min(failures - free - 1, 40))


class LoginGuard:
    """One per app and process: the policy, the bounded hash slots, and the pruning schedule."""

    def __init__(self, policy: LoginPolicy, clock: Callable[[], datetime] = utcnow) -> None:
        self.policy = policy
        self.clock = clock  # tests advance it instead of sleeping
        # scrypt is slow on purpose; unbounded, a flood of logins starves every other request.
        self.hash_slots = threading.BoundedSemaphore(policy.hash_concurrency)
        # As many again may wait for a slot; more would only tie up the server's threads.
        self._in_line = threading.BoundedSemaphore(2 * policy.hash_concurrency)
        self._prune_lock = threading.Lock()
        self._next_prune: datetime | None = None

    def check_password(self, stored: str, password: str) -> bool | None:
        """Whether the password matches the hash; None (busy) when the line for a hash slot
        is full or no slot came free within hash_wait."""
        if not self._in_line.acquire(blocking=False):
            return None
        try:
            if not self.hash_slots.acquire(timeout=self.policy.hash_wait):
                return None
            try:
                return check_password_hash(stored, password)
            finally:
                self.hash_slots.release()
        finally:
            self._in_line.release()

    def prune_due(self) -> bool:
        """True at most once per PRUNE_INTERVAL in this process."""
        now = self.clock()
        with self._prune_lock:
            if self._next_prune is not None and now < self._next_prune:
                return False
            self._next_prune = now + PRUNE_INTERVAL
            return True


@dataclass(frozen=True)
class LoginTicket:
    """What begin_login decided: refuse at once, or check the password against this account."""

    email: str
    remote_addr: str
    retry_after: int = 0  # > 0: throttled for this many seconds; nothing was written
    attempt: LoginAttempt | None = None  # recorded as failed until the password proves right
    user: User | None = None


@dataclass(frozen=True)
class LoginResult:
    user: User | None = None
    retry_after: int = 0  # seconds before this e-mail and address may try again (0: now)
    throttled: bool = False  # refused without checking the password
    busy: bool = False  # no password check was free in time; the attempt did not count


def begin_login(session: Session, guard: LoginGuard, email: str, remote_addr: str) -> LoginTicket:
    """First half of a login. A throttled request is refused without writing anything;
    otherwise the attempt is recorded as failed now, so that guesses sent in parallel count
    against each other. Flushes; the caller commits before finish_login, so that no
    transaction or connection is held while the password is hashed."""
    email = normalise_email(email)[:254]
    remote_addr = remote_addr[:64]
    now = guard.clock()
    wait = _seconds_to_wait(session, guard.policy, email, remote_addr, now)
    if wait:
        return LoginTicket(email, remote_addr, retry_after=wait)
    attempt = LoginAttempt(at=now, email=email, remote_addr=remote_addr, succeeded=False)
    session.add(attempt)
    user = user_by_email(session, email)
    session.flush()
    return LoginTicket(email, remote_addr, attempt=attempt, user=user)


def finish_login(
    session: Session, guard: LoginGuard, ticket: LoginTicket, password: str
) -> LoginResult:
    """Second half: check the password (at most hash_concurrency at once) and record the
    outcome. The result never tells whether the e-mail exists. Flushes."""
    if ticket.attempt is None:  # throttled: no hash, no write
        return LoginResult(retry_after=ticket.retry_after, throttled=True)
    user = ticket.user
    stored = user.password_hash if user is not None else None
    matches = guard.check_password(stored or _dummy_hash(guard.policy.hash_method), password)
    if matches is None:
        session.delete(ticket.attempt)  # the password was not checked, so it does not count
        session.flush()
        return LoginResult(busy=True)
    if matches and user is not None and stored:
        session.refresh(user)  # deactivated or given a new password while we hashed?
        if user.active and user.password_hash == stored:
            ticket.attempt.succeeded = True  # clears this pair's delay
            user.last_login_at = guard.clock()
            session.add_all([ticket.attempt, user])
            session.flush()
            return LoginResult(user)
    now = guard.clock()
    if guard.prune_due():
        prune_login_attempts(session, now - timedelta(days=guard.policy.retention_days))
    wait = _seconds_to_wait(session, guard.policy, ticket.email, ticket.remote_addr, now)
    session.flush()
    return LoginResult(retry_after=wait)


def prune_login_attempts(session: Session, before: datetime) -> int:
    """Delete login attempts older than `before`; returns how many. Flushes."""
    result = session.execute(sa.delete(LoginAttempt).where(col(LoginAttempt.at) < before))
    session.flush()
    return int(result.rowcount)  # type: ignore[attr-defined]


def _seconds_to_wait(
    session: Session, policy: LoginPolicy, email: str, remote_addr: str, now: datetime
) -> int:
    """How long this e-mail from this address must wait: the longer of the pair's delay and
    the address's delay. An e-mail's failures from other addresses never count here."""
    pair = (col(LoginAttempt.email) == email, col(LoginAttempt.remote_addr) == remote_addr)
    since = now - PAIR_MEMORY
    cleared = session.exec(
        select(func.max(LoginAttempt.at)).where(
            *pair, col(LoginAttempt.succeeded).is_(True), col(LoginAttempt.at) >= since
        )
    ).one()
    pair_count, pair_last = _failures(session, max(since, cleared) if cleared else since, *pair)
    address_count, address_last = _failures(
        session, now - ADDRESS_MEMORY, col(LoginAttempt.remote_addr) == remote_addr
    )
    waits = [
        _remaining(
            pair_last, failure_delay(pair_count, policy.free_failures, policy.max_delay), now
        ),
        _remaining(
            address_last,
            failure_delay(address_count, policy.free_failures_per_address, policy.max_delay),
            now,
        ),
    ]
    return max(waits)


def _failures(session: Session, since: datetime, *where: Any) -> tuple[int, datetime | None]:
    """How many failed attempts matching `where` came after `since`, and when the last one did."""
    count, last = session.exec(
        select(func.count(), func.max(LoginAttempt.at)).where(
            *where, col(LoginAttempt.succeeded).is_(False), col(LoginAttempt.at) > since
        )
    ).one()
    return int(count), last


def _remaining(last: datetime | None, delay: int, now: datetime) -> int:
    if last is None or not delay:
        return 0
    return max(0, math.ceil((last + timedelta(seconds=delay) - now).total_seconds()))
