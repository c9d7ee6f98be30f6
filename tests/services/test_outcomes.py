"""The financing outcomes the city reports (对接 / 授信 / 放款, 接单率, 授信率, time to first
interest), the coverage of listed needs, the reasons for refusal, and the reminders of
interests left uncontacted, counted in China's working days."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from app.extensions import db
from app.models import InterestStatus, Job, NeedStatus, Notification, RejectionReason, User
from app.reference import Instrument, OrgKind
from app.services import editions, exports, formatting, interests
from app.services.outcomes import coverage, figures, reminders, report
from app.services.outcomes.workdays import add_workdays, is_workday, workdays_between
from tests import factories

# Capital in place 40,000 of 150,000 (26.7 %) clears the 20 % minimum capital ratio.
READY = dict(funds_secured=Decimal("40000.00"))


@pytest.fixture(autouse=True)
def fast_exports(monkeypatch):
    monkeypatch.setattr(exports, "edition_pdf", lambda meta, items: b"%PDF-1.7 test")


@pytest.fixture
def world(admin, owner_org):
    """Four needs listed in 2026 No. 5 (A, B in 锦江区, C, D in 青羊区), a need never listed, a
    bank and an insurer. Interests: A bank submitted; B bank contacted, insurer credit 1,500;
    C bank credit 2,500 with 1,000 + 500.50 drawn, insurer refused (capital); D none.
    The insurer's user follows A."""
    needs = {}
    for key, amount, district in (("A", "1000.00", "510104"), ("B", "2000.00", "510104"),
                                  ("C", "3000.00", "510105"), ("D", "4000.00", "510105")):
        project = factories.make_project(org=owner_org, name=f"项目{key}", district_code=district)
        needs[key] = factories.make_need(project, status=NeedStatus.approved, amount=Decimal(amount),
                                         **READY)
    edition = editions.open_draft(2026, 5, by=admin)
    editions.publish_edition(edition, by=admin)
    db.session.commit()
    listed_at = edition.published_at
    never_listed = factories.make_need(factories.make_project(org=owner_org), status=NeedStatus.submitted)
    bank = factories.make_user(factories.make_org(OrgKind.bank, name="成都银行股份有限公司"))
    insurer = factories.make_user(factories.make_org(OrgKind.insurer, name="中国人寿保险四川省分公司"))
    day = timedelta(days=1)
    factories.make_interest(needs["A"], bank, created_at=listed_at + 2 * day)
    factories.make_interest(needs["B"], bank, InterestStatus.contacted, created_at=listed_at + 4 * day)
    factories.make_interest(needs["B"], insurer, InterestStatus.approved, created_at=listed_at + 6 * day,
                            instrument=Instrument.insurance_debt_plan, credit_amount=Decimal("1500.00"))
    factories.make_interest(needs["C"], bank, InterestStatus.funded, created_at=listed_at + 1 * day,
                            credit_amount=Decimal("2500.00"),
                            disbursed=[("1000.00", date(2026, 10, 20)), ("500.50", date(2026, 11, 20))])
    factories.make_interest(needs["C"], insurer, InterestStatus.rejected, created_at=listed_at + 3 * day,
                            contacted_at=listed_at + 5 * day, rejection_reason=RejectionReason.capital,
                            rejection_note="资本金到位比例不足20%", closed_at=listed_at + 20 * day)
    factories.make_interest(never_listed, bank)  # not listed: in no figure
    factories.make_follow(needs["A"], insurer)
    db.session.commit()
    return dict(needs=needs, edition=edition, bank=bank, insurer=insurer, listed_at=listed_at)


def test_totals_are_the_figures_the_city_reports(world):
    t = figures.totals()
    assert (t.listed, t.listed_amount) == (4, Decimal("10000.00"))
    assert (t.followed, t.follows, t.interested, t.interests) == (1, 1, 3, 5)
    assert (t.contacted, t.contact_rate) == (2, Decimal("50.00"))  # B and C: 接单率 2 / 4
    assert (t.credited, t.credit_amount, t.credit_rate) == (2, Decimal("4000.00"), Decimal("50.00"))
    assert (t.funded, t.disbursed_amount) == (1, Decimal("1500.50"))
    # first interests 2, 4 and 1 days after listing; first contacts 4 (B) and 1 (C) days
    assert t.median_days_to_first_interest == 2.0
    assert t.median_days_to_first_contact == 2.5


def test_rates_are_empty_before_anything_is_listed(app):
    t = figures.totals()
    assert (t.listed, t.contact_rate, t.credit_rate, t.median_days_to_first_interest) == (0, None, None, None)


def test_breakdown_by_district_adds_up_to_the_totals(world):
    rows = {r.label: r.figures for r in report.breakdown("district")}
    assert set(rows) == {"锦江区", "青羊区"}
    jinjiang, qingyang = rows["锦江区"], rows["青羊区"]
    assert (jinjiang.listed, jinjiang.contacted, jinjiang.credited, jinjiang.credit_amount) == (
        2, 1, 1, Decimal("1500.00"))
    assert (qingyang.listed, qingyang.contacted, qingyang.funded, qingyang.disbursed_amount) == (
        2, 1, 1, Decimal("1500.50"))
    assert jinjiang.contact_rate == qingyang.contact_rate == Decimal("50.00")


def test_breakdown_by_institution_type_and_instrument(world):
    kinds = {r.label: r.figures for r in report.breakdown("institution_kind")}
    assert (kinds["银行"].interests, kinds["银行"].contacted, kinds["银行"].credit_amount,
            kinds["银行"].disbursed_amount) == (3, 2, Decimal("2500.00"), Decimal("1500.50"))
    assert (kinds["保险机构"].interests, kinds["保险机构"].credited, kinds["保险机构"].credit_amount) == (
        2, 1, Decimal("1500.00"))
    instruments = {r.label: r.figures.interests for r in report.breakdown("instrument")}
    assert instruments == {"项目贷款": 4, "保险资金/债权投资计划": 1}
    institutions = {r.label: r.figures.needs for r in report.breakdown("institution")}
    assert institutions == {"成都银行股份有限公司": 3, "中国人寿保险四川省分公司": 2}


def test_breakdown_by_edition_counts_its_needs(world, admin):
    rows = report.breakdown("edition")
    assert [(r.label, r.figures.listed, r.figures.contacted) for r in rows] == [("2026年第5期", 4, 2)]


def test_coverage_lists_followers_and_interests_by_stage(world):
    needs = db.session.scalars(coverage.coverage_query()).all()
    assert [n.project.name for n in needs] == ["项目A", "项目B", "项目C", "项目D"]
    rows = {n.project.name: c for n, c in zip(needs, coverage.coverage_of(needs).values(), strict=True)}
    assert rows["项目A"].listed_at == world["listed_at"]
    assert (rows["项目A"].followers, rows["项目A"].by_status) == (1, {InterestStatus.submitted: 1})
    assert rows["项目B"].by_status == {InterestStatus.contacted: 1, InterestStatus.approved: 1}
    assert (rows["项目C"].by_status[InterestStatus.funded], rows["项目C"].ended, rows["项目C"].interests) == (1, 1, 2)
    assert (rows["项目D"].interests, rows["项目D"].followers) == (0, 0)


def test_needs_without_interest_n_days_after_listing(world):
    assert [n.project.name for n in db.session.scalars(
        coverage.coverage_query(without_interest_after=0))] == ["项目D"]
    # listed today: not overdue for a ten-year window
    assert db.session.scalars(coverage.coverage_query(without_interest_after=3650)).all() == []


def test_blocking_reasons_count_the_refusals(world):
    assert coverage.blocking_reasons() == [(RejectionReason.capital, 1, Decimal("3000.00"))]
    refused = db.session.scalars(coverage.refusals_query()).all()
    assert [(i.need.project.name, i.rejection_note) for i in refused] == [("项目C", "资本金到位比例不足20%")]
    assert db.session.scalars(coverage.refusals_query(reason=RejectionReason.cash_flow)).all() == []


# ---- working days and reminders ---------------------------------------------------------------
def test_working_days_follow_the_holiday_notice():
    assert not is_workday(date(2026, 10, 1))  # 国庆节
    assert is_workday(date(2026, 10, 10))  # Saturday worked in exchange (调休)
    assert add_workdays(date(2026, 9, 30), 3) == date(2026, 10, 10)  # 8th, 9th, then 10th
    assert workdays_between(date(2026, 9, 30), date(2026, 10, 9)) == 2
    assert add_workdays(date(2027, 3, 5), 1) == date(2027, 3, 8)  # beyond the notices: Mon–Fri


def _at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour - 8, tzinfo=UTC)  # Beijing time


def test_an_uncontacted_interest_is_reminded_once_after_the_working_days(app, owner_org, mailbox):
    app.config["INTEREST_CONTACT_WORKDAYS"] = 3
    need = factories.make_need(factories.make_project(org=owner_org, name="天府新区污水处理厂"),
                               status=NeedStatus.listed)
    bank = factories.make_user(factories.make_org(OrgKind.bank), email="manager@bank.cn")
    waiting = factories.make_interest(need, bank, created_at=_at(date(2026, 9, 30)))
    contacted = factories.make_interest(need, factories.make_user(factories.make_org(OrgKind.bank)),
                                        InterestStatus.contacted, created_at=_at(date(2026, 9, 30)))
    db.session.commit()
    version = waiting.version

    assert reminders.send_reminders(_at(date(2026, 10, 9), 18)) == 0  # two working days so far
    assert reminders.send_reminders(_at(date(2026, 10, 10))) == 1  # the Saturday worked counts
    db.session.commit()
    assert reminders.send_reminders(_at(date(2026, 10, 12))) == 0  # once only
    db.session.commit()

    db.session.refresh(waiting)
    assert waiting.reminded_at is not None and waiting.version == version
    notices = db.session.query(Notification).filter_by(user_id=bank.id, kind="interest_uncontacted").all()
    assert len(notices) == 1 and notices[0].link == f"/interests/{waiting.id}"
    assert contacted.reminded_at is None
    [mail] = mailbox.to("manager@bank.cn")
    assert "天府新区污水处理厂" in mail["Subject"] and "3 个工作日" in mailbox.body(mail)
    assert db.session.query(Job).filter_by(kind="mail.send").count() == 1


def test_the_remind_command_sends_and_says_how_many(app, runner, owner_org):
    app.config["INTEREST_CONTACT_WORKDAYS"] = 0
    need = factories.make_need(factories.make_project(org=owner_org), status=NeedStatus.listed)
    factories.make_interest(need, factories.make_user(factories.make_org(OrgKind.bank)))
    db.session.commit()
    result = runner.invoke(args=["interests", "remind"])
    assert result.exit_code == 0 and "1 reminder(s) sent" in result.output


def test_an_offer_whose_validity_ends_soon_is_reminded_once_and_again_after_a_new_date(app, owner_org, mailbox):
    app.config["INTEREST_VALIDITY_NOTICE_DAYS"] = 7
    today = formatting.today()

    def interest(email, valid_until, status=InterestStatus.submitted, **kw):
        need = factories.make_need(factories.make_project(org=owner_org, name=f"{email}项目"),
                                   status=NeedStatus.listed)
        return factories.make_interest(need, factories.make_user(factories.make_org(OrgKind.bank), email=email),
                                       status, valid_until=valid_until, **kw)

    ending = interest("ending@bank.cn", today + timedelta(days=3))
    later = interest("later@bank.cn", today + timedelta(days=30))
    credited = interest("credited@bank.cn", today + timedelta(days=2), InterestStatus.approved,
                        credit_amount=Decimal("100.00"), credit_date=today)
    db.session.commit()
    version = ending.version

    assert reminders.send_validity_reminders() == 1
    db.session.commit()
    assert reminders.send_validity_reminders() == 0  # once only
    db.session.commit()
    db.session.refresh(ending)
    assert ending.validity_reminded_at is not None and ending.version == version  # not an edit
    assert later.validity_reminded_at is None and credited.validity_reminded_at is None
    [mail] = mailbox.to("ending@bank.cn")
    assert "ending@bank.cn项目" in mail["Subject"] and (today + timedelta(days=3)).isoformat() in mail["Subject"]
    assert "请更新有效期" in mailbox.body(mail)
    [notice] = db.session.query(Notification).filter_by(kind="interest_validity_ending").all()
    assert notice.link == f"/interests/{ending.id}"

    user = db.session.get(User, ending.created_by_id)
    interests.update_interest(user, ending, factories.interest_data(valid_until=today + timedelta(days=5)),
                              version=None)
    db.session.commit()
    assert ending.validity_reminded_at is None
    assert reminders.send_validity_reminders() == 1  # the new date ends soon too: told again
