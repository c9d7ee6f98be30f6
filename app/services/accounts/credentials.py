"""Passwords: changed by their user, or reset (and first chosen) through an e-mailed link."""

from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from app.extensions import db
from app.models import User
from app.services import audit
from app.services.accounts.api_tokens import revoke_all_api_tokens
from app.services.accounts.registration import check_password_strength, find_user_by_email
from app.services.accounts.sessions import end_all_sessions, may_log_in
from app.services.errors import ValidationFailed

RESET_SALT = "password-reset"


def change_password(user: User, *, current: str, new: str, keep_session: str | None = None,
                    keep_tokens: bool = False) -> None:
    """Other sessions end; API tokens are revoked too unless the user chose to keep them."""
    if not user.check_password(current):
        raise ValidationFailed(errors={"current_password": [_l("The current password is wrong.")]})
    check_password_strength(new, user.email, user.name, user.org.name)
    user.set_password(new)
    end_all_sessions(user, keep=keep_session)
    if not keep_tokens:
        revoke_all_api_tokens(user, by=user, note="password changed")
    audit.record("user.password_changed", user, by=user, after={"tokens_kept": keep_tokens})


def set_password_link(user: User) -> tuple[str, int]:
    """The e-mailed link that lets `user` choose a password (a reset or a first one), and
    the minutes it stays valid."""
    from flask import url_for

    link = current_app.config["SITE_URL"].rstrip("/") + url_for(
        "auth.reset_password", token=make_reset_token(user))
    return link, current_app.config["PASSWORD_RESET_MAX_AGE"] // 60


def _reset_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=RESET_SALT)


def make_reset_token(user: User) -> str:
    # The password hash's tail is part of the payload: once the password changes the
    # token no longer matches, which makes it single use.
    return _reset_serializer().dumps({"uid": user.id, "ph": user.password_hash[-16:]})


def user_for_reset_token(token: str) -> User | None:
    try:
        data = _reset_serializer().loads(token, max_age=current_app.config["PASSWORD_RESET_MAX_AGE"])
    except (BadSignature, SignatureExpired):
        return None
    if not isinstance(data, dict):
        return None
    user = db.session.get(User, data.get("uid"))
    if not may_log_in(user) or user.password_hash[-16:] != data.get("ph"):
        return None
    return user


def request_password_reset(email: str) -> None:
    """E-mail a reset link if the account exists; say nothing either way."""
    from app.services import mail

    user = find_user_by_email(email or "")
    if not may_log_in(user):
        return
    link, minutes = set_password_link(user)
    mail.queue_to(
        user,
        _l("[CityPartner] Reset your password"),
        _l("Open this link within %(minutes)d minutes to choose a new password:\n\n"
           "%(link)s\n\nIf you did not ask for this, ignore this message; your password "
           "stays unchanged."),
        minutes=minutes, link=link,
    )
    audit.record("user.password_reset_requested", user, by=None)


def reset_password(user: User, new: str) -> None:
    """Whoever knew the old password may have made tokens with it: all of them are revoked."""
    check_password_strength(new, user.email, user.name, user.org.name)
    user.set_password(new)
    end_all_sessions(user)
    revoke_all_api_tokens(user, by=user, note="password reset")
    audit.record("user.password_reset", user, by=user)
