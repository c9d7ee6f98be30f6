"""/api/v1/me/preferences and /api/v1/recommendations: the services of the pages."""

from decimal import Decimal

import sqlalchemy as sa

from app.extensions import db
from app.models import NeedStatus, Notification, PreferenceProfile, Role
from app.reference import Level
from app.services import editions
from tests import factories

BODY = {"industries": ["48"], "districts": ["510112"], "instruments": ["project_loan"], "levels": [],
        "amount_min": "10000.00", "amount_max": "60000.00", "term_min": 60, "term_max": 180, "version": 0}


def listed(org, **kw):
    project = factories.make_project(org=org, district_code=kw.pop("district", "510112"),
                                     level=kw.pop("level", Level.municipal))
    return factories.make_need(project, status=NeedStatus.listed, **kw)


def test_an_institution_reads_and_replaces_its_profile(api, institution):
    caller = api(institution)
    empty = caller.get("/me/preferences")
    assert empty.status_code == 200 and empty.json["version"] == 0 and empty.json["industries"] == []
    saved = caller.put("/me/preferences", json=BODY)
    assert saved.status_code == 200
    assert saved.json["amount_max"] == "60000.00" and saved.json["version"] == 1
    assert caller.get("/me/preferences").json == saved.json
    stale = caller.put("/me/preferences", json={**BODY, "levels": ["general"]})  # version 0 again
    assert stale.status_code == 409 and stale.json["error"]["code"] == "stale_edit"
    assert db.session.scalar(sa.select(PreferenceProfile)).levels == []


def test_a_refused_profile_answers_422_with_each_field(api, institution):
    response = api(institution).put("/me/preferences", json={**BODY, "amount_min": "70000.00",
                                                             "term_min": 200, "districts": ["999999"]})
    assert response.status_code == 422
    errors = response.json["error"]["errors"]
    assert set(errors) == {"amount_max", "term_max", "districts"}


def test_recommendations_are_the_pages_order_with_reasons(api, institution, owner_org):
    best = listed(owner_org)
    near = listed(owner_org, amount=Decimal("80000.00"))
    far = listed(owner_org, district="510104")
    db.session.commit()
    caller = api(institution)
    caller.put("/me/preferences", json=BODY)
    page = caller.get("/recommendations?per_page=2").json
    assert (page["total"], page["pages"], page["page"]) == (3, 2, 1)
    assert [(r["need"]["id"], r["score"]) for r in page["items"]] == [(best.id, 100), (near.id, 90)]
    assert page["items"][1]["reasons"][1] == {"code": "amount_slightly_above", "label": "金额略高于偏好上限",
                                              "positive": False}
    second = caller.get("/recommendations?per_page=2&page=2").json["items"]
    assert [(r["need"]["id"], r["score"]) for r in second] == [(far.id, 85)]
    filtered = caller.get("/recommendations?district=510104").json
    assert [r["need"]["id"] for r in filtered["items"]] == [far.id]
    assert caller.get("/recommendations?min_score=95").json["total"] == 1
    assert caller.get("/recommendations?district=999999").status_code == 422


def test_owners_get_no_recommendations(api, owner):
    assert api(owner).get("/recommendations").status_code == 403
    assert api(owner).get("/me/preferences").status_code == 403


def test_the_publication_notice_lists_the_institutions_best_matches(admin, owner_org, institution, expert, api,
                                                                     monkeypatch, mailbox):
    from app.services import exports

    for maker in ("edition_pdf", "edition_xlsx", "edition_csv", "edition_json"):
        monkeypatch.setattr(exports, maker, lambda meta, items: b"%PDF-1.7 test")
    api(institution).put("/me/preferences", json={**BODY, "districts": ["510104"]})
    for n in range(7):
        project = factories.make_project(org=owner_org, name=f"匹配项目{n}",
                                         district_code="510104" if n < 2 else "510112")
        factories.make_need(project, status=NeedStatus.approved, funds_secured=Decimal("40000.00"))
    bank_expert = factories.make_user(institution.org, Role.expert)  # the bank's expert: no deals, no matches
    db.session.commit()
    edition = editions.open_draft(2026, 6, by=admin)
    editions.publish_edition(edition, by=admin)
    db.session.commit()

    note = db.session.scalar(sa.select(Notification).where(Notification.user_id == institution.id))
    assert len(note.params["best"]) == 5
    assert [s for _name, s in note.params["best"]] == [100, 100, 85, 85, 85]
    assert {name for name, _s in note.params["best"][:2]} == {"匹配项目0", "匹配项目1"}
    body = mailbox.body(mailbox.to("bank@test.cn")[0])
    assert "按贵机构投资偏好，匹配度最高的项目：" in body and "（100 分）" in body
    for reader in (expert, bank_expert):
        expert_note = db.session.scalar(sa.select(Notification).where(Notification.user_id == reader.id))
        assert "best" not in expert_note.params
