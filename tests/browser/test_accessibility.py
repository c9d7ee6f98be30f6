"""The deal pages checked with axe-core in headless Chromium, in Chinese, as a bank, an owner
and an admin see them on a small world of needs, interests and a conversation: no fault
that axe rates serious or critical (a control without a name, text too faint to read, a
duplicated id, a broken list or landmark)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from app.extensions import db
from app.models import InterestStatus, NeedStatus, RejectionReason
from app.reference import Instrument
from app.services import editions, exports, formatting, interests, preferences
from tests import factories
from tests.browser import test_journeys
from tests.browser.test_journeys import log_in

browser_context_args = test_journeys.browser_context_args
site = test_journeys.site

DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
READY = dict(funds_secured=Decimal("40000.00"))  # no red readiness flag: the edition publishes
BLOCKING = {"serious", "critical"}
PROJECT = "天府大道北延线综合管廊工程"
QUESTION, ANSWER = "请提供可研批复及资本金到位证明。", "可研批复已上传，请查收。"


@pytest.fixture
def world(owner, institution, bank_b, admin, monkeypatch):
    """Three needs of the owner listed in a published edition, with interests of two banks at
    different steps (one talked over, one funded, one withdrawn), and a preference profile
    for 为您推荐."""
    monkeypatch.setattr(exports, "edition_pdf", lambda meta, items: b"%PDF-1.7 test")
    project = factories.make_project(owner.org, name=PROJECT, industry_code="48")
    need = factories.make_need(project, status=NeedStatus.approved, amount=Decimal("50000.00"),
                               instruments=[Instrument.project_loan], **READY)
    funded = factories.make_need(org=owner.org, status=NeedStatus.approved, amount=Decimal("8000.00"), **READY)
    ended = factories.make_need(org=owner.org, status=NeedStatus.approved, amount=Decimal("12000.00"), **READY)
    editions.publish_edition(editions.open_draft(2026, 6, by=admin), by=admin)
    today = formatting.today()
    talked = factories.make_interest(need, institution, InterestStatus.due_diligence)
    factories.make_interest(need, bank_b, InterestStatus.submitted, amount=Decimal("30000.00"))
    factories.make_interest(funded, institution, InterestStatus.funded,
                            disbursed=[("3000.00", today - timedelta(days=3))])
    factories.make_interest(ended, institution, InterestStatus.withdrawn)  # in the folded column
    factories.make_interest(ended, bank_b, InterestStatus.rejected, rejection_reason=RejectionReason.permits)
    factories.make_follow(need, institution)
    interests.post_message(institution, talked, QUESTION)
    interests.post_message(owner, talked, ANSWER)
    preferences.save_profile(institution.org, {"industries": ["48"], "instruments": ["project_loan"],
                                               "amount_min": Decimal("10000"),
                                               "amount_max": Decimal("100000")},
                             version=0, by=institution)
    db.session.commit()
    return {"need": need, "unasked": funded, "interest": talked}


def faults(page) -> list[str]:
    """axe-core's serious and critical violations on the page, one line per element."""
    found = Axe().run(page).response["violations"]
    return [f"{page.url}: {v['id']} ({v['impact']}) at {', '.join(map(str, node['target']))}: {why(node)}"
            for v in found if v["impact"] in BLOCKING for node in v["nodes"]]


def why(node) -> str:
    """axe's own words for what is wrong with the element (with the colours and their ratio,
    for contrast)."""
    checks = node["any"] + node["all"] + node["none"]
    return "; ".join(c["message"] for c in checks if c.get("message")) or node.get("failureSummary", "")


def test_the_deal_pages_have_no_serious_accessibility_faults(site, page, world, institution, owner, bank_b,
                                                             admin):
    need, interest = world["need"], world["interest"]
    # Each page with its heading and something the user came to it for; the board and the
    # tables that scroll sideways on a phone are checked at its width too.
    visits = {
        institution: [("/interests/", "我的融资意向", PROJECT),
                      ("/interests/?view=board", "我的融资意向", "展开1条已终止意向", PHONE),
                      (f"/interests/{interest.id}", f"融资意向 #{interest.id}", ANSWER),
                      ("/recommendations", "为您推荐", PROJECT),
                      ("/preferences", "投资偏好", "保存投资偏好")],
        bank_b: [(f"/needs/{world['unasked'].id}/interest", "表达融资意向", "发送给项目业主")],
        owner: [(f"/needs/{need.id}", f"融资需求 #{need.id}", "乙银行股份有限公司"),
                (f"/interests/{interest.id}", f"融资意向 #{interest.id}", QUESTION),
                ("/interests/", "融资意向", "审批未通过", PHONE)],
        admin: [("/admin/financing", "融资对接成效", "龙泉驿区", PHONE),
                ("/admin/financing/coverage", "融资对接成效", PROJECT),
                ("/admin/financing/refusals", "融资对接成效", "手续不全")],
    }
    found = []
    for user, pages in visits.items():
        page.set_viewport_size(DESKTOP)
        page.context.clear_cookies()
        log_in(page, site, user)
        for path, heading, shows, *narrow in pages:
            page.goto(site + path)
            for size in [DESKTOP, *narrow]:
                page.set_viewport_size(size)
                expect(page.get_by_role("heading", level=1)).to_contain_text(heading)
                expect(page.get_by_role("main")).to_contain_text(shows)
                found += [f"{size['width']} px {fault}" for fault in faults(page)]
            page.set_viewport_size(DESKTOP)
    assert not found, "axe-core finds serious or critical faults:\n" + "\n".join(found)
