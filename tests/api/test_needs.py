"""Financing needs through the API: visibility, contacts, the review life cycle."""

import pytest

from app.extensions import db
from app.models import FinancingNeed, NeedStatus
from app.reference import Instrument
from tests.factories import make_need, make_project


def need_body(**overrides):
    body = {
        "amount": "50000.00", "instruments": ["project_loan", "bond"], "term_months": 120,
        "cost_ceiling": "4.20", "use_of_funds": "主体工程建设", "credit_enhancements": ["mortgage"],
        "funds_secured": "10000", "contact_name": "张伟", "contact_phone": "028-12345678",
        "contact_email": "zhangwei@example.cn",
    }
    body.update(overrides)
    return body


def test_need_goes_through_review_via_the_api(api, owner, admin):
    project = make_project(org=owner.org)
    db.session.commit()
    as_owner, as_admin = api(owner), api(admin)

    created = as_owner.post(f"/projects/{project.id}/needs", json=need_body())
    assert created.status_code == 201, created.json
    need = created.json
    assert (need["status"], need["amount"], need["funds_secured"], need["amount_open"]) == (
        "draft", "50000.00", "10000.00", "40000.00")
    assert need["instruments"] == ["project_loan", "bond"]
    need_id = need["id"]

    assert as_owner.post(f"/needs/{need_id}/submit").json["status"] == "submitted"
    no_comment = as_admin.post(f"/needs/{need_id}/return", json={"comment": "  "})
    assert no_comment.status_code == 422 and "comment" in no_comment.json["error"]["errors"]
    assert as_admin.post(f"/needs/{need_id}/return", json={}).status_code == 422
    returned = as_admin.post(f"/needs/{need_id}/return", json={"comment": "请补充增信措施"})
    assert returned.json["status"] == "returned"
    assert returned.json["review_comment"] == "请补充增信措施"

    edited = as_owner.patch(f"/needs/{need_id}", json={
        "credit_enhancements": ["mortgage", "guarantee"], "version": returned.json["version"]})
    assert edited.status_code == 200, edited.json
    assert edited.json["credit_enhancements"] == ["mortgage", "guarantee"]
    assert edited.json["amount"] == "50000.00"
    assert as_owner.post(f"/needs/{need_id}/submit").json["status"] == "submitted"
    assert as_owner.post(f"/needs/{need_id}/approve").status_code == 403
    approved = as_admin.post(f"/needs/{need_id}/approve", json={"comment": "同意"})
    assert approved.json["status"] == "approved" and approved.json["approved_at"]

    again = as_admin.post(f"/needs/{need_id}/approve")
    assert again.status_code == 409 and again.json["error"]["code"] == "invalid_transition"
    assert as_owner.post(f"/needs/{need_id}/withdraw", json={"reason": "已获融资"}).json["status"] == "withdrawn"
    assert db.session.get(FinancingNeed, need_id).status is NeedStatus.withdrawn


@pytest.mark.parametrize("overrides, field", [
    ({"amount": "0"}, "amount"),
    ({"amount": "200000.00"}, "amount"),  # more than the project's total investment
    ({"amount": 50000.5}, "amount"),
    ({"funds_secured": "60000.00"}, "funds_secured"),
    ({"instruments": []}, "instruments"),
    ({"instruments": ["gold"]}, "instruments"),
    ({"term_months": 0}, "term_months"),
    ({"term_months": "12"}, "term_months"),
    ({"cost_ceiling": "40.00"}, "cost_ceiling"),
    ({"contact_phone": ""}, "contact_phone"),
    ({"contact_email": "not-an-email"}, "contact_email"),
    ({"use_of_funds": "x" * 5001}, "use_of_funds"),
])
def test_invalid_need_is_422_with_field_errors(api, owner, overrides, field):
    project = make_project(org=owner.org)
    db.session.commit()
    response = api(owner).post(f"/projects/{project.id}/needs", json=need_body(**overrides))
    assert response.status_code == 422, response.json
    assert response.json["error"]["status"] == 422
    assert field in response.json["error"]["errors"]
    assert db.session.query(FinancingNeed).count() == 0


def test_stale_need_edit_is_409_and_changes_nothing(api, owner):
    need = make_need(org=owner.org)
    db.session.commit()
    caller = api(owner)
    assert caller.patch(f"/needs/{need.id}", json={"term_months": 60, "version": 1}).status_code == 200
    stale = caller.patch(f"/needs/{need.id}", json={"term_months": 36, "version": 1})
    assert stale.status_code == 409 and stale.json["error"]["code"] == "stale_edit"
    db.session.expire_all()
    assert db.session.get(FinancingNeed, need.id).term_months == 60


@pytest.mark.parametrize("role", ["other_owner", "institution", "expert"])
def test_unlisted_need_is_404_for_others(api, request, owner, role):
    need = make_need(org=owner.org, status=NeedStatus.approved)
    db.session.commit()
    caller = api(request.getfixturevalue(role))
    for response in (caller.get(f"/needs/{need.id}"), caller.post(f"/needs/{need.id}/withdraw"),
                     caller.patch(f"/needs/{need.id}", json={"version": 1}),
                     caller.post(f"/projects/{need.project_id}/needs", json=need_body())):
        assert response.status_code == 404
        assert response.json["error"]["code"] == "not_found"


def test_institution_lists_listed_needs_only(api, owner, institution):
    listed = make_need(org=owner.org, status=NeedStatus.listed)
    for status in (NeedStatus.draft, NeedStatus.submitted, NeedStatus.approved, NeedStatus.withdrawn):
        make_need(org=owner.org, status=status)
    db.session.commit()
    page = api(institution).get("/needs").json
    assert [n["id"] for n in page["items"]] == [listed.id] and page["total"] == 1
    assert api(owner).get("/needs").json["total"] == 5


@pytest.mark.parametrize("role, sees_contact", [
    ("institution", True), ("unverified_institution", False), ("admin", True), ("owner", True)])
def test_contact_only_for_those_allowed(api, request, owner, role, sees_contact):
    need = make_need(org=owner.org, status=NeedStatus.listed)
    db.session.commit()
    caller = api(request.getfixturevalue(role))
    detail = caller.get(f"/needs/{need.id}").json
    listed = caller.get("/needs").json["items"][0]
    for body in (detail, listed):
        assert body["amount"] == "50000.00"
        expected = ("张伟", "028-12345678", "zhangwei@example.cn") if sees_contact else (None, None, None)
        assert (body["contact_name"], body["contact_phone"], body["contact_email"]) == expected


def test_need_filters_and_pagination(api, admin, owner):
    east = make_project(org=owner.org, district_code="510104")
    big = make_need(east, status=NeedStatus.listed, amount=90000, instruments=[Instrument.bond])
    small = make_need(status=NeedStatus.submitted, amount=1000, org=owner.org)
    middle = make_need(status=NeedStatus.submitted, amount=30000, org=owner.org)
    db.session.commit()
    caller = api(admin)

    def ids(query):
        response = caller.get(f"/needs?{query}")
        assert response.status_code == 200, response.json
        return {n["id"] for n in response.json["items"]}

    assert ids("status=submitted") == {small.id, middle.id}
    assert ids("instrument=bond") == {big.id}
    assert ids("district=510104") == {big.id}
    assert ids(f"project_id={east.id}") == {big.id}
    assert ids("level=municipal") == {big.id, small.id, middle.id}
    assert ids("level=provincial") == set()
    assert ids("min_amount=1000.00&max_amount=30000") == {small.id, middle.id}
    assert ids("min_amount=30000.01") == {big.id}
    page = caller.get("/needs?per_page=2&page=2").json
    assert (page["total"], page["pages"], [n["id"] for n in page["items"]]) == (3, 2, [big.id])
    bad = caller.get("/needs?min_amount=abc&status=lost")
    assert bad.status_code == 422
    assert set(bad.json["error"]["errors"]) == {"min_amount", "status"}


def test_need_list_query_count_does_not_grow_with_rows(api, institution, owner, count_queries):
    caller = api(institution)
    caller.get("/me")
    make_need(org=owner.org, status=NeedStatus.listed)
    db.session.commit()
    with count_queries() as few:
        assert caller.get("/needs").json["total"] == 1
    for _ in range(6):
        make_need(status=NeedStatus.listed)
    db.session.commit()
    with count_queries() as many:
        assert caller.get("/needs").json["total"] == 7
    assert many.count == few.count
