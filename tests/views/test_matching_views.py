"""投资偏好, 为您推荐, 可能感兴趣的机构 and 定向推送 as their users meet them."""

import re
from decimal import Decimal

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEntry, Invitation, NeedStatus, Notification, PreferenceProfile
from app.reference import Level, OrgKind
from app.services import preferences
from tests import factories
from tests.conftest import login

PROFILE = {"industries": ["48"], "districts": ["510112"], "instruments": ["project_loan"],
           "levels": [], "amount_min": Decimal("10000"), "amount_max": Decimal("60000"),
           "term_min": 60, "term_max": 180}


def listed(owner_org, *, district="510112", industry="48", level=Level.municipal, **kw):
    project = factories.make_project(org=owner_org, district_code=district, industry_code=industry, level=level)
    return factories.make_need(project, status=NeedStatus.listed, **kw)


def keep(user, **kw):
    profile = preferences.save_profile(user.org, {**PROFILE, **kw}, version=0, by=user)
    db.session.commit()
    return profile


def scores(html: str) -> list[int]:
    return [int(s) for s in re.findall(r'cp-score"><strong>(\d+)<', html)]


# ---- the profile ------------------------------------------------------------------------------
def test_an_institution_user_fills_in_the_profile_and_a_colleague_sees_it(client, institution):
    login(client, institution)
    page = client.get("/preferences").get_data(as_text=True)
    assert "投资偏好" in page and "土木工程建筑业" in page and "四川天府新区成都直管区" in page
    response = client.post("/preferences", data={
        "industries": ["48", "47"], "districts": ["510112", "tianfu"], "instruments": ["project_loan"],
        "levels": ["provincial"], "amount_min": "10000", "amount_max": "80000", "term_min": "36",
        "term_max": "240", "version": "0"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/recommendations")
    profile = db.session.scalar(sa.select(PreferenceProfile))
    assert (profile.org_id, profile.industries, profile.districts, profile.amount_max, profile.term_min) == (
        institution.org_id, ["47", "48"], ["510112", "tianfu"], Decimal("80000.00"), 36)
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "preference_profile.update"))
    assert entry.actor_id == institution.id and entry.after["levels"] == ["provincial"]

    colleague = factories.make_user(institution.org)
    db.session.commit()
    login(client, colleague)
    page = client.get("/preferences").get_data(as_text=True)
    assert re.search(r'value="47"[^>]*checked|checked[^>]*value="47"', page)
    assert 'value="80000.00"' in page


@pytest.mark.parametrize("data,field,message", [
    ({"amount_min": "90000", "amount_max": "10000"}, "amount_max", "金额上限不能低于金额下限"),
    ({"term_min": "120", "term_max": "60"}, "term_max", "期限上限不能小于期限下限"),
    ({"term_min": "0"}, "term_min", "请输入 1 至 600 个月之间的期限"),
    ({"amount_min": "-5"}, "amount_min", "请输入不小于 0 的金额"),
])
def test_a_refused_profile_says_why_in_chinese_and_keeps_the_input(client, institution, data, field, message):
    login(client, institution)
    response = client.post("/preferences", data={"industries": ["48"], "version": "0", **data})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in page
    for value in data.values():
        assert f'value="{value}"' in page
    assert re.search(r'value="48"[^>]*checked|checked[^>]*value="48"', page)
    assert db.session.scalar(sa.select(sa.func.count(PreferenceProfile.id))) == 0


def test_a_profile_saved_meanwhile_by_a_colleague_is_not_overwritten(client, institution):
    keep(institution)
    login(client, institution)
    response = client.post("/preferences", data={"levels": ["general"], "version": "0"})
    assert response.status_code == 409 and "其他用户已保存了投资偏好" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(PreferenceProfile)).levels == []


# ---- 为您推荐 -------------------------------------------------------------------------------------
def test_recommendations_rank_listed_needs_with_reason_chips(client, institution, owner_org):
    best = listed(owner_org)
    near = listed(owner_org, amount=Decimal("80000.00"))  # amount slightly above: 90
    far = listed(owner_org, district="510104", industry="01")  # 60
    factories.make_need(org=owner_org, status=NeedStatus.approved)  # not listed: never recommended
    keep(institution)
    login(client, institution)
    page = client.get("/recommendations").get_data(as_text=True)
    assert scores(page) == [100, 90, 60]
    order = [int(i) for i in re.findall(r'href="/needs/(\d+)"', page)]
    assert order == [best.id, near.id, far.id]
    assert "行业匹配" in page and "金额略高于偏好上限" in page and "区县不在偏好内" in page
    assert "cp-profile-prompt" not in page

    english = client.get("/recommendations?lang=en").get_data(as_text=True)
    assert "Industry matches" in english and "District not in preferences" in english


def test_recommendation_filters_and_pages(client, app, institution, owner_org):
    app.config["PER_PAGE"] = 2
    for _ in range(3):
        listed(owner_org)
    listed(owner_org, district="510104")
    keep(institution, districts=[])
    login(client, institution)
    assert scores(client.get("/recommendations?district=510104").get_data(as_text=True)) == [100]
    assert len(scores(client.get("/recommendations?page=2").get_data(as_text=True))) == 2
    keep_page = client.get("/recommendations?min_score=101").get_data(as_text=True)
    assert "cp-filter-errors" in keep_page and "请输入 0 至 100 之间的分值" in keep_page


def test_recommendations_pages_cost_the_same_for_few_and_many_listed_needs(client, institution, owner_org,
                                                                          count_queries):
    keep(institution)
    login(client, institution)

    def statements():
        with count_queries() as counter:
            assert client.get("/recommendations?instrument=project_loan").status_code == 200
        return counter.count

    for _ in range(2):
        listed(owner_org)
    db.session.commit()
    few = statements()
    for _ in range(30):
        listed(owner_org)
    db.session.commit()
    assert statements() == few


def test_without_a_profile_the_page_asks_for_one(client, institution, owner_org):
    listed(owner_org, level=Level.provincial)
    db.session.commit()
    login(client, institution)
    page = client.get("/recommendations").get_data(as_text=True)
    assert "cp-profile-prompt" in page and "填写投资偏好" in page
    assert scores(page) == [100] and "省重点项目" in page


# ---- 可能感兴趣的机构 and 定向推送 ----------------------------------------------------------------------
@pytest.fixture
def banks(institution):
    other = factories.make_user(factories.make_org(OrgKind.insurer, name="中国人寿保险股份有限公司"),
                                email="insurer@test.cn")
    keep(institution)
    keep(other, districts=["510104"])
    factories.make_org(OrgKind.bank, name="未填偏好的银行")  # no profile: not ranked
    db.session.commit()
    return institution, other


def test_an_owner_sees_institutions_ranked_for_a_listed_need_and_pushes_it_once(client, owner, banks, mailbox):
    bank, insurer = banks
    need = listed(owner.org)
    db.session.commit()
    login(client, owner)
    page = client.get(f"/needs/{need.id}/institutions").get_data(as_text=True)
    assert scores(page) == [100, 85]
    assert page.index("成都银行股份有限公司") < page.index("中国人寿保险股份有限公司")
    assert "未填偏好的银行" not in page and "区县不在偏好内" in page
    assert "可能感兴趣的机构" in client.get(f"/needs/{need.id}").get_data(as_text=True)

    response = client.post(f"/needs/{need.id}/invitations", data={"org_id": bank.org_id, "message": "欢迎对接"},
                           follow_redirects=True)
    assert "已定向推送至成都银行" in response.get_data(as_text=True)
    again = client.post(f"/needs/{need.id}/invitations", data={"org_id": bank.org_id}, follow_redirects=True)
    assert "不再重复推送" in again.get_data(as_text=True)
    [invitation] = db.session.scalars(sa.select(Invitation))
    assert (invitation.org_id, invitation.score, invitation.invited_by_id, invitation.message) == (
        bank.org_id, 100, owner.id, "欢迎对接")
    assert db.session.scalar(sa.select(AuditEntry.actor_id).where(AuditEntry.action == "invitation.create")) == owner.id
    [note] = db.session.scalars(sa.select(Notification).where(Notification.user_id == bank.id))
    assert note.kind == "invitation_received" and note.link == f"/needs/{need.id}"
    [mail] = mailbox.to("bank@test.cn")
    assert "定向推送" in mail["Subject"] and "匹配度 100 分" in mailbox.body(mail) and "欢迎对接" in mailbox.body(mail)
    assert not mailbox.to("insurer@test.cn")

    # The bank reads it under 机构推送 on its recommendations.
    login(client, bank)
    page = client.get("/recommendations").get_data(as_text=True)
    assert "机构推送" in page and "欢迎对接" in page


def test_an_admin_may_push_any_listed_need_but_not_one_that_is_not_listed(client, admin, owner_org, banks):
    bank, _insurer = banks
    need = listed(owner_org)
    draft = factories.make_need(org=owner_org, status=NeedStatus.approved)
    db.session.commit()
    login(client, admin)
    assert client.post(f"/needs/{need.id}/invitations", data={"org_id": bank.org_id}).status_code == 302
    refused = client.post(f"/needs/{draft.id}/invitations", data={"org_id": bank.org_id}, follow_redirects=True)
    assert "仅已入库发布的融资需求可定向推送" in refused.get_data(as_text=True)
    owner_org_id = factories.make_user(owner_org).org_id  # an owner organisation is no institution
    db.session.commit()
    assert client.post(f"/needs/{need.id}/invitations", data={"org_id": owner_org_id}).status_code == 404
    assert db.session.scalar(sa.select(sa.func.count(Invitation.id))) == 1


def test_another_owner_and_institutions_never_see_the_list(client, owner, other_owner, banks):
    bank, _insurer = banks
    need = listed(owner.org)
    db.session.commit()
    for user, code in ((other_owner, 404), (bank, 403)):
        login(client, user)
        assert client.get(f"/needs/{need.id}/institutions").status_code == code
        assert client.post(f"/needs/{need.id}/invitations", data={"org_id": bank.org_id}).status_code == code
    login(client, bank)
    assert "可能感兴趣的机构" not in client.get(f"/needs/{need.id}").get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Invitation.id))) == 0
