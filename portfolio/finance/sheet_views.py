"""Downloads of the pools' ledgers and the benefits register as Excel workbooks."""

from __future__ import annotations

from datetime import date
from io import BytesIO

from flask import Blueprint, abort, request, send_file
from werkzeug.wrappers import Response

from portfolio.db import get_session
from portfolio.finance.models import Pool

bp = Blueprint("finance_sheets", __name__, url_prefix="/oekonomi/ark")

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _send(content: bytes, stem: str) -> Response:
    return send_file(
        BytesIO(content),
        mimetype=XLSX,
        as_attachment=True,
        download_name=f"{stem}-{date.today():%Y-%m-%d}.xlsx",
    )


@bp.get("/puljer")
def ledger() -> Response:
    """Every pool's ledger, or one pool's with ?pulje=<id>."""
    from portfolio.finance.sheets import ledger_workbook  # openpyxl: loaded when used

    pool_id = request.args.get("pulje", type=int)
    if "pulje" in request.args and (pool_id is None or get_session().get(Pool, pool_id) is None):
        abort(404)
    return _send(ledger_workbook(get_session(), pool_id), "puljer" if pool_id is None else "pulje")


@bp.get("/gevinster")
def benefits() -> Response:
    from portfolio.finance.sheets import benefits_workbook

    return _send(benefits_workbook(get_session()), "gevinster")
