"""Interests through the API: the same services, filters and order as the site; another
bank's interests answer 404 and never appear in its lists."""

import io
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from flask import current_app

from app.extensions import db
from app.models import NeedStatus
from app.services import attachments, formatting, interests
from app.services.search import InterestFilters, search_interests
from tests import factories


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


def test_the_workspace_filters_are_the_sites_too(api, institution, bank_b, owner, need):
    other = factories.make_need(org=owner.org, status=NeedStatus.listed)
    new = interests.express_interest(institution, need, factories.interest_data(
        valid_until=formatting.today() + timedelta(days=10)))
    ended = interests.express_interest(institution, other, factories.interest_data())
    interests.step(institution, ended, "withdraw")
    theirs = interests.express_interest(bank_b, need, factories.interest_data())
    db.session.commit()
    bank, as_owner = api(institution), api(owner)
    for query, expected in (("state=closed", [ended.id]), ("state=live", [new.id]), ("validity=expiring", [new.id]),
                            ("action=1", [new.id]), (f"org_id={bank_b.org_id}", [])):  # a bank sees its own only
        answer = bank.get(f"/interests?{query}")
        assert answer.status_code == 200, (query, answer.json)
        assert [i["id"] for i in answer.json["items"]] == expected, query
    assert [i["id"] for i in as_owner.get(f"/interests?org_id={bank_b.org_id}").json["items"]] == [theirs.id]
    assert bank.get("/interests?state=all").status_code == 422
    assert bank.get("/interests?validity=soon").status_code == 422


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


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def deal(institution, need):
    interest = interests.express_interest(institution, need, factories.interest_data())
    db.session.commit()
    return interest


def test_a_message_with_files_and_its_download(api, institution, owner, admin, deal):
    bank = api(institution)
    sent = bank.post(f"/interests/{deal.id}/messages", content_type="multipart/form-data", data={
        "body": "请查收授信方案。", "file": [(io.BytesIO(PDF), "授信方案.pdf"), (io.BytesIO(PDF), "附件二.pdf")]})
    assert sent.status_code == 201, sent.json
    files = sent.json["files"]
    assert sent.json["body"] == "请查收授信方案。" and [f["filename"] for f in files] == ["授信方案.pdf", "附件二.pdf"]
    assert files[0]["mimetype"] == "application/pdf" and files[0]["size"] == len(PDF)
    # Stored under a random name, never the one sent.
    stored = {p.name for p in Path(current_app.config["UPLOAD_FOLDER"]).iterdir()}
    assert len(stored) == 2 and not stored & {"授信方案.pdf", "附件二.pdf"}
    # The owner reads it in the conversation and downloads the file; so may an administrator.
    thread = api(owner).get(f"/interests/{deal.id}/messages").json
    assert thread[0]["files"][0]["url"] == files[0]["url"] == f"/api/v1/interests/{deal.id}/files/{files[0]['id']}"
    for user in (owner, admin, institution):
        got = api(user).get(files[0]["url"].removeprefix("/api/v1"))
        assert got.status_code == 200 and got.data == PDF and got.mimetype == "application/pdf"
        assert "attachment" in got.headers["Content-Disposition"]
    # A file alone is a message too; JSON still needs a text.
    alone = api(owner).post(f"/interests/{deal.id}/messages", content_type="multipart/form-data",
                            data={"file": (io.BytesIO(PDF), "可研批复.pdf")})
    assert alone.status_code == 201 and alone.json["body"] == "" and alone.json["side"] == "owner"
    assert bank.post(f"/interests/{deal.id}/messages", json={"body": ""}).status_code == 422


def test_refused_files_say_why_and_leave_nothing(api, app, institution, deal):
    bank = api(institution)

    def send(name, data):
        return bank.post(f"/interests/{deal.id}/messages", content_type="multipart/form-data",
                         data={"body": "附件", "file": (io.BytesIO(data), name)})

    program = send("报表.exe", b"MZ\x90\x00" + b"\x00" * 100)
    assert program.status_code == 422
    assert program.json["error"]["errors"]["file"] == ["仅支持上传 PDF、Word、Excel、PowerPoint、PNG 和 JPEG 格式的文件。"]
    disguised = send("报表.xlsx", PDF)
    assert disguised.status_code == 422 and disguised.json["error"]["errors"]["file"] == ["文件扩展名（.xlsx）与文件内容不符。"]
    app.config["MAX_UPLOAD_BYTES"] = 1024 * 1024
    big = send("大文件.pdf", PDF + b"0" * (1024 * 1024))
    assert big.status_code == 422 and big.json["error"]["errors"]["file"] == ["文件大小超过 1 MB。"]
    assert send("报表.pdf", b"").json["error"]["errors"]["file"] == ["文件内容为空。"]
    assert bank.get(f"/interests/{deal.id}/messages").json == []
    folder = Path(app.config["UPLOAD_FOLDER"])
    assert not folder.exists() or not list(folder.iterdir())


def test_another_bank_gets_404_for_the_files(api, institution, bank_b, other_owner, expert, owner, need, deal):
    sent = api(institution).post(f"/interests/{deal.id}/messages", content_type="multipart/form-data",
                                 data={"body": "方案", "file": (io.BytesIO(PDF), "授信方案.pdf")}).json
    url = sent["files"][0]["url"].removeprefix("/api/v1")
    own = interests.express_interest(bank_b, need, factories.interest_data())
    db.session.commit()
    for user in (bank_b, other_owner, expert):
        assert api(user).get(url).status_code == 404
        assert api(user).post(f"/interests/{deal.id}/messages", content_type="multipart/form-data",
                              data={"file": (io.BytesIO(PDF), "x.pdf")}).status_code == 404
    # Nor through an interest of its own: the file is not that conversation's.
    assert api(bank_b).get(f"/interests/{own.id}/files/{sent['files'][0]['id']}").status_code == 404
    # A project's file is not a message's.
    project_file = attachments.add_attachment(need.project, "可研报告.pdf", PDF, by=owner)
    db.session.commit()
    assert api(owner).get(f"/interests/{deal.id}/files/{project_file.id}").status_code == 404
