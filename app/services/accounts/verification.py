"""Administrators verify, reject, deactivate and reactivate organisations and users."""

from flask_babel import lazy_gettext as _l

from app.models import Organization, OrgStatus, User, UserStatus
from app.models.base import utcnow
from app.services.accounts.api_tokens import revoke_all_api_tokens
from app.services.accounts.sessions import end_all_sessions
from app.services.errors import ValidationFailed
from app.services.notifications import notify
from app.services.permissions import require
from app.services.workflow import move


def _require_reason(reason: str | None) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(errors={"reason": [_l("Give a reason.")]})
    return reason


def verify_organization(org: Organization, *, by: User) -> None:
    require(by, "verify", org)
    move(org, OrgStatus.verified, by=by)
    org.status_reason = None
    org.verified_at = utcnow()
    founders = [u for u in org.users if u.status is UserStatus.pending]
    for user in founders:
        move(user, UserStatus.active, by=by)
    notify(org.users, "org_verified", {"org": org.name}, link="/")


def reject_organization(org: Organization, *, reason: str, by: User) -> None:
    require(by, "verify", org)
    reason = _require_reason(reason)
    move(org, OrgStatus.rejected, by=by, note=reason)
    org.status_reason = reason
    notify(org.users, "org_rejected", {"org": org.name, "reason": reason}, link="/")


def deactivate_organization(org: Organization, *, reason: str, by: User) -> None:
    """Its users are logged out everywhere and cannot log in until it is reactivated."""
    require(by, "verify", org)
    reason = _require_reason(reason)
    move(org, OrgStatus.deactivated, by=by, note=reason)
    org.status_reason = reason
    for user in org.users:
        end_all_sessions(user)


def reactivate_organization(org: Organization, *, by: User) -> None:
    require(by, "verify", org)
    move(org, OrgStatus.verified, by=by)
    org.status_reason = None


def verify_user(user: User, *, by: User) -> None:
    require(by, "approve", user)
    move(user, UserStatus.active, by=by)
    user.status_reason = None
    notify([user], "user_verified", {"org": user.org.name}, link="/")


def reject_user(user: User, *, reason: str, by: User) -> None:
    require(by, "verify", user)
    reason = _require_reason(reason)
    move(user, UserStatus.rejected, by=by, note=reason)
    user.status_reason = reason
    notify([user], "user_rejected", {"org": user.org.name, "reason": reason}, link="/")


def deactivate_user(user: User, *, reason: str, by: User) -> None:
    require(by, "deactivate", user)
    reason = _require_reason(reason)
    move(user, UserStatus.deactivated, by=by, note=reason)
    user.status_reason = reason
    end_all_sessions(user)
    revoke_all_api_tokens(user, by=by, note="user deactivated")


def reactivate_user(user: User, *, by: User) -> None:
    require(by, "deactivate", user)
    move(user, UserStatus.active, by=by)
    user.status_reason = None
