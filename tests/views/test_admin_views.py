"""The admin area: verifying organisations and users, roles, and the audit log."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEntry, Notification, OrgStatus, Role, UserStatus
from app.models.base import utcnow
from app.reference import OrgKind
from app.services import accounts, audit
from tests import factories
from tests.conftest import Mailbox
from tests.views.test_auth_views import html


@pytest.fixture
def pending_founder(app):
    user = accounts.register_organization(
        org_name="成都银行股份有限公司", credit_code_value="91510100633142770A", kind=OrgKind.bank,
        email="founder@bank.cn", name="张三", password="Furong-Bridge-48")
    db.session.commit()
    return user


ADMIN_PAGES = ["/admin/organizations", "/admin/users", "/admin/audit"]


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_anonymous_is_sent_to_login(client, path):
    response = client.get(path)
    assert response.status_code == 302 and "/login" in response.location


@pytest.mark.parametrize("path", ADMIN_PAGES)
@pytest.mark.parametrize("who", ["owner", "institution", "expert", "unverified_owner"])
def test_non_admins_are_refused(client, request, login_as, path, who):
    login_as(request.getfixturevalue(who))
    assert client.get(path).status_code == 403


def test_non_admin_cannot_approve(client, login_as, owner, pending_founder):
    login_as(owner)
    response = client.post(f"/admin/organizations/{pending_founder.org_id}/approve")
    assert response.status_code == 403
    db.session.refresh(pending_founder.org)
    assert pending_founder.org.status is OrgStatus.pending


@pytest.mark.parametrize("path", ["/admin/organizations/{org}/approve", "/admin/users/{user}/approve",
                                  "/admin/organizations/{org}/reject", "/admin/users/{user}/deactivate"])
def test_transitions_are_post_only(client, login_as, admin, pending_founder, path):
    login_as(admin)
    url = path.format(org=pending_founder.org_id, user=pending_founder.id)
    assert client.get(url).status_code == 405


def test_organisation_list_filters_and_counts(client, login_as, admin, owner_org, bank_org, pending_founder):
    login_as(admin)
    page = html(client.get("/admin/organizations?lang=en"))
    assert "成都城投建设有限公司" in page and "成都银行股份有限公司" in page
    assert 'data-count="pending">1<' in page and 'data-count="verified">3<' in page
    page = html(client.get("/admin/organizations?status=pending"))
    assert "成都银行股份有限公司" in page and "成都城投建设有限公司" not in page
    page = html(client.get("/admin/organizations?kind=bank"))
    assert "成都银行" in page and "成都城投建设有限公司" not in page
    page = html(client.get("/admin/organizations?q=城投"))
    assert "成都城投建设有限公司" in page and "成都银行股份有限公司" not in page
    page = html(client.get("/admin/organizations?q=91510100633142770"))
    assert "成都银行股份有限公司" in page and "成都城投建设有限公司" not in page
    assert client.get("/admin/organizations?status=bogus&page=99").status_code == 200


def test_organisation_list_paginates(client, app, login_as, admin):
    app.config["PER_PAGE"] = 2
    for n in range(4):
        factories.make_org(OrgKind.owner, name=f"分页测试单位{n}")
    login_as(admin)
    first = html(client.get("/admin/organizations?kind=owner"))
    second = html(client.get("/admin/organizations?kind=owner&page=2"))
    assert first.count("分页测试单位") == 2 and second.count("分页测试单位") == 2
    assert "4 in all" in html(client.get("/admin/organizations?kind=owner&lang=en"))


def test_approve_organisation_activates_and_notifies_founder(client, login_as, admin, pending_founder,
                                                              mailbox):
    login_as(admin)
    org_id = pending_founder.org_id
    assert "张三" in html(client.get(f"/admin/organizations/{org_id}"))
    response = client.post(f"/admin/organizations/{org_id}/approve")
    assert response.status_code == 302
    db.session.refresh(pending_founder)
    assert pending_founder.org.status is OrgStatus.verified
    assert pending_founder.status is UserStatus.active and pending_founder.is_verified
    kinds = db.session.scalars(sa.select(Notification.kind).where(
        Notification.user_id == pending_founder.id)).all()
    assert kinds == ["org_verified"]
    [mail] = mailbox.to("founder@bank.cn")
    assert "成都银行股份有限公司" in Mailbox.body(mail)
    actions = db.session.scalars(sa.select(AuditEntry.action).where(
        AuditEntry.actor_id == admin.id)).all()
    assert {"organization.verified", "user.active"} <= set(actions)
    # Approving again is not possible: a flash, no change.
    response = client.post(f"/admin/organizations/{org_id}/approve", headers={"Referer": "/admin/organizations"})
    assert response.status_code == 302


def test_reject_requires_a_reason(client, login_as, admin, pending_founder, mailbox):
    login_as(admin)
    url = f"/admin/organizations/{pending_founder.org_id}/reject?lang=en"
    response = client.post(url, data={"reject-reason": "  "})
    assert response.status_code == 422 and "This field is required" in html(response)
    db.session.refresh(pending_founder.org)
    assert pending_founder.org.status is OrgStatus.pending and not mailbox.messages
    response = client.post(url, data={"reject-reason": "营业执照名称与填写不一致"})
    assert response.status_code == 302
    db.session.refresh(pending_founder.org)
    assert pending_founder.org.status is OrgStatus.rejected
    assert pending_founder.org.status_reason == "营业执照名称与填写不一致"
    assert "营业执照名称与填写不一致" in Mailbox.body(mailbox.to("founder@bank.cn")[0])
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "organization.rejected"))
    assert entry.note == "营业执照名称与填写不一致" and entry.actor_id == admin.id


def test_deactivate_and_reactivate_organisation(client, login_as, admin, owner):
    login_as(admin)
    url = f"/admin/organizations/{owner.org_id}"
    assert client.post(url + "/deactivate", data={"deactivate-reason": ""}).status_code == 422
    assert client.post(url + "/deactivate", data={"deactivate-reason": "企业已注销"}).status_code == 302
    db.session.refresh(owner.org)
    assert owner.org.status is OrgStatus.deactivated and not accounts.may_log_in(owner)
    assert client.post(url + "/reactivate").status_code == 302
    db.session.refresh(owner.org)
    assert owner.org.status is OrgStatus.verified


def test_user_list_filters(client, login_as, admin, owner, institution, expert, pending_founder):
    login_as(admin)
    page = html(client.get("/admin/users?status=pending"))
    assert "founder@bank.cn" in page and "owner@test.cn" not in page
    page = html(client.get("/admin/users?role=expert"))
    assert "expert@test.cn" in page and "bank@test.cn" not in page
    page = html(client.get(f"/admin/users?org_id={institution.org_id}"))
    assert "bank@test.cn" in page and "owner@test.cn" not in page
    page = html(client.get("/admin/users?q=OWNER@"))
    assert "owner@test.cn" in page and "bank@test.cn" not in page


def test_approve_and_reject_users(client, login_as, admin, bank_org, mailbox):
    a = factories.make_user(bank_org, status=UserStatus.pending, email="a@bank.cn")
    b = factories.make_user(bank_org, status=UserStatus.pending, email="b@bank.cn")
    login_as(admin)
    assert client.post(f"/admin/users/{a.id}/approve").status_code == 302
    assert client.post(f"/admin/users/{b.id}/reject", data={"reject-reason": ""}).status_code == 422
    assert client.post(f"/admin/users/{b.id}/reject", data={"reject-reason": "非本行员工"}).status_code == 302
    db.session.refresh(a)
    db.session.refresh(b)
    assert a.status is UserStatus.active and a.is_verified
    assert b.status is UserStatus.rejected and b.status_reason == "非本行员工"
    assert mailbox.to("a@bank.cn") and "非本行员工" in Mailbox.body(mailbox.to("b@bank.cn")[0])


def test_change_role_of_institution_staff(client, login_as, admin, institution, owner):
    login_as(admin)
    assert "Change role" in html(client.get(f"/admin/users/{institution.id}?lang=en"))
    assert client.post(f"/admin/users/{institution.id}/role", data={"role": "expert"}).status_code == 302
    db.session.refresh(institution)
    assert institution.role is Role.expert
    assert client.post(f"/admin/users/{institution.id}/role", data={"role": "admin"}).status_code == 422
    db.session.refresh(institution)
    assert institution.role is Role.expert
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "user.role"))
    assert entry.before == {"role": "institution"} and entry.after == {"role": "expert"}
    # Owner staff have one possible role: no form, and posting changes nothing.
    assert "Change role" not in html(client.get(f"/admin/users/{owner.id}?lang=en"))
    client.post(f"/admin/users/{owner.id}/role", data={"role": "expert"})
    db.session.refresh(owner)
    assert owner.role is Role.owner


def test_admin_cannot_deactivate_self(client, login_as, admin):
    login_as(admin)
    response = client.post(f"/admin/users/{admin.id}/deactivate", data={"deactivate-reason": "x"})
    assert response.status_code == 403
    db.session.refresh(admin)
    assert admin.status is UserStatus.active


def test_unknown_objects_are_404(client, login_as, admin):
    login_as(admin)
    assert client.get("/admin/organizations/9999").status_code == 404
    assert client.post("/admin/users/9999/approve").status_code == 404


# ---- audit log (tests/views/test_audit_log.py reads it in words) -----------------------------
@pytest.fixture
def audit_rows(app, admin, owner, pending_founder):
    old = audit.record("need.approved", object_type="financing_need", object_id=77, by=admin,
                       before={"status": "submitted"}, after={"status": "approved"})
    old.at = utcnow() - timedelta(days=40)
    accounts.verify_organization(pending_founder.org, by=admin)
    db.session.commit()
    return pending_founder


def test_audit_log_paginates(client, app, login_as, admin, audit_rows):
    app.config["PER_PAGE"] = 2
    login_as(admin)
    first = html(client.get("/admin/audit"))
    assert "page=2" in first
