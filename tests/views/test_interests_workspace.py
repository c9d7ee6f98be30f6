"""The interests workspace: the institution's pipeline as a board by stage and as a table,
the owner's view across its needs, the filters both share, and the Excel file of the
reader's own deals read back with openpyxl."""

import io
import re
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from app.extensions import db
from app.models import AuditEntry, InterestStatus, NeedStatus
from app.models.base import utcnow
from app.reference import district
from app.services import formatting, interests
from tests import factories
from tests.conftest import login
from tests.views.test_interests_views import shown

S = InterestStatus


def deal(user, owner, status=S.submitted, *, project=None, **kw):
    """An interest of `user`'s institution in a new listed need of `owner`."""
    need_kw = {k: kw.pop(k) for k in ("amount",) if k in kw}
    need = factories.make_need(project or factories.make_project(org=owner.org), status=NeedStatus.listed,
                               funds_secured=Decimal("0"), **need_kw)
    return factories.make_interest(need, user, status, **kw)


def lanes(html: str) -> dict[str, str]:
    """The board's columns: lane key -> its HTML."""
    parts = re.split(r'<section class="cp-lane cp-lane-(\w+)"', html)
    return {parts[i]: parts[i + 1].split("</section>")[0] for i in range(1, len(parts), 2)}


def lane_count(section: str) -> int:
    return int(re.search(r'class="cp-lane-count">(\d+)<', section).group(1))


# ---- the board -----------------------------------------------------------------------------
def test_the_board_shows_each_stage_with_its_cards_counts_and_sums(client, institution, owner):
    made = {status: deal(institution, owner, status, amount=Decimal("80000.00"),
                         **({"disbursed": [("1500.50", formatting.today())]} if status is S.funded else {}))
            for status in S}
    db.session.commit()
    login(client, institution)
    answer = client.get("/interests/?view=board")
    assert "no-store" in answer.headers["Cache-Control"]
    board = lanes(answer.get_data(as_text=True))
    assert list(board) == ["submitted", "contacted", "due_diligence", "approved", "funded", "closed"]
    for key in ("submitted", "contacted", "due_diligence", "approved", "funded"):
        assert shown(board[key]) == {made[S(key)].id}, key
        assert lane_count(board[key]) == 1
    assert shown(board["closed"]) == {made[s].id for s in (S.declined, S.withdrawn, S.rejected)}
    assert lane_count(board["closed"]) == 3
    assert "业主已婉拒 1" in board["closed"] and "审批未通过 1" in board["closed"] and "已撤回 1" in board["closed"]
    # the headings: 意向金额 of the early stages, 授信金额 of 已授信, 已放款 of 已放款
    assert "意向金额 2 亿元" in board["submitted"]
    assert "授信金额 2 亿元" in board["approved"]
    assert "已放款 1,500.50 万元" in board["funded"]
    # a card: the project, its owner, the need's amount and the institution's figure
    card = board["contacted"]
    assert made[S.contacted].need.project.name in card and owner.org.name in card
    assert "需求金额" in card and "8 亿元" in card and "本阶段0天" in card


@pytest.mark.parametrize("view", ["board", "table"])
def test_the_workspace_heads_its_figures_over_every_matching_interest(app, client, institution, owner, view):
    app.config.update(INTEREST_BOARD_CARDS=1, PER_PAGE=2)  # figures over all, not the cards shown
    for status in S:
        deal(institution, owner, status, **({"disbursed": [("1500.50", formatting.today())]}
                                            if status is S.funded else {}))
    deal(institution, owner, S.submitted)
    db.session.commit()
    login(client, institution)
    page = client.get(f"/interests/?view={view}").get_data(as_text=True)
    totals = page[page.index('class="cp-ws-totals"'):].split("</dl>")[0]
    figures = dict(re.findall(r"<dt>([^<]+)</dt><dd>([^<]+)</dd>", totals))
    assert "共9条融资意向" in totals
    # six in progress of 2 亿元 each; credit of the approved and funded; the one disbursement
    assert figures == {"进行中": "6", "意向金额": "12 亿元", "授信金额": "4 亿元", "已放款": "1,500.50 万元"}


def test_a_card_says_how_long_in_the_stage_how_many_unread_and_if_to_reconfirm(client, institution, owner):
    ten_days_ago = utcnow() - timedelta(days=10)
    i = deal(institution, owner, S.contacted, created_at=ten_days_ago, reconfirm_since=utcnow())
    db.session.commit()
    interests.post_message(owner, i, "请补充授信方案")
    interests.post_message(owner, i, "另附可研报告")
    db.session.commit()
    login(client, institution)
    card = lanes(client.get("/interests/?view=board").get_data(as_text=True))["contacted"]
    assert "本阶段10天" in card and "2 条未读" in card and "待重新确认" in card
    client.get(f"/interests/{i.id}")  # reading the conversation
    card = lanes(client.get("/interests/?view=board").get_data(as_text=True))["contacted"]
    assert "未读" not in card
    login(client, owner)  # the owner has nothing unread: the messages are its own
    assert "未读" not in lanes(client.get("/interests/?view=board").get_data(as_text=True))["contacted"]


def test_a_full_column_stops_at_its_cap_and_links_to_the_filtered_table(app, client, institution, owner):
    app.config["INTEREST_BOARD_CARDS"] = 3
    early = [deal(institution, owner, S.submitted, created_at=utcnow() - timedelta(days=d)) for d in range(5)]
    deal(institution, owner, S.contacted)
    db.session.commit()
    login(client, institution)
    page = client.get("/interests/?view=board&district=510112").get_data(as_text=True)
    board = lanes(page)
    assert lane_count(board["submitted"]) == 5
    assert shown(board["submitted"]) == {i.id for i in early[:3]}  # the last changed first
    more = re.search(r'<a class="cp-lane-more" href="([^"]+)">([^<]+)<', board["submitted"])
    assert "另有2条" in more.group(2)
    url = more.group(1).replace("&amp;", "&")
    assert "status=submitted" in url and "district=510112" in url and "view=board" not in url
    table = client.get(url).get_data(as_text=True)
    assert shown(table) == {i.id for i in early} and "共5条融资意向" in table
    assert "cp-lane-more" not in board["contacted"]


def test_the_deals_left_longest_come_first_when_asked(client, institution, owner):
    old = deal(institution, owner, S.contacted, created_at=utcnow() - timedelta(days=40))
    new = deal(institution, owner, S.contacted)
    db.session.commit()
    login(client, institution)
    card = lanes(client.get("/interests/?view=board&sort=stale").get_data(as_text=True))["contacted"]
    assert card.index(f"/interests/{old.id}") < card.index(f"/interests/{new.id}")
    assert "cp-wcard-late" in card.split(f"/interests/{new.id}")[0]  # 40 days in the stage stand out
    table = client.get("/interests/").get_data(as_text=True)
    assert table.index(f"/interests/{new.id}") < table.index(f"/interests/{old.id}")


def test_a_status_filter_keeps_only_its_column(client, institution, owner):
    deal(institution, owner, S.submitted)
    d = deal(institution, owner, S.declined)
    db.session.commit()
    login(client, institution)
    board = lanes(client.get("/interests/?view=board&status=declined").get_data(as_text=True))
    assert list(board) == ["closed"] and shown(board["closed"]) == {d.id}
    board = lanes(client.get("/interests/?view=board&state=live").get_data(as_text=True))
    assert "closed" not in board and lane_count(board["submitted"]) == 1


@pytest.mark.parametrize("view", ["board", "table"])
def test_the_workspace_costs_the_same_statements_for_few_and_many_interests(app, client, institution, owner,
                                                                          count_queries, view):
    """A fixed number of statements per page, however many interests, stages, messages."""
    app.config["INTEREST_BOARD_CARDS"] = 4

    def fill(n):
        for k in range(n):
            i = deal(institution, owner, list(S)[k % len(S)], reconfirm_since=utcnow() if k % 3 else None)
            db.session.commit()
            if i.is_live:  # a closed deal's conversation is closed too
                interests.post_message(owner, i, f"留言{k}")
        db.session.commit()

    def statements(url):
        with count_queries() as counter:
            assert client.get(url).status_code == 200
        return counter.count

    login(client, institution)
    url = f"/interests/?view={view}&action=1" if view == "board" else "/interests/?sort=amount_desc"
    fill(3)
    few = statements(url)
    fill(45)
    many = statements(url)
    assert many == few, f"{view}: {few} statements for a few interests, {many} for many"
    login(client, owner)  # the owner's page also reads its needs and institutions for the filters
    owner_few = statements(f"/interests/?view={view}")
    fill(10)
    assert statements(f"/interests/?view={view}") == owner_few


# ---- the table, the toggle, the filters ------------------------------------------------------
def test_the_table_is_paginated_and_the_toggle_keeps_the_filters(app, client, institution, owner):
    app.config["PER_PAGE"] = 10
    for _ in range(23):
        deal(institution, owner, S.contacted)
    db.session.commit()
    login(client, institution)
    page = client.get("/interests/?status=contacted&page=3").get_data(as_text=True)
    assert len(shown(page)) == 3 and "共23条融资意向" in page
    toggle = re.search(r'href="([^"]*view=board[^"]*)"', page).group(1).replace("&amp;", "&")
    assert "status=contacted" in toggle
    board = client.get(toggle).get_data(as_text=True)
    assert 'name="view" value="board"' in board  # filtering again stays on the board
    back = re.search(r'href="(/interests/\?status=contacted)"[^>]*>列表<', board)
    assert back is not None
    export = re.search(r'href="(/interests/export\.xlsx[^"]*)"', board).group(1)
    assert "status=contacted" in export


def test_needs_my_action_for_an_institution_and_for_an_owner(client, institution, owner):
    new = deal(institution, owner, S.submitted)  # to contact
    quiet = deal(institution, owner, S.contacted)
    asked = deal(institution, owner, S.due_diligence, reconfirm_since=utcnow())  # to re-confirm
    written = deal(institution, owner, S.contacted)
    answered = deal(institution, owner, S.contacted)
    db.session.commit()
    interests.post_message(owner, written, "请尽快回复")  # unread by the bank
    interests.post_message(institution, answered, "已收到材料")  # unread by the owner
    db.session.commit()
    login(client, institution)
    page = client.get("/interests/?action=1").get_data(as_text=True)
    assert shown(page) == {new.id, asked.id, written.id}
    assert re.search(r"待我方处理 <span[^>]*>3<", page)
    assert quiet.id not in shown(page)
    login(client, owner)
    page = client.get("/interests/?action=1").get_data(as_text=True)
    assert shown(page) == {answered.id}


def test_validity_expiring_and_passed(client, institution, owner):
    today = formatting.today()
    soon = deal(institution, owner, S.contacted, valid_until=today + timedelta(days=10))
    later = deal(institution, owner, S.contacted, valid_until=today + timedelta(days=90))
    passed = deal(institution, owner, S.submitted, valid_until=today - timedelta(days=1))
    deal(institution, owner, S.withdrawn, valid_until=today + timedelta(days=5))  # ended: not expiring
    db.session.commit()
    login(client, institution)
    assert shown(client.get("/interests/?validity=expiring").get_data(as_text=True)) == {soon.id}
    assert shown(client.get("/interests/?validity=expired").get_data(as_text=True)) == {passed.id}
    assert later.id in shown(client.get("/interests/").get_data(as_text=True))


def test_the_owner_sees_every_interest_across_its_needs_with_the_need_column(client, institution, bank_b,
                                                                           owner, other_owner):
    bridge = factories.make_project(org=owner.org, name="锦江大桥工程")
    a = deal(institution, owner, S.contacted, project=bridge)
    b = deal(bank_b, owner, S.submitted, project=bridge)
    c = deal(bank_b, owner, S.approved)
    elsewhere = deal(institution, other_owner, S.contacted)
    db.session.commit()
    login(client, owner)
    page = client.get("/interests/").get_data(as_text=True)
    assert shown(page) == {a.id, b.id, c.id}
    assert f'href="/needs/{a.need_id}"' in page and "拟融资金额" in page  # the need column
    # the need filter lists the owner's needs that have interests, and only those
    options = re.search(r'<select[^>]*name="need_id"[^>]*>(.*?)</select>', page, re.S).group(1)
    assert f'value="{a.need_id}"' in options and f'value="{c.need_id}"' in options
    assert f'value="{elsewhere.need_id}"' not in options
    assert shown(client.get(f"/interests/?need_id={a.need_id}").get_data(as_text=True)) == {a.id}
    board = lanes(client.get("/interests/?view=board").get_data(as_text=True))
    assert institution.org.name in board["contacted"] and bank_b.org.name in board["approved"]


# ---- the Excel file --------------------------------------------------------------------------
def _sheet(response):
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "no-store" in response.headers["Cache-Control"]  # confidential: kept by no browser or proxy
    ws = load_workbook(io.BytesIO(response.data)).active
    rows = list(ws.iter_rows(values_only=True))
    return ws, rows[0][0], list(rows[1]), [dict(zip(rows[1], r, strict=True)) for r in rows[2:]]


def test_the_institution_exports_its_deals_as_typed_cells(client, institution, owner):
    funded = deal(institution, owner, S.funded, amount=Decimal("60000.00"), rate=Decimal("3.10"),
                  credit_amount=Decimal("30000.50"), credit_date=formatting.today(),
                  disbursed=[("12000.25", formatting.today())], valid_until=formatting.today() + timedelta(days=60))
    deal(institution, owner, S.submitted)
    db.session.commit()
    login(client, institution)
    ws, title, headers, rows = _sheet(client.get("/interests/export.xlsx"))
    assert "融资意向清单" in title and "全部" in title
    assert headers[:6] == ["项目名称", "项目代码", "所属区（市）县", "所属行业", "项目业主", "融资需求金额（万元）"]
    assert "金融机构" not in headers  # its own name on every row says nothing
    assert {"意向金额（万元）", "授信金额（万元）", "授信日期", "累计放款金额（万元）", "状态", "最近修改",
            "业主联系人", "业主联系电话"} <= set(headers)
    assert len(rows) == 2
    row = next(r for r in rows if r["状态"] == "已放款")
    assert row["项目名称"] == funded.need.project.name and row["所属区（市）县"] == district("510112").label
    assert row["融资需求金额（万元）"] == 60000 and row["授信金额（万元）"] == Decimal("30000.50")
    assert row["累计放款金额（万元）"] == Decimal("12000.25") and Decimal(str(row["利率（年化，%）"])) == Decimal("3.1")
    assert isinstance(row["授信日期"], datetime) and row["授信日期"].date() == formatting.today()
    assert isinstance(row["最近修改"], datetime)
    assert row["业主联系人"] == "张伟" and row["业主联系电话"] == "028-12345678"
    col = headers.index("累计放款金额（万元）") + 1
    assert ws.cell(row=3, column=col).number_format == "#,##0.00"
    # the export and the contacts it showed are both in the audit log
    actions = db.session.scalars(sa.select(AuditEntry.action).where(AuditEntry.actor_id == institution.id)).all()
    assert "interest.export" in actions and "financing_need.view_contact" in actions


def test_the_export_follows_the_filters_and_the_language(client, institution, owner):
    contacted = deal(institution, owner, S.contacted)
    deal(institution, owner, S.submitted)
    db.session.commit()
    login(client, institution)
    _ws, title, _headers, rows = _sheet(client.get("/interests/export.xlsx?status=contacted"))
    assert [r["项目名称"] for r in rows] == [contacted.need.project.name]
    assert "状态：已对接" in title
    _ws, title, headers, rows = _sheet(client.get("/interests/export.xlsx?status=contacted&lang=en"))
    assert headers[0] == "Project name" and rows[0]["Status"] == "Contacted"
    assert "Status: Contacted" in title


def test_the_owner_export_names_the_institutions_and_their_managers(client, institution, owner):
    deal(institution, owner, S.contacted)
    db.session.commit()
    login(client, owner)
    _ws, _title, headers, rows = _sheet(client.get("/interests/export.xlsx"))
    assert "项目业主" not in headers and "业主联系人" not in headers
    assert rows[0]["金融机构"] == institution.org.name and rows[0]["机构经办人"] == institution.name
    assert rows[0]["机构经办人联系方式"] == institution.email


def test_an_export_beyond_the_limit_is_refused_with_a_reason(app, client, institution, owner):
    app.config["INTEREST_EXPORT_MAX"] = 2
    for _ in range(3):
        deal(institution, owner)
    db.session.commit()
    login(client, institution)
    answer = client.get("/interests/export.xlsx?status=submitted")
    assert answer.status_code == 302 and "status=submitted" in answer.headers["Location"]
    assert "超过2条" in client.get(answer.headers["Location"]).get_data(as_text=True)
    assert not db.session.scalar(sa.select(AuditEntry.id).where(AuditEntry.action == "interest.export"))


def test_text_that_looks_like_a_formula_is_exported_as_text(client, institution, owner):
    deal(institution, owner, project=factories.make_project(org=owner.org, name="=HYPERLINK(\"x\")项目"),
         product_name="+贷款")
    db.session.commit()
    login(client, institution)
    _ws, _title, _headers, rows = _sheet(client.get("/interests/export.xlsx"))
    assert rows[0]["项目名称"].startswith("'=") and rows[0]["融资产品"] == "'+贷款"


def test_the_export_reads_in_the_audit_log_with_its_filters(client, institution, owner, admin):
    deal(institution, owner, S.contacted)
    db.session.commit()
    login(client, institution)
    assert client.get("/interests/export.xlsx?status=contacted&validity=expiring").status_code == 200
    login(client, admin)
    page = client.get("/admin/audit").get_data(as_text=True)
    assert "导出融资意向清单" in page and "状态：已对接；意向有效期：30天内到期" in page
    assert institution.name in page


def test_reading_or_writing_the_conversation_does_not_make_a_deal_look_recent(client, institution, owner):
    month_ago = utcnow() - timedelta(days=30)
    old = deal(institution, owner, S.contacted, created_at=month_ago)
    recent = deal(institution, owner, S.contacted)
    db.session.commit()
    interests.post_message(owner, old, "请补充材料")
    db.session.commit()
    login(client, institution)
    client.get(f"/interests/{old.id}")  # read by the bank
    db.session.expire_all()
    assert abs((db.session.get(type(old), old.id).updated_at - month_ago).total_seconds()) < 1
    table = client.get("/interests/?sort=stale").get_data(as_text=True)
    assert table.index(f"/interests/{old.id}") < table.index(f"/interests/{recent.id}")


# ---- kept whole until the next write -------------------------------------------------------------
def test_the_workspace_is_kept_for_its_visitor_until_the_next_write(client, institution, owner, bank_b,
                                                                    count_queries):
    from flask import g

    interest = deal(institution, owner)
    db.session.commit()
    login(client, institution)

    def board():
        g.pop("_login_user", None)
        g.pop("unread", None)
        with count_queries() as counter:
            html = client.get("/interests/?view=board").get_data(as_text=True)
        return html, len(counter.statements)

    first, rendered = board()
    assert "条未读" not in first and rendered > 1
    again, kept = board()
    assert again == first and kept == 1  # the session alone
    interests.post_message(owner, interest, "请补充项目资本金到位证明")
    db.session.commit()
    after, statements = board()
    assert "1 条未读" in after and statements > 1  # rendered afresh: the owner's message shows at once
    interests.step(institution, interest, "contact")
    db.session.commit()
    moved, _statements = board()
    assert lane_count(lanes(moved)["contacted"]) == 1 and lane_count(lanes(moved)["submitted"]) == 0
    login(client, bank_b)  # another visitor never gets the first one's kept page
    assert interest.need.project.name not in client.get("/interests/?view=board").get_data(as_text=True)
