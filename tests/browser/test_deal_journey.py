"""The journey of a deal in headless Chromium, in Chinese, with CSRF protection on: a bank
finds a listed need in 为您推荐, follows it, expresses interest and writes to the owner; the
owner sees the interest and answers; the bank records contact, due diligence, 授信 and a
放款; the owner closes the need as financed. Each side works in a browser of its own."""

import re
from decimal import Decimal

from playwright.sync_api import expect

from app.extensions import db
from app.models import NeedStatus
from app.reference import Instrument, OrgKind
from app.services import formatting, preferences
from tests import factories
from tests.browser import test_journeys
from tests.browser.test_journeys import BROWSER, log_in, status_badge

# The journeys' fixtures: a browser in Chengdu, in Chinese, on the live server with CSRF on.
browser_context_args = test_journeys.browser_context_args
site = test_journeys.site


def form_of(page, button: str):
    """The form holding the button a user would press (the interest page has several)."""
    return page.locator("form").filter(has=page.get_by_role("button", name=button, exact=True))


def alert(page, text: str):
    return page.get_by_role("alert").filter(has_text=text)


def take_step(page, button: str, fields: dict, *, told: str, status: str):
    """Fill the step's form, press its button, and see the flash and the interest's new status."""
    form = form_of(page, button)
    for label, value in fields.items():
        form.get_by_label(label).fill(value)
    form.get_by_role("button", name=button).click()
    expect(alert(page, told)).to_be_visible()
    expect(status_badge(page)).to_have_text(status)


def test_a_bank_carries_a_recommended_need_to_disbursement_and_the_owner_closes_it(site, page, browser, tmp_path):
    owner = factories.make_user(factories.make_org(OrgKind.owner, name="成都天府城投集团有限公司"),
                                email="owner@example.cn", name="业主经办人")
    bank = factories.make_user(factories.make_org(OrgKind.bank, name="成都银行股份有限公司", short_name="成都银行"),
                               email="bank@example.cn", name="客户经理")
    name = "天府大道北延线综合管廊工程"
    need = factories.make_need(factories.make_project(owner.org, name=name, industry_code="48"),
                               status=NeedStatus.listed, amount=Decimal("50000.00"),
                               funds_secured=Decimal("10000.00"), instruments=[Instrument.project_loan])
    factories.make_need(org=owner.org, status=NeedStatus.listed, amount=Decimal("800.00"))  # a weaker match
    preferences.save_profile(bank.org, {"industries": ["48"], "instruments": ["project_loan"],
                                        "amount_min": Decimal("10000"), "amount_max": Decimal("100000")},
                             version=0, by=bank)
    db.session.commit()
    today = formatting.today().isoformat()

    # 为您推荐: the need ranks first, with the reasons of its score.
    log_in(page, site, bank)
    page.get_by_role("banner").get_by_role("link", name="为您推荐").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("为您推荐")
    first = page.locator("table.cp-recommendations tbody tr").first
    expect(first).to_contain_text(name)
    expect(first.locator(".cp-reason").filter(has_text="行业匹配")).to_be_visible()
    expect(first).to_contain_text("5 亿元")
    page.screenshot(path=tmp_path / "recommendations.png", full_page=True)
    first.get_by_role("link", name=name).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"融资需求 #{need.id}")
    expect(status_badge(page)).to_have_text("已列入清单")

    # 关注, then 表达融资意向.
    page.get_by_role("button", name="关注", exact=True).click()
    expect(alert(page, "已关注该融资需求")).to_be_visible()
    expect(page.get_by_role("button", name="取消关注")).to_be_visible()
    page.get_by_role("link", name="表达融资意向").click()
    page.get_by_label("融资方式").select_option(label="项目贷款")
    page.get_by_label("融资产品").fill("固定资产贷款")
    page.get_by_label("意向金额（万元）").fill("40000")
    page.get_by_label("利率（年化，%）").fill("3.45")
    page.get_by_label("融资期限（月）").fill("120")
    page.get_by_label("致项目业主的留言").fill("我行有意参与本项目融资。")
    page.get_by_role("button", name="发送给项目业主").click()
    expect(alert(page, "融资意向已发送给项目业主。")).to_be_visible()
    expect(status_badge(page)).to_have_text("已提交意向")
    expect(page.locator("dl.cp-fields").first).to_contain_text("4 亿元")
    interest_url = page.url

    # ... and writes to the owner in the interest's conversation.
    question = "请提供可研批复及资本金到位证明。"
    conversation = page.locator("#conversation")
    conversation.get_by_label("留言").fill(question)
    conversation.get_by_role("button", name="发送").click()
    expect(alert(page, "消息已发送。")).to_be_visible()
    expect(conversation).to_contain_text(question)

    # The owner, in a browser of its own, sees the interest on the need's page and the
    # unread message, and answers it.
    owner_page = browser.new_context(**BROWSER).new_page()
    log_in(owner_page, site, owner)
    owner_page.goto(f"{site}/needs/{need.id}")
    row = owner_page.locator("#interests").get_by_role("row").filter(has_text="成都银行股份有限公司")
    expect(row).to_contain_text("4 亿元")
    expect(row.locator(".cp-status")).to_have_text("已提交意向")
    expect(owner_page.locator("#interests")).to_contain_text("1位关注者")
    row.get_by_role("link", name="成都银行股份有限公司").click()
    owner_conversation = owner_page.locator("#conversation")
    expect(owner_conversation.locator(".card-header .badge")).to_have_text("1 条未读")
    expect(owner_conversation).to_contain_text(question)
    answer = "可研批复及资本金到位证明已上传，请查收。"
    owner_conversation.get_by_label("留言").fill(answer)
    owner_conversation.get_by_role("button", name="发送").click()
    expect(alert(owner_page, "消息已发送。")).to_be_visible()
    expect(owner_conversation.locator(".card-header .badge")).to_have_count(0)  # read on opening

    # The bank sees the answer as unread, then records each step.
    page.goto(interest_url)
    expect(conversation.locator(".card-header .badge")).to_have_text("1 条未读")
    expect(conversation).to_contain_text(answer)
    take_step(page, "记录首次接洽", {"备注": "已电话联系项目财务负责人。"}, told="融资意向进展已登记", status="已对接")
    take_step(page, "开始尽职调查", {}, told="融资意向进展已登记", status="尽职调查")
    take_step(page, "登记授信", {"授信金额（万元）": "40000", "授信日期": today, "条件": "按工程进度分期提款"},
              told="授信信息已登记", status="已授信")
    offer = page.locator("dl.cp-fields").first
    expect(offer).to_contain_text(f"4 亿元（{today}）")
    take_step(page, "登记放款", {"放款金额（万元）": "16000", "放款日期": today, "备注": "首笔放款"},
              told="放款信息已登记", status="已放款")
    expect(page.locator("#disbursements")).to_contain_text("1.6 亿元")
    expect(offer).to_contain_text(re.compile(r"累计放款\s*1\.6 亿元"))
    expect(page.locator("#timeline li")).to_contain_text([
        "表达融资意向", "发送消息", "发送消息", "状态变更为“已对接”", "状态变更为“尽职调查”",
        "状态变更为“已授信”", "登记授信", "状态变更为“已放款”", "登记放款"])
    page.screenshot(path=tmp_path / "interest-funded.png", full_page=True)

    # The owner sees the credit and the tranche on the need and closes it as financed.
    owner_page.goto(f"{site}/needs/{need.id}")
    interests_card = owner_page.locator("#interests")
    expect(interests_card).to_contain_text("已授信4 亿元，已放款1.6 亿元，需求金额5 亿元。")
    expect(interests_card.locator(".cp-status")).to_have_text("已放款")
    interests_card.get_by_label("备注").fill("已与成都银行签订固定资产贷款合同。")
    interests_card.get_by_role("button", name="按融资完成关闭").click()
    expect(alert(owner_page, "融资需求已按融资完成关闭")).to_be_visible()
    expect(status_badge(owner_page)).to_have_text("已融资")
    owner_page.screenshot(path=tmp_path / "need-financed.png", full_page=True)
    owner_page.context.close()

    # The bank is told, and its interest shows the need financed.
    page.goto(interest_url)
    expect(page.locator(".cp-page-title .text-muted")).to_contain_text(f"{name} · 成都天府城投集团有限公司 · 已融资")
    expect(status_badge(page)).to_have_text("已放款")
    notifications = page.get_by_role("link", name=re.compile("消息通知"))
    expect(notifications.locator(".badge")).to_have_text("3")  # the answer, the closing, as follower
    notifications.click()
    unread = page.locator(".list-group-item.cp-unread")
    expect(unread.filter(has_text="已与成都银行签订固定资产贷款合同。")).to_contain_text(f"融资需求已关闭：{name}")
    expect(unread.filter(has_text=f"关注的融资需求已关闭：{name}")).to_be_visible()
    expect(unread.filter(has_text=f"“{name}”融资对接有新消息")).to_be_visible()
    page.screenshot(path=tmp_path / "bank-notifications.png", full_page=True)
