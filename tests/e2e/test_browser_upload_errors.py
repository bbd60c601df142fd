"""The upload page in a real browser (issue 16, item 6): a file that cannot be used is said in
the error summary above the form, which gets the focus, and the page is never rewritten with
document.write (the sent form, its script and the user's place stay)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import log_in

pytestmark = pytest.mark.e2e

ADMIN = "it@kommune.example"  # the IT department: may import


def test_an_unusable_file_is_said_in_the_focused_error_summary(live_server: str, page: Any) -> None:
    from playwright.sync_api import expect

    # Any document.write would be recorded (and would replace the page).
    page.add_init_script(
        "window.__written = 0; document.write = function () { window.__written += 1; };"
    )
    log_in(page, live_server, ADMIN, then="/import/")
    for attempt in ("notes.xlsx", "second.xlsx"):
        page.locator("#upload-form input[type=file]").set_input_files(
            {"name": attempt, "mimeType": "application/octet-stream", "buffer": b"not a workbook"}
        )
        page.get_by_role("button", name="Læs arket og vis ændringer").click()
        summary = page.locator("#upload-error")
        expect(summary).to_be_focused()
        expect(summary).to_contain_text("Filen kan ikke importeres")
        expect(summary).to_contain_text("Intet er ændret i porteføljen.")
        assert page.locator("#upload-error").count() == 1  # replaced, not piled up
        assert page.url == f"{live_server}/import/"
        assert page.locator("#upload-progress").is_hidden()
    assert page.evaluate("window.__written") == 0
    # The browser logs the 422 answer itself; no script failed.
    assert [e for e in page.console_errors if "status of 422" not in e] == []
