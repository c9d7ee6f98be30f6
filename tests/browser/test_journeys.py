"""Two real journeys in headless Chromium, in Chinese (the default language), with CSRF
protection on as in production: the Foundation review cycle of a financing need, and
compiling, publishing and reading a list edition."""

import re
from decimal import Decimal

import openpyxl
import pytest
from playwright.sync_api import expect

from app.extensions import db
from app.models import NeedStatus, Role
from app.reference import OrgKind
from tests import factories

PLATFORM = "重点项目融资对接平台"
BROWSER = {"locale": "zh-CN", "timezone_id": "Asia/Shanghai"}  # a user in Chengdu


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, **BROWSER}


@pytest.fixture
def site(app, live_server):
    """The live server with the forms' CSRF protection on (tests turn it off elsewhere;
    the config is restored after the test)."""
    app.config["WTF_CSRF_ENABLED"] = True
    return live_server


def log_in(page, site, user):
    page.goto(f"{site}/login")
    page.get_by_label("电子邮箱").fill(user.email)
    page.get_by_label("密码").fill(factories.PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page.get_by_role("button", name=user.name)).to_be_visible()


def status_badge(page):
    return page.locator("h1 .cp-status")


# Draws characters on a canvas in the brand text's own font and returns the pixels. Two different
# Chinese characters drawn with a font that has them differ; without a CJK font both are
# the same "tofu" box, as is a code point no font has (U+0378, unassigned).
GLYPHS_JS = """([selector, chars]) => {
  const font = getComputedStyle(document.querySelector(selector)).font;
  return chars.map((ch) => {
    const canvas = document.createElement("canvas");
    canvas.width = 64; canvas.height = 64;
    const ctx = canvas.getContext("2d");
    ctx.font = font.replace(/\\d+(\\.\\d+)?px/, "40px");
    ctx.fillText(ch, 4, 48);
    return Array.from(ctx.getImageData(0, 0, 64, 64).data).join(",");
  });
}"""


def assert_chinese_renders(page):
    brand = page.locator(".cp-brand-text")
    expect(brand).to_have_text(PLATFORM)
    expect(page).to_have_title(re.compile(PLATFORM))
    rong, zi, missing = page.evaluate(GLYPHS_JS, [".cp-brand-text", ["融", "资", "\u0378"]])
    blank = ",".join(["0"] * 64 * 64 * 4)
    assert rong != blank and zi != blank
    assert rong != zi, "two Chinese characters render as the same box: no CJK font"
    assert rong != missing, "a Chinese character renders as the missing-glyph box"
    # And the browser says which font drew the heading: Noto CJK (fonts-noto-cjk).
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument")["root"]["nodeId"]
    node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": ".cp-brand-text"})["nodeId"]
    fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
    cdp.detach()
    assert any("CJK" in f["familyName"] and f["glyphCount"] >= len(PLATFORM) for f in fonts), fonts


def test_owner_need_is_returned_resubmitted_and_approved(site, page, browser, tmp_path):
    owner = factories.make_user(factories.make_org(OrgKind.owner, name="成都天府城投集团有限公司"),
                                email="owner@example.cn", name="业主经办人")
    admin = factories.make_user(factories.make_org(OrgKind.government, name="成都市发展和改革委员会"),
                                Role.admin, email="admin@example.cn", name="审核员")
    db.session.commit()
    name = "天府大道北延线综合管廊工程"

    # The owner creates the project, filling every required field of the form.
    log_in(page, site, owner)
    page.get_by_role("banner").get_by_role("link", name="项目", exact=True).click()
    page.get_by_role("link", name="新增项目").click()
    page.get_by_label("项目名称").fill(name)
    page.get_by_label("项目代码").fill("2026-510112-48-01-000321")
    page.get_by_label("项目级别").select_option(label="市重点项目")
    page.get_by_label("项目类别").select_option(label="基础设施")
    page.get_by_label("所属行业").select_option("48")
    page.get_by_label("所属区（市）县").select_option(label="龙泉驿区")
    page.get_by_label("总投资（万元）").fill("150000")
    page.get_by_label("年度计划投资（万元）").fill("30000")
    page.get_by_label("项目阶段").select_option(label="在建")
    page.get_by_label("计划开工时间").fill("2026-03-01")
    page.get_by_label("计划竣工时间").fill("2028-12-31")
    page.get_by_label("重点推进项目").check()
    page.get_by_label("项目简介").fill("城市综合管廊及配套道路建设。")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(name)
    expect(page.get_by_role("alert").filter(has_text=f"项目“{name}”已创建")).to_be_visible()

    # ... and its financing need, then submits it.
    page.get_by_role("link", name="新增融资需求").click()
    page.get_by_label("拟融资金额（万元）").fill("50000")
    page.get_by_label("融资期限（月）").fill("120")
    page.get_by_label("可接受融资成本上限（年化，%）").fill("4.20")
    page.get_by_role("checkbox", name="项目贷款").check()
    page.get_by_role("checkbox", name="银团贷款").check()
    page.get_by_label("资金用途").fill("主体工程建设及管廊设备采购")
    page.get_by_role("checkbox", name="抵押").check()
    page.get_by_label("已落实融资（万元）").fill("40000")
    page.get_by_label("联系人", exact=True).fill("张伟")
    page.get_by_label("联系电话").fill("028-12345678")
    page.get_by_label("联系邮箱").fill("zhangwei@example.cn")
    page.get_by_role("button", name="保存").click()
    expect(status_badge(page)).to_have_text("草稿")
    need_url = page.url
    page.get_by_role("button", name="提交审核").click()
    expect(page.get_by_role("alert").filter(has_text="融资需求已提交审核。")).to_be_visible()
    expect(status_badge(page)).to_have_text("待审核")

    # The administrator, in a browser of their own, returns it with a comment.
    admin_page = browser.new_context(**BROWSER).new_page()
    log_in(admin_page, site, admin)
    admin_page.get_by_role("banner").get_by_role("link", name="需求审核").click()
    admin_page.get_by_role("row").filter(has_text=name).get_by_role("link", name=name).click()
    comment = "请补充资本金到位证明，并核实融资期限。"
    admin_page.get_by_label("需要项目业主修改哪些内容？").fill(comment)
    admin_page.get_by_role("button", name="退回修改").click()
    expect(admin_page.get_by_role("alert").filter(has_text="融资需求已退回修改")).to_be_visible()
    expect(status_badge(admin_page)).to_have_text("已退回")

    # The owner sees the status and the comment, edits the need and resubmits it.
    page.reload()
    expect(status_badge(page)).to_have_text("已退回")
    expect(page.get_by_role("alert").filter(has_text="已退回修改。")).to_contain_text(comment)
    page.get_by_role("link", name="编辑", exact=True).click()
    page.get_by_label("融资期限（月）").fill("96")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_role("alert").filter(has_text="融资需求已保存。")).to_be_visible()
    expect(page.locator("dl.cp-fields").first).to_contain_text("96 个月")
    page.get_by_role("button", name="提交审核").click()
    expect(status_badge(page)).to_have_text("待审核")

    # The administrator approves it.
    admin_page.reload()
    admin_page.get_by_role("button", name="审核通过").click()
    expect(admin_page.get_by_role("alert").filter(has_text="融资需求已审核通过")).to_be_visible()
    expect(status_badge(admin_page)).to_have_text("审核通过")
    admin_page.context.close()

    # The owner sees it approved and has unread notifications about it.
    page.goto(need_url)
    expect(status_badge(page)).to_have_text("审核通过")
    notifications = page.get_by_role("link", name=re.compile("消息通知"))
    expect(notifications.locator(".badge")).to_have_text("2")
    page.screenshot(path=tmp_path / "need-approved.png", full_page=True)
    assert_chinese_renders(page)
    notifications.click()
    approved = page.locator(".list-group-item.cp-unread").filter(has_text=f"融资需求已审核通过：{name}")
    expect(approved).to_be_visible()
    expect(page.locator(".list-group-item.cp-unread").filter(has_text=comment)).to_be_visible()
    page.screenshot(path=tmp_path / "notifications.png", full_page=True)


def test_admin_publishes_edition_and_institution_reads_it(site, page, browser, tmp_path):
    admin = factories.make_user(factories.make_org(OrgKind.government, name="成都市发展和改革委员会"),
                                Role.admin, email="admin@example.cn", name="审核员")
    bank = factories.make_user(factories.make_org(OrgKind.bank, name="成都银行股份有限公司", short_name="成都银行"),
                               email="bank@example.cn", name="客户经理")
    owner_org = factories.make_org(OrgKind.owner, name="成都天府城投集团有限公司")
    thin = factories.make_need(
        factories.make_project(owner_org, name="天府大道北延线道路工程", district_code="510112"),
        status=NeedStatus.approved, funds_secured=Decimal("1000.00"),  # 0.7 % capital: red
        contact_name="李娜", contact_phone="028-87654321", contact_email="lina@example.cn")
    sound = factories.make_need(
        factories.make_project(owner_org, name="锦江区城市更新片区改造项目", district_code="510104"),
        status=NeedStatus.approved, funds_secured=Decimal("40000.00"))
    db.session.commit()
    names = [thin.project.name, sound.project.name]

    # The administrator compiles 2026 No. 3: the thin project gets a red flag.
    log_in(page, site, admin)
    page.get_by_role("banner").get_by_role("link", name="融资需求清单").click()
    page.get_by_label("年度").fill("2026")
    page.get_by_label("期次").select_option("3")
    page.get_by_role("button", name="编制或打开草稿").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("2026年第3期（5–6月）")
    expect(page.get_by_text("有 1 项红灯")).to_be_visible()
    row = page.get_by_role("row").filter(has_text=names[0])
    flag = row.locator(".cp-flag-red")
    expect(flag).to_contain_text("低于项目资本金最低比例 20%")
    expect(page.get_by_role("row").filter(has_text=names[1])).to_contain_text("检查通过")
    page.screenshot(path=tmp_path / "edition-red-flag.png", full_page=True)

    # ... justifies it (yellow, the reason kept) and publishes.
    reason = "区财政已承诺注入资本金，批复文件已备案。"
    row.get_by_role("textbox", name="说明理由").fill(reason)
    row.get_by_role("button", name="说明理由").click()
    expect(page.get_by_role("alert").filter(has_text="理由已记录。")).to_be_visible()
    expect(page.get_by_text("发布前检查均已通过或已说明理由。")).to_be_visible()
    expect(row.locator(".cp-flag-yellow")).to_contain_text(reason)
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="发布", exact=True).click()
    expect(page.get_by_role("alert").filter(has_text="已发布")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("融资需求清单 2026年第3期（5–6月）")
    for name in names:
        expect(page.get_by_role("link", name=name)).to_be_visible()
    page.screenshot(path=tmp_path / "edition-published.png", full_page=True)

    # A verified institution reads it: filters by district, searches in Chinese.
    reader = browser.new_context(**BROWSER, accept_downloads=True).new_page()
    log_in(reader, site, bank)
    reader.goto(f"{site}/editions/2026-3")
    reader.get_by_label("所属区（市）县").select_option(label="锦江区")
    reader.get_by_role("button", name="筛选", exact=True).click()
    expect(reader.locator(".cp-list-total")).to_have_text(re.compile(r"^共 1 项，融资需求合计 \S+ [万亿]元$"))
    expect(reader.get_by_role("link", name=names[1])).to_be_visible()
    expect(reader.get_by_role("link", name=names[0])).to_have_count(0)

    reader.get_by_label("所属区（市）县").select_option("")
    reader.get_by_label("关键词（项目名称、业主、简介）").fill("北延线")
    reader.get_by_role("button", name="筛选", exact=True).click()
    expect(reader.get_by_role("link", name=names[1])).to_have_count(0)
    expect(reader.locator(".cp-list-total")).to_have_text(re.compile(r"^共 1 项，融资需求合计 \S+ [万亿]元$"))
    expect(reader.get_by_role("link", name=names[0])).to_be_visible()
    reader.screenshot(path=tmp_path / "edition-search.png", full_page=True)

    # ... opens the item and sees the contact details.
    reader.get_by_role("link", name=names[0]).click()
    expect(reader.get_by_role("heading", level=1)).to_contain_text(names[0])
    contact = reader.locator(".card").filter(has=reader.get_by_text("联系方式", exact=True))
    expect(contact).to_contain_text("李娜")
    expect(contact).to_contain_text("028-87654321")
    expect(contact).to_contain_text("lina@example.cn")
    reader.screenshot(path=tmp_path / "edition-item.png", full_page=True)

    # ... downloads what a filter selects, with the contact details ...
    reader.get_by_role("link", name="2026年第3期（5–6月）").click()
    reader.get_by_label("所属区（市）县").select_option(label="龙泉驿区")
    reader.get_by_role("button", name="筛选", exact=True).click()
    with reader.expect_download() as download:
        reader.locator(".cp-selection").get_by_role("link", name="Excel").last.click()
    assert "筛选结果" in download.value.suggested_filename and "含联系方式" in download.value.suggested_filename
    selected_path = tmp_path / download.value.suggested_filename
    download.value.save_as(selected_path)
    selected = openpyxl.load_workbook(selected_path, read_only=True).worksheets[0]
    rows = [r for r in selected.iter_rows(values_only=True)]
    assert "筛选结果" in rows[0][0] and rows[2][2] == names[0] and "028-87654321" in rows[2]

    # ... and the official Excel file of the whole edition.
    with reader.expect_download() as download:
        reader.get_by_role("link", name="Excel").first.click()
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    assert path.suffix == ".xlsx"
    workbook = openpyxl.load_workbook(path, read_only=True)
    cells = {str(v) for ws in workbook.worksheets for r in ws.iter_rows(values_only=True) for v in r if v}
    for name in names:
        assert name in cells
