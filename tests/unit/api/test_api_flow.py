"""Respond (refused, then accepted), review, dashboard and audit trail through the API."""

from api_helpers import login
from fastapi.testclient import TestClient

GOOD = {
    "steps": ["desk_review", "contact", "conclude"],
    "record": {"doubts_checked": "VAT001", "method": "interview", "conclusion": "under-reported"},
    "outputs": ["response_report"],
    "evidence": ["invoice list"],
    "finding": "adjusted",
    "tax_recovered": "12345.67",
}


def test_refused_response_names_what_is_missing(api: TestClient) -> None:
    h = login(api, "A1")
    r = api.post("/api/tasks/T1/respond", headers=h, json={"finding": "adjusted", "steps": ["desk_review"]})
    assert r.status_code == 422
    missing = r.json()["missing"]
    assert "step:contact" in missing and "record:method" in missing and "tax_recovered(>0)" in missing
    assert api.get("/api/tasks/T1", headers=h).json()["task"]["status"] == "allocated"


def test_respond_then_dashboard_and_audit(api: TestClient) -> None:
    h = login(api, "A1")
    r = api.post("/api/tasks/T1/respond", headers=h, json=GOOD)
    assert r.status_code == 200, r.text
    assert r.json()["task"]["finding"] == "adjusted"
    detail = api.get("/api/tasks/T1", headers=h).json()
    assert detail["response"]["finding"] == "adjusted" and detail["matter"]["code"] == "RISK_RESPONSE"
    # Someone else's task cannot be answered.
    assert api.post("/api/tasks/T2/respond", headers=h, json=GOOD).status_code == 403
    board = api.get("/api/dashboard?level=region", headers=login(api, "audit")).json()
    r1 = next(row for row in board if row["key"] == "R1")
    # R1: T1, T2 risk pushed + C1 integrity; T1 finished with a finding.
    assert (r1["pushed"], r1["finished"], r1["hit_rate"], r1["integrity_cases"]) == (3, 1, 1.0, 1)
    assert float(r1["tax_recovered"]) == 12345.67
    # A leader of R1 asking for R2 still gets R1 only.
    leader = api.get("/api/dashboard?level=region&region=R2", headers=login(api, "L1")).json()
    assert [row["key"] for row in leader] == ["R1"]
    assert api.get("/api/dashboard", headers=h).status_code == 403
    verify = api.get("/api/audit/verify", headers=login(api, "audit")).json()
    assert verify["ok"] is True and verify["events"] == 1  # the one accepted response
