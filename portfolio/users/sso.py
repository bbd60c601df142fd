"""Single sign-on with OpenID Connect: the settings, the provider's client, the ID token's
checks, and the rules that turn a provider's identity into a user of ours.

A user is linked by the provider's (issuer, sub). The first time, an account with the same
*verified* e-mail is linked, or a new one is made. The role comes from a claim (OIDC_ROLE_CLAIM,
e.g. `groups`) through OIDC_ROLE_MAP; the highest mapped role wins and is set again at every
login; someone in no mapped group is refused. A process owner acts for the Person with their
e-mail. Authlib (and requests) are imported only by the functions that talk to the provider, so
building the app and starting the CLI stay fast and never touch the network.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from flask import Flask
from sqlmodel import Session, func, select

from portfolio.db import utcnow
from portfolio.domain import ChangeSource, Role
from portfolio.projects.models import Person
from portfolio.users.audit import audit_entry, user_field
from portfolio.users.models import User
from portfolio.users.services import UserError, create_user, normalise_email, user_by_email

if TYPE_CHECKING:
    from authlib.integrations.flask_client import FlaskOAuth2App

CLIENT_KEY = "portfolio_oidc_client"
# Kept in the login's session cookie: the login came through the provider, and (when it is
# small enough for the cookie) the ID token, sent back as id_token_hint at logout.
SSO_LOGIN = "sso_login"
SSO_ID_TOKEN = "sso_id_token"  # noqa: S105  (a session key, not a secret)
MAX_ID_TOKEN_IN_COOKIE = 2000
# How long a provider may take to answer one request (discovery, keys, token, userinfo).
PROVIDER_TIMEOUT_SECONDS = 10
# Clocks of two servers differ a little: an ID token is accepted this many seconds either side.
LEEWAY_SECONDS = 60

# audit_entry.field's length in the schema.

# "Highest role wins": more rights rank higher.
ROLE_RANK = {Role.reader: 0, Role.owner: 1, Role.editor: 2, Role.admin: 3}

# Why a single sign-on was refused, as the audit log records it (Danish, for the IT department).
REASONS = {
    "state": "ukendt eller brugt state",
    "provider_error": "udbyderen afviste",
    "token": "koden kunne ikke veksles til et token",
    "id_token": "ugyldigt ID-token",
    "nonce": "ID-tokenets nonce passer ikke",
    "audience": "ID-tokenet er udstedt til en anden klient",
    "userinfo": "brugeroplysningerne passer ikke til ID-tokenet",
    "email_unverified": "e-mailen er ikke bekræftet",
    "no_email": "ingen e-mail",
    "bad_email": "e-mailen kan ikke bruges",
    "no_group": "ingen gruppe med adgang",
    "no_person": "procesejer uden person med den e-mail",
    "inactive": "brugeren er deaktiveret",
    "linked_elsewhere": "e-mailen er knyttet til en anden identitet",
    "unreachable": "udbyderen svarer ikke",
}


class SsoRefused(Exception):
    """A single sign-on that must not log anyone in; `reason` is a key of REASONS."""

    def __init__(self, reason: str, email: str | None = None, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.email = email
        self.detail = detail


# --- settings ----------------------------------------------------------------------------------


def truthy(value: object) -> bool:
    """A boolean setting from the environment: 0, false, no, off (and nej, fra) are off."""
    if isinstance(value, str):
        return value.strip().lower() not in {"", "0", "false", "no", "off", "nej", "fra"}
    return bool(value)


def sso_enabled(config: Mapping[str, Any]) -> bool:
    return bool(config.get("OIDC_ISSUER")) and bool(config.get("OIDC_CLIENT_ID"))


def local_login_enabled(config: Mapping[str, Any]) -> bool:
    return truthy(config.get("LOCAL_LOGIN", True))


def parse_role_map(value: object) -> dict[str, Role]:
    """OIDC_ROLE_MAP as group → Role: a mapping, JSON text, or "group=role,group=role".
    ValueError names the first entry that is not understood."""
    if value is None or value == "":
        return {}
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("{"):
            value = json.loads(text)
        else:
            pairs: dict[str, str] = {}
            for part in text.split(","):
                if not part.strip():
                    continue
                group, sep, role = part.rpartition("=")
                if not sep or not group.strip():
                    raise ValueError(f"OIDC_ROLE_MAP: {part.strip()!r} er ikke gruppe=rolle")
                pairs[group.strip()] = role.strip()
            value = pairs
    if not isinstance(value, Mapping):
        raise ValueError("OIDC_ROLE_MAP skal være gruppe=rolle,gruppe=rolle eller JSON")
    roles: dict[str, Role] = {}
    for group, role in value.items():
        try:
            roles[str(group)] = Role(str(role).strip())
        except ValueError:
            known = ", ".join(r.value for r in Role)
            raise ValueError(
                f"OIDC_ROLE_MAP: rollen {role!r} for {group!r} findes ikke ({known})"
            ) from None
    return roles


def claim_values(value: object) -> list[str]:
    """A claim's values as a list of text: a list as it is, one value as a list of one."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, Iterable) and not isinstance(value, Mapping):
        return [str(v) for v in value]
    return [str(value)]


def mapped_role(groups: Iterable[str], role_map: Mapping[str, Role]) -> Role | None:
    """The highest role any of the groups maps to; None when none is mapped."""
    roles = [role_map[g] for g in groups if g in role_map]
    return max(roles, key=ROLE_RANK.__getitem__) if roles else None


@dataclass(frozen=True)
class Identity:
    """Who the provider says logged in, read from the ID token's (and userinfo's) claims."""

    issuer: str
    subject: str
    email: str | None
    email_verified: bool
    name: str
    groups: tuple[str, ...]
    role: Role | None


def identity_from_claims(claims: Mapping[str, Any], config: Mapping[str, Any]) -> Identity:
    email_claim = str(config.get("OIDC_EMAIL_CLAIM") or "email")
    name_claim = str(config.get("OIDC_NAME_CLAIM") or "name")
    email = claims.get(email_claim)
    email = normalise_email(email) if isinstance(email, str) and email.strip() else None
    verified = claims.get("email_verified")
    groups = tuple(claim_values(claims.get(str(config.get("OIDC_ROLE_CLAIM") or "groups"))))
    name = claims.get(name_claim)
    return Identity(
        issuer=str(claims["iss"]),
        subject=str(claims["sub"]),
        email=email,
        # A provider may send "true" as text; anything else is not a verified e-mail.
        email_verified=verified is True or (isinstance(verified, str) and verified == "true"),
        name=(name.strip() if isinstance(name, str) and name.strip() else email or "")[:200],
        groups=groups,
        role=mapped_role(groups, parse_role_map(config.get("OIDC_ROLE_MAP"))),
    )


# --- from an identity to a user ----------------------------------------------------------------


def actor_for(identity: Identity) -> str:
    return f"{identity.name} <{identity.email or identity.subject}> (SSO)"


def sign_in(session: Session, identity: Identity) -> User:
    """The user this identity logs in as, linked, created or updated; raises SsoRefused
    (nothing written) if they may not log in. Writes the audit rows of a login; flushes."""
    if identity.role is None:
        raise SsoRefused("no_group", identity.email, ", ".join(identity.groups))
    user = session.exec(
        select(User).where(
            User.external_issuer == identity.issuer, User.external_subject == identity.subject
        )
    ).first()
    if user is None:
        if identity.email is None:
            raise SsoRefused("no_email", None, identity.subject)
        if not identity.email_verified:
            raise SsoRefused("email_unverified", identity.email)
        user = user_by_email(session, identity.email)
        if user is not None and user.external_subject is not None:
            raise SsoRefused("linked_elsewhere", identity.email)
    if user is not None and not user.active:
        raise SsoRefused("inactive", user.email)
    email = user.email if user is not None else identity.email
    assert email is not None  # noqa: S101  (a new user is only made from a verified e-mail)
    person = _person_for(session, user, identity.role, email)
    actor = actor_for(identity)
    if user is None:
        try:
            user = create_user(
                session=session,
                email=email,
                name=identity.name or email,
                role=identity.role,
                password=None,
                person=person.name if person is not None else None,
            )
        except UserError as exc:  # e.g. not an e-mail address we can use
            raise SsoRefused("bad_email", email, str(exc)) from exc
        session.add(
            audit_entry(
                actor=actor,
                action="user_create",
                source=ChangeSource.web,
                field=user_field(email, "role"),
                new=user.role,
            )
        )
    elif user.role != identity.role:
        session.add(
            audit_entry(
                actor=actor,
                action="user_update",
                source=ChangeSource.web,
                field=user_field(user.email, "role"),
                old=user.role,
                new=identity.role,
            )
        )
        user.role = identity.role
        user.session_version += 1  # the old role's sessions end at once
    if person is not None and user.person_id is None:
        user.person = person
    if user.external_subject is None:
        user.external_issuer, user.external_subject = identity.issuer, identity.subject
    user.last_login_at = utcnow()
    session.add(user)
    session.add(
        audit_entry(
            actor=actor,
            action="sso_login",
            source=ChangeSource.web,
            field=user_field(user.email, "role"),
            new=user.role,
        )
    )
    session.flush()
    return user


def _person_for(session: Session, user: User | None, role: Role, email: str) -> Person | None:
    """The Person a process owner acts for: the one already linked, else the one with their
    e-mail. Other roles need none (an existing link stays)."""
    if role != Role.owner:
        return None
    if user is not None and user.person is not None:
        return user.person
    person = session.exec(select(Person).where(func.lower(Person.email) == email)).first()
    if person is None:
        raise SsoRefused("no_person", email)
    return person


def record_refusal(session: Session, refused: SsoRefused) -> None:
    """The audit row of a refused single sign-on. Flushes."""
    who = refused.email or "ukendt"
    text = REASONS.get(refused.reason, refused.reason)
    if refused.detail:
        text = f"{text} ({refused.detail[:200]})"
    session.add(
        audit_entry(
            actor=f"<{who}> (SSO)",
            action="sso_refused",
            source=ChangeSource.web,
            field=user_field(who, "login"),
            new=text,
        )
    )
    session.flush()


# --- the provider ------------------------------------------------------------------------------


def oidc_client(app: Flask) -> FlaskOAuth2App:
    """This app's client for the provider, made at the first single sign-on (that is when
    Authlib is imported); the discovery document is read and kept by its first use."""
    client = app.extensions.get(CLIENT_KEY)
    if client is not None:
        return client  # type: ignore[no-any-return]
    from authlib.integrations.flask_client import OAuth

    config = app.config
    issuer = str(config["OIDC_ISSUER"]).rstrip("/")
    oauth = OAuth()
    oauth.init_app(app)
    made = oauth.register(
        "oidc",
        # str(): from the environment a numeric id or secret would arrive as a number.
        client_id=str(config["OIDC_CLIENT_ID"]),
        client_secret=str(config["OIDC_CLIENT_SECRET"])
        if config.get("OIDC_CLIENT_SECRET")
        else None,
        server_metadata_url=f"{issuer}/.well-known/openid-configuration",
        client_kwargs={
            "scope": str(config.get("OIDC_SCOPES") or "openid"),
            "code_challenge_method": "S256",
            "default_timeout": PROVIDER_TIMEOUT_SECONDS,
        },
    )
    return app.extensions.setdefault(CLIENT_KEY, made)  # type: ignore[no-any-return]


def provider_metadata(client: FlaskOAuth2App, issuer: str) -> dict[str, Any]:
    """The discovery document; its issuer must be the configured one (OpenID Discovery 4.3)."""
    metadata: dict[str, Any] = client.load_server_metadata()
    if str(metadata.get("issuer", "")).rstrip("/") != issuer.rstrip("/"):
        raise RuntimeError(
            f"Udbyderens issuer {metadata.get('issuer')!r} er ikke PORTFOLIO_OIDC_ISSUER {issuer!r}"
        )
    return metadata


def check_id_token(
    client: FlaskOAuth2App, token: Mapping[str, Any], *, nonce: str | None
) -> dict[str, Any]:
    """The ID token's claims, once its signature (the provider's published keys), issuer,
    audience (this client), expiry and nonce are checked; SsoRefused otherwise."""
    from joserfc.errors import InvalidClaimError, JoseError, MissingClaimError

    raw = token.get("id_token")
    if not raw or not nonce:
        raise SsoRefused("id_token", None, "intet ID-token" if not raw else "ingen nonce")
    metadata = client.load_server_metadata()
    options: dict[str, Any] = {
        "iss": {"essential": True, "value": metadata["issuer"]},
        "aud": {"essential": True, "value": client.client_id},
        "sub": {"essential": True},
        "nonce": {"essential": True, "value": nonce},
    }
    try:
        claims = client.parse_id_token(
            dict(token), nonce=nonce, claims_options=options, leeway=LEEWAY_SECONDS
        )
    except (InvalidClaimError, MissingClaimError) as exc:
        claim = getattr(exc, "claim", "") or ""
        if claim == "nonce":
            raise SsoRefused("nonce") from exc
        if claim in {"aud", "azp"}:
            raise SsoRefused("audience", None, str(exc)) from exc
        raise SsoRefused("id_token", None, str(exc)) from exc
    except (JoseError, ValueError) as exc:  # a bad signature, an unknown key, not a JWT
        raise SsoRefused("id_token", None, str(exc)) from exc
    if claims is None:
        raise SsoRefused("id_token", None, "intet ID-token")
    return dict(claims)


def with_userinfo(
    client: FlaskOAuth2App, token: Mapping[str, Any], claims: dict[str, Any]
) -> dict[str, Any]:
    """The ID token's claims completed from the userinfo endpoint (many providers put e-mail
    and groups only there). Userinfo about another subject is refused; the ID token's own
    (signed) claims win over userinfo's."""
    endpoint = client.load_server_metadata().get("userinfo_endpoint")
    if not endpoint or not token.get("access_token"):
        return claims
    info = dict(client.userinfo(token=dict(token)))
    if str(info.get("sub")) != str(claims["sub"]):
        raise SsoRefused("userinfo", None, "sub")
    return {**info, **claims}


def logout_url(app: Flask, id_token: str | None, return_to: str) -> str | None:
    """Where to send the browser to end the provider's session too (RP-initiated logout), or
    None when the provider has no end_session_endpoint or cannot be asked now."""
    import requests

    client = oidc_client(app)
    try:
        metadata = client.load_server_metadata()
    except (requests.RequestException, ValueError):
        app.logger.warning("single sign-on logout: the provider's discovery did not answer")
        return None
    if not metadata.get("end_session_endpoint"):
        return None
    result = client.create_logout_url(
        post_logout_redirect_uri=return_to,
        id_token_hint=id_token,
        client_id=client.client_id,
    )
    return str(result["url"])


def provider_origins(app: Flask) -> list[str]:
    """The provider's origins a form of ours may be redirected to (logout goes on to the
    provider's end_session_endpoint): the issuer's, and the endpoint's once it is known."""
    origins = []
    urls = [str(app.config.get("OIDC_ISSUER") or "")]
    client = app.extensions.get(CLIENT_KEY)
    if client is not None:
        urls.append(str(client.server_metadata.get("end_session_endpoint") or ""))
    for url in urls:
        parts = urlsplit(url)
        if parts.scheme in {"http", "https"} and parts.netloc:
            origin = f"{parts.scheme}://{parts.netloc}"
            if origin not in origins:
                origins.append(origin)
    return origins
