"""The interest pages: following and expressing interest from the need page, the interest
page with its steps, disbursements and conversation, the lists; and what another bank
sees of it all: nothing."""

import io
import re
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEntry, Follow, Interest, InterestStatus, NeedStatus
from app.reference import OrgKind
from app.services import formatting, interests
from tests import factories
from tests.conftest import login
from tests.services.test_attachments import pdf_bytes

SECRET = "我行内部授信条件甲乙丙"


def _form(**kw):
    data = {"instrument": "project_loan", "product_name": "固定资产贷款", "amount": "20000",
            "rate": "3.45", "term_months": "96", "conditions": SECRET, "valid_until": "", "message": "有意参与"}
    data.update(kw)
    return data


def test_an_institution_follows_and_expresses_interest_from_the_need_page(client, institution, owner, need):
    login(client, institution)
    page = client.get(f"/needs/{need.id}").get_data(as_text=True)
    assert "关注" in page and "表达融资意向" in page
    assert client.post(f"/needs/{need.id}/follow").status_code == 302
    assert db.session.scalar(sa.select(sa.func.count(Follow.id))) == 1
    assert "取消关注" in client.get(f"/needs/{need.id}").get_data(as_text=True)
    answer = client.post(f"/needs/{need.id}/interest", data=_form())
    assert answer.status_code == 302
    interest = db.session.scalars(sa.select(Interest)).one()
    assert answer.headers["Location"].endswith(f"/interests/{interest.id}")
    again = client.post(f"/needs/{need.id}/interest", data=_form())  # a double submit
    assert again.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count(Interest.id))) == 1
    page = client.get(f"/interests/{interest.id}").get_data(as_text=True)
    assert SECRET in page and "记录首次接洽" in page


def test_a_bad_offer_keeps_what_was_typed_and_saves_nothing(client, institution, need):
    login(client, institution)
    answer = client.post(f"/needs/{need.id}/interest", data=_form(amount="60000", conditions="保留的条件"))
    assert answer.status_code == 422
    page = answer.get_data(as_text=True)
    assert "意向金额不能超过需求金额" in page and "保留的条件" in page
    assert db.session.scalar(sa.select(sa.func.count(Interest.id))) == 0


def test_a_stale_form_is_told_so(client, institution, need):
    interest = interests.express_interest(institution, need, factories.interest_data())
    db.session.commit()
    old = interest.version
    interests.update_interest(institution, interest, factories.interest_data(amount=Decimal("100")), version=old)
    db.session.commit()
    login(client, institution)
    answer = client.post(f"/needs/{need.id}/interest", data=_form(version=str(old)))
    assert answer.status_code == 409
    assert "其他人" in answer.get_data(as_text=True) or "他人" in answer.get_data(as_text=True)


def test_the_deal_through_the_pages(client, institution, owner, need):
    interest = interests.express_interest(institution, need, factories.interest_data())
    db.session.commit()
    login(client, institution)
    base = f"/interests/{interest.id}"
    assert client.post(f"{base}/contact", data={"note": "已电话沟通"}).status_code == 302
    assert client.post(f"{base}/start_due_diligence", data={}).status_code == 302
    today = formatting.today()
    bad = client.post(f"{base}/approve", data={"credit_amount": "0", "credit_date": today.isoformat()})
    assert bad.status_code == 422 and "金额必须大于零" in bad.get_data(as_text=True)
    assert client.post(f"{base}/approve", data={"credit_amount": "50000", "credit_date": today.isoformat(),
                                                "credit_conditions": "抵押"}).status_code == 302
    assert client.post(f"{base}/disbursements", data={"amount": "12000.50",
                                                      "disbursed_on": today.isoformat()}).status_code == 302
    assert client.post(f"{base}/messages", data={"body": "首笔已放款"}).status_code == 302
    db.session.expire_all()
    interest = db.session.get(Interest, interest.id)
    assert interest.status is InterestStatus.funded and interest.disbursed_amount == Decimal("12000.50")
    page = client.get(base).get_data(as_text=True)
    assert "首笔已放款" in page and "放款" in page
    login(client, owner)
    need_page = client.get(f"/needs/{need.id}").get_data(as_text=True)
    assert institution.org.name in need_page and "关注" in need_page
    owner_page = client.get(base).get_data(as_text=True)
    assert "1 条未读" in owner_page or "未读" in owner_page
    assert client.post(f"/needs/{need.id}/close-financed", data={}).status_code == 302
    db.session.expire_all()
    assert db.session.get(type(need), need.id).status is NeedStatus.financed
    assert client.get(base).status_code == 200  # still readable


def test_owner_declines_with_a_reason(client, institution, owner, need):
    interest = interests.express_interest(institution, need, factories.interest_data())
    db.session.commit()
    login(client, owner)
    refused = client.post(f"/interests/{interest.id}/decline", data={"reason": ""})
    assert refused.status_code == 422 and "请说明不接受该融资意向的原因" in refused.get_data(as_text=True)
    assert client.post(f"/interests/{interest.id}/decline", data={"reason": "已落实"}).status_code == 302
    assert client.post(f"/interests/{interest.id}/contact", data={}).status_code == 403


def shown(html: str) -> set[int]:
    """The interests a page links to (table rows, board cards)."""
    return {int(m) for m in re.findall(r'href="/interests/(\d+)"', html)}


def test_the_list_filters_and_shows_the_owners_side(client, institution, bank_b, owner, need):
    other_need = factories.make_need(factories.make_project(org=owner.org, district_code="510104"),
                                     status=NeedStatus.listed)
    a = interests.express_interest(institution, need, factories.interest_data())
    b = interests.express_interest(bank_b, other_need, factories.interest_data(amount=Decimal("100")))
    interests.step(bank_b, b, "contact")
    db.session.commit()
    login(client, owner)
    page = client.get("/interests/").get_data(as_text=True)
    assert institution.org.name in page and bank_b.org.name in page and shown(page) == {a.id, b.id}
    assert shown(client.get("/interests/?status=contacted").get_data(as_text=True)) == {b.id}
    assert shown(client.get("/interests/?district=510104").get_data(as_text=True)) == {b.id}
    assert shown(client.get(f"/interests/?org_id={institution.org_id}").get_data(as_text=True)) == {a.id}
    assert shown(client.get(f"/interests/?need_id={need.id}").get_data(as_text=True)) == {a.id}
    assert client.get("/interests/?status=bogus").status_code == 200


# ---- the leak suite: bank B, owner B ------------------------------------------------------------
def test_bank_b_sees_nothing_of_bank_a(client, institution, bank_b, owner, other_owner, need, mailbox):
    a = interests.express_interest(institution, need, factories.interest_data(conditions=SECRET))
    interests.follow(institution, need)
    interests.post_message(institution, a, "甲行留言内容")
    interests.step(institution, a, "contact")
    db.session.commit()
    login(client, bank_b)
    for path in (f"/needs/{need.id}", "/interests/", "/notifications/", f"/needs/{need.id}/interest"):
        answer = client.get(path)
        page = answer.get_data(as_text=True)
        assert answer.status_code == 200, path
        for secret in (SECRET, institution.org.name, "甲行留言内容"):
            assert secret not in page, (path, secret)
    for path in (f"/interests/{a.id}",):
        assert client.get(path).status_code == 404
        for action in ("contact", "withdraw", "approve", "disbursements", "messages", "decline", "reject"):
            assert client.post(f"{path}/{action}", data={}).status_code == 404, action
    assert "关注" in client.get(f"/needs/{need.id}").get_data(as_text=True)  # its own button, not A's follow
    assert "取消关注" not in client.get(f"/needs/{need.id}").get_data(as_text=True)
    # another owner sees none of it either
    login(client, other_owner)
    assert client.get(f"/interests/{a.id}").status_code == 404
    assert institution.org.name not in client.get("/interests/").get_data(as_text=True)
    # no notice nor e-mail of A's deal reached bank B or the other owner
    for user in (bank_b, other_owner):
        assert not mailbox.to(user.email)
    assert mailbox.to(owner.email)  # the owner was told (new interest, message, contact)
    assert all(SECRET not in mailbox.body(m) for m in mailbox.messages)


def test_unverified_and_experts_get_no_interest_pages(client, institution, unverified_institution, expert, need):
    a = interests.express_interest(institution, need, factories.interest_data())
    db.session.commit()
    for user in (unverified_institution, expert):
        login(client, user)
        assert client.get(f"/interests/{a.id}").status_code == 404
        assert client.post(f"/needs/{need.id}/follow").status_code == 403
        assert client.get(f"/needs/{need.id}/interest").status_code in (403, 404)


def test_validity_date_in_the_past_is_refused_on_the_form(client, institution, need):
    login(client, institution)
    past = (formatting.today() - timedelta(days=1)).isoformat()
    answer = client.post(f"/needs/{need.id}/interest", data=_form(valid_until=past))
    assert answer.status_code == 422 and "有效期不能早于今天" in answer.get_data(as_text=True)



def test_the_edition_item_offers_follow_and_interest_to_a_verified_institution(
        client, institution, unverified_institution, owner, admin, monkeypatch):
    from app.services import editions, exports

    monkeypatch.setattr(exports, "edition_pdf", lambda meta, items: b"%PDF-1.7 test")
    need = factories.make_need(org=owner.org, status=NeedStatus.approved, funds_secured=Decimal("40000.00"))
    edition = editions.open_draft(2026, 6, by=admin)
    editions.publish_edition(edition, by=admin)
    db.session.commit()
    path = "/editions/2026-6/items/1"
    login(client, institution)
    page = client.get(path).get_data(as_text=True)
    assert "表达融资意向" in page and f"/needs/{need.id}/follow" in page
    answer = client.post(f"/needs/{need.id}/follow", data={"next": path})
    assert answer.status_code == 302 and answer.headers["Location"].endswith(path)
    assert "取消关注" in client.get(path).get_data(as_text=True)
    login(client, unverified_institution)
    assert f"/needs/{need.id}/interest" not in client.get(path).get_data(as_text=True)


# ---- the leak suite of the workspace: two banks, two owners -------------------------------------
@pytest.fixture
def two_sides(institution, bank_b, owner, other_owner):
    """Bank A deals with owner X and owner Y; bank B with owner X only, in another need."""
    def listed(org, name):
        return factories.make_need(factories.make_project(org=org, name=name), status=NeedStatus.listed,
                                   funds_secured=Decimal("0"))
    x_a, x_b, y_a = listed(owner.org, "甲行专案桥梁工程"), listed(owner.org, "乙行专案管廊工程"), \
        listed(other_owner.org, "乙业主园区工程")
    a = {"x": factories.make_interest(x_a, institution, InterestStatus.contacted, conditions=SECRET),
         "y": factories.make_interest(y_a, institution, InterestStatus.approved, conditions=SECRET,
                                      disbursed=[("100.00", formatting.today())])}
    a["x2"] = factories.make_interest(x_b, institution, InterestStatus.due_diligence)  # A in B's need too
    b = factories.make_interest(x_b, bank_b, InterestStatus.submitted)
    db.session.commit()
    interests.post_message(owner, a["x"], "甲行留言内容")
    db.session.commit()
    return {"a": a, "b": b, "x_a": x_a, "x_b": x_b, "y_a": y_a}


def _workbook_text(data: bytes) -> str:
    from openpyxl import load_workbook

    ws = load_workbook(io.BytesIO(data)).active
    return "\n".join(str(v) for row in ws.iter_rows(values_only=True) for v in row if v is not None)


def _rows(data: bytes) -> int:
    from openpyxl import load_workbook

    return load_workbook(io.BytesIO(data)).active.max_row - 2  # title and header lines


def test_bank_b_workspace_board_counts_and_export_hold_nothing_of_bank_a(client, institution, bank_b, two_sides):
    b, a = two_sides["b"], two_sides["a"]
    a_ids = {i.id for i in a.values()}
    secrets = (SECRET, institution.org.name, "甲行专案桥梁工程", "乙业主园区工程", "甲行留言内容")
    login(client, bank_b)
    for path in ("/interests/", "/interests/?view=board", "/interests/?view=board&state=closed",
                 "/interests/?action=1", f"/interests/?need_id={two_sides['x_a'].id}",
                 f"/interests/?org_id={institution.org_id}&view=board", "/interests/?status=contacted"):
        answer = client.get(path)
        page = answer.get_data(as_text=True)
        assert answer.status_code == 200, path
        assert not shown(page) & a_ids, path
        for secret in secrets:
            assert secret not in page, (path, secret)
    page = client.get("/interests/?view=board").get_data(as_text=True)
    counts = dict(re.findall(r'id="lane-(\w+)-title">[^<]*<span class="cp-lane-count">(\d+)<', page))
    assert counts == {"submitted": "1", "contacted": "0", "due_diligence": "0", "approved": "0",
                      "funded": "0", "closed": "0"}  # A's contacted, due diligence, approved are not counted
    assert "共1条融资意向" in page and re.search(r"待我方处理 <span[^>]*>1<", page)
    assert "意向金额 2 亿元" in page and "授信金额 —" in page  # the sums are B's own
    assert shown(page) == {b.id}
    # the export: its own deal only, whatever the filters name
    for query in ("", f"?org_id={institution.org_id}", f"?need_id={two_sides['x_a'].id}"):
        answer = client.get(f"/interests/export.xlsx{query}")
        assert answer.status_code == 200, query
        text = _workbook_text(answer.data)
        for secret in secrets:
            assert secret not in text, (query, secret)
    assert _rows(client.get("/interests/export.xlsx").data) == 1
    assert _rows(client.get(f"/interests/export.xlsx?org_id={institution.org_id}").data) == 0


def test_the_owners_see_their_own_needs_deals_only(client, institution, bank_b, owner, other_owner, two_sides):
    a = two_sides["a"]
    login(client, other_owner)  # owner Y: bank A's deal in its need, nothing of owner X's
    page = client.get("/interests/?view=board").get_data(as_text=True)
    assert shown(page) == {a["y"].id} and "甲行专案桥梁工程" not in page and bank_b.org.name not in page
    text = _workbook_text(client.get("/interests/export.xlsx").data)
    assert "乙业主园区工程" in text and "甲行专案桥梁工程" not in text and "乙行专案管廊工程" not in text
    assert _rows(client.get("/interests/export.xlsx").data) == 1
    assert _rows(client.get(f"/interests/export.xlsx?need_id={two_sides['x_a'].id}").data) == 0
    login(client, owner)  # owner X: both banks in its needs, nothing of owner Y's
    page = client.get("/interests/").get_data(as_text=True)
    assert shown(page) == {a["x"].id, a["x2"].id, two_sides["b"].id} and "乙业主园区工程" not in page
    text = _workbook_text(client.get("/interests/export.xlsx").data)
    assert "乙业主园区工程" not in text and institution.org.name in text and bank_b.org.name in text


def test_experts_and_unverified_accounts_get_no_workspace(client, expert, unverified_institution,
                                                         unverified_owner, two_sides):
    for user in (expert, unverified_institution, unverified_owner):
        login(client, user)
        for path in ("/interests/", "/interests/?view=board", "/interests/export.xlsx"):
            assert client.get(path).status_code == 403, (user.email, path)
    assert not db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)
                                 .where(AuditEntry.action == "interest.export"))


def test_the_admin_sees_every_deal_on_the_board_and_in_the_file(client, admin, two_sides):
    login(client, admin)
    everyone = {i.id for i in two_sides["a"].values()} | {two_sides["b"].id}
    assert shown(client.get("/interests/?view=board").get_data(as_text=True)) == everyone
    assert _rows(client.get("/interests/export.xlsx").data) == 4


def test_the_need_page_shows_its_interests_to_those_allowed(client, institution, bank_b, owner, admin,
                                                            expert, two_sides):
    need, a, b = two_sides["x_b"], two_sides["a"]["x2"], two_sides["b"]
    for user in (owner, admin):  # every institution's interest in the need
        login(client, user)
        page = client.get(f"/needs/{need.id}").get_data(as_text=True)
        assert {a.id, b.id} <= shown(page), user.email
        assert institution.org.name in page and bank_b.org.name in page
    login(client, bank_b)  # its own interest, nothing of bank A's
    page = client.get(f"/needs/{need.id}").get_data(as_text=True)
    assert shown(page) == {b.id} and institution.org.name not in page
    login(client, institution)
    page = client.get(f"/needs/{need.id}").get_data(as_text=True)
    assert shown(page) == {a.id} and bank_b.org.name not in page
    login(client, expert)
    answer = client.get(f"/needs/{need.id}")
    assert not shown(answer.get_data(as_text=True))


def test_each_step_of_the_interest_page_has_its_own_note_field(client, institution, need):
    interest = factories.make_interest(need, institution)
    db.session.commit()
    login(client, institution)
    page = client.get(f"/interests/{interest.id}").get_data(as_text=True)
    for step in ("contact", "withdraw"):
        assert page.count(f'id="{step}-note"') == 1 and f'for="{step}-note"' in page
    assert page.count('id="note"') == 1  # the credit refusal's explanation, alone with that id
    refused = client.post(f"/interests/{interest.id}/withdraw", data={"note": "长" * 2001})
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    exit_block = page[page.index('<details class="cp-step cp-step-exit"'):]
    assert exit_block.startswith('<details class="cp-step cp-step-exit" open') and "2000" in exit_block
    assert db.session.get(Interest, interest.id).status is InterestStatus.submitted


def test_a_file_in_the_conversation_shows_and_downloads_for_both_sides_only(client, owner, institution):
    need = factories.make_need(org=owner.org, status=NeedStatus.listed, funds_secured=Decimal("0"))
    interest = factories.make_interest(need, institution)
    message = interests.post_message(institution, interest, "授信方案见附件", files=[("授信方案.pdf", pdf_bytes())])
    db.session.commit()
    [attachment] = message.attachments
    for user in (institution, owner):
        login(client, user)
        page = client.get(f"/interests/{interest.id}").get_data(as_text=True)
        assert f"/attachments/{attachment.id}" in page and "授信方案.pdf" in page
        download = client.get(f"/attachments/{attachment.id}")
        assert download.status_code == 200 and download.data == pdf_bytes()
        assert download.headers["Content-Disposition"].startswith("attachment")
    login(client, factories.make_user(factories.make_org(OrgKind.bank), email="b@test.cn"))
    assert client.get(f"/attachments/{attachment.id}").status_code == 404
