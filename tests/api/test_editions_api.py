"""/api/v1/editions: public reading, the same filters as the page, contacts only for
those allowed (and audited)."""

from decimal import Decimal

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEntry, NeedStatus
from app.services import editions, exports
from tests import factories


@pytest.fixture
def edition(admin, owner_org, monkeypatch):
    monkeypatch.setattr(exports, "edition_pdf", lambda meta, items: b"%PDF-1.7 test")
    for name in ("成都地铁30号线一期工程", "天府新区污水处理厂"):
        factories.make_need(factories.make_project(org=owner_org, name=name), status=NeedStatus.approved,
                            funds_secured=Decimal("40000.00"))
    draft = editions.open_draft(2026, 6, by=admin)
    editions.publish_edition(draft, by=admin)
    db.session.commit()
    return draft


def test_editions_are_public_without_contacts(client, edition):
    listing = client.get("/api/v1/editions").get_json()
    assert [e["key"] for e in listing["items"]] == ["2026-6"]
    assert listing["items"][0]["title_zh"] == "2026年第6期（11–12月）"
    body = client.get("/api/v1/editions/2026-6?q=污水").get_json()
    assert body["items"]["total"] == 1
    [item] = body["items"]["items"]
    assert item["project_name"] == "天府新区污水处理厂" and item["amount"] == "50000.00"
    assert item["contact_phone"] is None
    assert client.get("/api/v1/editions/2026-5").status_code == 404
    assert client.get("/api/v1/editions/99999-1").status_code == 404


@pytest.mark.parametrize(("who", "sees"), [("institution", True), ("other_owner", False),
                                           ("unverified_institution", False), ("admin", True)])
def test_contacts_for_allowed_token_holders_and_audited(request, api, edition, who, sees):
    body = api(request.getfixturevalue(who)).get("/editions/2026-6").get_json()
    assert all((i["contact_phone"] == "028-12345678") is sees for i in body["items"]["items"])
    audits = db.session.scalar(sa.select(sa.func.count(AuditEntry.id)).where(
        AuditEntry.action == "edition_item.view_contact"))
    assert audits == (1 if sees else 0)


def test_bad_token_is_refused(client, edition):
    response = client.get("/api/v1/editions", headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401
