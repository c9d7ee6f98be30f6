"""Registering organisations and their users, finding accounts, and where a user stands."""

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.models import Organization, OrgStatus, Role, User, UserStatus
from app.reference import INSTITUTION_KINDS, OrgKind
from app.services import audit, credit_code, passwords
from app.services.errors import DomainError, NotAllowed, ValidationFailed


def role_for_kind(kind: OrgKind) -> Role:
    if kind is OrgKind.government:
        return Role.admin
    return Role.institution if kind in INSTITUTION_KINDS else Role.owner


def check_password_strength(password: str, email: str = "", *names: str) -> None:
    """zxcvbn's score >= 3 against the account's own words (e-mail, names, organisation)."""
    passwords.check_strength(password, email=email, names=names)


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

    from app.services import mail

    user = find_user_by_email(email or "")
    if user is None:
        return
    site = current_app.config["SITE_URL"].rstrip("/")
    mail.queue_to(
        user,
        _l("[CityPartner] Someone tried to register with your e-mail address"),
        _l("Someone tried to register a new account on CityPartner with this e-mail "
           "address, which already has an account.\n\nIf it was you, log in:\n%(login)s\n\n"
           "or, if you have forgotten your password, reset it:\n%(reset)s\n\n"
           "If it was not you, ignore this message: nothing was changed."),
        login=site + url_for("auth.login"), reset=site + url_for("auth.forgot_password"),
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


def update_profile(user: User, *, name: str, phone: str | None, title: str | None, locale: str) -> None:
    before = audit.snapshot(user, ("name", "phone", "title", "locale"))
    user.name, user.phone, user.title = name.strip(), phone, title
    if locale in current_app.config["LANGUAGES"]:
        user.locale = locale
    b, a = audit.changed(before, audit.snapshot(user, ("name", "phone", "title", "locale")))
    if a:
        audit.record("user.profile", user, by=user, before=b, after=a)
