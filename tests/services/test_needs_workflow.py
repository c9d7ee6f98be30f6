"""The financing need's life cycle through the services: every step, allowed and
refused, for every role; edits, stale edits, the audit trail, notifications and e-mails."""

from decimal import Decimal

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEntry, FinancingNeed, NeedStatus, Notification
from app.reference import Instrument
from app.services import needs
from app.services.errors import InvalidTransition, NotAllowed, NotFound, StaleEdit, ValidationFailed
from tests import factories
from tests.conftest import Mailbox

OK = "ok"
STEPS = {
    "submit": (lambda need, user: needs.submit_need(need, by=user), NeedStatus.submitted),
    "approve": (lambda need, user: needs.approve_need(need, by=user), NeedStatus.approved),
    "return": (lambda need, user: needs.return_need(need, comment="请补充资本金到位证明", by=user),
               NeedStatus.returned),
    "withdraw": (lambda need, user: needs.withdraw_need(need, by=user, reason="项目已自筹解决"),
                 NeedStatus.withdrawn),
}


def audit_rows(need) -> list[AuditEntry]:
    return list(db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.object_type == "financing_need",
                                    AuditEntry.object_id == need.id).order_by(AuditEntry.id)))


def expect(outcome, step, need, user):
    run, target = STEPS[step]
    before = need.status
    rows = len(audit_rows(need))
    if outcome == OK:
        run(need, user)
        assert need.status is target
        assert len(audit_rows(need)) == rows + 1
        return
    with pytest.raises(outcome):
        run(need, user)
    assert need.status is before
    assert len(audit_rows(need)) == rows


# Who may take each step, from a state where the step is possible. The need belongs to
# `owner`'s organisation; for unverified_owner it belongs to their own (pending)
# organisation, of which an unverified account sees nothing.
ROLE_TABLE = {
    # step, from: admin, owner, other_owner, institution, expert, unverified_owner
    ("submit", NeedStatus.draft): (NotAllowed, OK, NotFound, NotFound, NotFound, NotFound),
    ("submit", NeedStatus.returned): (NotAllowed, OK, NotFound, NotFound, NotFound, NotFound),
    ("approve", NeedStatus.submitted): (OK, NotAllowed, NotFound, NotFound, NotFound, NotFound),
    ("return", NeedStatus.submitted): (OK, NotAllowed, NotFound, NotFound, NotFound, NotFound),
    ("withdraw", NeedStatus.draft): (NotAllowed, OK, NotFound, NotFound, NotFound, NotFound),
    ("withdraw", NeedStatus.listed): (NotAllowed, OK, NotFound, NotAllowed, NotAllowed, NotFound),
}
ROLES = ("admin", "owner", "other_owner", "institution", "expert", "unverified_owner")


@pytest.mark.parametrize("step,start,role,outcome", [
    pytest.param(step, start, role, outcome, id=f"{step}-from-{start.value}-{role}")
    for (step, start), outcomes in ROLE_TABLE.items()
    for role, outcome in zip(ROLES, outcomes, strict=True)
])
def test_who_may_take_each_step(request, owner_org, step, start, role, outcome):
    user = request.getfixturevalue(role)
    org = user.org if role == "unverified_owner" else owner_org
    need = factories.make_need(org=org, status=start)
    expect(outcome, step, need, user)


# From which states each step is possible, for the person allowed to take it.
STATE_TABLE = {
    "submit": ("owner", {NeedStatus.draft, NeedStatus.returned}),
    "approve": ("admin", {NeedStatus.submitted}),
    "return": ("admin", {NeedStatus.submitted}),
    "withdraw": ("owner", {NeedStatus.draft, NeedStatus.submitted, NeedStatus.returned,
                           NeedStatus.approved, NeedStatus.listed}),
}


@pytest.mark.parametrize("step,start", [
    pytest.param(step, start, id=f"{step}-from-{start.value}")
    for step in STATE_TABLE for start in NeedStatus
])
def test_each_step_only_from_its_states(request, owner_org, step, start):
    role, allowed = STATE_TABLE[step]
    user = request.getfixturevalue(role)
    need = factories.make_need(org=owner_org, status=start)
    expect(OK if start in allowed else InvalidTransition, step, need, user)


def test_approving_a_draft_is_an_invalid_transition(admin, owner_org):
    need = factories.make_need(org=owner_org, status=NeedStatus.draft)
    with pytest.raises(InvalidTransition):
        needs.approve_need(need, by=admin)
    assert need.status is NeedStatus.draft


@pytest.mark.parametrize("comment", ["", "   ", None])
def test_return_needs_a_comment(admin, owner_org, comment):
    need = factories.make_need(org=owner_org, status=NeedStatus.submitted)
    with pytest.raises(ValidationFailed) as caught:
        needs.return_need(need, comment=comment, by=admin)
    assert "comment" in caught.value.errors
    assert need.status is NeedStatus.submitted
    assert audit_rows(need) == []
    assert db.session.scalar(sa.select(sa.func.count(Notification.id))) == 0


def test_an_incomplete_draft_cannot_be_submitted(owner, owner_org):
    need = factories.make_need(org=owner_org, status=NeedStatus.draft)
    need.contact_phone = ""
    with pytest.raises(ValidationFailed) as caught:
        needs.submit_need(need, by=owner)
    assert "contact_phone" in caught.value.errors
    assert need.status is NeedStatus.draft


def test_create_and_edit_a_need(owner, owner_org):
    project = factories.make_project(org=owner_org)
    need = needs.create_need(project, factories.need_data(amount=Decimal("18000.50")), by=owner)
    assert need.status is NeedStatus.draft and need.amount == Decimal("18000.50")
    assert need.instruments == [Instrument.project_loan, Instrument.syndicated_loan]
    version = need.version
    needs.update_need(need, factories.need_data(instruments=[Instrument.bond], term_months=60),
                      version=version, by=owner)
    db.session.commit()
    db.session.expire_all()
    need = db.session.get(FinancingNeed, need.id)
    assert need.instruments == [Instrument.bond] and need.term_months == 60
    assert need.version > version
    assert [r.action for r in audit_rows(need)] == ["financing_need.create", "financing_need.update"]
    update = audit_rows(need)[-1]
    assert update.before["term_months"] == 120 and update.after["term_months"] == 60
    assert update.actor_id == owner.id


@pytest.mark.parametrize("data,field", [
    ({"amount": Decimal("0")}, "amount"),
    ({"amount": Decimal("-1")}, "amount"),
    ({"amount": Decimal("10.123")}, "amount"),
    ({"amount": Decimal("200000")}, "amount"),  # more than the project's total investment
    ({"funds_secured": Decimal("60000")}, "funds_secured"),  # more than the amount sought
    ({"instruments": []}, "instruments"),
    ({"term_months": 0}, "term_months"),
    ({"cost_ceiling": Decimal("40")}, "cost_ceiling"),
    ({"use_of_funds": " "}, "use_of_funds"),
    ({"contact_name": ""}, "contact_name"),
])
def test_need_rules(owner, owner_org, data, field):
    project = factories.make_project(org=owner_org)
    with pytest.raises(ValidationFailed) as caught:
        needs.create_need(project, factories.need_data(**data), by=owner)
    assert field in caught.value.errors
    assert db.session.scalar(sa.select(sa.func.count(FinancingNeed.id))) == 0


def test_editing_an_approved_need_sends_it_back_for_review(owner, admin, owner_org):
    need = factories.make_need(org=owner_org, status=NeedStatus.approved)
    needs.update_need(need, factories.need_data(amount=Decimal("45000.00")), version=need.version,
                      by=owner)
    assert need.status is NeedStatus.submitted
    assert [r.action for r in audit_rows(need)] == ["financing_need.update", "financing_need.submitted"]
    assert audit_rows(need)[-1].before == {"status": "approved"}
    notes = db.session.scalars(sa.select(Notification)).all()
    assert [(n.user_id, n.kind) for n in notes] == [(admin.id, "need_submitted")]


def test_an_unchanged_edit_of_an_approved_need_keeps_it_approved(owner, owner_org):
    need = factories.make_need(org=owner_org, status=NeedStatus.approved)
    needs.update_need(need, needs.need_form_data(need), version=need.version, by=owner)
    assert need.status is NeedStatus.approved
    assert audit_rows(need) == []


def test_a_stale_edit_is_refused_and_changes_nothing(owner, owner_org):
    need = factories.make_need(org=owner_org, status=NeedStatus.draft)
    db.session.commit()
    opened_at = need.version
    # Someone else saves first.
    needs.update_need(need, factories.need_data(term_months=36), version=opened_at, by=owner)
    db.session.commit()
    with pytest.raises(StaleEdit):
        needs.update_need(need, factories.need_data(term_months=240, amount=Decimal("1.00")),
                          version=opened_at, by=owner)
    db.session.rollback()
    db.session.expire_all()
    need = db.session.get(FinancingNeed, need.id)
    assert need.term_months == 36 and need.amount == Decimal("50000.00")
    assert [r.action for r in audit_rows(need)] == ["financing_need.update"]


def test_the_audit_trail_of_a_review(owner, admin, owner_org):
    need = factories.make_need(org=owner_org, status=NeedStatus.draft)
    needs.submit_need(need, by=owner)
    needs.return_need(need, comment="请补充用地手续", by=admin)
    needs.submit_need(need, by=owner)
    needs.approve_need(need, by=admin, comment="同意")
    rows = audit_rows(need)
    assert [(r.action, r.actor_id, r.before["status"], r.after["status"], r.note) for r in rows] == [
        ("financing_need.submitted", owner.id, "draft", "submitted", None),
        ("financing_need.returned", admin.id, "submitted", "returned", "请补充用地手续"),
        ("financing_need.submitted", owner.id, "returned", "submitted", None),
        ("financing_need.approved", admin.id, "submitted", "approved", "同意"),
    ]
    assert need.approved_at is not None and need.review_comment is None


def test_submit_notifies_and_emails_the_admins(owner, admin, owner_org, mailbox):
    need = factories.make_need(org=owner_org, status=NeedStatus.draft)
    needs.submit_need(need, by=owner)
    db.session.commit()
    notes = db.session.scalars(sa.select(Notification)).all()
    assert [(n.user_id, n.kind, n.link) for n in notes] == [(admin.id, "need_submitted", f"/needs/{need.id}")]
    [mail] = mailbox.to(admin.email)
    assert need.project.name in mail["Subject"]
    assert f"/needs/{need.id}" in Mailbox.body(mail)
    assert mailbox.to(owner.email) == []


def test_return_notifies_and_emails_the_owners_with_the_comment(owner, admin, owner_org, mailbox):
    need = factories.make_need(org=owner_org, status=NeedStatus.submitted)
    needs.return_need(need, comment="请补充环评批复", by=admin)
    db.session.commit()
    notes = db.session.scalars(sa.select(Notification)).all()
    assert [(n.user_id, n.kind) for n in notes] == [(owner.id, "need_returned")]
    [mail] = mailbox.to(owner.email)
    assert "请补充环评批复" in Mailbox.body(mail)
    assert need.review_comment == "请补充环评批复"
    assert mailbox.to(admin.email) == []


def test_approve_notifies_and_emails_the_owners(owner, admin, owner_org, mailbox):
    need = factories.make_need(org=owner_org, status=NeedStatus.submitted)
    needs.approve_need(need, by=admin)
    db.session.commit()
    notes = db.session.scalars(sa.select(Notification)).all()
    assert [(n.user_id, n.kind) for n in notes] == [(owner.id, "need_approved")]
    [mail] = mailbox.to(owner.email)
    assert need.project.name in mail["Subject"]


def test_a_refused_step_sends_no_mail(owner, admin, owner_org, mailbox):
    need = factories.make_need(org=owner_org, status=NeedStatus.submitted)
    with pytest.raises(ValidationFailed):
        needs.return_need(need, comment="", by=admin)
    db.session.rollback()
    assert mailbox.messages == []
