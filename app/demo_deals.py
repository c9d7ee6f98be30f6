"""Demo data of the institutions' side: follows, interests carried to every stage of the
pipeline, conversations, credit approvals, disbursements in tranches, refusals with their
reasons and one need closed as financed, all through the services (audit log, notices).

Each deal runs on its own calendar, as deals do: the first interests come days to a few
weeks after the need's first listing, the first contact a few working days later, credit
weeks later and the disbursements in tranches after it, during office hours in Chengdu.
The services' rows (the interest's steps, audit entries, notices, messages) carry those
times, so that the figures of 融资对接成效 and each interest's timeline tell the same story;
a deal that would reach past today is compressed to end before it."""

import random
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import sqlalchemy as sa

from app.extensions import db
from app.models import FinancingNeed, NeedStatus, Organization, Role, User, UserStatus
from app.models.base import UTCDateTime, utcnow
from app.reference import INSTITUTION_KINDS, Instrument
from app.services import interests
from app.services.formatting import TZ
from app.services.outcomes import figures
from app.services.outcomes.workdays import add_workdays, is_workday, workdays_between

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
# The steps of a deal in their order, each a number of working days after the step before
# it (a range to draw from): 意向 after the listing, 首次对接, the owner's answer, 尽职调查,
# 授信 (three to six weeks), the first 放款 and a second tranche as construction advances.
# The exits: the owner declines within days, the institution withdraws or refuses credit
# after a few weeks.
STEPS = (("express", (2, 15)), ("contact", (1, 5)), ("answer", (1, 2)), ("due_diligence", (3, 8)),
         ("approve", (15, 30)), ("first_tranche", (10, 20)), ("second_tranche", (20, 40)))
EXITS = {"declined": ("express", (3, 8)), "withdrawn": ("express", (10, 20)), "rejected": ("answer", (5, 15))}
CLOCK_SEED = 4754  # the calendar draws from a generator of its own


def _first(users, role=None) -> User | None:
    for user in sorted(users, key=lambda u: u.id):
        if user.status is UserStatus.active and (role is None or user.role is role):
            return user
    return None


# ---- the deals' calendar ---------------------------------------------------------------------
OPENS, CLOSES = time(9, 0), time(17, 30)  # office hours in Chengdu


def _office_hours(day: date, rng: random.Random) -> datetime:
    """A moment of a working day's office hours."""
    minutes = rng.randrange(OPENS.hour * 60, CLOSES.hour * 60 + CLOSES.minute)
    return datetime.combine(day, time(minutes // 60, minutes % 60), TZ).astimezone(UTC)


def _local_day(moment: datetime) -> date:
    return moment.astimezone(TZ).date()


def _last_workday_before(now: datetime) -> date:
    day = _local_day(now) - timedelta(days=1)
    while not is_workday(day):
        day -= timedelta(days=1)
    return day


# The last step of each stage that is no exit.
LAST_STEP = {"submitted": "express", "contacted": "answer", "due_diligence": "due_diligence",
             "approved": "approve", "funded": "second_tranche"}


def _chain(stage: str) -> list[tuple[str, tuple[int, int]]]:
    """The steps of a deal that goes as far as `stage`, each with its gap in working days."""
    names = [name for name, _days in STEPS]
    if stage in EXITS:
        after, days = EXITS[stage]
        return list(STEPS[: names.index(after) + 1]) + [(stage, days)]
    return list(STEPS[: names.index(LAST_STEP[stage]) + 1])


def _calendar(listed_at: datetime, stage: str, rng: random.Random, now: datetime) -> dict[str, datetime]:
    """When each step of a deal that goes as far as `stage` happens, in office hours on
    working days up to yesterday: a deal that would run past it is compressed after its
    first step (or from its listing), keeping its order."""
    chain = _chain(stage)
    gaps = [rng.randint(*days) for _name, days in chain]
    start = _local_day(listed_at)
    room = workdays_between(start, _last_workday_before(now))
    if sum(gaps) > room:
        kept = 1 if gaps[0] <= room else 0
        factor = (room - sum(gaps[:kept])) / sum(gaps[kept:])
        gaps = gaps[:kept] + [int(g * factor) for g in gaps[kept:]]
    when, day, last = {}, start, listed_at
    for (name, _days), gap in zip(chain, gaps, strict=True):
        day = add_workdays(day, gap)
        moment = _office_hours(day, rng)
        if moment <= last:  # the same day as the step before: a little later
            moment = last + timedelta(minutes=rng.randint(20, 90))
        last = when[name] = moment
    return when


@contextmanager
def _on(moment: datetime):
    """The rows the services write inside the block are dated `moment`: the ones they add
    (audit entries, notices, messages, files, follows, disbursements) and the time stamps
    they set or touch on the rows they change (an interest's steps, a need's closing)."""
    session = db.session()
    session.flush()

    def date_rows(session, _context, _instances):
        for obj in list(session.new) + [o for o in session.dirty if session.is_modified(o)]:
            state = sa.inspect(obj)
            for prop in state.mapper.column_attrs:
                column = prop.columns[0]
                if not isinstance(column.type, UTCDateTime):
                    continue
                value = getattr(obj, prop.key)
                created = obj in session.new and column.default is not None
                stamped = value is not None and state.attrs[prop.key].history.added
                if created or stamped or (column.onupdate is not None and obj in session.dirty):
                    setattr(obj, prop.key, moment)

    sa.event.listen(session, "before_flush", date_rows)
    try:
        yield
        session.flush()
    finally:
        sa.event.remove(session, "before_flush", date_rows)


def _conversation_on(interest, moment: datetime) -> None:
    """The conversation's stamps, which the services write past the unit of work: those
    later than `moment` were written now."""
    for name in ("last_message_at", "institution_read_at", "owner_read_at"):
        value = getattr(interest, name)
        if value is not None and value > moment:
            setattr(interest, name, moment)


# ---- the deals ------------------------------------------------------------------------------
def load_deals(rng: random.Random) -> None:
    institutions = [o for o in db.session.scalars(sa.select(Organization).order_by(Organization.id))
                    if o.kind in INSTITUTION_KINDS and o.is_verified]
    people = [(org, _first(org.users, Role.institution)) for org in institutions]
    people = [(org, u) for org, u in people if u is not None]
    listed = list(db.session.scalars(sa.select(FinancingNeed).where(FinancingNeed.status == NeedStatus.listed)
                                     .order_by(FinancingNeed.id)))
    if not people or not listed:
        return
    db.session.flush()
    first_listed = figures.listed_needs()
    listed_at = dict(db.session.execute(sa.select(first_listed.c.need_id, first_listed.c.listed_at)).all())
    now = utcnow()
    clock = random.Random(CLOCK_SEED)  # so that the deals drawn from `rng` stay the same
    ends = {}  # need id -> the last step of its deals
    step = 0
    for n, need in enumerate(listed):
        owner = _first(need.project.org.users, Role.owner)
        if owner is None or n % 5 == 4:  # some listed needs nobody has taken up yet
            continue
        since = listed_at[need.id]
        since = since if since.tzinfo else since.replace(tzinfo=UTC)
        chosen = rng.sample(people, k=min(len(people), 1 + n % 3))
        for _org, user in chosen:
            stage = PLAN[step % len(PLAN)]
            when = _calendar(since, stage, clock, now)
            instrument = next((i for i in need.instruments), Instrument.project_loan)
            share = Decimal(rng.choice((30, 40, 50, 60)))
            amount = ((need.amount_open or need.amount) * share / 100).quantize(Decimal("0.01"))
            valid_until = max(_local_day(when["express"]) + timedelta(days=180), _local_day(now) + timedelta(days=30))
            with _on(when["express"]):
                interest = interests.express_interest(user, need, {
                    "instrument": instrument, "product_name": PRODUCTS[instrument], "amount": amount,
                    "rate": Decimal(rng.choice(("3.10", "3.45", "3.80", "4.20"))),
                    "term_months": need.term_months, "conditions": rng.choice(CONDITIONS),
                    "valid_until": valid_until, "message": "我行有意参与本项目融资，盼对接。",
                })
            ends[need.id] = max(ends.get(need.id, since), _advance(interest, user, owner, stage, rng, amount, when))
            step += 1
        for k, (_org, user) in enumerate(people[n % len(people):][:2]):
            with _on(min(since + timedelta(days=1 + 3 * k, hours=clock.randrange(1, 8)), now)):
                interests.follow(user, need)
    _close_one(listed, ends, clock, now)


def _advance(interest, user, owner, stage: str, rng: random.Random, amount: Decimal,
             when: dict[str, datetime]) -> datetime:
    """Carry the interest to `stage` on its calendar; the time of its last step."""
    if stage == "submitted":
        return when["express"]
    if stage == "declined":
        with _on(when[stage]):
            interests.decline(owner, interest, reason="已与其他机构达成融资意向，感谢贵行关注。")
        return when[stage]
    if stage == "withdrawn":
        with _on(when[stage]):
            interests.step(user, interest, "withdraw", note="授信额度调整，暂不参与。")
        return when[stage]
    with _on(when["contact"]):
        interests.step(user, interest, "contact", note="已电话联系项目财务负责人。")
    asked = min(when["contact"] + timedelta(minutes=40), when["contact"] + (when["answer"] - when["contact"]) / 2)
    with _on(asked):
        interests.post_message(user, interest, rng.choice(QUESTIONS))
        _conversation_on(interest, asked)
    with _on(when["answer"]):
        interests.post_message(owner, interest, rng.choice(ANSWERS))
        _conversation_on(interest, when["answer"])
    if stage == "contacted":
        return when["answer"]
    if stage == "rejected":
        with _on(when[stage]):
            interests.reject(user, interest, reason=_reason(rng.choice(REJECTIONS)),
                             note="经审查，项目现阶段暂不符合我行授信条件。")
        return when[stage]
    with _on(when["due_diligence"]):
        interests.step(user, interest, "start_due_diligence", note="已启动尽职调查。")
    if stage == "due_diligence":
        return when["due_diligence"]
    with _on(when["approve"]):
        interests.approve_credit(user, interest, {"credit_amount": amount, "credit_date": _local_day(when["approve"]),
                                                  "credit_conditions": "按工程进度分期提款"})
    if stage == "approved":
        return when["approve"]
    tranches = (("first_tranche", Decimal("0.4"), "首笔放款"), ("second_tranche", Decimal("0.3"), "第二笔放款"))
    for name, part, note in tranches:
        with _on(when[name]):
            interests.record_disbursement(user, interest, {
                "amount": (amount * part).quantize(Decimal("0.01")), "disbursed_on": _local_day(when[name]),
                "note": note})
    return when["second_tranche"]


def _reason(value: str):
    from app.models import RejectionReason

    return RejectionReason(value)


def _close_one(listed, ends: dict[int, datetime], clock: random.Random, now: datetime) -> None:
    """The owner of the best-covered need closes it as (partly) financed, a few working days
    after its last step."""
    from app.services.interests import common

    best = max(listed, key=lambda n: common.credited_total(n.id) / n.amount if n.amount else 0)
    credited = common.credited_total(best.id)
    if not credited:
        return
    owner = _first(best.project.org.users, Role.owner)
    covered = credited >= best.amount_open
    day = min(add_workdays(_local_day(ends[best.id]), clock.randint(2, 5)), _last_workday_before(now))
    closed = _office_hours(day, clock)
    with _on(max(closed, ends[best.id] + timedelta(minutes=30))):
        interests.close_financed(owner, best, partly=not covered,
                                 note=None if covered else f"已获授信{credited:,.2f}万元，剩余部分由业主自筹。")
