"""Sessions that really end, login rate limit, CSRF, security headers, secrets, hashes."""

import re

import pytest
import sqlalchemy as sa

from app import create_app
from app.extensions import db
from app.models import OrgStatus, User
from app.services import accounts
from config import DEV_SECRET
from tests import factories
from tests.conftest import login
from tests.views.test_auth_views import html


def sibling_app(app, **overrides):
    """Another app on the same database, with other settings (rate limit, CSRF)."""
    return create_app("testing", SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
                      UPLOAD_FOLDER=app.config["UPLOAD_FOLDER"], **overrides)


def form_login(client, user, password=factories.PASSWORD):
    return client.post("/login", data={"email": user.email, "password": password})


def copy_cookie(source, target):
    target.set_cookie("session", source.get_cookie("session").value)


# ---- sessions end on the server ---------------------------------------------------------
def test_copied_cookie_is_dead_after_logout(app, client, owner):
    db.session.commit()
    assert form_login(client, owner).status_code == 302
    thief = app.test_client()
    copy_cookie(client, thief)
    assert thief.get("/profile").status_code == 200  # the copy works while the session lives
    client.post("/logout")
    response = thief.get("/profile")
    assert response.status_code == 302 and "/login" in response.location


def test_copied_cookie_is_dead_after_deactivation(app, client, owner, admin, login_as):
    db.session.commit()
    form_login(client, owner)
    thief = app.test_client()
    copy_cookie(client, thief)
    assert thief.get("/profile").status_code == 200
    admin_client = app.test_client()
    login(admin_client, admin)
    response = admin_client.post(f"/admin/users/{owner.id}/deactivate",
                                 data={"deactivate-reason": "账号泄露"})
    assert response.status_code == 302
    for c in (client, thief):
        assert c.get("/profile").status_code == 302
    assert form_login(app.test_client(), owner).status_code == 200  # cannot log in again


def test_org_deactivation_logs_its_users_out(app, client, owner, admin):
    db.session.commit()
    form_login(client, owner)
    accounts.deactivate_organization(owner.org, reason="企业已注销", by=admin)
    db.session.commit()
    assert client.get("/profile").status_code == 302


def test_login_starts_a_new_session_token(app, client, owner):
    db.session.commit()
    form_login(client, owner)
    with client.session_transaction() as sess:
        sid = sess["sid"]
    assert accounts.session_user(sid) == owner


# ---- login rate limit ---------------------------------------------------------------------------
def test_login_is_rate_limited(app, owner):
    db.session.commit()
    limited = sibling_app(app, RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="3 per minute")
    client = limited.test_client()
    for _ in range(3):
        response = client.post("/login?lang=en", data={"email": owner.email, "password": "wrong"})
        assert response.status_code == 200
    response = client.post("/login?lang=en", data={"email": owner.email, "password": factories.PASSWORD})
    assert response.status_code == 429
    page = html(response)
    assert "Too many attempts" in page and "<!doctype html>" in page
    assert client.get("/profile").status_code == 302  # the right password did not get through
    assert client.get("/login").status_code == 200  # only posting is limited


def test_rate_limit_off_in_tests_by_default(client, owner):
    for _ in range(12):
        assert client.post("/login", data={"email": owner.email, "password": "wrong"}).status_code == 200


# ---- CSRF ------------------------------------------------------------------------------------------
@pytest.fixture
def csrf_app(app):
    return sibling_app(app, WTF_CSRF_ENABLED=True)


def test_login_without_csrf_token_is_refused(csrf_app, owner):
    db.session.commit()
    client = csrf_app.test_client()
    response = client.post("/login?lang=en", data={"email": owner.email, "password": factories.PASSWORD})
    assert response.status_code == 302 and response.location == "/login"
    assert "Your form expired" in html(client.get("/login?lang=en"))
    assert client.get("/profile").status_code == 302  # not logged in
    assert db.session.scalar(sa.select(User.last_login_at).where(User.id == owner.id)) is None


def test_logout_without_csrf_token_is_refused(csrf_app, owner):
    db.session.commit()
    client = csrf_app.test_client()
    login(client, owner)
    client.post("/logout")
    assert client.get("/profile").status_code == 200  # still logged in


def test_admin_action_without_csrf_token_is_refused(csrf_app, admin):
    org = factories.make_org(status=OrgStatus.pending)
    db.session.commit()
    client = csrf_app.test_client()
    login(client, admin)
    response = client.post(f"/admin/organizations/{org.id}/approve")
    assert response.status_code == 302
    db.session.refresh(org)
    assert org.status is OrgStatus.pending
    # With the token from the page the same action works.
    page = html(client.get(f"/admin/organizations/{org.id}"))
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert client.post(f"/admin/organizations/{org.id}/approve", data={"csrf_token": token}).status_code == 302
    db.session.refresh(org)
    assert org.status is OrgStatus.verified


# ---- headers, secrets, hashes ----------------------------------------------------------------------
@pytest.mark.parametrize("path", ["/", "/login", "/healthz"])
def test_security_headers(client, path):
    headers = client.get(path).headers
    csp = headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "same-origin"


def test_session_cookie_is_httponly(app, client, owner):
    db.session.commit()
    response = form_login(client, owner)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


@pytest.mark.parametrize("secret", [DEV_SECRET, "", None, "short"])
def test_production_refuses_a_missing_or_weak_secret(secret):
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app("production", SECRET_KEY=secret)


def test_production_starts_with_a_real_secret(tmp_path):
    app = create_app("production", SECRET_KEY="k3!x9-a-long-random-production-secret",
                     SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'p.db'}")
    assert app.config["SESSION_COOKIE_SECURE"] and not app.config.get("TESTING")
    assert app.config["RATELIMIT_ENABLED"] and app.config.get("WTF_CSRF_ENABLED", True)


def test_passwords_are_stored_as_scrypt_hashes(app, client):
    client.post("/register", data=dict(
        mode="new", credit_code="91510100633142770A", org_name="成都银行股份有限公司", org_kind="bank",
        name="张三", email="founder@bank.cn", password="Furong-Bridge-48", password2="Furong-Bridge-48", agree="y"))
    user = db.session.scalar(sa.select(User).where(User.email == "founder@bank.cn"))
    assert user.password_hash.startswith("scrypt:") and "Furong-Bridge-48" not in user.password_hash
    assert user.check_password("Furong-Bridge-48") and not user.check_password("abc12346")


def test_behind_a_proxy_the_client_address_comes_from_x_forwarded_for():
    from app import create_app

    app = create_app("testing", SQLALCHEMY_DATABASE_URI="sqlite://", PROXY_FIX_HOPS=1)
    seen = {}

    @app.get("/_ip")
    def _ip():
        from flask import request

        seen["ip"] = request.remote_addr
        return ""

    app.test_client().get("/_ip", headers={"X-Forwarded-For": "203.0.113.9"})
    assert seen["ip"] == "203.0.113.9"
