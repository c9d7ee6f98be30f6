"""Factories: make_org, make_user, make_project, make_need, make_interest, make_follow,
make_api_token. They write
rows directly (statuses included), flush, and return the object; tests commit when they
need to."""

import itertools
from datetime import date
from decimal import Decimal

from werkzeug.security import generate_password_hash

from app.extensions import db
from app.models import (
    ApiToken,
    Disbursement,
    FinancingNeed,
    Follow,
    Interest,
    InterestStatus,
    NeedStatus,
    Organization,
    OrgStatus,
    Project,
    Role,
    User,
    UserStatus,
    hash_token,
)
from app.models.base import utcnow
from app.reference import Category, CreditEnhancement, Instrument, Level, OrgKind, Stage
from app.services import accounts, credit_code

PASSWORD = "Passw0rd!"
_PASSWORD_HASH = generate_password_hash(PASSWORD)  # hashed once: scrypt is slow on purpose
_seq = itertools.count(1)


def valid_credit_code(n: int | None = None) -> str:
    n = next(_seq) if n is None else n
    body = f"91510100MA{n:07d}"
    return body + credit_code.check_character(body)


def make_org(kind: OrgKind = OrgKind.owner, status: OrgStatus = OrgStatus.verified, **kw) -> Organization:
    n = next(_seq)
    org = Organization(
        name=kw.pop("name", f"成都测试单位{n}有限公司"),
        credit_code=kw.pop("credit_code", valid_credit_code(n)),
        kind=kind, status=status,
        verified_at=utcnow() if status is OrgStatus.verified else None,
        **kw,
    )
    db.session.add(org)
    db.session.flush()
    return org


def make_user(org: Organization | None = None, role: Role | None = None,
              status: UserStatus = UserStatus.active, **kw) -> User:
    n = next(_seq)
    org = org or make_org()
    user = User(
        email=kw.pop("email", f"user{n}@example.cn"),
        name=kw.pop("name", f"测试用户{n}"),
        org=org,
        role=role or accounts.role_for_kind(org.kind),
        status=status,
        password_hash=_PASSWORD_HASH,
        locale=kw.pop("locale", "zh"),
        **kw,
    )
    db.session.add(user)
    db.session.flush()
    return user


def make_project(org: Organization | None = None, **kw) -> Project:
    n = next(_seq)
    values = dict(
        name=f"测试重点项目{n}号",
        # the code's division part names the project's district, as validation requires
        code=f"2026-{kw.get('district_code', '510112')}-48-01-{n:06d}",
        level=Level.municipal,
        category=Category.infrastructure,
        industry_code="48",
        district_code="510112",
        total_investment=Decimal("150000.00"),
        annual_planned_investment=Decimal("30000.00"),
        stage=Stage.under_construction,
        planned_start=date(2026, 3, 1),
        planned_completion=date(2028, 12, 31),
        description="城市道路及配套管网建设。",
    )
    values.update(kw)
    project = Project(org=org or make_org(), **values)
    db.session.add(project)
    db.session.flush()
    return project


def need_data(**kw) -> dict:
    """The validated fields of a need, as a form or the API hands them to services."""
    data = dict(
        amount=Decimal("50000.00"),
        instruments=[Instrument.project_loan, Instrument.syndicated_loan],
        term_months=120,
        cost_ceiling=Decimal("4.20"),
        use_of_funds="主体工程建设",
        credit_enhancements=[CreditEnhancement.mortgage],
        funds_secured=Decimal("10000.00"),
        contact_name="张伟",
        contact_phone="028-12345678",
        contact_email="zhangwei@example.cn",
    )
    data.update(kw)
    return data


def make_need(project: Project | None = None, status: NeedStatus = NeedStatus.draft,
              org: Organization | None = None, **kw) -> FinancingNeed:
    project = project or make_project(org=org)
    data = need_data(**kw)
    instruments = data.pop("instruments")
    data["credit_enhancements"] = [e.value for e in data["credit_enhancements"]]
    need = FinancingNeed(project=project, status=status, **data)
    need.set_instruments(instruments)
    if status is not NeedStatus.draft:
        need.submitted_at = utcnow()
    db.session.add(need)
    db.session.flush()
    return need


def make_api_token(user: User, name: str = "tests") -> str:
    """A live API token of `user`, written directly: as one created while the user was
    still verified, or before tokens required verification. Returns the secret."""
    secret = accounts.TOKEN_PREFIX + f"factory{next(_seq)}"
    db.session.add(ApiToken(user=user, name=name, token_hash=hash_token(secret), prefix=secret[:10],
                            expires_at=utcnow() + accounts.token_lifetime()))
    db.session.flush()
    return secret


def interest_data(**kw) -> dict:
    """An institution's offer, as the form or the API hands it to services.interests."""
    data = dict(instrument=Instrument.project_loan, product_name="固定资产贷款",
                amount=Decimal("20000.00"), rate=Decimal("3.45"), term_months=96,
                conditions="以项目收费权质押", valid_until=None, message="我行有意参与本项目融资。")
    data.update(kw)
    return data


def make_follow(need: FinancingNeed, user: User) -> Follow:
    follow = Follow(need_id=need.id, user_id=user.id, org_id=user.org_id)
    db.session.add(follow)
    db.session.flush()
    return follow


_STEPS = (InterestStatus.submitted, InterestStatus.contacted, InterestStatus.due_diligence,
          InterestStatus.approved, InterestStatus.funded)


def make_interest(need: FinancingNeed, user: User, status: InterestStatus = InterestStatus.submitted, *,
                  disbursed=(), **kw) -> Interest:
    """An interest of `user`'s institution in `need`, written directly in `status` with the
    time stamps of the steps it has passed (and, approved or funded, a credit of its amount);
    `disbursed` lists (amount, date) tranches."""
    at = kw.pop("created_at", None) or utcnow()
    reached = {s: at for s in _STEPS[: _STEPS.index(status) + 1]} if status in _STEPS else {}
    values = dict(interest_data(), created_at=at, updated_at=at,
                  contacted_at=reached.get(InterestStatus.contacted),
                  due_diligence_at=reached.get(InterestStatus.due_diligence),
                  approved_at=reached.get(InterestStatus.approved))
    values.update(kw)
    if status in (InterestStatus.approved, InterestStatus.funded):
        values.setdefault("credit_amount", values["amount"])
        values.setdefault("credit_date", at.date())
    interest = Interest(need=need, org_id=user.org_id, created_by_id=user.id, status=status, **values)
    for amount, day in disbursed:
        interest.disbursements.append(Disbursement(amount=Decimal(amount), disbursed_on=day,
                                                   recorded_by_id=user.id))
    interest.disbursed_amount = sum((Decimal(a) for a, _ in disbursed), Decimal("0.00"))
    if disbursed:
        interest.funded_at = interest.funded_at or at
    db.session.add(interest)
    db.session.flush()
    return interest
