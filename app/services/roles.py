"""Who a user is, as the permission rules ask it: signed in, verified, in which role, of
which organisation. The rules of permissions.py and interest_rules.py are built on these,
so that "a verified administrator" means one thing everywhere."""

from app.models import Role, User


def signed_in(user) -> User | None:
    """Anonymous users (Flask-Login's AnonymousUserMixin) count as None."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return user


def verified(user) -> bool:
    return user is not None and user.is_verified


def is_admin(user) -> bool:
    user = signed_in(user)
    return verified(user) and user.role is Role.admin


def is_institution(user) -> bool:
    return verified(user) and user.role is Role.institution


def is_owner(user) -> bool:
    return verified(user) and user.role is Role.owner


def same_org(user, org_id: int) -> bool:
    """A verified member: the only kind that reads what its organisation holds."""
    return verified(user) and user.org_id == org_id


def is_owner_of(user, org_id: int) -> bool:
    return same_org(user, org_id) and user.role is Role.owner


def is_institution_of(user, org_id: int) -> bool:
    """A verified user of the institution itself."""
    return same_org(user, org_id) and user.role is Role.institution


def admin_only(user, obj) -> bool:
    return is_admin(user)
