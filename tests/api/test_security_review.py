"""Security review of the API (ASVS 5.0 L1/L2): a finding shown by a test that failed
before its fix, and compact checks of what was verified as sound."""

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEntry, NeedStatus
from app.services import accounts
from tests import factories

COMMENT = "内部意见：资本金到位证明不足"


# ---- finding: the reviewer's comment is between the owner and admins ------------------------------
@pytest.mark.parametrize("role, sees_comment", [
    ("owner", True), ("admin", True), ("institution", False), ("expert", False),
    ("unverified_institution", False)])
def test_review_comment_only_for_owner_and_admins(api, request, owner, role, sees_comment):
    need = factories.make_need(org=owner.org, status=NeedStatus.listed, review_comment=COMMENT)
    db.session.commit()
    caller = api(request.getfixturevalue(role))
    for body in (caller.get(f"/needs/{need.id}").json, caller.get("/needs").json["items"][0]):
        assert body["id"] == need.id
        assert body["review_comment"] == (COMMENT if sees_comment else None)


# ---- finding: contacts read through the API are audited --------------------------------------------
def test_contacts_read_through_the_api_are_audited(api, owner, institution):
    need = factories.make_need(org=owner.org, status=NeedStatus.listed)
    db.session.commit()
    caller = api(institution)
    assert caller.get(f"/needs/{need.id}").json["contact_phone"] is not None
    assert caller.get("/needs").json["items"][0]["contact_phone"] is not None
    reads = db.session.scalars(sa.select(AuditEntry).where(
        AuditEntry.action == "financing_need.view_contact", AuditEntry.object_id == need.id)).all()
    assert [r.actor_id for r in reads] == [institution.id, institution.id]
    other = factories.make_need(org=owner.org, status=NeedStatus.listed)
    db.session.commit()
    caller.get("/needs")  # a page of needs: one row that names them
    [page_read] = db.session.scalars(sa.select(AuditEntry).where(
        AuditEntry.action == "financing_need.view_contact", AuditEntry.object_id.is_(None))).all()
    assert page_read.note == f"API #{other.id},{need.id}"
    api(owner).get(f"/needs/{need.id}")  # the owner's own reads are not sensitive
    assert db.session.scalar(sa.select(sa.func.count(AuditEntry.id)).where(
        AuditEntry.action == "financing_need.view_contact")) == 3


# ---- verified as sound ---------------------------------------------------------------------------
@pytest.mark.parametrize("field, value", [
    ("status", "listed"), ("project_id", 1), ("org_id", 1), ("review_comment", "已通过"), ("id", 999),
    ("approved_at", "2026-01-01T00:00:00+00:00")])
def test_patch_cannot_set_fields_outside_the_input_schema(api, owner, field, value):
    need = factories.make_need(org=owner.org, status=NeedStatus.draft)
    db.session.commit()
    response = api(owner).patch(f"/needs/{need.id}", json={"term_months": 60, "version": need.version,
                                                           field: value})
    assert response.status_code == 422 and field in response.json["error"]["errors"]
    db.session.refresh(need)
    assert need.status is NeedStatus.draft and need.term_months != 60


@pytest.mark.parametrize("field, value", [("org_id", 1), ("created_by_id", 1), ("id", 5)])
def test_project_patch_cannot_move_the_project(api, owner, other_owner, field, value):
    project = factories.make_project(owner.org)
    db.session.commit()
    response = api(owner).patch(f"/projects/{project.id}", json={"version": project.version, field: value})
    assert response.status_code == 422
    db.session.refresh(project)
    assert project.org_id == owner.org_id


@pytest.mark.parametrize("name", ["access_token", "token", "api_key", "bearer"])
def test_a_token_in_the_query_string_is_not_a_credential(client, owner, name):
    secret, _row = accounts.create_api_token(owner, "laptop")
    db.session.commit()
    assert client.get("/api/v1/me", query_string={name: secret}).status_code == 401


def test_tokens_are_stored_hashed(owner):
    secret, row = accounts.create_api_token(owner, "laptop")
    assert secret not in (row.token_hash, row.prefix) and len(row.token_hash) == 64
