"""The one place that answers "may this user do this to this object?".

RULES maps (action, model) to a rule(user, obj) -> bool. Views, templates (`can`) and
the API all ask here, and every list goes through one scoping function per model
(SCOPES: visible_projects, visible_needs ...), so a page, a count and the API always agree.

An object a user may not *see* answers 404; one they may see but not act on, 403.

A role counts only for a verified user: an active account in a verified organisation.
Anyone can ask to join an organisation with its (public) credit code, so a pending,
rejected or deactivated account gets nothing its organisation holds (projects, needs,
contacts, review comments, files) and no administrator's rights. It still knows its own
organisation record (the home page tells it where verification stands), and an
institution or expert account reads what the published lists show the public.
"""

from collections.abc import Callable

import sqlalchemy as sa

from app.models import (
    PUBLIC_EDITION_STATUSES,
    Attachment,
    AuditEntry,
    Edition,
    EditionItem,
    FinancingNeed,
    Invitation,
    Job,
    NeedStatus,
    Organization,
    Project,
    Role,
    SavedSearch,
    User,
)
from app.reference import OrgKind
from app.services import interest_rules
from app.services.errors import InvalidTransition, NotAllowed, NotFound
from app.services.roles import (
    admin_only,
    is_admin,
    is_institution,
    is_owner,
    is_owner_of,
    signed_in,
    verified,
)
from app.services.state_gates import STATES

# Needs that financial institutions and experts see: those on a published list.
PUBLIC_NEED_STATUSES = frozenset({NeedStatus.listed})


def _member_of(user, org_id: int) -> bool:
    """Belongs to the organisation, verified or not: grants the organisation record only."""
    return user is not None and user.org_id == org_id


def _reads_lists(user) -> bool:
    return user is not None and user.role in (Role.institution, Role.expert)


# ---- projects ---------------------------------------------------------------
def _view_project(user, project: Project) -> bool:
    if is_admin(user) or is_owner_of(user, project.org_id):
        return True
    return _reads_lists(user) and any(n.status in PUBLIC_NEED_STATUSES for n in project.needs)


def _create_project(user, org: Organization) -> bool:
    return is_owner_of(user, org.id)


def _edit_project(user, project: Project) -> bool:
    return is_owner_of(user, project.org_id)


# ---- needs --------------------------------------------------------------------
def _view_need(user, need: FinancingNeed) -> bool:
    """Owners their own, readers the listed ones, and an institution also the needs it
    follows or has expressed interest in (interest_rules.tracks) once they leave the list."""
    if is_admin(user) or is_owner_of(user, need.project.org_id):
        return True
    if _reads_lists(user) and need.status in PUBLIC_NEED_STATUSES:
        return True
    return interest_rules.tracks(user, need)


def _view_need_contact(user, need: FinancingNeed) -> bool:
    if is_admin(user) or is_owner_of(user, need.project.org_id):
        return True
    return _reads_lists(user) and user.is_verified and need.status in PUBLIC_NEED_STATUSES


def _owner_acts(user, need: FinancingNeed) -> bool:
    return is_owner_of(user, need.project.org_id)


def _view_need_history(user, need: FinancingNeed) -> bool:
    """The review history (reviewers' names and comments) is between owner and admins."""
    return is_admin(user) or is_owner_of(user, need.project.org_id)


def _review_need(user, need: FinancingNeed) -> bool:
    return is_admin(user)


# ---- attachments ----------------------------------------------------------------
def _view_attachment(user, att: Attachment) -> bool:
    """Files go to whoever sees their project or need, except institution and expert
    accounts not verified yet: anyone can register one, so they get public fields only."""
    if _reads_lists(user) and not user.is_verified:
        return False
    return can(user, "view", _parent(att))


def _parent(att: Attachment):
    if att.message_id:
        return att.message.interest  # the two sides of the conversation and admins
    return att.project if att.project_id else att.need


def _delete_attachment(user, att: Attachment) -> bool:
    if att.message_id:
        return False  # a message's files stay with the message
    return can(user, "attach", _parent(att))


def _attach_to_project(user, project: Project) -> bool:
    return _edit_project(user, project)


def _attach_to_need(user, need: FinancingNeed) -> bool:
    return _owner_acts(user, need)


# ---- organisations, users, audit -------------------------------------------------


def _view_org(user, org: Organization) -> bool:
    # The record itself (name, status, the reason of a refusal) is shown to its own
    # members, verified or not; so an unverified owner opening the new-project form is
    # told 403 (not yet), not 404.
    return is_admin(user) or _member_of(user, org.id)


def _sees_all_needs(user, org: Organization) -> bool:
    """Lists of projects count every need of each project for their owners and admins
    (others see listed needs only, so a count would say little)."""
    return is_admin(user) or is_owner_of(user, org.id)


def _works_on_projects(user, org: Organization) -> bool:
    """Prepares projects and needs as a member of `org` (the owner's dashboard and menu)."""
    return is_owner_of(user, org.id)


def _saves_searches(user, target: User) -> bool:
    """The home page counts the saved searches of a verified institution's own account."""
    return verified(user) and user.role is Role.institution and target.id == user.id


def _appoint_admin(user, org: Organization) -> bool:
    """Administrators are appointed into the government organisation, by one of its own
    administrators; nobody registers into it."""
    return is_admin(user) and org.kind is OrgKind.government and org.id == user.org_id


def _approve_user(user, target: User) -> bool:
    """An account that asked to join the government organisation (before that was refused)
    would become an administrator with one click: administrators are appointed instead."""
    return is_admin(user) and target.org.kind is not OrgKind.government


def _create_token(user, target: User) -> bool:
    """A token reads the API as its user: only verified users get one, for themselves."""
    return verified(user) and target.id == user.id


# ---- list editions -------------------------------------------------------------------
def _view_edition(user, edition: Edition) -> bool:
    return edition.status in PUBLIC_EDITION_STATUSES or is_admin(user)


def _view_item_contact(user, item: EditionItem) -> bool:
    """Contacts of an edition item: admins, verified institution users and experts,
    and the owner organisation of the need itself; never the public. It reads of the
    item only its edition and its need's owner (editions.selection counts on it)."""
    if not _view_edition(user, item.edition):
        return False
    if is_admin(user):
        return True
    if _reads_lists(user):
        return user.is_verified
    return is_owner_of(user, item.need.project.org_id)


# ---- preference profiles, matching and invitations (定向推送) ---------------------------------


def _keeps_preferences(user, org: Organization) -> bool:
    """Any verified user of an institution keeps its profile and reads its recommendations."""
    return is_institution(user) and user.org_id == org.id


def _matches_institutions(user, need: FinancingNeed) -> bool:
    """可能感兴趣的机构 and 定向推送: the need's owner and admins, never institutions."""
    return is_admin(user) or is_owner_of(user, need.project.org_id)


def _view_invitation(user, invitation: Invitation) -> bool:
    if is_admin(user):
        return True
    if is_institution(user):
        return user.org_id == invitation.org_id
    return is_owner_of(user, invitation.need.project.org_id)


def _approve_publication(user, edition: Edition) -> bool:
    # Maker–checker: the admin who requested publication cannot approve it.
    return is_admin(user) and edition.requested_by_id is not None and edition.requested_by_id != user.id


def _see_search(user, search: SavedSearch) -> bool:
    return user is not None and search.user_id == user.id


def _own_search(user, search: SavedSearch) -> bool:
    # Publications are announced to verified readers only (editions._readers), so a
    # search saved before verification would never be told of a match.
    return _see_search(user, search) and _reads_lists(user) and verified(user)


RULES: dict[tuple[str, type], Callable] = {
    ("view", Project): _view_project,
    ("create_project", Organization): _create_project,
    ("edit", Project): _edit_project,
    ("attach", Project): _attach_to_project,
    ("create_need", Project): _edit_project,
    ("view", FinancingNeed): _view_need,
    ("view_contact", FinancingNeed): _view_need_contact,
    ("view_history", FinancingNeed): _view_need_history,
    ("edit", FinancingNeed): _owner_acts,
    ("submit", FinancingNeed): _owner_acts,
    ("withdraw", FinancingNeed): _owner_acts,
    ("delete", FinancingNeed): _owner_acts,
    ("approve", FinancingNeed): _review_need,
    ("return", FinancingNeed): _review_need,
    ("attach", FinancingNeed): _attach_to_need,
    ("view", Attachment): _view_attachment,
    ("delete", Attachment): _delete_attachment,
    ("view", Organization): _view_org,
    ("verify", Organization): admin_only,
    ("appoint_admin", Organization): _appoint_admin,
    # Questions a page asks of the user's own organisation (current_user.org) to decide
    # what to show: menus, dashboards, list columns.
    ("list_projects", Organization): _sees_all_needs,
    ("count_needs", Organization): _sees_all_needs,
    ("prepare_projects", Organization): _works_on_projects,
    ("review_needs", Organization): admin_only,
    ("oversee", Organization): admin_only,  # sees every organisation's projects and their owners
    ("verify", User): admin_only,
    ("approve", User): _approve_user,
    ("create_token", User): _create_token,
    ("save_searches", User): _saves_searches,
    ("deactivate", User): lambda user, target: is_admin(user) and target.id != user.id,
    ("view", AuditEntry): admin_only,
    ("view", Edition): _view_edition,
    ("compile", Edition): admin_only,
    ("edit", Edition): admin_only,
    ("request_publication", Edition): admin_only,
    ("approve_publication", Edition): _approve_publication,
    ("publish", Edition): admin_only,
    ("correct", Edition): admin_only,
    ("view_contact", EditionItem): _view_item_contact,
    ("view", SavedSearch): _see_search,  # another user's saved search answers 404
    ("create", SavedSearch): _own_search,
    ("delete", SavedSearch): _own_search,
    ("keep_preferences", Organization): _keeps_preferences,
    ("match_institutions", FinancingNeed): _matches_institutions,
    ("invite", FinancingNeed): _matches_institutions,
    ("view", Invitation): _view_invitation,
    ("view", Job): admin_only,  # the jobs page, /admin/jobs
    ("retry", Job): admin_only,
    **interest_rules.RULES,  # follows and interests (interest_rules.py)
}


def _rule(action: str, obj) -> Callable:
    rule = RULES.get((action, type(obj)))
    if rule is None:
        raise LookupError(f"no permission rule for {action!r} on {type(obj).__name__}")
    return rule


def _in_state(action: str, obj) -> bool:
    states = STATES.get((action, type(obj)))
    return states is None or obj.status in states


def can(user, action: str, obj) -> bool:
    """May `user` do `action` to `obj` now? Unknown pairs are refused."""
    return bool(_rule(action, obj)(signed_in(user), obj)) and _in_state(action, obj)


def require(user, action: str, obj) -> None:
    """Raise NotFound when the user may not even see obj, NotAllowed when they may not
    do this, InvalidTransition when they may, but not in the object's current state."""
    if can(user, action, obj):
        return
    if action == "view" or (("view", type(obj)) in RULES and not can(user, "view", obj)):
        raise NotFound()
    if _rule(action, obj)(signed_in(user), obj):
        raise InvalidTransition()
    raise NotAllowed()


def require_admin(user) -> None:
    if not is_admin(user):
        raise NotAllowed()


# ---- scoping: the lists a user sees ----------------------------------------------
def visible_projects(user) -> sa.Select:
    user = signed_in(user)
    query = sa.select(Project)
    if is_admin(user):
        return query
    if is_owner(user):
        return query.where(Project.org_id == user.org_id)
    if _reads_lists(user):
        public = sa.select(FinancingNeed.id).where(
            FinancingNeed.project_id == Project.id,
            FinancingNeed.status.in_(PUBLIC_NEED_STATUSES),
        )
        return query.where(public.exists())
    return query.where(sa.false())


def visible_needs(user) -> sa.Select:
    """Only an owner's scope joins the project (its organisation's); the others read the need
    table alone, so that their counts are read from its indexes. A filter on the project's
    columns joins it (services/search/needs.py)."""
    user = signed_in(user)
    query = sa.select(FinancingNeed)
    if is_admin(user):
        return query
    if is_owner(user):
        return query.join(FinancingNeed.project).where(Project.org_id == user.org_id)
    if is_institution(user):
        return query.where(sa.or_(FinancingNeed.status.in_(PUBLIC_NEED_STATUSES),
                                  FinancingNeed.id.in_(interest_rules.needs_tracked(user))))
    if _reads_lists(user):
        return query.where(FinancingNeed.status.in_(PUBLIC_NEED_STATUSES))
    return query.where(sa.false())


def visible_editions(user) -> sa.Select:
    """Everyone reads published (and superseded) editions; admins see drafts too."""
    query = sa.select(Edition)
    if is_admin(user):
        return query
    return query.where(Edition.status.in_(PUBLIC_EDITION_STATUSES))


def visible_saved_searches(user) -> sa.Select:
    """A saved search is its user's own: nobody else lists it, administrators included."""
    user = signed_in(user)
    if user is None:
        return sa.select(SavedSearch).where(sa.false())
    return sa.select(SavedSearch).where(SavedSearch.user_id == user.id)


def visible_invitations(user) -> sa.Select:
    """定向推送: an institution's users list those sent to it; an owner those on its own
    needs; admins all."""
    return interest_rules.deal_scope(Invitation, user)


# Each scoped model and its one scope: what `user` sees of it is exactly the rows for which
# can(user, "view", row) holds (tests/services/test_scopes.py proves it for every role,
# verification state, organisation and status). A new listable model adds its line here.
SCOPES: dict[type, Callable[..., sa.Select]] = {
    Project: visible_projects,
    FinancingNeed: visible_needs,
    Edition: visible_editions,
    SavedSearch: visible_saved_searches,
    Invitation: visible_invitations,
    **interest_rules.SCOPES,
}
visible_interests = interest_rules.visible_interests
visible_follows = interest_rules.visible_follows


# ---- audiences: who sees a published edition page alike ---------------------------------------
def audience(user) -> str:
    """What the rules on published editions read of a user, as a short key: two users of
    one audience are shown the same edition page (items, filters, download links), so its
    rendered parts may be shared between them (app/editions/fragments.py). The public
    (anonymous visitors) is one audience; a signed-in user's rules read the role and the
    verification, and an owner's also its organisation (contacts of its own items). A rule
    on editions that reads anything else of the user must add it here."""
    user = signed_in(user)
    if user is None:
        return "public"
    state = "verified" if verified(user) else "unverified"
    if user.role is Role.owner:
        return f"owner:{state}:{user.org_id}"
    return f"{user.role.value}:{state}"
