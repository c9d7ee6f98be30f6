"""Logging in, and the login sessions that carry it from page to page."""

from datetime import timedelta
from functools import cache
from typing import NamedTuple

import sqlalchemy as sa
from flask import current_app, has_request_context, request
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.models import Notification, OrgStatus, User, UserSession, hash_token
from app.models.base import utcnow
from app.services import audit
from app.services.accounts.registration import find_user_by_email

SESSION_TOUCH_SECONDS = 60  # how stale last_seen_at may be (the idle timeout is in minutes)


def may_log_in(user: User | None) -> bool:
    """Deactivated users, and every user of a deactivated organisation, are shut out.
    Pending and rejected users may log in: they see why they cannot act yet."""
    return (user is not None and user.is_active
            and user.org.status is not OrgStatus.deactivated)


def authenticate(email: str, password: str) -> User | None:
    user = find_user_by_email(email or "")
    if user is None:
        # Same work as a real check, so timing does not reveal which e-mails exist.
        User(password_hash="scrypt:32768:8:1$x$0").check_password(password or "")
        return None
    if not user.check_password(password or ""):
        audit.record("user.login_failed", user, by=None)
        return None
    return user


def start_session(user: User) -> str:
    token = UserSession.new_token()
    ip = request.remote_addr if has_request_context() else None
    agent = request.user_agent.string[:200] if has_request_context() else None
    db.session.add(UserSession(user=user, token_hash=hash_token(token), ip=ip, user_agent=agent))
    user.last_login_at = utcnow()
    audit.record("user.login", user, by=user)
    return token


class Resumed(NamedTuple):
    """What resuming a session found: its user (None: no live session), whether it has just
    idled out, and the user's unread notifications (the navigation shows them on every page)."""

    user: User | None
    idled_out: bool = False
    unread: int = 0


def session_user(token: str | None) -> User | None:
    return resume_session(token).user


def resume_session(token: str | None) -> Resumed:
    """The user of a live session, and whether the session has just idled out (then it is
    ended on the server), in one statement with the user, the organisation and the unread
    count. last_seen_at is written at most once a minute (SESSION_TOUCH_SECONDS), on a
    connection of its own: reading a page never commits the request's unfinished work."""
    if not token:
        return Resumed(None)
    found = db.session.execute(_live_session(), {"token_hash": hash_token(token)}).first()
    if found is None or not may_log_in(found[0].user):
        return Resumed(None)
    row, unread_count = found
    now = utcnow()
    if row.created_at < now - current_app.config["SESSION_ABSOLUTE_LIFETIME"]:
        return Resumed(None)  # an absolute lifetime: a stolen or forgotten session does not live on
    if row.last_seen_at < now - timedelta(minutes=current_app.config["SESSION_IDLE_MINUTES"]):
        _write_session(row.id, ended_at=now)
        return Resumed(None, idled_out=True)
    if (now - row.last_seen_at).total_seconds() >= SESSION_TOUCH_SECONDS:
        _write_session(row.id, last_seen_at=now)
    return Resumed(row.user, unread=unread_count)


@cache
def _live_session() -> sa.Select:
    """The statement of every signed-in request, built once: a live session by its token's
    hash, with its user, the organisation and the unread count."""
    unread = (sa.select(sa.func.count(Notification.id))
              .where(Notification.user_id == UserSession.user_id, Notification.read_at.is_(None))
              .scalar_subquery())
    return (sa.select(UserSession, unread)
            .where(UserSession.token_hash == sa.bindparam("token_hash"), UserSession.ended_at.is_(None))
            .options(joinedload(UserSession.user).joinedload(User.org)))


def _write_session(session_id: int, **values) -> None:
    with db.engine.begin() as conn:
        conn.execute(sa.update(UserSession).where(UserSession.id == session_id).values(**values))


def end_session(token: str | None) -> None:
    if token:
        db.session.execute(
            sa.update(UserSession)
            .where(UserSession.token_hash == hash_token(token), UserSession.ended_at.is_(None))
            .values(ended_at=utcnow())
        )


def end_all_sessions(user: User, *, keep: str | None = None) -> None:
    query = sa.update(UserSession).where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
    if keep:
        query = query.where(UserSession.token_hash != hash_token(keep))
    db.session.execute(query.values(ended_at=utcnow()))
