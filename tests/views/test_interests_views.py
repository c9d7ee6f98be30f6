"""The interest pages: following and expressing interest from the need page, the interest
page with its steps, disbursements and conversation, the lists; and what another bank
sees of it all: nothing."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Follow, Interest, InterestStatus, NeedStatus
from app.reference import OrgKind
from app.services import formatting, interests
from tests import factories
from tests.conftest import login

SECRET = "我行内部授信条件甲乙丙"


@pytest.fixture
def need(owner):
    return factories.make_need(org=owner.org, status=NeedStatus.listed, amount=Decimal("50000.00"),
                               funds_secured=Decimal("0"))


@pytest.fixture
def bank_b(app):
    return factories.make_user(factories.make_org(OrgKind.bank, name="乙银行股份有限公司"), email="b@test.cn")


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
