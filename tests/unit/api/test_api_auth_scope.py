"""Authentication, roles and data scope of the API."""

from api_helpers import PASSWORD, login
from fastapi.testclient import TestClient


def test_wrong_password_and_missing_token_are_401(api: TestClient) -> None:
    assert api.post("/api/auth/token", data={"username": "A1", "password": "nope"}).status_code == 401
    assert api.get("/api/tasks").status_code == 401
    assert api.get("/api/tasks", headers={"Authorization": "Bearer garbage"}).status_code == 401


def test_me(api: TestClient) -> None:
    me = api.get("/api/auth/me", headers=login(api, "A1")).json()
    assert (me["role"], me["region_code"], me["officer_id"]) == ("administrator", "R1", "A1")
    assert PASSWORD not in str(me)


def test_officer_sees_only_own_tasks(api: TestClient) -> None:
    h = login(api, "A1")
    assert [t["task_id"] for t in api.get("/api/tasks", headers=h).json()] == ["T1"]
    assert api.get("/api/tasks/T1", headers=h).status_code == 200
    # Another officer's task, or another region's, by URL: not found (no existence leak).
    assert api.get("/api/tasks/T2", headers=h).status_code == 404
    assert api.get("/api/tasks/T3", headers=h).status_code == 404
    assert api.get("/api/tasks/C1", headers=h).status_code == 404


def test_leader_sees_region_and_auditor_everything(api: TestClient) -> None:
    leader = [t["task_id"] for t in api.get("/api/tasks", headers=login(api, "L1")).json()]
    assert sorted(leader) == ["T1", "T2"]
    auditor = [t["task_id"] for t in api.get("/api/tasks", headers=login(api, "audit")).json()]
    assert sorted(auditor) == ["C1", "T1", "T2", "T3"]


def test_integrity_cases_only_for_discipline_and_auditors(api: TestClient) -> None:
    assert api.get("/api/integrity/cases", headers=login(api, "A1")).status_code == 403
    assert api.get("/api/integrity/cases", headers=login(api, "L1")).status_code == 403
    cases = api.get("/api/integrity/cases", headers=login(api, "D1")).json()
    assert [c["task_id"] for c in cases] == ["C1"]
    assert api.get("/api/tasks/C1", headers=login(api, "D1")).status_code == 200


def test_bad_input_is_4xx_not_500(api: TestClient) -> None:
    h = login(api, "A1")
    assert api.get("/api/tasks?limit=0", headers=h).status_code == 422
    assert api.post("/api/tasks/T1/respond", headers=h, json={"finding": "maybe"}).status_code == 422
    assert api.post("/api/tasks/NOPE/respond", headers=h, json={"finding": "no_issue"}).status_code in (403, 404)
    assert api.get("/api/matters/NOPE", headers=h).status_code == 404
