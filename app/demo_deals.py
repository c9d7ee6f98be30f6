"""Demo data of the institutions' side: follows, interests carried to every stage of the
pipeline, conversations, credit approvals, disbursements in tranches, refusals with their
reasons and one need closed as financed, all through the services (audit log, notices)."""

import random
from datetime import timedelta
from decimal import Decimal

import sqlalchemy as sa

from app.extensions import db
from app.models import FinancingNeed, NeedStatus, Organization, Role, User, UserStatus
from app.models.base import utcnow
from app.reference import INSTITUTION_KINDS, Instrument
from app.services import interests

PRODUCTS = {
    Instrument.project_loan: "固定资产贷款", Instrument.syndicated_loan: "银团贷款",
    Instrument.working_capital_loan: "流动资金贷款", Instrument.bond: "企业债券承销",
    Instrument.insurance_debt_plan: "保险债权投资计划", Instrument.equity: "股权投资",
    Instrument.financial_leasing: "融资租赁", Instrument.abs_reits: "基础设施REITs",
    Instrument.industry_fund: "产业基金",
}
CONDITIONS = ("以项目收费权质押，项目公司股东提供连带责任保证", "资本金到位后按工程进度分期提款",
              "需提供土地使用权抵押", "纳入市级重点项目调度后执行优惠利率")
QUESTIONS = ("您好，我行对该项目很感兴趣，请提供可研批复及资本金到位证明。",
             "请问项目目前的征地拆迁进度如何？预计何时具备开工条件？",
             "我们已完成初步测算，拟安排客户经理下周到项目现场调研。")
ANSWERS = ("可研批复及资本金到位证明已上传，请查收。", "征地已完成90%，预计下月具备开工条件。",
           "欢迎下周来现场，届时由项目财务负责人对接。")
REJECTIONS = ("capital", "cash_flow", "permits", "enhancement", "credit_policy")
# How far each interest goes, in turn (the stage names of services.interests).
PLAN = ("submitted", "contacted", "due_diligence", "approved", "funded", "contacted", "submitted",
        "rejected", "funded", "declined", "withdrawn", "due_diligence", "approved", "rejected")


def _first(users, role=None) -> User | None:
    for user in sorted(users, key=lambda u: u.id):
        if user.status is UserStatus.active and (role is None or user.role is role):
            return user
    return None


def load_deals(rng: random.Random) -> None:
    institutions = [o for o in db.session.scalars(sa.select(Organization).order_by(Organization.id))
                    if o.kind in INSTITUTION_KINDS and o.is_verified]
    people = [(org, _first(org.users, Role.institution)) for org in institutions]
    people = [(org, u) for org, u in people if u is not None]
    listed = list(db.session.scalars(sa.select(FinancingNeed).where(FinancingNeed.status == NeedStatus.listed)
                                     .order_by(FinancingNeed.id)))
    if not people or not listed:
        return
    step = 0
    for n, need in enumerate(listed):
        owner = _first(need.project.org.users, Role.owner)
        if owner is None or n % 5 == 4:  # some listed needs nobody has taken up yet
            continue
        chosen = rng.sample(people, k=min(len(people), 1 + n % 3))
        for _org, user in chosen:
            instrument = next((i for i in need.instruments), Instrument.project_loan)
            share = Decimal(rng.choice((30, 40, 50, 60)))
            amount = (need.amount * share / 100).quantize(Decimal("0.01"))
            interest = interests.express_interest(user, need, {
                "instrument": instrument, "product_name": PRODUCTS[instrument], "amount": amount,
                "rate": Decimal(rng.choice(("3.10", "3.45", "3.80", "4.20"))),
                "term_months": need.term_months, "conditions": rng.choice(CONDITIONS),
                "valid_until": (utcnow() + timedelta(days=90)).date(), "message": "我行有意参与本项目融资，盼对接。",
            })
            _advance(interest, user, owner, PLAN[step % len(PLAN)], rng, amount)
            step += 1
        for _org, user in people[n % len(people):][:2]:
            interests.follow(user, need)
    _close_one(listed)


def _advance(interest, user, owner, stage: str, rng: random.Random, amount: Decimal) -> None:
    today = utcnow().date()
    if stage == "submitted":
        return
    if stage == "declined":
        interests.decline(owner, interest, reason="已与其他机构达成融资意向，感谢贵行关注。")
        return
    if stage == "withdrawn":
        interests.step(user, interest, "withdraw", note="授信额度调整，暂不参与。")
        return
    interests.step(user, interest, "contact", note="已电话联系项目财务负责人。")
    interests.post_message(user, interest, rng.choice(QUESTIONS))
    interests.post_message(owner, interest, rng.choice(ANSWERS))
    if stage == "contacted":
        return
    if stage == "rejected":
        interests.reject(user, interest, reason=_reason(rng.choice(REJECTIONS)),
                         note="经审查，项目现阶段暂不符合我行授信条件。")
        return
    interests.step(user, interest, "start_due_diligence", note="已启动尽职调查。")
    if stage == "due_diligence":
        return
    interests.approve_credit(user, interest, {"credit_amount": amount, "credit_date": today - timedelta(days=20),
                                              "credit_conditions": "按工程进度分期提款"})
    if stage == "approved":
        return
    first = (amount * Decimal("0.4")).quantize(Decimal("0.01"))
    interests.record_disbursement(user, interest, {"amount": first, "disbursed_on": today - timedelta(days=10),
                                                   "note": "首笔放款"})
    interests.record_disbursement(user, interest, {"amount": (amount * Decimal("0.3")).quantize(Decimal("0.01")),
                                                   "disbursed_on": today - timedelta(days=2), "note": "第二笔放款"})


def _reason(value: str):
    from app.models import RejectionReason

    return RejectionReason(value)


def _close_one(listed) -> None:
    """The owner of the best-covered need closes it as (partly) financed."""
    from app.services.interests import common

    best = max(listed, key=lambda n: common.credited_total(n.id) / n.amount if n.amount else 0)
    credited = common.credited_total(best.id)
    if not credited:
        return
    owner = _first(best.project.org.users, Role.owner)
    covered = credited >= best.amount_open
    interests.close_financed(owner, best, partly=not covered,
                             note=None if covered else f"已获授信{credited:,.2f}万元，剩余部分由业主自筹。")
