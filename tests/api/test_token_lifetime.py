"""API tokens end: with a password reset, a password change (unless kept), their expiry;
and the API is rate limited per token and per client address."""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import ApiToken
from app.models.base import utcnow
from app.services import accounts
from tests import factories
from tests.api.test_auth import assert_unauthorized
from tests.conftest import login
from tests.views.test_security import sibling_app

NEW_PASSWORD = "Hibiscus-Lantern-73"


def token_headers(user, name="script"):
    secret, row = accounts.create_api_token(user, name)
    db.session.commit()
    return {"Authorization": f"Bearer {secret}"}, row


def test_password_reset_revokes_every_token(client, owner):
    first, _row = token_headers(owner, "laptop")
    second, _row = token_headers(owner, "server")
    assert client.get("/api/v1/me", headers=first).status_code == 200
    link = f"/password/reset/{accounts.make_reset_token(owner)}"
    response = client.post(link, data={"password": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == 302
    assert_unauthorized(client.get("/api/v1/me", headers=first))
    assert_unauthorized(client.get("/api/v1/me", headers=second))
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ApiToken).where(
        ApiToken.revoked_at.is_(None))) == 0


@pytest.mark.parametrize("keep, works", [(None, False), ("y", True)])
def test_password_change_revokes_tokens_unless_kept(client, owner, keep, works):
    headers, _row = token_headers(owner)
    login(client, owner)
    data = {"current_password": factories.PASSWORD, "password": NEW_PASSWORD, "password2": NEW_PASSWORD}
    if keep:
        data["keep_tokens"] = keep
    response = client.post("/profile/password?lang=en", data=data, follow_redirects=True)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert ("your API tokens revoked" in page) is not works
    answer = client.get("/api/v1/me", headers=headers)
    if works:
        assert answer.status_code == 200
    else:
        assert_unauthorized(answer)


def test_refused_password_change_keeps_the_tokens(client, owner):
    headers, _row = token_headers(owner)
    login(client, owner)
    response = client.post("/profile/password", data={
        "current_password": "wrong", "password": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == 422
    assert client.get("/api/v1/me", headers=headers).status_code == 200


def test_profile_offers_to_keep_the_tokens(client, owner):
    login(client, owner)
    page = client.get("/profile").get_data(as_text=True)
    assert 'name="keep_tokens"' in page and "保留我的 API 令牌" in page


def test_token_expires_after_the_configured_days(app, client, owner):
    app.config["API_TOKEN_DAYS"] = 7
    headers, row = token_headers(owner)
    assert timedelta(days=7) - timedelta(minutes=1) < row.expires_at - utcnow() <= timedelta(days=7)
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    row.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    response = client.get("/api/v1/projects", headers=headers)
    assert_unauthorized(response)
    assert set(response.json["error"]) >= {"status", "code", "message"}


def test_default_lifetime_is_90_days(app, owner):
    assert app.config["API_TOKEN_DAYS"] == 90
    _secret, row = accounts.create_api_token(owner, "x")
    assert (row.expires_at - row.created_at).days in (89, 90)


def test_profile_lists_expiry_and_last_use_in_shanghai_time(client, owner):
    _headers, live = token_headers(owner, "报表程序")
    live.created_at = datetime(2026, 12, 1, 17, 0, tzinfo=UTC)
    live.last_used_at = datetime(2026, 12, 1, 17, 30, tzinfo=UTC)
    live.expires_at = datetime(2099, 3, 1, 17, 0, tzinfo=UTC)
    _headers, old = token_headers(owner, "旧程序")
    old.expires_at = datetime(2026, 1, 1, 0, 0, tzinfo=UTC)
    db.session.commit()
    login(client, owner)
    page = client.get("/profile").get_data(as_text=True)
    assert "有效期至" in page
    assert "2026-12-02 01:30" in page  # last used, in Asia/Shanghai
    assert "2099-03-02" in page  # expiry date, in Asia/Shanghai
    assert "已过期" in page
    # only the live token can still be revoked
    assert f"/profile/tokens/{live.id}/revoke" in page
    assert f"/profile/tokens/{old.id}/revoke" not in page


# ---- rate limits --------------------------------------------------------------------------------
def assert_too_many(response):
    assert response.status_code == 429
    error = response.json["error"]
    assert error["status"] == 429 and error["code"] == "too_many_requests"
    assert "Too many requests" in error["message"]
    assert int(response.headers["Retry-After"]) > 0


def test_api_is_limited_per_token(app, owner, institution):
    first, _row = token_headers(owner)
    second, _row = token_headers(institution)
    limited = sibling_app(app, RATELIMIT_ENABLED=True, API_RATE_LIMIT="2 per minute",
                          API_IP_RATE_LIMIT="100 per minute")
    client = limited.test_client()
    for _ in range(2):
        assert client.get("/api/v1/me?lang=en", headers=first).status_code == 200
    assert_too_many(client.get("/api/v1/projects?lang=en", headers=first))  # one budget for the API
    assert client.get("/api/v1/me", headers=second).status_code == 200  # another token's budget


def test_api_is_limited_per_address(app, owner, institution, expert):
    tokens = [token_headers(u)[0] for u in (owner, institution, expert)]
    limited = sibling_app(app, RATELIMIT_ENABLED=True, API_RATE_LIMIT="100 per minute",
                          API_IP_RATE_LIMIT="2 per minute")
    client = limited.test_client()
    assert client.get("/api/v1/me", headers=tokens[0]).status_code == 200
    assert client.get("/api/v1/me", headers=tokens[1]).status_code == 200
    assert_too_many(client.get("/api/v1/me?lang=en", headers=tokens[2]))
    assert_too_many(client.get("/api/v1/editions?lang=en"))  # no token: the address still counts
    other = limited.test_client()
    response = other.get("/api/v1/me", headers=tokens[2], environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert response.status_code == 200


def test_api_limit_is_off_in_tests_by_default(client, owner):
    headers, _row = token_headers(owner)
    for _ in range(5):
        assert client.get("/api/v1/me", headers=headers).status_code == 200
