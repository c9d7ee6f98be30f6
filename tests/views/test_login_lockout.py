"""Per-account login throttling: LOGIN_LOCKOUT_FAILURES failures within the window lock the
address for a while and e-mail its owner once; the counters live in Redis when REDIS_URL
is set, otherwise in the database, so every worker sees them."""

import os
import re
import secrets
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import LoginThrottle
from app.models.base import utcnow
from app.services import login_throttle
from tests import factories
from tests.views.test_auth_views import html
from tests.views.test_security import sibling_app

REDIS_URL = "redis://127.0.0.1:6379/2"  # the tests' own Redis database
REDIS_PREFIX = (f"citypartner-test-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}-"
                f"{secrets.token_hex(6)}:login:")
LOCKED = "Too many failed logins with this e-mail address"
WRONG = "Wrong e-mail or password"


def _redis():
    from redis import Redis

    client = Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except OSError:
        pytest.skip(f"no Redis at {REDIS_URL}")
    except Exception as exc:  # redis.exceptions.ConnectionError is not an OSError
        pytest.skip(f"no Redis at {REDIS_URL}: {exc}")
    return client


@pytest.fixture(params=["database", "redis"])
def store(request, app, monkeypatch):
    """Run the test against either store; yields a function that ends every lock early."""
    if request.param == "database":
        app.config["REDIS_URL"] = None

        def end_locks():
            db.session.execute(sa.update(LoginThrottle).values(locked_until=utcnow() - timedelta(seconds=1)))
            db.session.commit()
        yield end_locks
        return
    client = _redis()
    # Test runs (several checkouts on one machine) and their parallel workers share the
    # Redis database: each process counts under keys of its own.
    monkeypatch.setattr(login_throttle, "REDIS_PREFIX", REDIS_PREFIX)
    for key in client.scan_iter(login_throttle.REDIS_PREFIX + "*"):
        client.delete(key)
    app.config["REDIS_URL"] = REDIS_URL

    def end_redis_locks():
        for key in client.scan_iter(login_throttle.REDIS_PREFIX + "lock:*"):
            client.delete(key)
    yield end_redis_locks
    for key in client.scan_iter(login_throttle.REDIS_PREFIX + "*"):
        client.delete(key)
    app.extensions.pop("login_throttle_redis", None)


def attempt(client, email, password="wrong-password"):
    return html(client.post("/login?lang=en", data={"email": email, "password": password}))


def test_ten_failures_lock_the_account_and_mail_its_owner_once(client, owner, mailbox, store):
    db.session.commit()
    for _ in range(9):
        assert WRONG in attempt(client, owner.email)
    assert LOCKED in attempt(client, owner.email)  # the tenth
    assert "15 minutes" in attempt(client, owner.email)
    # the right password does not get through while the lock lasts
    assert LOCKED in attempt(client, owner.email, factories.PASSWORD)
    assert client.get("/profile").status_code == 302
    for _ in range(5):
        attempt(client, owner.email)
    [message] = mailbox.to(owner.email)
    assert "多次登录失败" in message["Subject"]
    assert "http://localhost/password/forgot" in message.get_body(("plain",)).get_content()

    store()  # the lock runs out
    response = client.post("/login", data={"email": owner.email, "password": factories.PASSWORD})
    assert response.status_code == 302
    assert client.get("/profile").status_code == 200


def test_success_starts_the_count_again(client, owner, store):
    db.session.commit()
    for _ in range(9):
        attempt(client, owner.email)
    client.post("/login", data={"email": owner.email, "password": factories.PASSWORD})
    client.post("/logout")
    for _ in range(9):
        assert WRONG in attempt(client, owner.email)


def test_a_lock_does_not_tell_whether_the_address_has_an_account(client, owner, mailbox, store):
    db.session.commit()
    pages = {}
    for email in (owner.email, "nobody@test.cn"):
        for _ in range(9):
            attempt(client, email)
        pages[email] = attempt(client, email)
    known, unknown = (re.sub(r'name="csrf_token"[^>]*>', "", pages[e].replace(e, "EMAIL"))
                      for e in (owner.email, "nobody@test.cn"))
    assert LOCKED in known and known == unknown
    assert mailbox.to("nobody@test.cn") == []


def test_addresses_are_counted_separately(client, owner, other_owner, store):
    db.session.commit()
    for _ in range(10):
        attempt(client, other_owner.email)
    response = client.post("/login", data={"email": owner.email, "password": factories.PASSWORD})
    assert response.status_code == 302


def test_the_address_is_matched_whatever_its_case(client, owner, store):
    db.session.commit()
    for i in range(10):
        attempt(client, owner.email.upper() if i % 2 else owner.email)
    assert LOCKED in attempt(client, "Owner@Test.CN", factories.PASSWORD)


def test_limits_are_configurable(app, client, owner, store):
    app.config.update(LOGIN_LOCKOUT_FAILURES=3, LOGIN_LOCKOUT_MINUTES=60)
    db.session.commit()
    attempt(client, owner.email)
    attempt(client, owner.email)
    page = attempt(client, owner.email)
    assert LOCKED in page and "60 minutes" in page


def test_failures_outside_the_window_do_not_add_up(app, client, owner):
    app.config["REDIS_URL"] = None
    db.session.commit()
    for _ in range(9):
        attempt(client, owner.email)
    db.session.execute(sa.update(LoginThrottle).values(
        window_started_at=utcnow() - timedelta(minutes=16)))
    db.session.commit()
    assert WRONG in attempt(client, owner.email)  # a new window: one failure, not ten


def test_workers_share_the_count(app, owner, store):
    """Two apps (two gunicorn workers) on one database and one Redis: failures add up."""
    db.session.commit()
    worker_a = app.test_client()
    worker_b = sibling_app(app, REDIS_URL=app.config["REDIS_URL"]).test_client()
    for i in range(10):
        attempt(worker_a if i % 2 else worker_b, owner.email)
    assert LOCKED in attempt(worker_a, owner.email, factories.PASSWORD)
    assert LOCKED in attempt(worker_b, owner.email, factories.PASSWORD)


def test_lockout_page_is_in_chinese(client, owner, store):
    db.session.commit()
    for _ in range(9):
        client.post("/login", data={"email": owner.email, "password": "wrong"})
    page = html(client.post("/login", data={"email": owner.email, "password": "wrong"}))
    assert "该电子邮箱登录失败次数过多，已暂停登录 15 分钟" in page
