"""The audit log reads like a record kept by a civil servant: actions, objects, fields and
values in words (labels, 万元/亿元, Beijing time, names), never JSON or stored codes; its
filters offer words; the filtered log exports to Excel (admins only, itself audited)."""

import io
import re
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from app.extensions import db
from app.models import AuditEntry, NeedStatus
from app.models.base import utcnow
from app.reference import Instrument, OrgKind
from app.services import accounts, audit, exports, formatting, needs, projects
from tests import factories
from tests.conftest import login
from tests.views.test_auth_views import html

CODES = ("financing_need.", "organization.", "project.update", "under_construction", "project_loan",
         "submitted", "approved", ">510104<", "org_id", "total_investment", "&#34;", "{", "}")


@pytest.fixture
def world(app, admin, owner):
    """An approved need, an edited project, a verified organisation, a changed role."""
    project = factories.make_project(org=owner.org, name="锦江区智慧停车场建设项目", district_code="510104",
                                     total_investment=Decimal("150000.00"))
    need = factories.make_need(project, status=NeedStatus.submitted, instruments=[Instrument.project_loan])
    needs.approve_need(need, by=admin)
    data = {**projects.project_form_data(project), "total_investment": Decimal("98000.00"),
            "annual_planned_investment": Decimal("8000.00"), "district_code": "510105",
            "code": project.code.replace("-510104-", "-510105-")}
    projects.update_project(project, data, version=project.version, by=owner)
    founder = accounts.register_organization(
        org_name="四川天府银行股份有限公司", credit_code_value="91510100633142770A", kind=OrgKind.bank,
        email="founder@tfbank.cn", name="李四", password="Tianfu-Bank-2026!")
    accounts.verify_organization(founder.org, by=admin)
    db.session.commit()
    return {"project": project, "need": need, "founder": founder}


def _body(page: str) -> str:
    """The page's main content (the table and the filters), without scripts and styles."""
    main = page[page.index("<h1"):]
    return re.sub(r"<(script|style)[^>]*>.*?</\1>", "", main, flags=re.S)


def test_the_log_reads_in_words_without_json_or_codes(client, admin, owner, world):
    login(client, admin)
    page = html(client.get("/admin/audit"))
    text = _body(page)
    table = text[text.index("<table"):]
    # actions and objects in words, the objects by name
    assert "状态变更为“审核通过”" in table
    assert "修改项目" in table
    assert "锦江区智慧停车场建设项目" in table
    assert "四川天府银行股份有限公司" in table
    # before/after as a table of field labels and displayed values
    assert "<th scope=\"col\">字段</th>" in table
    assert "总投资" in table and "15 亿元" in table and "9.8 亿元" in table
    assert "年度计划投资" in table and "3 亿元" in table and "8,000 万元" in table
    assert "锦江区" in table and "青羊区" in table
    assert "单位类型" in table and "银行" in table
    # who, by name and organisation
    assert "审核员" in table and "成都市发展和改革委员会" in table
    for code in CODES:
        assert code not in table, code


def test_times_are_beijing_time(client, admin, world):
    entry = db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id)).first()
    login(client, admin)
    table = _body(html(client.get("/admin/audit")))
    shown = entry.at.astimezone(formatting.TZ).strftime("%Y-%m-%d %H:%M")
    assert shown in table


def test_dates_enums_and_ids_of_a_stored_entry_are_displayed(app, admin, owner):
    org = owner.org
    need = factories.make_need(org=org)
    entry = audit.record("edition.add_item", object_type="edition", object_id=999, by=admin,
                         before={"planned_start": "2026-03-01", "stage": "reserve", "org_id": org.id,
                                 "is_priority": False, "instruments": ["bond", "equity"]},
                         after={"planned_start": "2026-04-01", "stage": "under_construction",
                                "need_id": need.id, "is_priority": True, "amount": "123456.78",
                                "filters": {"district": "510104", "instrument": "project_loan"}})
    db.session.commit()
    (line,) = audit.present([entry])
    shown = {c.label: (c.before, c.after) for c in line.changes}
    assert shown["计划开工时间"] == ("2026-03-01", "2026-04-01")
    assert shown["项目阶段"] == ("储备", "在建")
    assert shown["单位"] == (org.name, "")
    assert shown["融资需求"] == ("", need.project.name)
    assert shown["重点推进项目"] == ("否", "是")
    assert shown["拟融资金额"] == ("", "12.35 亿元")
    assert shown["融资方式"] == ("债券、股权融资", "")
    assert shown["筛选条件"] == ("", "所属区（市）县：锦江区；融资方式：项目贷款")
    assert line.object == "编号999"  # an object that no longer exists


def test_object_type_and_action_filters_offer_words(client, admin, world):
    login(client, admin)
    page = html(client.get("/admin/audit"))
    select = page[page.index('name="object_type"'):]
    select = select[:select.index("</select>")]
    assert '<option value="financing_need">融资需求</option>' in select
    assert '<option value="organization">单位</option>' in select
    actions = page[page.index('name="action"'):]
    actions = actions[:actions.index("</select>")]
    assert '<option value="financing_need.approved">状态变更为“审核通过”</option>' in actions
    assert ">financing_need." not in actions


@pytest.mark.parametrize("query, present, absent", [
    ("actor=审核员", "审核员", "业主经办人"),
    ("actor=founder@tfbank", "李四", "审核员"),
    ("object_type=project", "锦江区智慧停车场建设项目", "四川天府银行股份有限公司"),
    ("action=financing_need.approved", "审核通过", "四川天府银行股份有限公司"),
])
def test_filters_select_entries(client, admin, world, query, present, absent):
    login(client, admin)
    table = _body(html(client.get("/admin/audit?" + query)))
    table = table[table.index("<table"):]
    assert present in table and absent not in table


def test_excel_export_of_the_filtered_log(client, admin, owner, world):
    formula = audit.record("saved_search.create", object_type="saved_search", object_id=None, by=owner,
                           after={"name": "=HYPERLINK(\"http://evil\")"}, note="@SUM(1)")
    formula.at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    login(client, admin)
    response = client.get("/admin/audit.xlsx?object_type=project")
    assert response.status_code == 200
    assert "no-store" in response.headers["Cache-Control"]
    assert "filename*=UTF-8''" in response.headers["Content-Disposition"]
    ws = load_workbook(io.BytesIO(response.data))[exports.AUDIT_SHEET_NAME]
    assert "筛选条件" in ws["A1"].value and "对象类型：项目" in ws["A1"].value
    assert [c.value for c in ws[2]] == [c.header for c in exports.AUDIT_COLUMNS]
    assert ws.freeze_panes == "A3"
    rows = list(ws.iter_rows(min_row=3, values_only=True))
    expected = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry).where(
        AuditEntry.object_type == "project", AuditEntry.action != "audit_log.export"))
    assert len(rows) == expected >= 1
    col = {c.key: i for i, c in enumerate(exports.AUDIT_COLUMNS)}
    assert all(r[col["object_type"]] == "项目" for r in rows)
    assert all(isinstance(r[col["at"]], datetime) for r in rows)  # typed time cells
    update = next(r for r in rows if "总投资" in (r[col["fields"]] or ""))
    assert "15 亿元" in update[col["before"]] and "9.8 亿元" in update[col["after"]]
    assert update[col["object"]] == "锦江区智慧停车场建设项目"
    text = " ".join(str(v) for r in rows for v in r if v is not None)
    assert "{" not in text and "project.update" not in text
    assert "510104" not in [str(v) for r in rows for v in r]  # districts by name, not code
    # the export is audited, with its filters
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "audit_log.export")).one()
    assert entry.actor_id == admin.id and entry.after["audit_filters"] == {"object_type": "project"}
    # formula-like text is neutralised
    response = client.get("/admin/audit.xlsx?object_type=saved_search")
    ws = load_workbook(io.BytesIO(response.data))[exports.AUDIT_SHEET_NAME]
    values = [v for r in ws.iter_rows(min_row=3, values_only=True) for v in r if isinstance(v, str)]
    assert all(not v.startswith(("=", "@", "+", "-")) for v in values)
    assert any("HYPERLINK" in v for v in values) and "'@SUM(1)" in values


def test_excel_export_refuses_an_oversized_selection(client, app, admin, world):
    app.config["AUDIT_EXPORT_MAX"] = 2
    login(client, admin)
    response = client.get("/admin/audit.xlsx?actor=审核员")
    assert response.status_code == 302 and "/admin/audit" in response.location
    assert "actor=" in response.location  # the filters are kept
    page = html(client.get(response.location))
    assert "符合条件的记录超过2条" in page
    assert not db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "audit_log.export")).all()


@pytest.mark.parametrize("who", ["owner", "institution", "expert"])
def test_excel_export_is_for_admins_only(client, request, who):
    login(client, request.getfixturevalue(who))
    assert client.get("/admin/audit.xlsx").status_code == 403
    assert client.get("/admin/audit.xlsx").data[:2] != b"PK"


def test_excel_export_survives_a_control_character_in_a_name(client, admin, owner):
    # a self-registered name with one would otherwise make every later export fail
    accounts.update_profile(owner, name="业主\x01经办人", phone=None, title=None, locale="zh")
    db.session.commit()
    login(client, admin)
    response = client.get("/admin/audit.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    cells = [str(v) for row in sheet.iter_rows(values_only=True) for v in row if v is not None]
    assert any("业主经办人" in v for v in cells) and not any("\x01" in v for v in cells)
