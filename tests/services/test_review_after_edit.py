"""Edits after review: a material edit of an approved or listed need, or of its project,
sends the need back to review; the published edition keeps its frozen snapshot; the
reviewer sees what changed since the approval; compiling flags unreviewed changes.
Owners delete drafts never submitted, and answer a return when resubmitting."""

from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEntry, FinancingNeed, NeedStatus, Notification
from app.reference import Instrument, Stage
from app.services import approval, attachments, editions, exports, needs, projects
from app.services.errors import InvalidTransition, NotAllowed, NotFound, ValidationFailed
from tests import factories

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def fast_exports(monkeypatch):
    monkeypatch.setattr(exports, "edition_pdf", lambda meta, items: b"%PDF-1.7 test")


def approved_need(owner, admin, **kw) -> FinancingNeed:
    """A need taken through review by the services, so that its approval is recorded."""
    project = kw.pop("project", None) or factories.make_project(org=owner.org)
    need = factories.make_need(project=project, **kw)
    needs.submit_need(need, by=owner)
    needs.approve_need(need, by=admin)
    db.session.flush()
    return need


def listed_need(owner, admin, **kw) -> tuple[FinancingNeed, object]:
    kw.setdefault("funds_secured", Decimal("40000.00"))  # capital ratio met: no red flag
    need = approved_need(owner, admin, **kw)
    edition = editions.open_draft(2026, 5, by=admin)
    editions.publish_edition(edition, by=admin)
    db.session.flush()
    assert need.status is NeedStatus.listed
    return need, edition


def edit_need(need, user, **changes):
    data = {**needs.need_form_data(need), **changes}
    return needs.update_need(need, data, version=need.version, by=user)


def edit_project(project, user, **changes):
    data = {**projects.project_form_data(project), **changes}
    return projects.update_project(project, data, version=project.version, by=user)


def admin_notices(admin) -> int:
    return db.session.scalar(sa.select(sa.func.count(Notification.id)).where(
        Notification.user_id == admin.id, Notification.kind == "need_submitted"))


def status_rows(need, to: str) -> list[AuditEntry]:
    return list(db.session.scalars(sa.select(AuditEntry).where(
        AuditEntry.object_type == "financing_need", AuditEntry.object_id == need.id,
        AuditEntry.action == f"financing_need.{to}").order_by(AuditEntry.id)))


# ---- what an approval records ------------------------------------------------------------------------
def test_approval_stores_the_reviewed_values_of_need_and_project(owner, admin):
    need = approved_need(owner, admin)
    stored = need.approved_values
    assert stored["need"]["amount"] == "50000.00"
    assert stored["need"]["instruments"] == ["project_loan", "syndicated_loan"]
    assert stored["need"]["contact_phone"] == "028-12345678"
    assert stored["project"]["name"] == need.project.name
    assert stored["project"]["total_investment"] == "150000.00"
    assert stored["project"]["planned_start"] == "2026-03-01"
    assert "description" not in stored["project"]  # not material: see services/approval.py
    assert approval.changes_since_approval(need) == []


# ---- material edits of a need ---------------------------------------------------------------------------
@pytest.mark.parametrize("listed", [False, True], ids=["approved", "listed"])
@pytest.mark.parametrize("change", [
    {"amount": Decimal("60000.00")},
    {"contact_phone": "13800138000"},
    {"use_of_funds": "主体工程及配套管网建设"},
    {"instruments": [Instrument.bond]},
    {"term_months": 96},
], ids=["amount", "phone", "use_of_funds", "instruments", "term"])
def test_material_need_edit_goes_back_to_review(owner, admin, listed, change):
    need = listed_need(owner, admin)[0] if listed else approved_need(owner, admin)
    notices = admin_notices(admin)
    edit_need(need, owner, **change)
    assert need.status is NeedStatus.submitted
    assert need.submitted_at is not None
    assert admin_notices(admin) == notices + 1  # told like of any submission
    row = status_rows(need, "submitted")[-1]
    assert row.before == {"status": "listed" if listed else "approved"} and row.actor_id == owner.id
    assert db.session.scalars(sa.select(AuditEntry.action).where(
        AuditEntry.object_id == need.id, AuditEntry.action == "financing_need.update")).first()


def test_same_amount_written_differently_is_no_change(owner, admin):
    need = approved_need(owner, admin)
    edit_need(need, owner, amount=Decimal("50000"))
    assert need.status is NeedStatus.approved


def test_editing_a_draft_or_returned_need_moves_nothing(owner, admin):
    draft = factories.make_need(org=owner.org)
    edit_need(draft, owner, amount=Decimal("20000.00"))
    assert draft.status is NeedStatus.draft
    returned = factories.make_need(org=owner.org, status=NeedStatus.returned)
    edit_need(returned, owner, amount=Decimal("20000.00"))
    assert returned.status is NeedStatus.returned


# ---- edits of the project --------------------------------------------------------------------------------
@pytest.mark.parametrize("change", [
    {"name": "天府大道北延线（二期）"},
    {"total_investment": Decimal("180000.00")},
    {"district_code": "510104", "code": "2026-510104-48-01-999999"},
    {"stage": Stage.completed},
    {"planned_completion": date(2029, 6, 30)},
], ids=["name", "total_investment", "district", "stage", "dates"])
def test_material_project_edit_sends_its_reviewed_needs_back(owner, admin, change):
    need, _edition = listed_need(owner, admin)
    project = need.project
    approved = approved_need(owner, admin, project=project)
    draft = factories.make_need(project=project)
    returned = factories.make_need(project=project, status=NeedStatus.returned)
    notices = admin_notices(admin)
    edit_project(project, owner, **change)
    assert (need.status, approved.status) == (NeedStatus.submitted, NeedStatus.submitted)
    assert (draft.status, returned.status) == (NeedStatus.draft, NeedStatus.returned)
    assert admin_notices(admin) == notices + 2
    note = status_rows(need, "submitted")[-1].note
    assert note.startswith("审核通过后项目信息有修改")


@pytest.mark.parametrize("change", [
    {"description": "城市道路及配套管网建设（含绿化）。"},
    {"actual_start": date(2026, 3, 15)},
], ids=["description", "actual_start"])
def test_non_material_project_edit_keeps_the_needs_as_they_are(owner, admin, change):
    need, _edition = listed_need(owner, admin)
    approved = approved_need(owner, admin, project=need.project)
    notices = admin_notices(admin)
    edit_project(need.project, owner, **change)
    assert (need.status, approved.status) == (NeedStatus.listed, NeedStatus.approved)
    assert admin_notices(admin) == notices
    assert db.session.scalars(sa.select(AuditEntry).where(  # the edit itself is audited
        AuditEntry.object_type == "project", AuditEntry.action == "project.update")).first()


# ---- the published edition stays as published ---------------------------------------------------------
def test_published_snapshot_keeps_the_old_values(client, owner, admin):
    need, edition = listed_need(owner, admin)
    old_name = need.project.name
    item = edition.items[0]
    frozen = dict(item.snapshot)
    edit_need(need, owner, amount=Decimal("60000.00"), contact_phone="13800138000")
    edit_project(need.project, owner, name="改名后的项目")
    db.session.commit()
    db.session.expire_all()
    assert need.status is NeedStatus.submitted
    assert item.snapshot == frozen and frozen["amount"] == "50000.00"
    assert editions.item_data(item)["project_name"] == old_name
    page = client.get(f"/editions/{edition.key}/items/{item.seq}").get_data(as_text=True)
    assert old_name in page and "改名后的项目" not in page
    assert "5 亿元" in page and "6 亿元" not in page


def test_a_need_back_in_review_is_not_proposed_for_the_next_edition(owner, admin):
    need, _edition = listed_need(owner, admin)
    edit_need(need, owner, amount=Decimal("60000.00"))
    draft = editions.open_draft(2026, 6, by=admin)
    assert need.id not in {i.need_id for i in draft.items}


# ---- the red flag at compile -------------------------------------------------------------------------
def red_codes(edition) -> dict[int, set[str]]:
    flags = editions.check_readiness(edition)
    return {item.need_id: {f.code for f in flags[item.id] if f.red} for item in edition.items}


def test_compile_flags_an_item_changed_since_its_approval(owner, admin):
    need, _edition = listed_need(owner, admin)
    draft = editions.open_draft(2026, 6, by=admin)
    assert "changed" not in red_codes(draft)[need.id]
    edit_project(need.project, owner, total_investment=Decimal("160000.00"))
    flags = editions.check_readiness(draft)
    [changed] = [f for f in flags[draft.items[0].id] if f.code == "changed"]
    assert changed.red and not changed.justifiable
    assert "总投资" in changed.message
    with pytest.raises(ValidationFailed):
        editions.justify(draft.items[0], "changed", "已电话核实", by=admin)
    with pytest.raises(ValidationFailed):
        editions.publish_edition(draft, by=admin)


def test_compile_flags_a_change_that_bypassed_review(owner, admin):
    need = approved_need(owner, admin, funds_secured=Decimal("40000.00"))
    need.contact_phone = "13900000000"  # e.g. corrected in the database by hand
    db.session.flush()
    draft = editions.open_draft(2026, 5, by=admin)
    assert "changed" in red_codes(draft)[need.id]
    edit_need(need, owner, contact_phone="13900000001")  # the way out: review it again
    needs.approve_need(need, by=admin)
    assert "changed" not in red_codes(draft)[need.id]


# ---- the difference the reviewer sees ---------------------------------------------------------------
def test_changes_since_approval_are_displayed_values(owner, admin):
    need = approved_need(owner, admin)
    edit_need(need, owner, amount=Decimal("60000.00"), instruments=[Instrument.bond], term_months=96)
    needs.return_need(need, comment="请说明金额调整原因", by=admin)  # still compared with the approval
    edit_project(need.project, owner, district_code="510104", stage=Stage.completed,
                 code=need.project.code.replace("-510112-", "-510104-"),
                 planned_start=date(2026, 4, 1), total_investment=Decimal("180000.00"))
    changes = {c.field: c for c in approval.changes_since_approval(need)}
    assert set(changes) == {"amount", "instruments", "term_months", "district_code", "code", "stage",
                            "planned_start", "total_investment"}
    assert (changes["amount"].label, changes["amount"].before, changes["amount"].after) == (
        "拟融资金额", "5 亿元", "6 亿元")
    assert changes["instruments"].before == "项目贷款、银团贷款" and changes["instruments"].after == "债券"
    assert changes["term_months"].after == "96 个月"
    assert changes["district_code"].before == "龙泉驿区" and changes["district_code"].after == "锦江区"
    assert changes["stage"].after == "竣工投产"
    assert changes["planned_start"].before == "2026-03-01"
    assert changes["total_investment"].after == "18 亿元"
    for change in changes.values():
        for shown in (change.before, change.after):
            assert shown not in ("510104", "510112", "completed", "bond", "project_loan")


# ---- delete a draft -----------------------------------------------------------------------------
def test_owner_deletes_a_draft_with_its_attachments(app, owner):
    need = factories.make_need(org=owner.org)
    att = attachments.add_attachment(need, "资金使用计划.pdf", PDF, by=owner)
    path = attachments.upload_dir() / att.stored_name
    assert path.is_file()
    need_id = need.id
    needs.delete_need(need, by=owner)
    db.session.commit()
    assert db.session.get(FinancingNeed, need_id) is None
    assert not path.exists()
    actions = set(db.session.scalars(sa.select(AuditEntry.action).where(AuditEntry.actor_id == owner.id)))
    assert {"financing_need.delete", "attachment.delete"} <= actions
    row = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "financing_need.delete")).one()
    assert row.object_id == need_id and row.before["amount"] == "50000.00"


@pytest.mark.parametrize("status", [s for s in NeedStatus if s is not NeedStatus.draft])
def test_only_a_draft_can_be_deleted(owner, status):
    need = factories.make_need(org=owner.org, status=status)
    with pytest.raises(InvalidTransition) as refused:
        needs.delete_need(need, by=owner)
    assert "撤回" in str(refused.value.message)
    assert db.session.get(FinancingNeed, need.id) is not None


@pytest.mark.parametrize("role, refusal", [
    ("other_owner", NotFound), ("institution", NotFound), ("expert", NotFound),
    ("admin", NotAllowed), ("unverified_owner", NotFound),
])
def test_others_cannot_delete_a_draft(request, owner_org, role, refusal):
    user = request.getfixturevalue(role)
    org = user.org if role == "unverified_owner" else owner_org
    need = factories.make_need(org=org)
    with pytest.raises(refusal):
        needs.delete_need(need, by=user)
    assert db.session.get(FinancingNeed, need.id) is not None


# ---- the reply to a return ------------------------------------------------------------------------
def test_resubmission_keeps_the_return_comment_beside_the_reply(owner, admin):
    need = factories.make_need(org=owner.org)
    needs.submit_need(need, by=owner)
    needs.return_need(need, comment="请补充资本金到位证明", by=admin)
    needs.submit_need(need, by=owner, reply="  已上传资本金到位证明。 ")
    assert need.status is NeedStatus.submitted
    assert (need.review_comment, need.owner_reply) == ("请补充资本金到位证明", "已上传资本金到位证明。")
    assert status_rows(need, "submitted")[-1].note == "已上传资本金到位证明。"
    needs.approve_need(need, by=admin)
    assert (need.review_comment, need.owner_reply) == (None, None)


def test_the_reply_is_optional_and_bounded(owner, admin):
    need = factories.make_need(org=owner.org, status=NeedStatus.returned, review_comment="请补充")
    with pytest.raises(ValidationFailed) as refused:
        needs.submit_need(need, by=owner, reply="长" * 2001)
    assert "reply" in refused.value.errors and need.status is NeedStatus.returned
    needs.submit_need(need, by=owner, reply="   ")
    assert need.status is NeedStatus.submitted and need.owner_reply is None


def test_a_first_submission_has_no_reply(owner):
    need = factories.make_need(org=owner.org)
    needs.submit_need(need, by=owner, reply="无")
    assert need.owner_reply is None
