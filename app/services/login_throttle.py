"""Per-account login throttling, on top of the per-address rate limit of the login form.

LOGIN_LOCKOUT_FAILURES failed logins within LOGIN_LOCKOUT_WINDOW_MINUTES lock the e-mail
address for LOGIN_LOCKOUT_MINUTES, and its owner is e-mailed once per lock. Counters are
kept per e-mail address (hashed), whether or not an account has it, so a lock tells
nobody which addresses are registered. They live in Redis when REDIS_URL is set, otherwise
in the database: both are shared by every worker and host.
"""

import hashlib
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.models import LoginThrottle
from app.models.base import utcnow
from app.services import audit

REDIS_PREFIX = "citypartner:login:"


def _key(email: str) -> str:
    return hashlib.sha256((email or "").strip().lower().encode()).hexdigest()


def _settings() -> tuple[int, timedelta, timedelta]:
    config = current_app.config
    return (config["LOGIN_LOCKOUT_FAILURES"],
            timedelta(minutes=config["LOGIN_LOCKOUT_WINDOW_MINUTES"]),
            timedelta(minutes=config["LOGIN_LOCKOUT_MINUTES"]))


def _redis():
    url = current_app.config.get("REDIS_URL")
    if not url:
        return None
    clients = current_app.extensions.setdefault("login_throttle_redis", {})
    if url not in clients:
        from redis import Redis

        clients[url] = Redis.from_url(url)
    return clients[url]


# ---- the two stores ----------------------------------------------------------------------------
def _redis_locked(r, key: str) -> bool:
    return bool(r.exists(REDIS_PREFIX + "lock:" + key))


def _redis_failure(r, key: str) -> bool:
    limit, window, lock = _settings()
    fails = REDIS_PREFIX + "fail:" + key
    with r.pipeline() as pipe:
        pipe.incr(fails)
        pipe.expire(fails, int(window.total_seconds()), nx=True)
        count = pipe.execute()[0]
    if count < limit:
        return False
    r.delete(fails)
    # NX: of several workers counting the same last failure, one locks (and e-mails)
    return bool(r.set(REDIS_PREFIX + "lock:" + key, "1", ex=int(lock.total_seconds()), nx=True))


def _redis_clear(r, key: str) -> None:
    r.delete(REDIS_PREFIX + "fail:" + key)


def _db_row(key: str, *, for_update: bool = False) -> LoginThrottle | None:
    query = sa.select(LoginThrottle).where(LoginThrottle.key == key)
    if for_update:
        query = query.with_for_update()
    return db.session.scalar(query)


def _db_locked(key: str, now: datetime) -> bool:
    row = _db_row(key)
    return row is not None and row.locked_until is not None and row.locked_until > now


def _db_failure(key: str, now: datetime) -> bool:
    limit, window, lock = _settings()
    row = _db_row(key, for_update=True)
    if row is None:
        try:
            with db.session.begin_nested():  # another worker may insert the same address
                row = LoginThrottle(key=key, failures=0, window_started_at=now)
                db.session.add(row)
        except sa.exc.IntegrityError:
            row = _db_row(key, for_update=True)
    if row.window_started_at <= now - window:
        row.failures, row.window_started_at = 0, now
    row.failures += 1
    if row.failures < limit or (row.locked_until is not None and row.locked_until > now):
        return False
    row.failures, row.window_started_at, row.locked_until = 0, now, now + lock
    return True


def _db_clear(key: str) -> None:
    db.session.execute(sa.update(LoginThrottle).where(LoginThrottle.key == key)
                       .values(failures=0, window_started_at=utcnow()))


# ---- what the login view asks ----------------------------------------------------------------
def is_locked(email: str) -> bool:
    r = _redis()
    return _redis_locked(r, _key(email)) if r is not None else _db_locked(_key(email), utcnow())


def record_failure(email: str) -> bool:
    """Count a failed login; True when this failure locks the address (and its owner, if
    there is an account, has been e-mailed). The caller commits."""
    r = _redis()
    locked = _redis_failure(r, _key(email)) if r is not None else _db_failure(_key(email), utcnow())
    if locked:
        _tell_owner(email)
    return locked


def record_success(email: str) -> None:
    r = _redis()
    if r is not None:
        _redis_clear(r, _key(email))
    else:
        _db_clear(_key(email))


def _tell_owner(email: str) -> None:
    from app.services import accounts, mail

    user = accounts.find_user_by_email(email)
    if user is None:
        return
    _limit, _window, lock = _settings()
    minutes = int(lock.total_seconds() // 60)
    site = current_app.config["SITE_URL"].rstrip("/")
    from flask import url_for

    mail.queue_to(
        user,
        _l("[CityPartner] Your account has been locked after failed logins"),
        _l("There were too many failed attempts to log in to your CityPartner account, "
           "so logins are suspended for %(minutes)d minutes.\n\nIf it was you, wait and "
           "try again, or reset your password:\n%(reset)s\n\nIf it was not you, someone "
           "may be trying to guess your password: reset it once the lock ends, and choose "
           "one that you use nowhere else."),
        minutes=minutes, reset=site + url_for("auth.forgot_password"),
    )
    audit.record("user.locked", user, by=None, note=f"{minutes} min")
