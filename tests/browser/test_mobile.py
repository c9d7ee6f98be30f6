"""Phones and desktops in headless Chromium: at 390 px the edition list is cards with no
sideways scrolling and its filters fold behind a button that counts them; at 1280 px the
table shows, owner names on one line. And the admin's users filter by organisation name."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from app.extensions import db
from app.models import NeedStatus, Role
from app.reference import Instrument, OrgKind
from app.services import editions, exports
from tests import factories
from tests.browser.test_journeys import BROWSER

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
LONG_OWNER = "成都天府新区城市建设投资开发集团有限责任公司"


@pytest.fixture
def site(app, live_server):
    """The live server with CSRF protection on, as in tests.browser.test_journeys."""
    app.config["WTF_CSRF_ENABLED"] = True
    return live_server


@pytest.fixture
def edition(app, monkeypatch):
    monkeypatch.setattr(exports, "edition_pdf", lambda meta, items: b"%PDF-1.7 test")
    admin = factories.make_user(factories.make_org(OrgKind.government, name="成都市发展和改革委员会"), Role.admin)
    owner_org = factories.make_org(OrgKind.owner, name=LONG_OWNER)
    for n, district in enumerate(("510104", "510112", "510104", "510116")):
        project = factories.make_project(owner_org, name=f"天府新区第{n + 1}号片区城市更新及综合管廊配套工程",
                                         district_code=district)
        factories.make_need(project, status=NeedStatus.approved, funds_secured=Decimal("40000.00"),
                            instruments=[Instrument.project_loan, Instrument.syndicated_loan, Instrument.bond])
    draft = editions.open_draft(2026, 6, by=admin)
    editions.publish_edition(draft, by=admin)
    db.session.commit()
    return draft


def log_in(page, site, user):
    """As tests.browser.test_journeys.log_in, but on a phone the user menu is folded."""
    page.goto(f"{site}/login")
    page.get_by_label("电子邮箱").fill(user.email)
    page.get_by_label("密码").fill(factories.PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{user.name}，您好")


def _context(browser, viewport):
    return browser.new_context(viewport=viewport, **BROWSER)


def test_phone_reads_the_edition_as_cards_with_folded_filters(site, browser, edition, tmp_path):
    page = _context(browser, PHONE).new_page()
    page.goto(f"{site}/editions/2026-6")
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 390
    table = page.locator("table.cp-edition-table")
    assert table.locator("tbody tr").first.evaluate("tr => getComputedStyle(tr).display") == "flex"
    assert table.locator("thead").evaluate("h => h.getBoundingClientRect().height") <= 1  # headers for screen readers only
    card = table.locator("tbody tr").first
    box = card.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390
    expect(card).to_contain_text("天府新区第1号片区")
    expect(card).to_contain_text(LONG_OWNER)  # the whole name, wrapped, on a phone
    amount = card.locator(".cp-card-amount")
    expect(amount).to_have_text("5 亿元")
    assert amount.evaluate("el => getComputedStyle(el, '::before').content") == '"拟融资金额"'
    expect(card.locator(".cp-card-tag").filter(has_text="锦江区")).to_be_visible()
    page.screenshot(path=tmp_path / "edition-390.png", full_page=True)

    # The filters are folded behind a button; opening it shows them, and a filtered page
    # says how many filters are active.
    toggle = page.get_by_role("button", name="筛选条件")
    expect(toggle).to_have_text("筛选条件")
    expect(page.get_by_label("所属区（市）县")).not_to_be_visible()
    toggle.click()
    # the form is usable once Bootstrap's unfolding has finished ("collapsing" → "collapse show")
    expect(page.locator("#edition-filters")).to_have_class(re.compile(r"\bcollapse show\b"))
    expect(page.get_by_label("所属区（市）县")).to_be_visible()
    page.get_by_label("所属区（市）县").select_option(label="锦江区")
    page.get_by_label("融资方式").select_option(label="银团贷款")
    page.get_by_role("button", name="筛选", exact=True).click()
    page.wait_for_url(re.compile(r"district=510104"))
    expect(page.get_by_text(re.compile(r"^共 2 项，"))).to_be_visible()
    expect(page.get_by_role("button", name="筛选条件（2）")).to_be_visible()
    expect(page.get_by_label("所属区（市）县")).not_to_be_visible()
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 390
    page.screenshot(path=tmp_path / "edition-390-filtered.png", full_page=True)
    page.context.close()


def test_desktop_shows_the_table_with_one_line_owner_names(site, browser, edition, tmp_path):
    page = _context(browser, DESKTOP).new_page()
    page.goto(f"{site}/editions/2026-6")
    expect(page.get_by_role("columnheader", name="项目业主")).to_be_visible()
    assert page.locator("table.cp-edition-table tbody tr").first.evaluate(
        "tr => getComputedStyle(tr).display") == "table-row"
    expect(page.get_by_role("button", name="筛选条件")).not_to_be_visible()
    expect(page.get_by_label("所属区（市）县")).to_be_visible()
    owner = page.locator("table.cp-edition-table tbody tr").first.locator(".cp-card-owner .cp-truncate")
    expect(owner).to_have_attribute("title", LONG_OWNER)
    lines = owner.evaluate("el => Math.round(el.getBoundingClientRect().height / parseFloat(getComputedStyle(el).lineHeight))")
    assert lines == 1
    assert owner.evaluate("el => el.scrollWidth > el.clientWidth")  # cut with an ellipsis
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 1280
    page.screenshot(path=tmp_path / "edition-1280.png", full_page=True)
    page.context.close()


def test_admin_filters_users_by_organisation_name(site, browser, app, tmp_path):
    admin = factories.make_user(factories.make_org(OrgKind.government, name="成都市发展和改革委员会"),
                                Role.admin, email="admin@example.cn", name="管理员")
    factories.make_user(factories.make_org(OrgKind.bank, name="成都银行股份有限公司", short_name="成都银行"),
                        email="manager@cdbank.cn", name="客户经理")
    factories.make_user(factories.make_org(OrgKind.bank, name="中国农业银行股份有限公司四川省分行"),
                        email="officer@abchina.cn", name="信贷员")
    db.session.commit()
    for viewport in (DESKTOP, PHONE):
        page = _context(browser, viewport).new_page()
        log_in(page, site, admin)
        page.goto(f"{site}/admin/users")
        if viewport is PHONE:
            page.get_by_role("button", name="筛选条件").click()
            # the form slides open ("collapsing") before it is "show": act on it once open
            expect(page.locator("#user-filters")).to_have_class(re.compile(r"(^|\s)show(\s|$)"))
        field = page.get_by_label("单位", exact=True)
        expect(field).to_have_attribute("list", "org-names")
        assert "成都银行股份有限公司" in page.locator("#org-names option").evaluate_all("os => os.map(o => o.value)")
        field.fill("成都银行股份有限公司")
        field.press("Escape")  # close the datalist's suggestions, which may cover the button
        with page.expect_navigation():
            page.get_by_role("button", name="筛选", exact=True).click()
        expect(page.get_by_role("heading", level=1)).to_have_text("用户 · 成都银行")
        expect(page.get_by_role("link", name="客户经理")).to_be_visible()
        expect(page.get_by_role("link", name="信贷员")).to_have_count(0)
        assert page.evaluate("document.scrollingElement.scrollWidth") <= viewport["width"]
        page.screenshot(path=tmp_path / f"users-{viewport['width']}.png", full_page=True)
        page.context.close()
