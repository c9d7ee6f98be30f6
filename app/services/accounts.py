"""Organisations, users, sessions, password resets and API tokens."""

import secrets
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app, has_request_context, request
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.models import (
    ApiToken,
    Organization,
    OrgStatus,
    Role,
    User,
    UserSession,
    UserStatus,
    hash_token,
)
from app.models.base import utcnow
from app.reference import INSTITUTION_KINDS, OrgKind
from app.services import audit, credit_code, passwords
from app.services.errors import DomainError, NotAllowed, NotFound, ValidationFailed
from app.services.notifications import notify
from app.services.permissions import require
from app.services.workflow import move

RESET_SALT = "password-reset"
TOKEN_PREFIX = "cp_"
SESSION_TOUCH_SECONDS = 60  # how stale last_seen_at may be (the idle timeout is in minutes)


def role_for_kind(kind: OrgKind) -> Role:
    if kind is OrgKind.government:
        return Role.admin
    return Role.institution if kind in INSTITUTION_KINDS else Role.owner


def check_password_strength(password: str, email: str = "", *names: str) -> None:
    """zxcvbn's score >= 3 against the account's own words (e-mail, names, organisation)."""
    passwords.check_strength(password, email=email, names=names)


def _require_reason(reason: str | None) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(errors={"reason": [_l("Give a reason.")]})
    return reason


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(sa.func.lower(User.email) == email.lower()))


def find_org_by_code(code: str) -> Organization | None:
    return db.session.scalar(
        sa.select(Organization).where(Organization.credit_code == credit_code.normalize(code))
    )


class AlreadyRegistered(DomainError):
    """The e-mail address has an account. Registration answers as if it had worked (the
    page must not tell who has an account here) and the view e-mails the address's owner."""


def _new_user(org: Organization, *, email, name, password, phone=None, locale="zh") -> User:
    check_password_strength(password, email, name, org.name)
    if find_user_by_email(email):
        User().set_password(password)  # the same work as a real registration
        raise AlreadyRegistered()
    user = User(email=email.strip().lower(), name=name.strip(), phone=phone, org=org,
                role=role_for_kind(org.kind), status=UserStatus.pending, locale=locale)
    user.set_password(password)
    db.session.add(user)
    return user


def register_organization(*, org_name, credit_code_value, kind: OrgKind, email, name,
                          password, phone=None, district_code=None, locale="zh") -> User:
    """A new organisation and its first user, both awaiting verification."""
    code = credit_code.normalize(credit_code_value)
    if not credit_code.is_valid(code):
        raise ValidationFailed(errors={"credit_code": [_l("This unified social credit code is not valid.")]})
    if find_org_by_code(code):
        raise ValidationFailed(errors={"credit_code": [
            _l("This organisation is already registered: ask to join it instead.")]})
    if kind is OrgKind.government:
        raise NotAllowed()
    org = Organization(name=org_name.strip(), credit_code=code, kind=kind,
                       status=OrgStatus.pending, district_code=district_code)
    db.session.add(org)
    user = _new_user(org, email=email, name=name, password=password, phone=phone, locale=locale)
    db.session.flush()
    audit.record("organization.register", org, by=user, after={"name": org.name, "kind": kind.value})
    return user


def register_member(*, credit_code_value, email, name, password, phone=None, locale="zh") -> User:
    """Ask to join an existing, verified organisation."""
    org = find_org_by_code(credit_code_value)
    if not credit_code.is_valid(credit_code_value):
        raise ValidationFailed(errors={"credit_code": [_l("This unified social credit code is not valid.")]})
    if org is None:
        raise ValidationFailed(errors={"credit_code": [
            _l("No organisation is registered with this code: register it instead.")]})
    if org.kind is OrgKind.government:
        # Its members are administrators: they are appointed (appoint_admin), never self-registered.
        raise ValidationFailed(errors={"credit_code": [
            _l("Accounts of the development and reform commission are not registered here: "
               "an administrator of the platform creates them.")]})
    if not org.is_verified:
        raise ValidationFailed(errors={"credit_code": [
            _l("This organisation has not been verified yet; try again once it is.")]})
    user = _new_user(org, email=email, name=name, password=password, phone=phone, locale=locale)
    db.session.flush()
    audit.record("user.register", user, by=user, after={"org_id": org.id})
    return user


def tell_owner_of_registration_attempt(email: str) -> None:
    """Someone registered with an address that has an account: its owner hears of it by
    e-mail, the person at the form learns nothing (the same answer as a registration)."""
    from flask import url_for
    from flask_babel import force_locale

    from app.services import mail

    user = find_user_by_email(email or "")
    if user is None:
        return
    site = current_app.config["SITE_URL"].rstrip("/")
    with force_locale(user.locale or "zh"):
        mail.queue(
            user.email,
            str(_l("[CityPartner] Someone tried to register with your e-mail address")),
            str(_l("Someone tried to register a new account on CityPartner with this e-mail "
                   "address, which already has an account.\n\nIf it was you, log in:\n%(login)s\n\n"
                   "or, if you have forgotten your password, reset it:\n%(reset)s\n\n"
                   "If it was not you, ignore this message: nothing was changed.")) % {
                "login": site + url_for("auth.login"), "reset": site + url_for("auth.forgot_password")},
        )
    audit.record("user.register_attempt", user, by=None)


def active_admins() -> list[User]:
    return list(db.session.scalars(
        sa.select(User).join(User.org).where(
            User.role == Role.admin, User.status == UserStatus.active,
            Organization.status == OrgStatus.verified)
    ))


def platform_operator() -> Organization | None:
    """The government organisation that runs the platform: whom unverified users contact."""
    return db.session.scalar(
        sa.select(Organization).where(Organization.kind == OrgKind.government,
                                      Organization.status == OrgStatus.verified)
        .order_by(Organization.id).limit(1))


def standing(user: User) -> tuple[str, str | None] | None:
    """Why a user cannot act yet, and the reason an administrator gave: None for a
    verified user, else (situation, reason) with situation one of org_deactivated,
    account_deactivated, org_rejected, account_rejected, org_pending, account_pending."""
    org = user.org
    if org.status is OrgStatus.deactivated:
        return "org_deactivated", org.status_reason
    if user.status is UserStatus.deactivated:
        return "account_deactivated", user.status_reason
    if org.status is OrgStatus.rejected:
        return "org_rejected", org.status_reason
    if user.status is UserStatus.rejected:
        return "account_rejected", user.status_reason
    if org.status is OrgStatus.pending:
        return "org_pending", None
    if user.status is UserStatus.pending:
        return "account_pending", None
    return None


# ---- verification by admins ---------------------------------------------------------
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


def assignable_roles(user: User) -> tuple[Role, ...]:
    """The roles that fit the user's organisation: experts are employed by institutions."""
    if user.org.kind is OrgKind.owner:
        return (Role.owner,)
    if user.org.kind is OrgKind.government:
        return (Role.admin,)
    return (Role.institution, Role.expert)


def set_role(user: User, role: Role, *, by: User) -> None:
    """Admins appoint experts (from institutions) and other admins."""
    require(by, "verify", user)
    if role not in assignable_roles(user):
        raise ValidationFailed(errors={"role": [_l("This role does not fit the user's organisation.")]})
    audit.record("user.role", user, by=by, before={"role": user.role.value}, after={"role": role.value})
    user.role = role


def appoint_admin(*, name: str, email: str, by: User) -> User:
    """A new administrator, appointed by an administrator: an account in the appointer's
    (government) organisation, active at once, with an e-mailed link to choose a password
    (a password-reset token: single use, it expires). Nobody registers as an administrator."""
    org = by.org
    require(by, "appoint_admin", org)
    if find_user_by_email(email):
        raise ValidationFailed(errors={"email": [_l("An account with this e-mail already exists.")]})
    user = User(email=email.strip().lower(), name=name.strip(), org=org, role=Role.admin,
                status=UserStatus.active, locale=by.locale or "zh")
    user.set_password(secrets.token_urlsafe(32))  # known to nobody: the link sets the real one
    db.session.add(user)
    db.session.flush()
    audit.record("user.appoint", user, by=by,
                 after={"name": user.name, "email": user.email, "role": Role.admin.value})
    _mail_appointment(user, by)
    return user


def _set_password_link(user: User) -> tuple[str, int]:
    """The e-mailed link that lets `user` choose a password (a reset or a first one), and
    the minutes it stays valid."""
    from flask import url_for

    link = current_app.config["SITE_URL"].rstrip("/") + url_for(
        "auth.reset_password", token=make_reset_token(user))
    return link, current_app.config["PASSWORD_RESET_MAX_AGE"] // 60


def _mail_appointment(user: User, by: User) -> None:
    from flask_babel import force_locale

    from app.services import mail

    link, minutes = _set_password_link(user)
    with force_locale(user.locale or "zh"):
        mail.queue(
            user.email,
            str(_l("[CityPartner] You have been appointed administrator")),
            str(_l("%(by)s has appointed you administrator of the key project financing platform "
                   "for %(org)s.\n\nOpen this link within %(minutes)d minutes to choose your "
                   "password:\n\n%(link)s\n\nYour login is this e-mail address. Once the link "
                   "has expired, ask for a new one with “Forgot your password?” on the login page.")) % {
                "by": by.name, "org": user.org.name, "minutes": minutes, "link": link},
        )


# ---- login sessions --------------------------------------------------------------------
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


# ---- passwords -----------------------------------------------------------------------------
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
    from flask_babel import force_locale

    from app.services import mail

    user = find_user_by_email(email or "")
    if not may_log_in(user):
        return
    link, minutes = _set_password_link(user)
    with force_locale(user.locale or "zh"):
        mail.queue(
            user.email,
            str(_l("[CityPartner] Reset your password")),
            str(_l("Open this link within %(minutes)d minutes to choose a new password:\n\n"
                   "%(link)s\n\nIf you did not ask for this, ignore this message; your password "
                   "stays unchanged.")) % {"minutes": minutes, "link": link},
        )
    audit.record("user.password_reset_requested", user, by=None)


def reset_password(user: User, new: str) -> None:
    """Whoever knew the old password may have made tokens with it: all of them are revoked."""
    check_password_strength(new, user.email, user.name, user.org.name)
    user.set_password(new)
    end_all_sessions(user)
    revoke_all_api_tokens(user, by=user, note="password reset")
    audit.record("user.password_reset", user, by=user)


def update_profile(user: User, *, name: str, phone: str | None, title: str | None, locale: str) -> None:
    before = audit.snapshot(user, ("name", "phone", "title", "locale"))
    user.name, user.phone, user.title = name.strip(), phone, title
    if locale in current_app.config["LANGUAGES"]:
        user.locale = locale
    b, a = audit.changed(before, audit.snapshot(user, ("name", "phone", "title", "locale")))
    if a:
        audit.record("user.profile", user, by=user, before=b, after=a)


# ---- API tokens ------------------------------------------------------------------------------
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
