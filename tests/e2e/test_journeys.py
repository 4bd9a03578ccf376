"""Main journeys in headless Chromium: log in, open a task, respond, review, see the dashboard change; scope."""

from __future__ import annotations

from typing import Any

import pytest

from web_world import PASSWORD, SHOTS

pytestmark = pytest.mark.e2e


def _login(browser: Any, url: str, user: str) -> Any:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{url}/login")
    page.fill("#username", user)
    page.fill("#password", PASSWORD)
    page.click("#login-button")
    page.wait_for_load_state("networkidle")
    return page


def _shot(page: Any, name: str) -> None:
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_officer_responds_reviewer_reviews_leader_sees_it(browser: Any, live_url: str) -> None:
    leader = _login(browser, live_url, "L1")
    assert leader.inner_text("#kpi-finished") == "0"
    _shot(leader, "01-dashboard-before")
    officer = _login(browser, live_url, "A1")
    _shot(officer, "02-inbox")
    assert officer.locator("#inbox .task-link").all_inner_texts() == ["T1"]
    officer.click("text=T1")
    officer.wait_for_selector("#respond-form")
    assert "burden=0.4%" in officer.inner_text("#hits")
    _shot(officer, "03-task")
    officer.check("input.step[value=desk_review]")
    officer.click("#respond-submit")
    assert "step:contact" in officer.inner_text("#refused")
    _shot(officer, "04-refused")
    for step in ("desk_review", "contact", "conclude"):
        officer.check(f"input.step[value={step}]")
    officer.fill("#record_doubts_checked", "VAT_LOW_BURDEN")
    officer.fill("#record_method", "interview")
    officer.fill("#record_conclusion", "sales under-reported")
    officer.check("input.output[value=response_report]")
    officer.select_option("#finding", "adjusted")
    officer.fill("#tax_recovered", "5000")
    officer.fill("#evidence", "invoice list 2026-05")
    officer.click("#respond-submit")
    officer.wait_for_selector("#saved")
    assert officer.inner_text("#task-status") == "finished"
    _shot(officer, "05-responded")
    reviewer = _login(browser, live_url, "V1")
    reviewer.goto(f"{live_url}/tasks/RV1")
    reviewer.check("#integrity_doubt")
    reviewer.click("#review-submit")
    reviewer.wait_for_selector("#saved")
    _shot(reviewer, "06-reviewed")
    leader.reload()
    assert leader.inner_text("#kpi-finished") == "2"
    assert leader.inner_text("#kpi-hit-rate") == "100.0%"
    leader.wait_for_selector("#chart-figures .plot-container")
    _shot(leader, "07-dashboard-after")
    inspector = _login(browser, live_url, "D1")
    assert inspector.locator("#cases .case-link").count() == 2
    _shot(inspector, "08-integrity")
    inspector.goto(f"{live_url}/tasks/C1")
    inspector.wait_for_selector("#timeline .plot-container")
    _shot(inspector, "09-case-timeline")


def test_officer_cannot_open_another_regions_task_by_url(browser: Any, live_url: str) -> None:
    officer = _login(browser, live_url, "A1")
    response = officer.goto(f"{live_url}/tasks/T3")
    assert response is not None and response.status == 404
    assert "不存在或无权查看" in officer.inner_text("#message")
    _shot(officer, "10-scope-refused")


def test_analyst_pages_render(browser: Any, live_url: str) -> None:
    analyst = _login(browser, live_url, "N1")
    assert "/indicators" in analyst.url
    _shot(analyst, "11-indicators")
    analyst.goto(f"{live_url}/gangs")
    analyst.wait_for_selector("#gang-graph .plot-container")
    _shot(analyst, "12-gangs")
    leader = _login(browser, live_url, "L1")
    leader.goto(f"{live_url}/hub")
    _shot(leader, "13-ledger")
