"""Projects through the API: lists, detail, create, edit with optimistic locking."""

from decimal import Decimal

import pytest

from app.extensions import db
from app.models import NeedStatus, Project
from app.reference import Level, Stage
from tests.factories import make_need, make_project


def project_body(**overrides):
    body = {
        "name": "天府大道北延线", "code": "2026-510112-48-01-000901", "level": "municipal",
        "category": "infrastructure", "industry_code": "48", "district_code": "510112",
        "total_investment": "150000.00", "annual_planned_investment": "30000.50",
        "stage": "under_construction", "planned_start": "2026-03-01",
        "planned_completion": "2028-12-31", "is_priority": True, "description": "主干道。",
    }
    body.update(overrides)
    return body


def test_owner_creates_a_project_of_their_organisation(api, owner):
    response = api(owner).post("/projects", json=project_body())
    assert response.status_code == 201
    body = response.json
    assert body["org"]["id"] == owner.org_id
    assert body["total_investment"] == "150000.00"
    assert body["annual_planned_investment"] == "30000.50"
    assert body["level"] == "municipal" and body["stage"] == "under_construction"
    assert body["created_at"].endswith("+00:00")
    project = db.session.get(Project, body["id"])
    assert project.annual_planned_investment == Decimal("30000.50")
    assert project.created_by_id == owner.id


@pytest.mark.parametrize("role", ["institution", "admin", "unverified_owner"])
def test_only_verified_owners_create_projects(api, request, role):
    response = api(request.getfixturevalue(role)).post("/projects", json=project_body())
    assert response.status_code == 403
    assert response.json["error"]["code"] == "forbidden"
    assert db.session.query(Project).count() == 0


@pytest.mark.parametrize("overrides, field", [
    ({"name": ""}, "name"),
    ({"code": "12345"}, "code"),
    ({"district_code": "999999"}, "district_code"),
    ({"level": "national"}, "level"),
    ({"total_investment": 150000.0}, "total_investment"),
    ({"total_investment": "1.234"}, "total_investment"),
    ({"annual_planned_investment": "200000.00"}, "annual_planned_investment"),
    ({"stage": "reserve"}, "reserve_substage"),
    ({"planned_completion": "2025-01-01"}, "planned_completion"),
    ({"name": "a\x00b"}, "name"),
    ({"surprise": 1}, "surprise"),
])
def test_invalid_project_is_422_with_field_errors(api, owner, overrides, field):
    response = api(owner).post("/projects", json=project_body(**overrides))
    assert response.status_code == 422, response.json
    error = response.json["error"]
    assert error["status"] == 422
    assert error["errors"][field] and all(isinstance(m, str) for m in error["errors"][field])
    assert db.session.query(Project).count() == 0


def test_patch_changes_only_given_fields_and_needs_the_current_version(api, owner):
    project = make_project(org=owner.org, name="旧名称")
    db.session.commit()
    caller = api(owner)
    missing = caller.patch(f"/projects/{project.id}", json={"name": "新名称"})
    assert missing.status_code == 422 and "version" in missing.json["error"]["errors"]

    response = caller.patch(f"/projects/{project.id}", json={"name": "新名称", "version": 1})
    assert response.status_code == 200, response.json
    assert response.json["name"] == "新名称"
    assert response.json["version"] == 2
    assert response.json["total_investment"] == "150000.00"

    stale = caller.patch(f"/projects/{project.id}", json={"name": "第三个名称", "version": 1})
    assert stale.status_code == 409
    assert stale.json["error"]["code"] == "stale_edit"
    db.session.expire_all()
    assert db.session.get(Project, project.id).name == "新名称"


def test_other_owner_cannot_see_or_edit_a_project(api, owner, other_owner):
    project = make_project(org=owner.org)
    db.session.commit()
    caller = api(other_owner)
    for response in (caller.get(f"/projects/{project.id}"),
                     caller.patch(f"/projects/{project.id}", json={"name": "x", "version": 1})):
        assert response.status_code == 404
        assert response.json["error"]["code"] == "not_found"
    assert caller.get("/projects").json["total"] == 0


def test_institution_sees_projects_with_listed_needs_only(api, owner, institution):
    listed = make_need(org=owner.org, status=NeedStatus.listed).project
    draft = make_need(org=owner.org, status=NeedStatus.submitted).project
    db.session.commit()
    caller = api(institution)
    assert [p["id"] for p in caller.get("/projects").json["items"]] == [listed.id]
    assert caller.get(f"/projects/{listed.id}").status_code == 200
    assert caller.get(f"/projects/{draft.id}").status_code == 404


def test_unknown_and_huge_ids_are_404(api, admin):
    caller = api(admin)
    assert caller.get("/projects/12345").status_code == 404
    assert caller.get(f"/projects/{2**70}").status_code == 404


def test_list_is_paginated_in_one_envelope(api, owner):
    ids = [make_project(org=owner.org).id for _ in range(5)]
    db.session.commit()
    caller = api(owner)
    first = caller.get("/projects?per_page=2").json
    assert (first["page"], first["per_page"], first["total"], first["pages"]) == (1, 2, 5, 3)
    assert [p["id"] for p in first["items"]] == ids[::-1][:2]
    last = caller.get("/projects?per_page=2&page=3").json
    assert [p["id"] for p in last["items"]] == [ids[0]]
    beyond = caller.get("/projects?per_page=2&page=4").json
    assert beyond["items"] == [] and beyond["total"] == 5
    for bad in ("page=0", "per_page=101", "per_page=x"):
        response = caller.get(f"/projects?{bad}")
        assert response.status_code == 422
        assert set(response.json["error"]["errors"]) <= {"page", "per_page"}


def test_list_filters(api, admin, owner):
    a = make_project(org=owner.org, name="锦江绿道提升工程", level=Level.provincial, district_code="510104")
    b = make_project(org=owner.org, name="双流物流园", stage=Stage.completed, industry_code="59")
    make_project(org=owner.org, name="其他项目")
    db.session.commit()
    caller = api(admin)

    def ids(query):
        return {p["id"] for p in caller.get(f"/projects?{query}").json["items"]}

    assert ids("level=provincial") == {a.id}
    assert ids("district=510104") == {a.id}
    assert ids("stage=completed") == {b.id}
    assert ids("industry=59") == {b.id}
    assert ids("q=绿道") == {a.id}
    assert ids(f"q={b.code}") == {b.id}
    assert ids("q=%25") == set()  # a literal %, not a wildcard
    assert caller.get("/projects?level=national").status_code == 422


def test_list_query_count_does_not_grow_with_rows(api, admin, count_queries):
    caller = api(admin)
    caller.get("/me")  # the token's first use records last_used_at
    for _ in range(2):
        make_project()
    db.session.commit()
    with count_queries() as few:
        assert caller.get("/projects").json["total"] == 2
    for _ in range(8):
        make_project()
    db.session.commit()
    with count_queries() as many:
        assert caller.get("/projects").json["total"] == 10
    assert many.count == few.count
