"""The web pages: log in, inbox, task page with hits, respond by form, review, dashboard, scope and roles."""

from __future__ import annotations

from fastapi.testclient import TestClient

from web_world import PASSWORD

GOOD_FORM = {
    "steps": ["desk_review", "contact", "conclude"],
    "record_doubts_checked": "VAT_LOW_BURDEN",
    "record_method": "interview",
    "record_conclusion": "sales under-reported",
    "outputs": ["response_report"],
    "finding": "adjusted",
    "tax_recovered": "5000",
    "evidence": "invoice list 2026-05",
}


def _login(client: TestClient, user: str) -> None:
    client.cookies.clear()
    r = client.post("/login", data={"username": user, "password": PASSWORD}, follow_redirects=False)
    assert r.status_code == 303, r.text


def test_login_required_and_bad_password(web: TestClient) -> None:
    r = web.get("/inbox", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login"
    bad = web.post("/login", data={"username": "A1", "password": "wrong"})
    assert bad.status_code == 401 and "用户名或密码错误" in bad.text


def test_inbox_task_page_and_language(web: TestClient) -> None:
    _login(web, "A1")
    assert web.get("/", follow_redirects=False).headers["location"] == "/inbox"
    inbox = web.get("/inbox")
    assert "T1" in inbox.text and "T2" not in inbox.text and "我的待办" in inbox.text
    page = web.get("/tasks/T1?lang=en")
    assert "burden=0.4%" in page.text and "My tasks" in page.text and 'id="respond-form"' in page.text


def test_other_region_task_by_url_is_not_found(web: TestClient) -> None:
    _login(web, "A1")
    r = web.get("/tasks/T3")
    assert r.status_code == 404 and "不存在或无权查看" in r.text
    assert web.get("/tasks/C1").status_code == 404
    assert web.get("/integrity").status_code == 403


def test_respond_refused_then_accepted_then_dashboard_changes(web: TestClient) -> None:
    _login(web, "L1")
    before = web.get("/dashboard?level=bureau").text
    assert 'id="kpi-finished">0<' in before
    _login(web, "A1")
    refused = web.post("/tasks/T1/respond", data={"finding": "adjusted", "steps": ["desk_review"]})
    assert refused.status_code == 422 and "step:contact" in refused.text and "record:method" in refused.text
    ok = web.post("/tasks/T1/respond", data=GOOD_FORM, follow_redirects=False)
    assert ok.status_code == 303
    assert 'id="saved"' in web.get(ok.headers["location"]).text
    _login(web, "L1")
    after = web.get("/dashboard?level=bureau").text
    assert 'id="kpi-finished">1<' in after and 'id="kpi-hit-rate">100.0%<' in after
    assert "5,000.00" in after and "/assets/plotly.min.js" in after


def test_review_with_integrity_doubt_opens_a_case(web: TestClient) -> None:
    _login(web, "V1")
    r = web.post(
        "/tasks/RV1/review",
        data={"standard_followed": "on", "integrity_doubt": "on", "note": "odd"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    _login(web, "D1")
    cases = web.get("/integrity").text
    assert cases.count('class="case-link"') == 2


def test_integrity_case_shows_operations_timeline(web: TestClient) -> None:
    _login(web, "D1")
    page = web.get("/tasks/C1")
    assert page.status_code == 200 and "OP1" in page.text and 'id="timeline"' in page.text


def test_analyst_pages(web: TestClient) -> None:
    _login(web, "N1")
    assert web.get("/", follow_redirects=False).headers["location"] == "/indicators"
    ok = web.post("/indicators/test", data={"sql": "SELECT code, value FROM indicator_hits"})
    assert 'id="draft-count">1 ' in ok.text
    bad = web.post("/indicators/test", data={"sql": "SELECT * FROM read_csv('/etc/passwd')"})
    assert 'id="draft-error"' in bad.text
    gangs = web.get("/gangs")
    assert 'id="gang-graph"' in gangs.text and "pass_through" in gangs.text
    assert web.get("/assets/plotly.min.js").status_code == 200
