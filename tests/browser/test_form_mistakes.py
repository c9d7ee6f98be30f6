"""In headless Chromium: an owner who fills the project form with several mistakes sees
all of them after one click, each under its field, with the input kept."""

import re

from playwright.sync_api import expect

from app.extensions import db
from app.reference import OrgKind
from tests import factories
from tests.browser.test_journeys import browser_context_args, log_in, site  # noqa: F401


def test_owner_sees_every_mistake_of_the_project_form_at_once(site, page):  # noqa: F811
    owner = factories.make_user(factories.make_org(OrgKind.owner, name="成都天府城投集团有限公司"),
                                email="owner@example.cn", name="业主经办人")
    db.session.commit()
    log_in(page, site, owner)
    page.goto(f"{site}/projects/new")
    # 项目名称 and 项目级别 left empty; a code of 锦江区 for a project in 龙泉驿区; the annual
    # investment above the total; a reserve project without its sub-stage; the planned
    # dates the wrong way round.
    page.get_by_label("项目代码").fill("2026-510104-48-01-000321")
    page.get_by_label("项目类别").select_option(label="基础设施")
    page.get_by_label("所属行业").select_option("48")
    page.get_by_label("所属区（市）县").select_option(label="龙泉驿区")
    page.get_by_label("总投资（万元）").fill("1000")
    page.get_by_label("年度计划投资（万元）").fill("2000")
    page.get_by_label("项目阶段").select_option(label="储备")
    page.get_by_label("计划开工时间").fill("2027-01-01")
    page.get_by_label("计划竣工时间").fill("2026-12-31")
    page.get_by_role("button", name="保存").click()

    expect(page.get_by_role("alert").filter(has_text="请修改标出的内容。")).to_be_visible()
    errors = page.locator(".invalid-feedback:visible")
    expect(errors).to_have_count(6)
    expected = {
        "项目名称": "此项为必填项。",
        "项目级别": "此项为必填项。",
        "项目代码": "项目代码中的行政区划代码（510104）与所选区（市）县不一致（龙泉驿区：510112）。",
        "年度计划投资（万元）": "年度计划投资不能超过总投资。",
        "储备阶段细分": "储备项目须选择储备阶段细分。",
        "计划竣工时间": "计划竣工时间不能早于计划开工时间。",
    }
    for label, message in expected.items():
        field = page.get_by_label(label, exact=True)
        expect(field).to_have_class(re.compile(r"\bis-invalid\b"))
        expect(field.locator("xpath=following-sibling::div[contains(@class,'invalid-feedback')]")
               ).to_have_text(message)
    expect(page.get_by_label("项目代码")).to_have_value("2026-510104-48-01-000321")
    expect(page.get_by_label("年度计划投资（万元）")).to_have_value("2000")
