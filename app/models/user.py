import enum
import hashlib
import secrets
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from app.extensions import db
from app.models.base import UTCDateTime, enum_column, utcnow
from app.models.organization import Organization
from app.reference import register_labels


class Role(enum.Enum):
    owner = "owner"
    institution = "institution"
    expert = "expert"
    admin = "admin"


ROLE_LABELS = register_labels(
    Role,
    {
        Role.owner: _l("Project owner"),
        Role.institution: _l("Financial institution"),
        Role.expert: _l("Financing expert"),
        Role.admin: _l("Administrator"),
    },
)


class UserStatus(enum.Enum):
    pending = "pending"
    active = "active"
    rejected = "rejected"
    deactivated = "deactivated"


USER_STATUS_TRANSITIONS = {
    UserStatus.pending: {UserStatus.active, UserStatus.rejected},
    UserStatus.rejected: {UserStatus.active},
    UserStatus.active: {UserStatus.deactivated},
    UserStatus.deactivated: {UserStatus.active},
}

USER_STATUS_LABELS = register_labels(
    UserStatus,
    {
        UserStatus.pending: _l("Awaiting verification"),
        UserStatus.active: _l("Active"),
        UserStatus.rejected: _l("Rejected"),
        UserStatus.deactivated: _l("Deactivated"),
    },
)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class User(UserMixin, db.Model):
    __tablename__ = "user"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(60))
    phone: Mapped[str | None] = mapped_column(sa.String(40))
    title: Mapped[str | None] = mapped_column(sa.String(60))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    org_id: Mapped[int] = mapped_column(sa.ForeignKey("organization.id"), index=True)
    role: Mapped[Role] = mapped_column(enum_column(Role), index=True)
    status: Mapped[UserStatus] = mapped_column(
        enum_column(UserStatus), default=UserStatus.pending, index=True
    )
    status_reason: Mapped[str | None] = mapped_column(sa.Text)
    locale: Mapped[str] = mapped_column(sa.String(8), default="zh")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    org: Mapped[Organization] = relationship(back_populates="users")

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)  # scrypt

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def is_active(self) -> bool:  # Flask-Login: deactivated users cannot log in
        return self.status is not UserStatus.deactivated

    @property
    def is_verified(self) -> bool:
        """May act on the platform: an active account in a verified organisation."""
        return self.status is UserStatus.active and self.org.is_verified

    @property
    def is_admin(self) -> bool:
        """An administrator's rights need a verified account, like every other role."""
        return self.has_role(Role.admin)

    def has_role(self, *roles: "Role | str") -> bool:
        """Acts in one of these roles: holds it and is verified. For templates and views;
        what a user may do to an object is asked of services.permissions."""
        return self.is_verified and self.role in {Role(r) for r in roles}

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"


class UserSession(db.Model):
    """One login. The cookie holds the token; the row says whether it is still valid,
    so logout and deactivation end sessions on the server."""

    __tablename__ = "user_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ip: Mapped[str | None] = mapped_column(sa.String(45))
    user_agent: Mapped[str | None] = mapped_column(sa.String(200))
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()

    @staticmethod
    def new_token() -> str:
        return secrets.token_urlsafe(32)


class ApiToken(db.Model):
    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(60))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    prefix: Mapped[str] = mapped_column(sa.String(12))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= utcnow()

    @property
    def is_live(self) -> bool:
        return self.revoked_at is None and not self.is_expired


class LoginThrottle(db.Model):
    """Failed logins per e-mail address (hashed), when no Redis is configured: shared by
    every worker through the database. Kept for unknown addresses too, so that a lock
    says nothing about whether an account exists."""

    __tablename__ = "login_throttle"

    key: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    window_started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
