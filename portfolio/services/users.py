"""Accounts: creating users, checking passwords with throttling, and ending sessions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlmodel import Session, col, func, select
from werkzeug.security import check_password_hash, generate_password_hash

from portfolio.domain import Role
from portfolio.models import LoginAttempt, User, utcnow
from portfolio.services.projects import References

MIN_PASSWORD_LENGTH = 10
THROTTLE_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_ACCOUNT = 5
MAX_FAILURES_PER_ADDRESS = 20
# Checked against when the e-mail is unknown, so both paths cost the same time.
_DUMMY_HASH = generate_password_hash("not-a-real-password", method="scrypt")


class UserError(ValueError):
    """A user could not be created or changed; the message is Danish and for the user."""


def normalise_email(email: str) -> str:
    return email.strip().lower()


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"Adgangskoden skal være mindst {MIN_PASSWORD_LENGTH} tegn.")
    return generate_password_hash(password, method="scrypt")


def create_user(
    *,
    session: Session,
    email: str,
    name: str,
    role: Role | str,
    password: str | None,
    person: str | None = None,
) -> User:
    email = normalise_email(email)
    if "@" not in email or len(email) > 254:
        raise UserError("Skriv en gyldig e-mailadresse.")
    if session.exec(select(User).where(User.email == email)).first() is not None:
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
    session.flush()
    return user


def set_password(session: Session, user: User, password: str) -> None:
    user.password_hash = hash_password(password)
    user.session_version += 1
    session.add(user)
    session.flush()


def end_sessions(session: Session, user: User) -> None:
    """Every cookie issued to this user so far stops working (logout, lost laptop)."""
    user.session_version += 1
    session.add(user)
    session.flush()


@dataclass(frozen=True)
class LoginResult:
    user: User | None
    throttled: bool = False


def _recent_failures(session: Session, column: object, value: str) -> int:
    since = utcnow() - THROTTLE_WINDOW
    stmt = (
        select(func.count())
        .select_from(LoginAttempt)
        .where(column == value, col(LoginAttempt.succeeded).is_(False))  # type: ignore[arg-type]
        .where(col(LoginAttempt.at) >= since)
    )
    return int(session.exec(stmt).one())


def authenticate(session: Session, email: str, password: str, remote_addr: str) -> LoginResult:
    """The user if the password is right and the account is not throttled. Flushes."""
    email = normalise_email(email)[:254]
    throttled = (
        _recent_failures(session, LoginAttempt.email, email) >= MAX_FAILURES_PER_ACCOUNT
        or _recent_failures(session, LoginAttempt.remote_addr, remote_addr)
        >= MAX_FAILURES_PER_ADDRESS
    )
    user = session.exec(select(User).where(User.email == email)).first()
    stored = user.password_hash if user and user.password_hash else _DUMMY_HASH
    ok = check_password_hash(stored, password) and user is not None and user.active
    ok = ok and not throttled and bool(user and user.password_hash)
    session.add(LoginAttempt(email=email, remote_addr=remote_addr[:64], succeeded=ok))
    if ok and user is not None:
        user.last_login_at = utcnow()
        session.add(user)
        session.flush()
        return LoginResult(user)
    session.flush()
    return LoginResult(None, throttled=throttled)
