"""The server ends a session after SESSION_IDLE_MINUTES without a request, whatever the
cookie's own expiry, and sends the user to log in again with a message."""

from datetime import timedelta
from urllib.parse import unquote

import sqlalchemy as sa

from app.extensions import db
from app.models import UserSession
from app.models.base import utcnow
from tests.conftest import login
from tests.views.test_auth_views import html


def idle_for(minutes: float) -> None:
    db.session.execute(sa.update(UserSession).values(last_seen_at=utcnow() - timedelta(minutes=minutes)))
    db.session.commit()


def live_sessions() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(UserSession)
                             .where(UserSession.ended_at.is_(None)))


def test_idle_session_is_ended_and_the_user_sent_to_log_in(app, client, owner):
    assert app.config["SESSION_IDLE_MINUTES"] == 30
    login(client, owner)
    assert client.get("/profile").status_code == 200
    idle_for(31)
    response = client.get("/profile?tab=x")
    assert response.status_code == 302
    assert unquote(response.location) == "/login?next=/profile?tab=x"
    page = html(client.get(response.location))
    assert "您已超过 30 分钟未操作，系统已自动退出登录，请重新登录。" in page
    assert live_sessions() == 0  # ended on the server, not only in this browser
    assert client.get("/profile").status_code == 302


def test_idle_user_on_a_public_page_is_sent_to_log_in_too(client, owner):
    login(client, owner)
    idle_for(45)
    response = client.get("/?lang=en")
    assert response.status_code == 302 and response.location.startswith("/login")
    assert "without activity" in html(client.get("/login?lang=en"))


def test_a_copied_cookie_of_an_idle_session_is_dead(app, client, owner):
    login(client, owner)
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    idle_for(31)
    assert client.get("/profile").status_code == 302
    thief.set_cookie("session", client.get_cookie("session").value)
    assert thief.get("/profile").status_code == 302


def test_activity_keeps_the_session_alive(client, owner):
    login(client, owner)
    idle_for(29)
    assert client.get("/profile").status_code == 200
    seen = db.session.scalar(sa.select(UserSession.last_seen_at))
    assert utcnow() - seen < timedelta(minutes=1)  # the request counted as activity
    idle_for(29)
    assert client.get("/profile").status_code == 200


def test_last_seen_is_written_at_most_once_a_minute(client, owner, count_queries):
    login(client, owner)
    idle_for(2)
    with count_queries() as first:
        client.get("/profile")
    with count_queries() as second:
        client.get("/profile")
        client.get("/")
    updates = [s for s in first.statements if s.lstrip().upper().startswith("UPDATE USER_SESSION")]
    assert len(updates) == 1
    assert not [s for s in second.statements if s.lstrip().upper().startswith("UPDATE")]


def test_idle_timeout_is_configurable(app, client, owner):
    app.config["SESSION_IDLE_MINUTES"] = 5
    login(client, owner)
    idle_for(4)
    assert client.get("/profile").status_code == 200
    idle_for(6)
    assert client.get("/profile").status_code == 302


def test_api_requests_do_not_read_the_session(app, client, owner):
    """A bearer-token request neither ends nor touches the browser's session."""
    from tests.api.conftest import bearer

    headers = bearer(owner)
    login(client, owner)
    idle_for(31)
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    assert live_sessions() == 1
