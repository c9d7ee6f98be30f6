"""`flask demo load`: realistic Chengdu data covering every state.

The tests share one load (a module-scoped app and database): loading takes seconds."""

import os
import re
from collections import Counter
from datetime import date

import pytest
import sqlalchemy as sa

from app import create_app, reference
from app.demo import DEMO_ACCOUNTS, DEMO_PASSWORD, load_demo
from app.extensions import db
from app.models import (
    AuditEntry,
    Edition,
    EditionStatus,
    FinancingNeed,
    ItemMarker,
    NeedStatus,
    Organization,
    OrgStatus,
    Project,
    User,
    UserStatus,
)
from app.reference import Category, Level, OrgKind, ReserveSubstage, Stage
from app.services import credit_code, editions

POSTGRES = os.environ.get("DATABASE_URL", "").startswith("postgresql")
PROJECT_CODE = re.compile(r"^20\d\d-510\d{3}-\d{2}-0[1-3]-\d{6}$")


def _all(model):
    return list(db.session.scalars(sa.select(model)))


def _row_counts() -> dict[str, int]:
    with db.engine.connect() as conn:
        return {t.name: conn.execute(sa.select(sa.func.count()).select_from(t)).scalar()
                for t in db.metadata.sorted_tables}


@pytest.fixture(scope="module")
def demo(tmp_path_factory, _schema):
    overrides = {}
    if not POSTGRES:
        overrides["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.db'}"
    app = create_app("testing", **overrides)
    with app.app_context():
        if not POSTGRES:
            db.create_all()
        assert load_demo() is True
        db.session.commit()
        yield app
        db.session.remove()
        if POSTGRES:
            tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
            with db.engine.begin() as conn:
                conn.execute(sa.text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        db.engine.dispose()


def test_organisations_cover_every_kind_with_valid_credit_codes(demo):
    orgs = _all(Organization)
    kinds = Counter(o.kind for o in orgs if o.status is OrgStatus.verified)
    assert len(orgs) >= 25
    assert kinds[OrgKind.government] == 1
    assert kinds[OrgKind.bank] >= 5
    assert kinds[OrgKind.insurer] >= 3
    assert kinds[OrgKind.securities] >= 3
    assert kinds[OrgKind.private_capital] >= 2
    assert kinds[OrgKind.owner] >= 10
    assert all(credit_code.is_valid(o.credit_code) for o in orgs), [
        o.credit_code for o in orgs if not credit_code.is_valid(o.credit_code)]
    names = {o.name for o in orgs}
    assert {"成都市发展和改革委员会", "成都银行股份有限公司", "国家开发银行",
            "中国人寿保险股份有限公司", "国金证券股份有限公司"} <= names
    bank = next(o for o in orgs if o.name == "成都银行股份有限公司")
    assert bank.credit_code == "91510100633142770A"
    # The admin's queue is not empty: organisations and users wait for verification.
    assert any(o.status is OrgStatus.pending for o in orgs)
    assert sum(u.status is UserStatus.pending for u in _all(User)) >= 2


def test_projects_cover_levels_categories_stages_and_every_district(demo):
    projects = _all(Project)
    assert len(projects) >= 60
    assert {p.level for p in projects} == set(Level)
    assert {p.category for p in projects} == set(Category)
    assert {p.stage for p in projects} == set(Stage)
    assert {p.reserve_substage for p in projects if p.stage is Stage.reserve} == set(ReserveSubstage)
    assert all(p.reserve_substage is None for p in projects if p.stage is not Stage.reserve)
    assert {p.district_code for p in projects} == {d.code for d in reference.districts()}
    assert {p.zone_code for p in projects} - {None} == {z.code for z in reference.ZONES}
    assert all(reference.industry(p.industry_code) and not p.industry_code.isalpha() for p in projects)
    assert 0.05 <= sum(p.is_priority for p in projects) / len(projects) <= 0.15
    for p in projects:
        assert PROJECT_CODE.match(p.code) and p.code[5:11] == p.district_code, p.code
        assert p.total_investment.as_tuple().exponent == -2
        assert p.annual_planned_investment <= p.total_investment
        assert p.planned_start <= p.planned_completion
        assert (p.actual_start is not None) == (p.stage in (Stage.under_construction, Stage.completed))
        assert (p.actual_completion is not None) == (p.stage is Stage.completed)
        if p.actual_completion:
            assert p.actual_start < p.actual_completion
    totals = sorted(p.total_investment for p in projects)
    assert totals[0] < 100000 and totals[-1] > 3000000  # from a few 亿 to 300+ 亿 (万元)


def test_needs_cover_every_state_with_their_audit_trail(demo):
    needs = _all(FinancingNeed)
    assert len(needs) >= 80
    statuses = Counter(n.status for n in needs)
    assert set(statuses) == set(NeedStatus)
    assert min(statuses.values()) >= 3
    audit = Counter((a.action, a.object_id) for a in _all(AuditEntry) if a.object_type == "financing_need")
    for need in needs:
        assert need.amount <= need.project.total_investment
        assert need.funds_secured <= need.amount
        assert need.instruments
        assert re.match(r"^028-[68]\d{7}$", need.contact_phone)
        assert re.match(r"^[\u4e00-\u9fff]{2,3}$", need.contact_name)
        assert audit["financing_need.create", need.id] == 1
        if need.status is NeedStatus.returned:
            assert need.review_comment and audit["financing_need.returned", need.id] == 1
        if need.status in (NeedStatus.approved, NeedStatus.listed, NeedStatus.financed, NeedStatus.expired):
            assert audit["financing_need.approved", need.id] >= 1  # again after a material edit
        if need.status is not NeedStatus.draft and need.status is not NeedStatus.withdrawn:
            assert audit["financing_need.submitted", need.id] >= 1
        assert (need.closed_at is not None) == need.is_closed
    owner = db.session.scalar(sa.select(User).where(User.email == "owner@demo.cn"))
    own = Counter(n.status for n in needs if n.project.org_id == owner.org_id)
    assert len(own) >= 4 and NeedStatus.returned in own


def test_demo_accounts_log_in_and_a_second_load_changes_nothing(demo):
    client = demo.test_client()
    emails = [email for email, _ in DEMO_ACCOUNTS]
    assert {"admin@demo.cn", "owner@demo.cn", "bank@demo.cn", "insurer@demo.cn",
            "broker@demo.cn", "expert@demo.cn"} <= set(emails)
    for email in emails:
        response = client.post("/login", data={"email": email, "password": DEMO_PASSWORD})
        assert response.status_code == 302, email
        user = db.session.scalar(sa.select(User).where(User.email == email))
        assert user.is_verified
        client.post("/logout")
    kinds = {email: db.session.scalar(sa.select(User).where(User.email == email)).org.kind
             for email in emails}
    assert kinds["bank@demo.cn"] is OrgKind.bank
    assert kinds["insurer@demo.cn"] is OrgKind.insurer
    assert kinds["broker@demo.cn"] is OrgKind.securities
    assert kinds["expert@demo.cn"] in reference.INSTITUTION_KINDS
    assert kinds["admin@demo.cn"] is OrgKind.government

    before = _row_counts()
    assert load_demo() is False
    db.session.commit()
    assert _row_counts() == before


def test_editions_three_published_with_churn_a_correction_and_a_draft(demo):
    editions_ = list(db.session.scalars(sa.select(Edition).order_by(Edition.year, Edition.period, Edition.revision)))
    drafts = [e for e in editions_ if e.status is EditionStatus.draft]
    public = [e for e in editions_ if e.is_public]
    assert len(drafts) == 1 and drafts[0] is editions_[-1]
    assert len({(e.year, e.period) for e in public}) >= 3
    assert [e.status for e in public].count(EditionStatus.published) == 1
    correction = [e for e in public if e.revision > 1]
    assert correction and "更正" in correction[0].correction_note

    # Churn: every kind of change appears, removals carry the need's closing reason.
    logs = [e.changelog for e in public]
    for kind in ("new", "carried", "removed", "changed"):
        assert sum(len(log[kind]) for log in logs) >= 2, kind
    reasons = {r["reason"] for log in logs for r in log["removed"]}
    assert {"financed", "withdrawn", "expired"} <= reasons
    changed = {f for log in logs for c in log["changed"] for f in c["fields"]}
    assert {"amount", "term_months"} <= changed

    for edition in public:
        assert edition.published_at is not None
        assert {f.format for f in edition.files} == {"pdf", "xlsx", "csv", "json"}
        assert all(i.snapshot for i in edition.items)
        justified = sum(bool(i.justifications) for i in edition.items)
        assert justified < len(edition.items) / 2  # most items pass the checks as they are
    assert [e.published_at for e in public] == sorted(e.published_at for e in public)
    actions = Counter(a.action for a in _all(AuditEntry) if a.object_type == "edition")
    assert actions["edition.compile"] >= 4 and actions["edition.published"] == len(public)
    assert actions["edition.correct"] >= 1 and actions["edition.justify"] >= 3


def test_listed_needs_are_those_of_the_latest_published_edition(demo):
    latest = editions.latest_published()
    assert latest.status is EditionStatus.published
    listed = set(db.session.scalars(sa.select(FinancingNeed.id).where(FinancingNeed.status == NeedStatus.listed)))
    # since the publication an owner closed one of its needs as financed by the institutions
    closed_since = {i.need_id for i in latest.items if i.need.status is NeedStatus.financed}
    assert len(closed_since) == 1
    assert listed and listed == {i.need_id for i in latest.items} - closed_since


def test_institutions_carry_interests_through_every_stage(demo):
    from app.models import Disbursement, Follow, Interest, InterestMessage, InterestStatus, User

    statuses = set(db.session.scalars(sa.select(Interest.status)))
    assert statuses == set(InterestStatus)
    bank = db.session.scalar(sa.select(User).where(User.email == "bank@demo.cn"))
    assert db.session.scalar(sa.select(sa.func.count(Interest.id)).where(Interest.org_id == bank.org_id)) >= 3
    assert db.session.scalar(sa.select(sa.func.count(Follow.id))) >= 10
    assert db.session.scalar(sa.select(sa.func.count(InterestMessage.id))) >= 10
    funded = db.session.scalars(sa.select(Interest).where(Interest.status == InterestStatus.funded)).all()
    assert funded and all(i.disbursed_amount == sum(d.amount for d in i.disbursements) for i in funded)
    assert db.session.scalar(sa.select(sa.func.count(Disbursement.id))) == 2 * len(funded)
    rejected = db.session.scalars(sa.select(Interest).where(Interest.status == InterestStatus.rejected)).all()
    assert rejected and all(i.rejection_reason is not None for i in rejected)


def test_the_draft_of_this_period_is_compiled_and_still_being_checked(demo):
    draft = db.session.scalars(sa.select(Edition).where(Edition.status == EditionStatus.draft)).one()
    today = date.today()
    assert (draft.year, draft.period) == (today.year, (today.month + 1) // 2)
    markers = Counter(i.marker for i in draft.items)
    assert markers[ItemMarker.new] >= 2 and markers[ItemMarker.carried] >= 5
    flags = editions.check_readiness(draft)
    assert editions.red_count(flags) >= 1  # work left for the admin
    assert any(f.justification for item_flags in flags.values() for f in item_flags)


def test_deals_run_on_a_plausible_calendar_never_in_the_future(demo):
    """融资对接成效 shows days, not the months since the listing; each interest's timeline
    (its audit entries) runs in the order of its steps, from its expression on."""
    from datetime import UTC, datetime

    from app.models import Disbursement, Interest, InterestMessage
    from app.services import formatting
    from app.services.outcomes import figures

    totals = figures.totals()
    assert 1 <= totals.median_days_to_first_interest <= 60
    assert 1 <= totals.median_days_to_first_contact <= 60
    now = datetime.now(UTC)

    def aware(moment):
        return moment if moment is None or moment.tzinfo else moment.replace(tzinfo=UTC)

    deals = db.session.scalars(sa.select(Interest).order_by(Interest.id)).all()
    for interest in deals:
        steps = [aware(interest.created_at)] + [aware(getattr(interest, f"{s}_at")) for s in
                                                ("contacted", "due_diligence", "approved", "funded")]
        reached = [s for s in steps if s is not None]
        assert reached == sorted(reached) and reached[-1] <= now, interest.id
        timeline = [aware(at) for at in db.session.scalars(
            sa.select(AuditEntry.at).where(AuditEntry.object_type == "interest", AuditEntry.object_id == interest.id)
            .order_by(AuditEntry.id))]
        assert timeline == sorted(timeline) and timeline[0] == aware(interest.created_at), interest.id
        if interest.credit_date:
            assert interest.credit_date == formatting.local(aware(interest.approved_at)).date()
    days = db.session.scalars(sa.select(Disbursement.disbursed_on)).all()
    assert days and max(days) <= formatting.today()
    first_message = db.session.scalar(sa.select(sa.func.min(InterestMessage.created_at)))
    assert (now - aware(first_message)).days > 30  # conversations of deals months old
