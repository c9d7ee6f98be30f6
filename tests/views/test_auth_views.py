"""Log in, register, reset a forgotten password, profile and API tokens, through the web."""

import re

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import ApiToken, AuditEntry, Organization, OrgStatus, User, UserStatus
from app.reference import OrgKind
from tests import factories
from tests.conftest import Mailbox

CHENGDU_BANK = "91510100633142770A"
HUAWEI = "914403001922038216"


def html(response) -> str:
    return response.get_data(as_text=True)


def log_in(client, email, password=factories.PASSWORD):
    return client.post("/login?lang=en", data={"email": email, "password": password})


# ---- log in / log out ---------------------------------------------------------------------
def test_login_and_logout(client, owner):
    response = log_in(client, "OWNER@test.cn")
    assert response.status_code == 302
    assert "业主经办人" in html(client.get("/"))
    response = client.post("/logout")
    assert response.status_code == 302 and response.location.endswith("/login")
    assert client.get("/profile").status_code == 302


def test_wrong_password_is_refused_and_audited(client, owner):
    response = log_in(client, owner.email, "wrong-password")
    assert response.status_code == 200
    assert "Wrong e-mail or password" in html(response)
    assert client.get("/profile").status_code == 302
    assert db.session.scalar(sa.select(AuditEntry.actor_id).where(
        AuditEntry.action == "user.login_failed", AuditEntry.object_id == owner.id)) is None


@pytest.mark.parametrize("target, expected", [
    ("/notifications/", "/notifications/"),
    ("//evil.example/x", "/"),
    ("https://evil.example/", "/"),
])
def test_login_redirects_only_inside_the_site(client, owner, target, expected):
    response = client.post("/login", query_string={"next": target},
                           data={"email": owner.email, "password": factories.PASSWORD})
    assert response.status_code == 302 and response.location == expected


def test_deactivated_user_cannot_log_in(client, owner):
    owner.status = UserStatus.deactivated
    db.session.commit()
    response = log_in(client, owner.email)
    assert response.status_code == 200 and "deactivated" in html(response)
    assert client.get("/profile").status_code == 302


# ---- registration ---------------------------------------------------------------------------
def reg_data(**overrides):
    data = dict(mode="new", credit_code=CHENGDU_BANK, org_name="成都银行股份有限公司",
                org_kind="bank", district_code="", name="张三", phone="028-86665000",
                email="founder@bank.cn", password="Furong-Bridge-48", password2="Furong-Bridge-48", agree="y")
    data.update(overrides)
    return data


def register(client, **overrides):
    return client.post("/register?lang=en", data=reg_data(**overrides))


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_register_page_shows_both_modes(client):
    page = html(client.get("/register?lang=en"))
    assert re.search(r'<input[^>]*name="mode"[^>]*value="new"', page)
    assert re.search(r'<input[^>]*name="mode"[^>]*value="join"', page)
    assert 'data-show-when="mode" data-show-value="new"' in page


def test_register_new_organisation(client):
    response = register(client, credit_code=CHENGDU_BANK.lower())
    assert response.status_code == 302 and response.location.endswith("/login")
    user = db.session.scalar(sa.select(User).where(User.email == "founder@bank.cn"))
    assert user.org.credit_code == CHENGDU_BANK and user.org.kind is OrgKind.bank
    assert user.org.status is OrgStatus.pending and user.status is UserStatus.pending
    assert user.check_password("Furong-Bridge-48")


def test_invalid_check_character_is_refused_and_input_kept(client):
    response = register(client, credit_code="91510100633142770B")
    page = html(response)
    assert response.status_code == 200
    assert "check character" in page
    assert 'value="91510100633142770B"' in page and 'value="成都银行股份有限公司"' in page
    assert count(Organization) == 0 and count(User) == 0


@pytest.mark.parametrize("code, message", [
    ("9151010063314277", "exactly 18 characters"),
    ("91510100633I42770A", "cannot have"),
])
def test_malformed_codes_get_a_specific_message(client, code, message):
    page = html(register(client, credit_code=code))
    assert message in page and count(Organization) == 0


def test_duplicate_credit_code(client, app):
    factories.make_org(OrgKind.bank, credit_code=CHENGDU_BANK)
    db.session.commit()
    page = html(register(client))
    assert "already registered" in page and count(User) == 0


def test_join_verified_organisation(client):
    org = factories.make_org(OrgKind.owner, credit_code=HUAWEI)
    db.session.commit()
    response = register(client, mode="join", credit_code=HUAWEI, org_name="", email="m@hw.cn")
    assert response.status_code == 302
    user = db.session.scalar(sa.select(User).where(User.email == "m@hw.cn"))
    assert user.org_id == org.id and user.status is UserStatus.pending
    assert count(Organization) == 1


def test_join_pending_organisation_is_refused(client):
    factories.make_org(OrgKind.owner, credit_code=HUAWEI, status=OrgStatus.pending)
    db.session.commit()
    page = html(register(client, mode="join", credit_code=HUAWEI, email="m@hw.cn"))
    assert "not been verified yet" in page and count(User) == 0


def test_duplicate_email_answers_like_a_registration_and_tells_the_owner(client, owner, mailbox):
    db.session.commit()
    fresh = register(client, email="founder@bank.cn", credit_code=CHENGDU_BANK)
    taken = register(client, email="Owner@Test.cn", credit_code=HUAWEI, org_name="华为技术有限公司")
    assert taken.status_code == fresh.status_code == 302
    assert taken.location == fresh.location
    assert "Registration received" in html(client.get("/login?lang=en"))
    assert count(Organization) == 2  # the owner's and the new bank: nothing for the taken address
    assert count(User) == 2
    [message] = mailbox.to("owner@test.cn")
    assert "尝试使用您的电子邮箱注册" in message["Subject"]
    body = Mailbox.body(message)
    assert "http://localhost/login" in body and "http://localhost/password/forgot" in body
    assert mailbox.to("founder@bank.cn") == []  # a real registration sends nothing of the kind


@pytest.mark.parametrize("password, message", [
    ("abc", "between 8 and 128 characters"),
    ("abcdefghij", "Sequences such as abc or 6543 are easy to guess"),
    ("1234567890", "one of the most common passwords"),
    ("founder2026!", "must not contain the name part of your e-mail address"),
])
def test_weak_password(client, password, message):
    page = html(register(client, password=password, password2=password))
    assert message in page and count(User) == 0
    assert 'value="founder@bank.cn"' in page  # what the user typed is kept


def test_weak_password_is_refused_with_its_reason_in_chinese(client):
    data = reg_data(password="qwertyuiop", password2="qwertyuiop")
    page = html(client.post("/register", data=data))
    assert "密码过于简单，容易被猜到。" in page and "这是最常用的密码之一。" in page
    assert count(User) == 0 and count(Organization) == 0


def test_new_organisation_needs_a_name(client):
    page = html(register(client, org_name=""))
    assert "This field is required" in page and count(Organization) == 0


# ---- unverified users ---------------------------------------------------------------------------
@pytest.mark.parametrize("who", ["unverified_owner", "unverified_institution"])
def test_unverified_user_logs_in_and_sees_what_is_not_possible_yet(client, request, who):
    user = request.getfixturevalue(who)
    db.session.commit()
    assert log_in(client, user.email).status_code == 302
    assert "awaiting verification" in html(client.get("/?lang=en"))
    page = html(client.get("/profile?lang=en"))
    assert "What you can do now" in page and "Only after verification" in page
    expected = "submit financing needs" if user.role.value == "owner" else "express interest"
    assert expected in page


def test_rejected_user_sees_the_reason(client, unverified_owner):
    unverified_owner.org.status = OrgStatus.rejected
    unverified_owner.org.status_reason = "营业执照已过期"
    db.session.commit()
    log_in(client, unverified_owner.email)
    assert "营业执照已过期" in html(client.get("/profile?lang=en"))


def test_verified_user_sees_no_hint(client, owner, login_as):
    login_as(owner)
    assert "What you can do now" not in html(client.get("/profile?lang=en"))


# ---- forgotten password -------------------------------------------------------------------------
def test_password_reset_by_email(client, owner, mailbox):
    response = client.post("/password/forgot?lang=en", data={"email": "owner@test.cn"})
    assert response.status_code == 302
    [msg] = mailbox.to("owner@test.cn")
    link = re.search(r"https?://\S+/password/reset/\S+", Mailbox.body(msg)).group(0)
    path = link.split("localhost", 1)[1]
    assert client.get(path).status_code == 200
    response = client.post(path, data={"password": "NewSecret9", "password2": "NewSecret9"})
    assert response.status_code == 302 and response.location.endswith("/login")
    assert log_in(client, owner.email, factories.PASSWORD).status_code == 200  # old one is gone
    assert log_in(client, owner.email, "NewSecret9").status_code == 302
    client.post("/logout")
    # The same link a second time: refused, the password stays.
    response = client.post(path, data={"password": "Tianfu-Square-85", "password2": "Tianfu-Square-85"})
    assert response.status_code == 302 and response.location.endswith("/password/forgot")
    db.session.refresh(owner)
    assert owner.check_password("NewSecret9")


def test_expired_reset_link(client, app, owner, mailbox):
    client.post("/password/forgot", data={"email": owner.email})
    link = re.search(r"/password/reset/\S+", Mailbox.body(mailbox.messages[0])).group(0)
    app.config["PASSWORD_RESET_MAX_AGE"] = -1
    response = client.get(link + "?lang=en", follow_redirects=True)
    assert "invalid, expired or already used" in html(response)
    response = client.post(link, data={"password": "NewSecret9", "password2": "NewSecret9"})
    assert response.location.endswith("/password/forgot")
    db.session.refresh(owner)
    assert owner.check_password(factories.PASSWORD)


def test_unknown_email_gets_the_same_answer_and_no_mail(client, owner, mailbox):
    known = client.post("/password/forgot?lang=en", data={"email": owner.email}, follow_redirects=True)
    unknown = client.post("/password/forgot?lang=en", data={"email": "nobody@test.cn"},
                          follow_redirects=True)
    message = "If an account exists for this address"
    assert message in html(known) and message in html(unknown)
    assert len(mailbox.messages) == 1 and mailbox.to(owner.email)


# ---- profile, password, tokens ------------------------------------------------------------------
def test_profile_update_and_language(client, owner, login_as):
    login_as(owner)
    response = client.post("/profile", data={"name": "王五", "phone": "13800000000", "title": "财务总监",
                                              "locale": "en"})
    assert response.status_code == 302
    db.session.refresh(owner)
    assert (owner.name, owner.title, owner.locale) == ("王五", "财务总监", "en")
    assert "Profile and settings" in html(client.get("/profile"))


def test_change_password(client, owner, login_as):
    login_as(owner)
    response = client.post("/profile/password?lang=en", data={
        "current_password": "wrong", "password": "Jinli-Teahouse-19", "password2": "Jinli-Teahouse-19"})
    assert response.status_code == 422 and "current password is wrong" in html(response)
    response = client.post("/profile/password", data={
        "current_password": factories.PASSWORD, "password": "Jinli-Teahouse-19", "password2": "Jinli-Teahouse-19"})
    assert response.status_code == 302
    assert client.get("/profile").status_code == 200  # this session is kept
    db.session.refresh(owner)
    assert owner.check_password("Jinli-Teahouse-19")


def test_api_token_shown_once_then_listed_and_revoked(client, institution, login_as):
    login_as(institution)
    response = client.post("/profile/tokens?lang=en", data={"name": "核心系统"})
    page = html(response)
    secret = re.search(r'id="new-token">(cp_[\w-]+)<', page).group(1)
    row = db.session.scalar(sa.select(ApiToken))
    assert row.prefix == secret[:10] and secret not in row.token_hash
    again = html(client.get("/profile?lang=en"))
    assert secret not in again and row.prefix in again and 'id="tokens"' in again
    response = client.post(f"/profile/tokens/{row.id}/revoke")
    assert response.status_code == 302
    db.session.refresh(row)
    assert row.revoked_at is not None
    assert "revoked" in html(client.get("/profile?lang=en"))


def test_cannot_revoke_someone_elses_token(client, owner, institution, login_as):
    from app.services import accounts
    _secret, row = accounts.create_api_token(institution, "x")
    db.session.commit()
    login_as(owner)
    assert client.post(f"/profile/tokens/{row.id}/revoke").status_code == 404
    db.session.refresh(row)
    assert row.revoked_at is None


def test_token_name_required(client, owner, login_as):
    login_as(owner)
    assert client.post("/profile/tokens", data={"name": ""}).status_code == 422
    assert count(ApiToken) == 0
