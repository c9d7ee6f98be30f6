"""Follows and interests from 关注 to 放款: who may take each step, when, and what it records."""

from datetime import date, timedelta
from decimal import Decimal
from unittest import mock

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import (
    AuditEntry,
    Disbursement,
    Follow,
    Interest,
    InterestStatus,
    NeedStatus,
    Notification,
    RejectionReason,
    Role,
)
from app.reference import OrgKind
from app.services import formatting, interests, needs
from app.services.errors import InvalidTransition, NotAllowed, NotFound, StaleEdit, ValidationFailed
from app.services.interests import offers
from tests import factories

S = InterestStatus


def today() -> date:
    return formatting.today()  # in Asia/Shanghai, as the rules read dates




@pytest.fixture
def other_bank(app):
    return factories.make_user(factories.make_org(OrgKind.bank, name="中国农业银行四川省分行"),
                               email="other-bank@test.cn")


def _count(model, *where) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def _notices(user) -> list[str]:
    return [n.kind for n in db.session.scalars(sa.select(Notification).where(Notification.user_id == user.id))]


# ---- follows --------------------------------------------------------------------------
def test_following_twice_is_one_follow_and_unfollowing_removes_it(institution, need):
    interests.follow(institution, need)
    interests.follow(institution, need)
    assert _count(Follow) == 1
    assert interests.is_following(institution, need)
    assert interests.unfollow(institution, need) is True
    assert interests.unfollow(institution, need) is False
    assert _count(Follow) == 0


def test_only_verified_institutions_follow_and_only_listed_needs(institution, unverified_institution,
                                                                  owner, expert, need):
    with pytest.raises(NotAllowed):
        interests.follow(owner, need)
    with pytest.raises(NotAllowed):
        interests.follow(expert, need)
    with pytest.raises(NotAllowed):  # reads the listed need as the public does, acts on nothing
        interests.follow(unverified_institution, need)
    draft = factories.make_need(org=owner.org)
    with pytest.raises(NotFound):
        interests.follow(institution, draft)


def test_the_owner_counts_followers_and_only_admins_see_who(institution, other_bank, owner, admin, need):
    interests.follow(institution, need)
    interests.follow(other_bank, need)
    assert interests.follower_count(owner, need) == 2
    assert {f.org_id for f in interests.followers(admin, need)} == {institution.org_id, other_bank.org_id}
    with pytest.raises(NotAllowed):
        interests.followers(owner, need)
    with pytest.raises(NotAllowed):
        interests.follower_count(institution, need)


# ---- expressing interest ---------------------------------------------------------------
def test_expressing_twice_updates_the_one_live_interest(institution, owner, need):
    first = interests.express_interest(institution, need, factories.interest_data())
    again = interests.express_interest(institution, need, factories.interest_data(amount=Decimal("25000.00")))
    assert again.id == first.id
    assert _count(Interest) == 1
    assert again.amount == Decimal("25000.00")
    assert _notices(owner) == ["interest_new", "interest_updated"]


def test_a_double_click_is_one_interest(institution, owner, need):
    data = factories.interest_data()
    interests.express_interest(institution, need, data)
    interests.express_interest(institution, need, data)
    db.session.commit()
    assert _count(Interest) == 1
    assert _notices(owner) == ["interest_new"]  # the same offer again says nothing new


def test_a_rival_request_that_created_the_interest_meanwhile_is_updated_not_duplicated(institution, need):
    """The live-interest check missed the other request's row: the unique index refuses
    the second INSERT, in a savepoint, and the live row is updated instead."""
    rival = factories.make_interest(need, institution)
    db.session.commit()
    misses = iter([None])
    real = offers.live_interest
    with mock.patch.object(offers, "live_interest", lambda *a: next(misses, None) or real(*a)):
        result = interests.express_interest(institution, need, factories.interest_data(amount=Decimal("30000")))
    db.session.commit()
    assert result.id == rival.id and result.amount == Decimal("30000.00")
    assert _count(Interest) == 1


def test_an_update_from_an_old_version_is_refused(institution, need):
    interest = interests.express_interest(institution, need, factories.interest_data())
    db.session.commit()
    old = interest.version
    interests.update_interest(institution, interest, factories.interest_data(amount=Decimal("1000")), version=old)
    with pytest.raises(StaleEdit):
        interests.express_interest(institution, need, factories.interest_data(), version=old)


def test_after_an_exit_the_institution_may_express_a_new_interest(institution, need):
    interest = interests.express_interest(institution, need, factories.interest_data())
    interests.step(institution, interest, "withdraw", note="暂缓")
    fresh = interests.express_interest(institution, need, factories.interest_data())
    assert fresh.id != interest.id and _count(Interest) == 2


@pytest.mark.parametrize(("field", "value"), [
    ("amount", Decimal("0")), ("amount", Decimal("-1")), ("amount", Decimal("50000.01")),
    ("amount", "abc"), ("amount", Decimal("1.005")), ("instrument", None), ("rate", Decimal("40")),
    ("term_months", 0), ("valid_until", (today() - timedelta(days=1))), ("message", "长" * 2001),
])
def test_a_bad_offer_changes_nothing(institution, need, field, value):
    with pytest.raises(ValidationFailed) as caught:
        interests.express_interest(institution, need, factories.interest_data(**{field: value}))
    assert list(caught.value.errors) == [field]
    assert _count(Interest) == 0


def test_interest_is_expressed_in_listed_needs_only(institution, owner):
    for status in (NeedStatus.draft, NeedStatus.approved, NeedStatus.financed):
        hidden = factories.make_need(org=owner.org, status=status)
        with pytest.raises(NotFound):
            interests.express_interest(institution, hidden, factories.interest_data())


# ---- the pipeline: every move by every role ---------------------------------------------------
ACTIONS = {
    "contact": (S.submitted, S.contacted),
    "start_due_diligence": (S.contacted, S.due_diligence),
    "approve": (S.due_diligence, S.approved),
    "disburse": (S.approved, S.funded),
    "withdraw": (S.contacted, S.withdrawn),
    "reject": (S.due_diligence, S.rejected),
    "decline": (S.submitted, S.declined),
}
ROLES = ["own_institution", "other_institution", "unverified_colleague", "need_owner", "other_owner",
         "admin", "expert", "anonymous"]
ALLOWED = {action: "need_owner" if action == "decline" else "own_institution" for action in ACTIONS}
# Those who may see the interest are refused with 403, the others do not learn it exists (404).
SEES = {"own_institution", "need_owner", "admin"}


def _act(action, user, interest):
    if action in ("contact", "start_due_diligence", "withdraw"):
        return interests.step(user, interest, action, note="已电话沟通")
    if action == "approve":
        return interests.approve_credit(user, interest, {"credit_amount": Decimal("20000.00"),
                                                         "credit_date": (today() - timedelta(days=1)), "credit_conditions": "抵押"})
    if action == "disburse":
        return interests.record_disbursement(user, interest, {"amount": Decimal("5000.00"),
                                                              "disbursed_on": today()})
    if action == "reject":
        return interests.reject(user, interest, reason=RejectionReason.cash_flow)
    return interests.decline(user, interest, reason="已落实其他融资")


@pytest.fixture
def people(institution, other_bank, owner, other_owner, admin, expert):
    from flask_login import AnonymousUserMixin

    colleague = factories.make_user(institution.org, Role.institution, status=factories.UserStatus.pending)
    return {"own_institution": institution, "other_institution": other_bank, "unverified_colleague": colleague,
            "need_owner": owner, "other_owner": other_owner, "admin": admin, "expert": expert,
            "anonymous": AnonymousUserMixin()}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", list(ACTIONS))
def test_each_move_is_taken_by_its_role_only(people, need, action, role):
    start, end = ACTIONS[action]
    extra = {"credit_amount": Decimal("20000.00"), "credit_date": (today() - timedelta(days=1))} if start is S.approved else {}
    interest = factories.make_interest(need, people["own_institution"], status=start, **extra)
    user = people[role]
    if role == ALLOWED[action]:
        _act(action, user, interest)
        assert interest.status is end
        entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.object_type == "interest",
                                                               AuditEntry.action == f"interest.{end.value}")).one()
        assert entry.actor_id == user.id and entry.before == {"status": start.value}
        other_side = people["own_institution"] if role == "need_owner" else people["need_owner"]
        assert _notices(other_side)
        return
    expected = NotAllowed if role in SEES else NotFound
    with pytest.raises(expected):
        _act(action, user, interest)
    assert interest.status is start


@pytest.mark.parametrize("action", list(ACTIONS))
def test_a_move_out_of_its_state_is_refused(people, need, action):
    start, _end = ACTIONS[action]
    wrong = S.withdrawn if start is not S.withdrawn else S.submitted
    interest = factories.make_interest(need, people["own_institution"], status=wrong)
    with pytest.raises(InvalidTransition):
        _act(action, people[ALLOWED[action]], interest)


def test_exits_need_their_reasons(institution, owner, need):
    interest = factories.make_interest(need, institution, status=S.contacted)
    with pytest.raises(ValidationFailed) as caught:
        interests.reject(institution, interest, reason=RejectionReason.other, note=" ")
    assert list(caught.value.errors) == ["note"]
    with pytest.raises(ValidationFailed):
        interests.reject(institution, interest, reason="capital")
    with pytest.raises(ValidationFailed) as caught:
        interests.decline(owner, interest, reason="")
    assert list(caught.value.errors) == ["reason"]
    assert interest.status is S.contacted
    interests.reject(institution, interest, reason=RejectionReason.other, note="项目收益覆盖不足")
    assert (interest.rejection_reason, interest.rejection_note) == (RejectionReason.other, "项目收益覆盖不足")


def test_credit_must_be_positive_and_within_the_need(institution, need):
    interest = factories.make_interest(need, institution, status=S.due_diligence)
    for amount in (Decimal("0"), Decimal("50000.01"), "1e3x"):
        with pytest.raises(ValidationFailed) as caught:
            interests.approve_credit(institution, interest, {"credit_amount": amount, "credit_date": (today() - timedelta(days=1))})
        assert "credit_amount" in caught.value.errors
    with pytest.raises(ValidationFailed) as caught:
        interests.approve_credit(institution, interest, {"credit_amount": Decimal("100"),
                                                         "credit_date": today() + timedelta(days=3)})
    assert list(caught.value.errors) == ["credit_date"]
    assert interest.status is S.due_diligence


# ---- disbursements --------------------------------------------------------------------------
def _approved(need, user, credit="30000.00"):
    return factories.make_interest(need, user, status=S.approved, credit_amount=Decimal(credit),
                                   credit_date=(today() - timedelta(days=1)))


def test_tranches_add_up_in_decimals(institution, owner, need):
    interest = _approved(need, institution)
    for amount in ("0.10", "0.20", "1234.57"):
        interests.record_disbursement(institution, interest, {"amount": Decimal(amount), "disbursed_on": today()})
    db.session.commit()
    db.session.expire_all()
    interest = db.session.get(Interest, interest.id)
    assert interest.status is S.funded and interest.funded_at is not None
    assert interest.disbursed_amount == Decimal("1234.87")
    assert isinstance(interest.disbursed_amount, Decimal)
    assert sum(d.amount for d in interest.disbursements) == Decimal("1234.87")
    assert _count(AuditEntry, AuditEntry.action == "interest.funded") == 1  # the first tranche moves it
    assert _notices(owner).count("interest_disbursed") == 3


def test_one_institution_disburses_no_more_than_its_credit(institution, need):
    interest = _approved(need, institution, credit="1000.00")
    interests.record_disbursement(institution, interest, {"amount": Decimal("999.99"), "disbursed_on": today()})
    with pytest.raises(ValidationFailed) as caught:
        interests.record_disbursement(institution, interest, {"amount": Decimal("0.02"), "disbursed_on": today()})
    assert list(caught.value.errors) == ["amount"]
    assert interest.disbursed_amount == Decimal("999.99")


def test_no_over_funding_without_the_owners_confirmation(institution, other_bank, owner, need):
    a, b = _approved(need, institution), _approved(need, other_bank)
    interests.record_disbursement(institution, a, {"amount": Decimal("30000.00"), "disbursed_on": today()})
    interests.record_disbursement(other_bank, b, {"amount": Decimal("20000.00"), "disbursed_on": today()})
    with pytest.raises(ValidationFailed) as caught:  # 50000.01 > 50000.00
        interests.record_disbursement(other_bank, b, {"amount": Decimal("0.01"), "disbursed_on": today()})
    assert list(caught.value.errors) == ["amount"]
    assert _count(Disbursement) == 2
    with pytest.raises(NotAllowed):
        interests.confirm_overfunding(institution, need)
    interests.confirm_overfunding(owner, need)
    interests.record_disbursement(other_bank, b, {"amount": Decimal("0.01"), "disbursed_on": today()})
    assert interests.money_raised(owner, need)["disbursed"] == Decimal("50000.01")


def test_funds_already_secured_count_against_over_funding(institution, other_bank, owner, need):
    need.funds_secured = Decimal("10000.00")  # 5 亿元 sought, 1 亿元 in place: 4 亿元 still to raise
    a, b = _approved(need, institution), _approved(need, other_bank)
    interests.record_disbursement(institution, a, {"amount": Decimal("30000.00"), "disbursed_on": today()})
    with pytest.raises(ValidationFailed) as caught:  # 30000 + 10000.01 > 40000
        interests.record_disbursement(other_bank, b, {"amount": Decimal("10000.01"), "disbursed_on": today()})
    assert "4 亿元" in str(caught.value.errors["amount"][0]) and "3 亿元" not in str(caught.value.errors["amount"][0])
    interests.record_disbursement(other_bank, b, {"amount": Decimal("10000.00"), "disbursed_on": today()})
    assert interests.money_raised(owner, need)["disbursed"] == Decimal("40000.00")


def test_a_disbursement_dated_before_the_credit_or_ahead_is_refused(institution, need):
    interest = _approved(need, institution)
    for day in ((today() - timedelta(days=1)) - timedelta(days=1), today() + timedelta(days=1), None):
        with pytest.raises(ValidationFailed) as caught:
            interests.record_disbursement(institution, interest, {"amount": Decimal("10"), "disbursed_on": day})
        assert list(caught.value.errors) == ["disbursed_on"]


# ---- the need: material change, closing ---------------------------------------------------
def test_a_material_change_asks_for_reconfirmation(institution, other_bank, owner, need):
    live = interests.express_interest(institution, need, factories.interest_data())
    closed = factories.make_interest(need, other_bank, status=S.withdrawn)
    interests.follow(other_bank, need)
    db.session.commit()
    needs.update_need(need, factories.need_data(amount=Decimal("45000.00"), funds_secured=Decimal("0")),
                      version=need.version, by=owner)
    db.session.commit()
    assert live.reconfirm_since is not None and closed.reconfirm_since is None
    assert "interest_reconfirm" in _notices(institution)
    assert "follow_changed" in _notices(other_bank)
    interests.reconfirm(institution, live)
    assert live.reconfirm_since is None
    assert _count(AuditEntry, AuditEntry.action == "interest.reconfirm") == 1


def test_a_change_of_other_fields_asks_for_nothing(institution, owner, need):
    live = interests.express_interest(institution, need, factories.interest_data())
    needs.update_need(need, factories.need_data(funds_secured=Decimal("0"), contact_name="李娜"),
                      version=need.version, by=owner)
    assert live.reconfirm_since is None
    assert "interest_reconfirm" not in _notices(institution)


def test_updating_the_offer_reconfirms_it(institution, owner, need):
    live = interests.express_interest(institution, need, factories.interest_data())
    needs.update_need(need, factories.need_data(term_months=60, funds_secured=Decimal("0")),
                      version=need.version, by=owner)
    interests.update_interest(institution, live, factories.interest_data(term_months=60), version=None)
    assert live.reconfirm_since is None


def test_closing_as_financed_needs_cover_or_a_note(institution, other_bank, owner, need):
    credited = _approved(need, institution, credit="30000.00")
    waiting = factories.make_interest(need, other_bank, status=S.contacted)
    interests.follow(other_bank, need)
    with pytest.raises(ValidationFailed) as caught:
        interests.close_financed(owner, need)
    assert list(caught.value.errors) == ["partly"]
    with pytest.raises(ValidationFailed) as caught:
        interests.close_financed(owner, need, partly=True)
    assert list(caught.value.errors) == ["note"]
    with pytest.raises(NotAllowed):
        interests.close_financed(institution, need, partly=True, note="x")
    interests.close_financed(owner, need, partly=True, note="已落实3亿元，其余自筹")
    assert need.status is NeedStatus.financed and need.closed_at is not None
    assert {"interest_need_closed", "follow_closed"} <= set(_notices(other_bank))
    # the interests stay as they are, readable; no step is taken on them any more
    assert (credited.status, waiting.status) == (S.approved, S.contacted)
    with pytest.raises(InvalidTransition):
        interests.step(other_bank, waiting, "start_due_diligence")
    # tranches of a credit go on into a financed need
    interests.record_disbursement(institution, credited, {"amount": Decimal("100"), "disbursed_on": today()})


def test_a_covered_need_closes_as_financed(institution, owner, need):
    _approved(need, institution, credit="50000.00")
    interests.close_financed(owner, need)
    assert need.status is NeedStatus.financed


def test_a_withdrawn_need_tells_its_followers_and_institutions(institution, other_bank, owner, need):
    factories.make_interest(need, institution)
    interests.follow(other_bank, need)
    needs.withdraw_need(need, by=owner, reason="项目调整")
    assert "interest_need_closed" in _notices(institution)
    assert "follow_closed" in _notices(other_bank)


def test_notices_speak_the_readers_language(institution, owner, need):
    owner.locale = "en"
    interest = interests.express_interest(institution, need, factories.interest_data())
    interests.step(institution, interest, "contact")
    from app.services.notifications import render

    row = db.session.scalars(sa.select(Notification).where(Notification.user_id == owner.id,
                                                           Notification.kind == "interest_moved")).one()
    from flask_babel import force_locale

    with force_locale("en"):
        assert "Contacted" in render(row.kind, row.params)[0]
    with force_locale("zh"):
        title = render(row.kind, row.params)[0]
    assert "Contacted" not in title
