"""Roles that fit an organisation, and administrators appointed by administrators."""

import secrets

from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.models import Role, User, UserStatus
from app.reference import OrgKind
from app.services import audit
from app.services.accounts.credentials import set_password_link
from app.services.accounts.registration import find_user_by_email
from app.services.errors import ValidationFailed
from app.services.permissions import require


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


def _mail_appointment(user: User, by: User) -> None:
    from app.services import mail

    link, minutes = set_password_link(user)
    mail.queue_to(
        user,
        _l("[CityPartner] You have been appointed administrator"),
        _l("%(by)s has appointed you administrator of the key project financing platform "
           "for %(org)s.\n\nOpen this link within %(minutes)d minutes to choose your "
           "password:\n\n%(link)s\n\nYour login is this e-mail address. Once the link "
           "has expired, ask for a new one with “Forgot your password?” on the login page."),
        by=by.name, org=user.org.name, minutes=minutes, link=link,
    )
