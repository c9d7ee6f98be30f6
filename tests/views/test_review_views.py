"""Edits after review on the web: the owner is told before saving and after; the reviewer
sees the difference since the approval and the owner's reply beside the return comment;
drafts are deleted through a confirmed POST."""


import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import FinancingNeed, NeedStatus, Notification
from app.services import attachments, needs, projects
from tests import factories
from tests.views.test_needs_views import form_data as need_form
from tests.views.test_needs_views import get_need, login
from tests.views.test_projects_views import form_data as project_form_base

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def reviewed(owner, admin, status=NeedStatus.approved, **kw) -> FinancingNeed:
    """A need approved through the services (its approval recorded), then set to `status`."""
    need = factories.make_need(org=owner.org, **kw)
    needs.submit_need(need, by=owner)
    needs.approve_need(need, by=admin)
    need.status = status  # listed: as publishing an edition leaves it
    db.session.commit()
    return need


def need_form_of(need, **changes) -> dict:
    data = needs.need_form_data(need)
    form = {
        "amount": str(data["amount"]), "instruments": [i.value for i in data["instruments"]],
        "term_months": str(data["term_months"]), "cost_ceiling": str(data["cost_ceiling"]),
        "use_of_funds": data["use_of_funds"],
        "credit_enhancements": [e.value for e in data["credit_enhancements"]],
        "funds_secured": str(data["funds_secured"]), "contact_name": data["contact_name"],
        "contact_phone": data["contact_phone"], "contact_email": data["contact_email"] or "",
        "version": str(need.version),
    }
    form.update(changes)
    return form


def project_form_of(project, **changes) -> dict:
    data = projects.project_form_data(project)
    form = project_form_base(
        name=data["name"], code=data["code"], level=data["level"].value, category=data["category"].value,
        industry_code=data["industry_code"], district_code=data["district_code"],
        zone_code=data["zone_code"] or "", total_investment=str(data["total_investment"]),
        annual_planned_investment=str(data["annual_planned_investment"]), stage=data["stage"].value,
        planned_start=data["planned_start"].isoformat(), planned_completion=data["planned_completion"].isoformat(),
        actual_start="", is_priority="y" if data["is_priority"] else "", description=data["description"],
        version=str(project.version))
    if not data["is_priority"]:
        form.pop("is_priority")
    form.update(changes)
    return form


def admin_notices(admin) -> int:
    return db.session.scalar(sa.select(sa.func.count(Notification.id)).where(
        Notification.user_id == admin.id, Notification.kind == "need_submitted"))


# ---- the owner is told ------------------------------------------------------------------------------
@pytest.mark.parametrize("status, notice", [
    (NeedStatus.approved, "该需求已审核通过。以下各项均为审核内容"),
    (NeedStatus.listed, "已发布的清单仍按原内容展示"),
])
def test_edit_page_warns_that_a_change_goes_back_to_review(client, owner, admin, status, notice):
    need = reviewed(owner, admin, status)
    login(client, owner)
    page = client.get(f"/needs/{need.id}/edit").get_data(as_text=True)
    assert 'id="material-notice"' in page and notice in page


def test_editing_a_listed_need_on_the_web_sends_it_back_and_says_so(client, owner, admin):
    need = reviewed(owner, admin, NeedStatus.listed)
    notices = admin_notices(admin)
    login(client, owner)
    response = client.post(f"/needs/{need.id}/edit", data=need_form_of(need, contact_phone="13800138000"),
                           follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "因修改了经审核的内容，该需求已重新提交审核，并已通知管理员" in page
    assert get_need(need.id).status is NeedStatus.submitted
    assert admin_notices(admin) == notices + 1


def test_a_draft_edit_says_nothing_about_review(client, owner):
    need = factories.make_need(org=owner.org)
    db.session.commit()
    login(client, owner)
    page = client.get(f"/needs/{need.id}/edit").get_data(as_text=True)
    assert 'id="material-notice"' not in page
    response = client.post(f"/needs/{need.id}/edit", data=need_form(version=str(need.version)),
                           follow_redirects=True)
    assert "重新提交审核" not in response.get_data(as_text=True)


def test_project_edit_page_warns_and_the_flash_counts_the_needs(client, owner, admin):
    need = reviewed(owner, admin, NeedStatus.listed)
    project = need.project
    other = reviewed(owner, admin, project=project)
    login(client, owner)
    page = client.get(f"/projects/{project.id}/edit").get_data(as_text=True)
    assert 'id="material-notice"' in page and "项目简介和实际开竣工日期的修改无需重新审核" in page
    response = client.post(f"/projects/{project.id}/edit",
                           data=project_form_of(project, total_investment="180000.00"),
                           follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "该项目下2项已审核通过或已列入清单的融资需求已重新提交审核" in page
    assert get_need(need.id).status is NeedStatus.submitted
    assert get_need(other.id).status is NeedStatus.submitted


def test_a_description_fix_keeps_the_need_listed(client, owner, admin):
    need = reviewed(owner, admin, NeedStatus.listed)
    project = need.project
    login(client, owner)
    response = client.post(f"/projects/{project.id}/edit",
                           data=project_form_of(project, description="城市道路及配套管网建设（含绿化）。"),
                           follow_redirects=True)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "alert-success" in page and "重新提交审核" not in page
    assert get_need(need.id).status is NeedStatus.listed
    assert db.session.get(type(project), project.id).description == "城市道路及配套管网建设（含绿化）。"


# ---- the reviewer sees the difference ------------------------------------------------------------------
def test_review_page_shows_the_changes_since_approval(client, owner, admin):
    need = reviewed(owner, admin, NeedStatus.listed)
    login(client, owner)
    client.post(f"/needs/{need.id}/edit", data=need_form_of(need, amount="60000.00", instruments=["bond"]))
    project = db.session.get(type(need.project), need.project_id)
    client.post(f"/projects/{project.id}/edit",
                data=project_form_of(project, district_code="510104", planned_start="2026-04-01",
                                     code=project.code.replace("-510112-", "-510104-")))
    login(client, admin)
    page = client.get(f"/needs/{need.id}").get_data(as_text=True)
    assert 'id="changes"' in page and "上次审核通过以来的修改" in page
    changes = page[page.index('id="changes"'):page.index("</table>", page.index('id="changes"'))]
    for shown in ("拟融资金额", "5 亿元", "6 亿元", "融资方式", "项目贷款、银团贷款", "债券",
                  "所属区（市）县", "龙泉驿区", "锦江区", "计划开工时间", "2026-03-01", "2026-04-01"):
        assert shown in changes, shown
    for code in (">510104<", ">510112<", "project_loan", "bond<"):
        assert code not in changes
    assert 'id="review"' in page  # the need is in the queue: approve or return


def test_no_difference_shown_after_an_approval_or_to_outsiders(client, owner, admin, institution):
    need = reviewed(owner, admin, NeedStatus.listed)
    login(client, admin)
    assert 'id="changes"' not in client.get(f"/needs/{need.id}").get_data(as_text=True)
    login(client, institution)
    page = client.get(f"/needs/{need.id}")
    assert page.status_code == 200 and 'id="changes"' not in page.get_data(as_text=True)


# ---- delete a draft --------------------------------------------------------------------------------
def test_owner_deletes_a_draft_after_confirming(client, owner):
    need = factories.make_need(org=owner.org)
    att = attachments.add_attachment(need, "资金使用计划.pdf", PDF, by=owner)
    stored = attachments.upload_dir() / att.stored_name
    db.session.commit()
    need_id, project_id = need.id, need.project_id
    login(client, owner)
    page = client.get(f"/needs/{need_id}").get_data(as_text=True)
    assert f'action="/needs/{need_id}/delete"' in page
    assert 'data-confirm="确定删除此融资需求草稿及其附件？删除后无法恢复。"' in page
    assert client.get(f"/needs/{need_id}/delete").status_code == 405
    response = client.post(f"/needs/{need_id}/delete")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/projects/{project_id}")
    assert "融资需求草稿已删除" in client.get(response.headers["Location"]).get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(FinancingNeed, need_id) is None and not stored.exists()


def test_a_submitted_need_cannot_be_deleted_only_withdrawn(client, owner):
    need = factories.make_need(org=owner.org, status=NeedStatus.submitted)
    db.session.commit()
    login(client, owner)
    page = client.get(f"/needs/{need.id}").get_data(as_text=True)
    assert "/delete" not in page and f'action="/needs/{need.id}/withdraw"' in page
    response = client.post(f"/needs/{need.id}/delete", follow_redirects=True)
    assert "只有从未提交审核的草稿可以删除" in response.get_data(as_text=True)
    assert get_need(need.id) is not None


@pytest.mark.parametrize("role, code", [("other_owner", 404), ("institution", 404), ("admin", 403)])
def test_others_cannot_delete_a_draft(client, request, owner, role, code):
    need = factories.make_need(org=owner.org)
    db.session.commit()
    login(client, request.getfixturevalue(role))
    assert client.post(f"/needs/{need.id}/delete").status_code == code
    assert get_need(need.id) is not None


# ---- the reply to a return --------------------------------------------------------------------------
def test_owner_replies_when_resubmitting_and_the_reviewer_reads_it(client, owner, admin):
    need = factories.make_need(org=owner.org)
    needs.submit_need(need, by=owner)
    needs.return_need(need, comment="请补充资本金到位证明", by=admin)
    db.session.commit()
    login(client, owner)
    page = client.get(f"/needs/{need.id}").get_data(as_text=True)
    assert 'id="resubmit"' in page and "回复说明（选填）" in page and "请补充资本金到位证明" in page
    response = client.post(f"/needs/{need.id}/submit", data={"reply": "已上传资本金到位证明。"})
    assert response.status_code == 302
    login(client, admin)
    page = client.get(f"/needs/{need.id}").get_data(as_text=True)
    review = page[page.index('id="reply"'):page.index("</dl>", page.index('id="reply"'))]
    assert "退回意见" in review and "请补充资本金到位证明" in review
    assert "回复说明" in review and "已上传资本金到位证明。" in review
    history = page[page.index('id="history"'):]
    assert "回复说明：“已上传资本金到位证明。”" in history and "“请补充资本金到位证明”" in history


def test_resubmitting_without_a_reply_is_allowed(client, owner, admin):
    need = factories.make_need(org=owner.org, status=NeedStatus.returned, review_comment="请补充")
    db.session.commit()
    login(client, owner)
    assert client.post(f"/needs/{need.id}/submit", data={"reply": ""}).status_code == 302
    login(client, admin)
    page = client.get(f"/needs/{need.id}").get_data(as_text=True)
    assert get_need(need.id).status is NeedStatus.submitted and "未填写回复说明" in page


def test_an_over_long_reply_is_refused_and_kept(client, owner):
    need = factories.make_need(org=owner.org, status=NeedStatus.returned, review_comment="请补充")
    db.session.commit()
    login(client, owner)
    reply = "已补充" + "长" * 2000
    response = client.post(f"/needs/{need.id}/submit", data={"reply": reply})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert reply in page and "invalid-feedback" in page
    assert get_need(need.id).status is NeedStatus.returned


def test_first_submission_shows_no_reply_box(client, owner):
    need = factories.make_need(org=owner.org)
    db.session.commit()
    login(client, owner)
    page = client.get(f"/needs/{need.id}").get_data(as_text=True)
    assert 'id="resubmit"' not in page and f'action="/needs/{need.id}/submit"' in page
