"""API tokens: made by verified users for themselves, stored hashed, revocable."""

import secrets
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from app.extensions import db
from app.models import ApiToken, User, hash_token
from app.models.base import utcnow
from app.services import audit
from app.services.accounts.sessions import may_log_in
from app.services.errors import NotFound
from app.services.permissions import require

TOKEN_PREFIX = "cp_"


def user_tokens(user: User) -> list[ApiToken]:
    return list(db.session.scalars(
        sa.select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.created_at.desc())))


def create_api_token(user: User, name: str, *, by: User | None = None) -> tuple[str, ApiToken]:
    """Returns the token itself (shown once) and its stored, hashed record."""
    require(by or user, "create_token", user)
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(user=user, name=(name or "API").strip()[:60], token_hash=hash_token(secret),
                   prefix=secret[:10], expires_at=utcnow() + token_lifetime())
    db.session.add(row)
    db.session.flush()
    audit.record("api_token.create", row, by=by or user, after={"name": row.name, "prefix": row.prefix})
    return secret, row


def token_lifetime() -> timedelta:
    return timedelta(days=current_app.config["API_TOKEN_DAYS"])


def revoke_all_api_tokens(user: User, *, by: User | None, note: str | None = None) -> None:
    now = utcnow()
    for row in user_tokens(user):
        if row.revoked_at is None:
            row.revoked_at = now
            audit.record("api_token.revoke", row, by=by, note=note)


def revoke_api_token(token_id: int, *, by: User) -> None:
    row = db.session.get(ApiToken, token_id)
    if row is None or (row.user_id != by.id):
        raise NotFound()
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        audit.record("api_token.revoke", row, by=by)


def user_for_api_token(secret: str | None) -> User | None:
    if not secret or not secret.startswith(TOKEN_PREFIX):
        return None
    now = utcnow()
    row = db.session.scalar(sa.select(ApiToken).where(
        ApiToken.token_hash == hash_token(secret), ApiToken.revoked_at.is_(None),
        ApiToken.expires_at > now))
    if row is None or not may_log_in(row.user):
        return None
    if row.last_used_at is None or (now - row.last_used_at).total_seconds() > 60:
        row.last_used_at = now
    return row.user
