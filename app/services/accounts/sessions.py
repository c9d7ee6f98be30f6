"""Logging in, and the login sessions that carry it from page to page."""

from datetime import timedelta

import sqlalchemy as sa
from flask import current_app, has_request_context, request
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.models import OrgStatus, User, UserSession, hash_token
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


def session_user(token: str | None) -> User | None:
    return resume_session(token)[0]


def resume_session(token: str | None) -> tuple[User | None, bool]:
    """The user of a live session, and whether the session has just idled out (then it is
    ended on the server). last_seen_at is written at most once a minute, on a connection of
    its own: reading a page never commits the request's unfinished work."""
    if not token:
        return None, False
    row = db.session.scalar(  # with its user and organisation: every page reads them
        sa.select(UserSession).where(
            UserSession.token_hash == hash_token(token), UserSession.ended_at.is_(None))
        .options(joinedload(UserSession.user).joinedload(User.org))
    )
    if row is None or not may_log_in(row.user):
        return None, False
    now = utcnow()
    if row.created_at < now - current_app.config["SESSION_ABSOLUTE_LIFETIME"]:
        return None, False  # an absolute lifetime: a stolen or forgotten session does not live on
    if row.last_seen_at < now - timedelta(minutes=current_app.config["SESSION_IDLE_MINUTES"]):
        _write_session(row.id, ended_at=now)
        return None, True
    if (now - row.last_seen_at).total_seconds() >= SESSION_TOUCH_SECONDS:
        _write_session(row.id, last_seen_at=now)
    return row.user, False


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
