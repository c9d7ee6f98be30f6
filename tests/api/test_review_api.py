"""Edits after review through the API, deleting drafts and replying to a return."""

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEntry, FinancingNeed, NeedStatus
from app.services import attachments, needs
from tests.factories import make_need, make_project

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def reviewed(owner, admin, status=NeedStatus.listed, **kw) -> FinancingNeed:
    need = make_need(org=owner.org, **kw)
    needs.submit_need(need, by=owner)
    needs.approve_need(need, by=admin)
    need.status = status
    db.session.commit()
    return need


@pytest.mark.parametrize("status", [NeedStatus.approved, NeedStatus.listed])
@pytest.mark.parametrize("body", [{"amount": "61000.00"}, {"contact_phone": "13800138000"},
                                  {"use_of_funds": "主体工程及配套管网建设"}])
def test_material_need_patch_goes_back_to_review(api, owner, admin, status, body):
    need = reviewed(owner, admin, status)
    answer = api(owner).patch(f"/needs/{need.id}", json={"version": need.version, **body})
    assert answer.status_code == 200, answer.json
    assert answer.json["status"] == "submitted"


def test_material_project_patch_sends_its_needs_back(api, owner, admin):
    need = reviewed(owner, admin)
    project = need.project
    answer = api(owner).patch(f"/projects/{project.id}", json={"version": project.version,
                                                               "total_investment": "170000.00"})
    assert answer.status_code == 200, answer.json
    assert api(owner).get(f"/needs/{need.id}").json["status"] == "submitted"


def test_description_patch_keeps_the_need_listed(api, owner, admin):
    need = reviewed(owner, admin)
    project = need.project
    answer = api(owner).patch(f"/projects/{project.id}", json={"version": project.version,
                                                               "description": "含绿化工程。"})
    assert answer.status_code == 200, answer.json
    assert api(owner).get(f"/needs/{need.id}").json["status"] == "listed"


def test_owner_deletes_a_draft(api, owner):
    need = make_need(org=owner.org)
    att = attachments.add_attachment(need, "资金使用计划.pdf", PDF, by=owner)
    stored = attachments.upload_dir() / att.stored_name
    db.session.commit()
    need_id = need.id
    answer = api(owner).delete(f"/needs/{need_id}")
    assert answer.status_code == 204 and not answer.data
    db.session.expire_all()
    assert db.session.get(FinancingNeed, need_id) is None and not stored.exists()
    assert db.session.scalar(sa.select(AuditEntry.id).where(
        AuditEntry.action == "financing_need.delete", AuditEntry.object_id == need_id))
    assert api(owner).get(f"/needs/{need_id}").status_code == 404


@pytest.mark.parametrize("status", [NeedStatus.submitted, NeedStatus.returned, NeedStatus.listed])
def test_deleting_a_need_submitted_once_is_409(api, owner, status):
    need = make_need(org=owner.org, status=status)
    db.session.commit()
    answer = api(owner).delete(f"/needs/{need.id}")
    assert answer.status_code == 409 and answer.json["error"]["code"] == "invalid_transition"
    assert db.session.get(FinancingNeed, need.id) is not None


@pytest.mark.parametrize("role, code", [("other_owner", 404), ("institution", 404), ("expert", 404),
                                        ("admin", 403)])
def test_others_cannot_delete_a_draft(api, request, owner, role, code):
    need = make_need(org=owner.org)
    db.session.commit()
    assert api(request.getfixturevalue(role)).delete(f"/needs/{need.id}").status_code == code
    assert db.session.get(FinancingNeed, need.id) is not None


def test_resubmit_with_a_reply(api, owner, admin):
    project = make_project(org=owner.org)
    need = make_need(project=project)
    needs.submit_need(need, by=owner)
    needs.return_need(need, comment="请补充增信措施", by=admin)
    db.session.commit()
    too_long = api(owner).post(f"/needs/{need.id}/submit", json={"reply": "长" * 2001})
    assert too_long.status_code == 422 and "reply" in too_long.json["error"]["errors"]
    answer = api(owner).post(f"/needs/{need.id}/submit", json={"reply": "已补充土地抵押。"})
    assert answer.status_code == 200, answer.json
    assert (answer.json["status"], answer.json["owner_reply"]) == ("submitted", "已补充土地抵押。")
    seen = api(admin).get(f"/needs/{need.id}").json
    assert (seen["review_comment"], seen["owner_reply"]) == ("请补充增信措施", "已补充土地抵押。")
    assert api(owner).post(f"/needs/{make_need(project=project).id}/submit").status_code == 200
