"""The one place that answers "may this user do this to this object?".

RULES maps (action, model) to a rule(user, obj) -> bool. Views, templates (`can`) and
the API all ask here, and every list goes through one scoping function per model
(visible_projects, visible_needs), so a page, a count and the API always agree.

An object a user may not *see* answers 404; one they may see but not act on, 403.
"""

from collections.abc import Callable

import sqlalchemy as sa

from app.models import (
    EDITABLE_NEED_STATUSES,
    Attachment,
    AuditEntry,
    FinancingNeed,
    NeedStatus,
    Organization,
    Project,
    Role,
    User,
)
from app.services.errors import NotAllowed, NotFound

# Needs that financial institutions and experts see: those on a published list.
PUBLIC_NEED_STATUSES = frozenset({NeedStatus.listed})


def _user(user) -> User | None:
    """Anonymous users (Flask-Login's AnonymousUserMixin) count as None."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return user


def is_admin(user) -> bool:
    user = _user(user)
    return user is not None and user.role is Role.admin and user.is_verified


def _same_org(user, org_id: int) -> bool:
    return user is not None and user.org_id == org_id


def _is_owner_of(user, org_id: int) -> bool:
    return _same_org(user, org_id) and user.role is Role.owner


def _reads_lists(user) -> bool:
    return user is not None and user.role in (Role.institution, Role.expert)


# ---- projects ---------------------------------------------------------------
def _view_project(user, project: Project) -> bool:
    if is_admin(user) or _is_owner_of(user, project.org_id):
        return True
    return _reads_lists(user) and any(n.status in PUBLIC_NEED_STATUSES for n in project.needs)


def _create_project(user, org: Organization) -> bool:
    return _is_owner_of(user, org.id) and user.is_verified


def _edit_project(user, project: Project) -> bool:
    return _is_owner_of(user, project.org_id) and user.is_verified


# ---- needs --------------------------------------------------------------------
def _view_need(user, need: FinancingNeed) -> bool:
    if is_admin(user) or _is_owner_of(user, need.project.org_id):
        return True
    return _reads_lists(user) and need.status in PUBLIC_NEED_STATUSES


def _view_need_contact(user, need: FinancingNeed) -> bool:
    if is_admin(user) or _is_owner_of(user, need.project.org_id):
        return True
    return _reads_lists(user) and user.is_verified and need.status in PUBLIC_NEED_STATUSES


def _owner_acts(user, need: FinancingNeed) -> bool:
    return _is_owner_of(user, need.project.org_id) and user.is_verified


def _edit_need(user, need: FinancingNeed) -> bool:
    return _owner_acts(user, need) and need.status in EDITABLE_NEED_STATUSES


def _submit_need(user, need: FinancingNeed) -> bool:
    return _owner_acts(user, need) and need.status in (NeedStatus.draft, NeedStatus.returned)


def _withdraw_need(user, need: FinancingNeed) -> bool:
    return _owner_acts(user, need) and not need.is_closed


def _review_need(user, need: FinancingNeed) -> bool:
    return is_admin(user) and need.status is NeedStatus.submitted


# ---- attachments ----------------------------------------------------------------
def _view_attachment(user, att: Attachment) -> bool:
    parent = att.project if att.project_id else att.need
    return can(user, "view", parent)


def _delete_attachment(user, att: Attachment) -> bool:
    parent = att.project if att.project_id else att.need
    return can(user, "attach", parent)


def _attach_to_project(user, project: Project) -> bool:
    return _edit_project(user, project)


def _attach_to_need(user, need: FinancingNeed) -> bool:
    return _owner_acts(user, need) and not need.is_closed


# ---- organisations, users, audit -------------------------------------------------
def _admin_only(user, obj) -> bool:
    return is_admin(user)


def _view_org(user, org: Organization) -> bool:
    return is_admin(user) or _same_org(user, org.id)


RULES: dict[tuple[str, type], Callable] = {
    ("view", Project): _view_project,
    ("create_project", Organization): _create_project,
    ("edit", Project): _edit_project,
    ("attach", Project): _attach_to_project,
    ("create_need", Project): _edit_project,
    ("view", FinancingNeed): _view_need,
    ("view_contact", FinancingNeed): _view_need_contact,
    ("edit", FinancingNeed): _edit_need,
    ("submit", FinancingNeed): _submit_need,
    ("withdraw", FinancingNeed): _withdraw_need,
    ("approve", FinancingNeed): _review_need,
    ("return", FinancingNeed): _review_need,
    ("attach", FinancingNeed): _attach_to_need,
    ("view", Attachment): _view_attachment,
    ("delete", Attachment): _delete_attachment,
    ("view", Organization): _view_org,
    ("verify", Organization): _admin_only,
    ("verify", User): _admin_only,
    ("deactivate", User): lambda user, target: is_admin(user) and target.id != user.id,
    ("view", AuditEntry): _admin_only,
}


def can(user, action: str, obj) -> bool:
    """May `user` do `action` to `obj`? Unknown pairs are refused."""
    rule = RULES.get((action, type(obj)))
    if rule is None:
        raise LookupError(f"no permission rule for {action!r} on {type(obj).__name__}")
    return bool(rule(_user(user), obj))


def require(user, action: str, obj) -> None:
    """Raise NotFound when the user may not even see obj, NotAllowed otherwise."""
    if can(user, action, obj):
        return
    if action != "view" and ("view", type(obj)) in RULES and not can(user, "view", obj):
        raise NotFound()
    raise NotAllowed()


def require_admin(user) -> None:
    if not is_admin(user):
        raise NotAllowed()


# ---- scoping: the lists a user sees ----------------------------------------------
def visible_projects(user) -> sa.Select:
    user = _user(user)
    query = sa.select(Project)
    if is_admin(user):
        return query
    if user is not None and user.role is Role.owner:
        return query.where(Project.org_id == user.org_id)
    if _reads_lists(user):
        public = sa.select(FinancingNeed.id).where(
            FinancingNeed.project_id == Project.id,
            FinancingNeed.status.in_(PUBLIC_NEED_STATUSES),
        )
        return query.where(public.exists())
    return query.where(sa.false())


def visible_needs(user) -> sa.Select:
    user = _user(user)
    query = sa.select(FinancingNeed).join(FinancingNeed.project)
    if is_admin(user):
        return query
    if user is not None and user.role is Role.owner:
        return query.where(Project.org_id == user.org_id)
    if _reads_lists(user):
        return query.where(FinancingNeed.status.in_(PUBLIC_NEED_STATUSES))
    return query.where(sa.false())
