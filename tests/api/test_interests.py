"""Interests through the API: the same services, filters and order as the site; another
bank's interests answer 404 and never appear in its lists."""

from decimal import Decimal

import pytest

from app.extensions import db
from app.models import NeedStatus
from app.reference import OrgKind
from app.services import formatting, interests
from app.services.search import InterestFilters, search_interests
from tests import factories


@pytest.fixture
def need(owner):
    return factories.make_need(org=owner.org, status=NeedStatus.listed, amount=Decimal("50000.00"),
                               funds_secured=Decimal("0"))


@pytest.fixture
def bank_b(app):
    return factories.make_user(factories.make_org(OrgKind.bank, name="乙银行股份有限公司"), email="b@test.cn")


def body(need, **kw):
    data = {"need_id": need.id, "instrument": "project_loan", "product_name": "固定资产贷款",
            "amount": "20000.00", "rate": "3.45", "term_months": 96, "message": "有意参与"}
    data.update(kw)
    return data


def test_a_deal_through_the_api(api, institution, owner, need):
    bank, as_owner = api(institution), api(owner)
    created = bank.post("/interests", json=body(need))
    assert created.status_code == 201, created.json
    again = bank.post("/interests", json=body(need, amount="25000.00"))  # a retried request
    assert again.json["id"] == created.json["id"] and again.json["amount"] == "25000.00"
    iid = created.json["id"]
    assert bank.post(f"/interests/{iid}/contact", json={"note": "已沟通"}).json["status"] == "contacted"
    assert bank.post(f"/interests/{iid}/start_due_diligence").json["status"] == "due_diligence"
    today = formatting.today().isoformat()
    bad = bank.post(f"/interests/{iid}/approve", json={"credit_amount": "0", "credit_date": today})
    assert bad.status_code == 422 and "credit_amount" in bad.json["error"]["errors"]
    assert bank.post(f"/interests/{iid}/approve", json={"credit_amount": "30000.00",
                                                        "credit_date": today}).json["status"] == "approved"
    tranche = bank.post(f"/interests/{iid}/disbursements", json={"amount": "0.10", "disbursed_on": today})
    assert tranche.status_code == 201
    bank.post(f"/interests/{iid}/disbursements", json={"amount": "0.20", "disbursed_on": today})
    one = bank.get(f"/interests/{iid}").json
    assert (one["status"], one["disbursed_amount"]) == ("funded", "0.30")
    assert [d["amount"] for d in one["disbursements"]] == ["0.10", "0.20"]
    assert as_owner.post(f"/interests/{iid}/messages", json={"body": "收到"}).status_code == 201
    assert [m["side"] for m in bank.get(f"/interests/{iid}/messages").json] == ["owner"]
    assert as_owner.post(f"/interests/{iid}/contact").status_code == 403
    over = bank.post(f"/interests/{iid}/disbursements", json={"amount": "40000.00", "disbursed_on": today})
    assert over.status_code == 422


def test_the_list_is_the_sites_search(api, institution, bank_b, owner, need):
    other = factories.make_need(org=owner.org, status=NeedStatus.listed)
    a1 = interests.express_interest(institution, need, factories.interest_data())
    a2 = interests.express_interest(institution, other, factories.interest_data(amount=Decimal("100")))
    interests.step(institution, a2, "contact")
    interests.express_interest(bank_b, need, factories.interest_data())
    db.session.commit()
    listed = api(institution).get("/interests").json
    expected = [i.id for i in db.session.scalars(search_interests(institution, InterestFilters()))]
    assert [i["id"] for i in listed["items"]] == expected and set(expected) == {a1.id, a2.id}
    assert listed["total"] == 2
    assert [i["id"] for i in api(institution).get("/interests?status=contacted").json["items"]] == [a2.id]
    assert api(institution).get("/interests?district=999999").status_code == 422
    assert api(owner).get("/interests").json["total"] == 3


def test_bank_b_gets_404_for_bank_as_interest(api, institution, bank_b, other_owner, expert, need):
    a = interests.express_interest(institution, need, factories.interest_data())
    db.session.commit()
    for user in (bank_b, other_owner, expert):
        client = api(user)
        assert client.get(f"/interests/{a.id}").status_code == 404
        assert client.get(f"/interests/{a.id}/messages").status_code == 404
        assert client.post(f"/interests/{a.id}/contact").status_code == 404
        assert client.post(f"/interests/{a.id}/disbursements",
                           json={"amount": "1", "disbursed_on": "2026-01-01"}).status_code == 404
        listed = client.get("/interests").json
        assert listed["total"] == 0 and listed["items"] == []
    assert api(bank_b).get("/interests/99999999").status_code == 404


def test_the_openapi_document_names_the_interest_endpoints(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    assert {"/api/v1/interests", "/api/v1/interests/{interest_id}",
            "/api/v1/interests/{interest_id}/disbursements"} <= set(paths)
