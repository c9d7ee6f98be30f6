"""Accounts not let in (pending, rejected, deactivated) on the web and the API: they see
nothing of their organisation, get no token and no administrator's pages, and their home
page says why and what happens next. Administrators are appointed by administrators."""

import re

import pytest
import sqlalchemy as sa
from flask_login import login_user

from app.extensions import db
from app.models import ApiToken, AuditEntry, NeedStatus, OrgStatus, Role, User, UserStatus
from app.services import accounts, attachments
from tests import factories
from tests.conftest import Mailbox, login

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
SECRETS = ("028-66667777", "secret-contact@example.cn", "请补充增信措施并说明资本金来源", "可研报告.pdf",
           "抵押物评估.pdf", "天府大道北延线")


def html(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def holdings(owner):
    """The owner organisation's project (with a file) and a need in each status before
    the list, one of them returned with a reviewer's comment, one listed."""
    project = factories.make_project(org=owner.org, name="天府大道北延线")
    needs = {status: factories.make_need(project=project, status=status, contact_phone="028-66667777",
                                         contact_email="secret-contact@example.cn")
             for status in (NeedStatus.draft, NeedStatus.submitted, NeedStatus.returned,
                            NeedStatus.approved, NeedStatus.listed)}
    needs[NeedStatus.returned].review_comment = "请补充增信措施并说明资本金来源"
    files = [attachments.add_attachment(project, "可研报告.pdf", PDF, by=owner)]
    need = needs[NeedStatus.draft]
    files.append(attachments.add_attachment(need, "抵押物评估.pdf", PDF, by=owner))
    db.session.commit()
    return project, needs, files


def demote(user, standing):
    """Put a member of the owner's organisation in `standing`, as an administrator would."""
    if standing == "pending":
        user.status = UserStatus.pending
    elif standing == "rejected":
        user.status, user.status_reason = UserStatus.rejected, "非本单位员工"
    elif standing == "deactivated":
        user.status, user.status_reason = UserStatus.deactivated, "已离职"
    else:  # the whole organisation deactivated
        user.org.status, user.org.status_reason = OrgStatus.deactivated, "单位已注销"
    db.session.commit()


def assert_sees_nothing(client, holdings, api_headers=None):
    project, needs, files = holdings
    pages = [client.get("/"), client.get("/projects/"), client.get("/needs/"),
             client.get("/needs/?status=submitted"), client.get("/needs/?status=returned")]
    for page in pages:
        assert page.status_code in (200, 302)
        for secret in SECRETS:
            assert secret not in html(page)
    hidden = [f"/projects/{project.id}", f"/projects/{project.id}/edit",
              *(f"/needs/{n.id}" for n in needs.values()), *(f"/attachments/{f.id}" for f in files)]
    for path in hidden:
        response = client.get(path)
        assert response.status_code in (302, 404), path
        for secret in SECRETS:
            assert secret not in html(response)
    if api_headers is None:
        return
    for path in ("/api/v1/needs", "/api/v1/projects", "/api/v1/needs?status=submitted"):
        response = client.get(path, headers=api_headers)
        assert response.status_code in (200, 401), path
        if response.status_code == 200:
            assert response.json["total"] == 0 and response.json["items"] == []
    for path in [f"/api/v1/projects/{project.id}", *(f"/api/v1/needs/{n.id}" for n in needs.values())]:
        response = client.get(path, headers=api_headers)
        assert response.status_code in (401, 404), path
        for secret in SECRETS:
            assert secret not in html(response)


@pytest.mark.parametrize("standing", ["pending", "rejected"])
def test_a_member_not_let_in_sees_nothing_on_the_web_and_the_api(client, owner, holdings, standing):
    """Asked to join the owner's organisation with its public credit code; a token made
    before tokens required verification still opens nothing."""
    user = factories.make_user(owner.org)
    demote(user, standing)
    secret = factories.make_api_token(user)
    db.session.commit()
    login(client, user)
    assert_sees_nothing(client, holdings, {"Authorization": f"Bearer {secret}"})
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 200


@pytest.mark.parametrize("standing", ["pending", "rejected", "deactivated", "org_deactivated"])
def test_a_token_made_while_verified_opens_nothing_after_a_demotion(client, owner, holdings, standing):
    user = factories.make_user(owner.org)
    secret, _row = accounts.create_api_token(user, "ERP")
    db.session.commit()
    headers = {"Authorization": f"Bearer {secret}"}
    project, needs, _files = holdings
    assert client.get(f"/api/v1/needs/{needs[NeedStatus.submitted].id}", headers=headers).status_code == 200
    assert client.get("/api/v1/needs", headers=headers).json["total"] == len(needs)
    login(client, user)
    assert client.get(f"/projects/{project.id}").status_code == 200
    demote(user, standing)
    assert_sees_nothing(client, holdings, headers)


def test_the_checks_find_what_the_owner_sees(client, owner, holdings):
    """The same checks pass for nobody who may see: they are not vacuous."""
    project, needs, files = holdings
    login(client, owner)
    page = html(client.get(f"/needs/{needs[NeedStatus.returned].id}"))
    assert "请补充增信措施并说明资本金来源" in page and "028-66667777" in page
    assert client.get(f"/attachments/{files[0].id}").status_code == 200
    with pytest.raises(AssertionError):
        assert_sees_nothing(client, holdings)


# ---- home page -------------------------------------------------------------------------------------
@pytest.mark.parametrize("org_status,status,reason,expected", [
    (OrgStatus.pending, UserStatus.pending, None, ["贵单位正在等待审核", "审核完成后，系统将通过站内通知和电子邮件告知您"]),
    (OrgStatus.verified, UserStatus.pending, None, ["您的账号正在等待审核", "您无法查看本单位的项目、融资需求及附件"]),
    (OrgStatus.verified, UserStatus.rejected, "非本单位员工",
     ["您的注册申请未通过审核", "非本单位员工", "审核通过前，您无法查看本单位的项目", "问题处理完毕后，管理员仍可审核通过",
      "联系单位：成都市发展和改革委员会，电话：028-61881234"]),
    (OrgStatus.rejected, UserStatus.pending, "营业执照已过期",
     ["您的注册申请未通过审核", "营业执照已过期", "联系单位：成都市发展和改革委员会"]),
])
def test_the_home_page_says_why_and_what_happens_next(client, gov_org, org_status, status, reason, expected):
    gov_org.phone = "028-61881234"
    org = factories.make_org(status=org_status, status_reason=reason if org_status is OrgStatus.rejected else None)
    user = factories.make_user(org, status=status, status_reason=reason if status is UserStatus.rejected else None)
    factories.make_project(org=org, name="天府大道北延线")
    db.session.commit()
    login(client, user)
    page = html(client.get("/"))
    for text in expected:
        assert text in page
    assert 'class="cp-stat-value"' not in page and "天府大道北延线" not in page
    assert "/projects/new" not in page


def test_a_member_of_a_deactivated_organisation_is_told_why(app, gov_org, owner):
    """Such users cannot log in (so the page is rendered for one directly); what it
    would say must still be right if they reach it."""
    demote(owner, "org_deactivated")
    with app.test_request_context("/"):
        login_user(owner, force=True)
        page = app.view_functions["main.index"]()
    for text in ("您所在单位已被停用", "单位已注销", "停用期间，您无法查看本单位的项目", "管理员可予以重新启用",
                 "联系单位：成都市发展和改革委员会"):
        assert text in page


def test_a_pending_government_member_gets_no_admin_navigation_or_counts(client, gov_org, admin, owner):
    """Before registration into the government organisation was refused, such accounts
    were created with the admin role: it gives them nothing until they are verified."""
    pending = factories.make_user(gov_org, Role.admin, status=UserStatus.pending)
    factories.make_need(org=owner.org, status=NeedStatus.submitted)
    factories.make_user(owner.org, status=UserStatus.pending)
    db.session.commit()
    login(client, pending)
    page = html(client.get("/"))
    assert "您的账号正在等待审核" in page
    for admin_only in ("/admin/", "/needs/review", "待审核单位", "待审核用户", 'class="cp-stat-value"'):
        assert admin_only not in page
    assert client.get("/admin/users").status_code == 403
    assert client.get("/needs/review").status_code == 403
    login(client, admin)  # the same page for a verified administrator has them
    page = html(client.get("/"))
    assert "/admin/users" in page and "/needs/review" in page and 'class="cp-stat-value"' in page


# ---- API tokens ------------------------------------------------------------------------------------
def test_an_unverified_user_is_told_why_it_has_no_token_form(client, unverified_owner):
    db.session.commit()
    login(client, unverified_owner)
    page = html(client.get("/profile"))
    assert "须待您的账号及所在单位通过审核后方可创建" in page and 'action="/profile/tokens"' not in page
    response = client.post("/profile/tokens", data={"name": "ERP"})
    assert response.status_code == 403
    assert db.session.scalar(sa.select(sa.func.count(ApiToken.id))) == 0


def test_a_verified_user_still_creates_tokens(client, owner):
    login(client, owner)
    assert 'action="/profile/tokens"' in html(client.get("/profile"))
    response = client.post("/profile/tokens", data={"name": "ERP"})
    assert response.status_code == 200 and accounts.TOKEN_PREFIX in html(response)
    assert db.session.scalar(sa.select(sa.func.count(ApiToken.id))) == 1


# ---- nobody registers into the government organisation ------------------------------------------------
def test_the_government_organisation_cannot_be_joined_through_the_register_page(client, gov_org):
    page = html(client.get("/register"))
    assert 'value="government"' not in page
    response = client.post("/register", data={
        "mode": "join", "credit_code": gov_org.credit_code, "org_name": "", "org_kind": "", "district_code": "",
        "name": "自称管理员", "email": "me@test.cn", "password": "Secret123x", "password2": "Secret123x",
        "agree": "y"})
    assert response.status_code == 200
    page = html(response)
    assert "市发展改革委工作人员账号不通过注册开通，由平台管理员统一创建。" in page
    assert 'value="me@test.cn"' in page  # what was typed stays
    assert db.session.scalar(sa.select(User).where(User.email == "me@test.cn")) is None


# ---- appointing an administrator ---------------------------------------------------------------------
def test_an_admin_appoints_an_administrator_who_sets_a_password_by_email(client, admin, mailbox):
    login(client, admin)
    assert "/admin/users/appoint" in html(client.get("/admin/users"))
    assert "新增管理员" in html(client.get("/admin/users/appoint"))
    response = client.post("/admin/users/appoint", data={"name": "李晓梅", "email": "Li.Xiaomei@test.cn"})
    appointed = accounts.find_user_by_email("li.xiaomei@test.cn")
    assert response.status_code == 302 and response.location.endswith(f"/admin/users/{appointed.id}")
    assert appointed.is_admin and appointed.org == admin.org and appointed.status is UserStatus.active
    [entry] = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "user.appoint")).all()
    assert entry.actor_id == admin.id and entry.object_id == appointed.id
    [msg] = mailbox.to("li.xiaomei@test.cn")
    assert "管理员账号开通通知" in msg["Subject"]
    body = Mailbox.body(msg)
    assert "审核员已为您开通重点项目融资对接平台管理员账号" in body
    link = re.search(r"https?://\S+/password/reset/\S+", body).group(0)
    path = "/password/reset/" + link.split("/password/reset/", 1)[1]

    client.post("/logout")
    response = client.post(path, data={"password": "Tianfu2026x", "password2": "Tianfu2026x"})
    assert response.status_code == 302 and response.location.endswith("/login")
    response = client.post("/login", data={"email": "li.xiaomei@test.cn", "password": "Tianfu2026x"})
    assert response.status_code == 302
    page = html(client.get("/"))
    assert "/admin/users" in page and "/needs/review" in page
    assert client.get(path).status_code == 302  # the link was single use


def test_an_appointment_refuses_a_registered_email_and_keeps_the_input(client, admin, owner, mailbox):
    login(client, admin)
    response = client.post("/admin/users/appoint", data={"name": "李晓梅", "email": "owner@test.cn"})
    assert response.status_code == 422
    page = html(response)
    assert "该邮箱已注册账号。" in page
    assert 'value="李晓梅"' in page and 'value="owner@test.cn"' in page
    assert db.session.get(User, owner.id).role is Role.owner
    assert db.session.scalar(sa.select(sa.func.count(AuditEntry.id)).where(AuditEntry.action == "user.appoint")) == 0
    assert mailbox.messages == []


def test_an_appointment_needs_a_name_and_a_valid_email(client, admin):
    login(client, admin)
    response = client.post("/admin/users/appoint", data={"name": "", "email": "not-an-email"})
    assert response.status_code == 422
    assert accounts.find_user_by_email("not-an-email") is None


@pytest.mark.parametrize("who", ["owner", "institution", "pending_gov"])
def test_only_verified_admins_appoint(client, request, gov_org, who):
    if who == "pending_gov":
        user = factories.make_user(gov_org, Role.admin, status=UserStatus.pending)
    else:
        user = request.getfixturevalue(who)
    db.session.commit()
    login(client, user)
    response = client.post("/admin/users/appoint", data={"name": "某人", "email": "someone@test.cn"})
    assert response.status_code == 403
    assert accounts.find_user_by_email("someone@test.cn") is None


def test_the_admin_page_offers_appointment_instead_of_approving_a_government_member(client, admin, gov_org):
    pending = factories.make_user(gov_org, Role.admin, status=UserStatus.pending)
    db.session.commit()
    login(client, admin)
    page = html(client.get(f"/admin/users/{pending.id}"))
    assert 'id="appoint-instead"' in page and f"/admin/users/{pending.id}/approve" not in page
    assert client.post(f"/admin/users/{pending.id}/approve").status_code == 403
    assert db.session.get(User, pending.id).status is UserStatus.pending
