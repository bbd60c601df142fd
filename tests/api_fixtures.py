"""Shared by the API tests: a token for a user, and every answer checked against the OpenAPI
document the app serves."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

import jsonschema
from flask.testing import FlaskClient
from sqlmodel import Session

from portfolio.api import schemas
from portfolio.api.tokens import create_token
from portfolio.domain import ChangeSource
from portfolio.users.models import User


def token_for(session: Session, user: User, *, days: int = 90, name: str = "Power BI") -> str:
    _token, raw = create_token(
        session=session, user=user, name=name, days=days, actor="test", source=ChangeSource.cli
    )
    session.commit()
    return raw


@cache
def document() -> dict[str, Any]:
    return schemas.openapi_document()


def check(body: Any, model: type) -> None:
    """The body matches the response model's schema in the OpenAPI document."""
    root = {
        "$ref": f"#/components/schemas/{schemas.schema_name(model)}",
        "components": document()["components"],
    }
    jsonschema.Draft202012Validator(
        root, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    ).validate(body)


def getter(client: FlaskClient, raw: str) -> Callable[..., Any]:
    def get(path: str, **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {raw}", **kwargs.pop("headers", {})}
        return client.get(path, headers=headers, **kwargs)

    return get
