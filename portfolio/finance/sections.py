"""The project page's "Økonomi" section: grants per pool, spent and remaining, spending per
year, and the spending forms for those who manage money (posted to finance.set_spending)."""

from __future__ import annotations

from typing import Any

from flask_login import current_user
from sqlmodel import Session

from portfolio.db import utcnow
from portfolio.finance import services as svc
from portfolio.finance.forms import SpendingForm
from portfolio.permissions import Permission


def project_finance(session: Session, project_id: int) -> dict[str, Any]:
    """What the project page's "Økonomi" section shows, and its spending forms for editors."""
    money = svc.project_money(session, project_id)
    forms: list[SpendingForm] = []
    new_form = None
    if current_user.can(Permission.manage_finance):
        forms = [
            SpendingForm(
                formdata=None,
                prefix=f"year-{y.year}",
                data={
                    "year": y.year,
                    "budget": y.budget_dkk,
                    "actual": y.actual_dkk,
                    "version": y.version,
                },
            )
            for y in money.years
        ]
        new_form = SpendingForm(
            formdata=None, prefix="year-new", data={"year": utcnow().date().year}
        )
    return {
        "finance_grants": svc.project_grants(session, project_id),
        "finance_money": money,
        "spending_forms": dict(zip([y.year for y in money.years], forms, strict=False)),
        "spending_new_form": new_form,
    }
