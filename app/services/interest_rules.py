"""Who may do what with follows and interests, and the scopes that list them.

Part of the permission table (permissions.py merges RULES and SCOPES from here). An
institution sees only its own organisation's follows and interests, never another's;
the owner organisation of a need sees every interest in it and how many follow it (not
who); administrators see everything; experts, the public and unverified accounts nothing.
"""

from collections.abc import Callable

import sqlalchemy as sa

from app.extensions import db
from app.models import FinancingNeed, Follow, Interest, InterestMessage, Organization, Project
from app.services.roles import (
    admin_only,
    is_admin,
    is_institution,
    is_institution_of,
    is_owner,
    is_owner_of,
    signed_in,
)


def _owner_of_need(user, need: FinancingNeed) -> bool:
    return is_owner_of(user, need.project.org_id)


# ---- interests --------------------------------------------------------------------
def _view_interest(user, interest: Interest) -> bool:
    return (is_admin(user) or is_institution_of(user, interest.org_id)
            or _owner_of_need(user, interest.need))


def _institution_acts(user, interest: Interest) -> bool:
    return is_institution_of(user, interest.org_id)


def _owner_acts(user, interest: Interest) -> bool:
    return _owner_of_need(user, interest.need)


def _either_side(user, interest: Interest) -> bool:
    """The two parties of the conversation (administrators read it, they do not write)."""
    return _institution_acts(user, interest) or _owner_acts(user, interest)


def _attach_to_message(user, message: InterestMessage) -> bool:
    """Files go with a message as its author writes it."""
    return user is not None and message.author_id == user.id and _either_side(user, message.interest)


# ---- follows ------------------------------------------------------------------------
def _view_follow(user, follow: Follow) -> bool:
    return is_admin(user) or is_institution_of(user, follow.org_id)


# ---- needs, as interests see them ---------------------------------------------------
def needs_tracked(user) -> sa.Select:
    """The ids of the needs the user's institution follows or has expressed interest in,
    whatever became of them: it keeps reading them once they leave the list (financed,
    withdrawn, back in review after a change of terms), as the notices it is sent link there."""
    return sa.union(sa.select(Interest.need_id).where(Interest.org_id == user.org_id),
                    sa.select(Follow.need_id).where(Follow.org_id == user.org_id))


def tracks(user, need: FinancingNeed) -> bool:
    """The rule of needs_tracked, for one need."""
    if not is_institution(user):
        return False
    return any(db.session.scalar(sa.select(model.id).where(model.need_id == need.id,
                                                           model.org_id == user.org_id).limit(1))
               is not None for model in (Interest, Follow))


def _institution_reads(user, need: FinancingNeed) -> bool:
    return is_institution(user)


def _need_owner_or_admin(user, need: FinancingNeed) -> bool:
    return is_admin(user) or _owner_of_need(user, need)


def _need_owner(user, need: FinancingNeed) -> bool:
    return _owner_of_need(user, need)


def _lists_interests(user, org: Organization) -> bool:
    """The menu entry of the interests list: institutions (their own), owners (in their
    needs), administrators (all)."""
    return (is_admin(user) or is_institution(user) or is_owner(user)) and user.org_id == org.id


def _keeps_interests(user, org: Organization) -> bool:
    """A verified institution user of `org`: follows needs and keeps its own interests."""
    return is_institution(user) and user.org_id == org.id


RULES: dict[tuple[str, type], Callable] = {
    ("list_interests", Organization): _lists_interests,
    ("keep_interests", Organization): _keeps_interests,
    ("view", Interest): _view_interest,
    ("contact", Interest): _institution_acts,
    ("start_due_diligence", Interest): _institution_acts,
    ("approve", Interest): _institution_acts,
    ("disburse", Interest): _institution_acts,
    ("withdraw", Interest): _institution_acts,
    ("reject", Interest): _institution_acts,
    ("update", Interest): _institution_acts,
    ("reconfirm", Interest): _institution_acts,
    ("decline", Interest): _owner_acts,
    ("message", Interest): _either_side,
    ("attach", InterestMessage): _attach_to_message,
    ("view", Follow): _view_follow,
    ("express", FinancingNeed): _institution_reads,
    ("follow", FinancingNeed): _institution_reads,
    ("view_interests", FinancingNeed): _need_owner_or_admin,  # every institution's, on the need page
    ("count_followers", FinancingNeed): _need_owner_or_admin,
    ("view_followers", FinancingNeed): admin_only,  # who follows: administrators only
    ("close_financed", FinancingNeed): _need_owner,
    ("confirm_overfunding", FinancingNeed): _need_owner,
}


def deal_scope(model, user) -> sa.Select:
    """The rows of `model` an institution holds on a need (its org_id and need_id: interests,
    invitations): administrators see all, an institution its own, an owner those on its own
    needs, anyone else none."""
    user = signed_in(user)
    query = sa.select(model)
    if is_admin(user):
        return query
    if is_institution(user):
        return query.where(model.org_id == user.org_id)
    if is_owner(user):
        own = (sa.select(FinancingNeed.id).join(FinancingNeed.project)
               .where(Project.org_id == user.org_id))
        return query.where(model.need_id.in_(own))
    return query.where(sa.false())


def visible_interests(user) -> sa.Select:
    return deal_scope(Interest, user)


def visible_follows(user) -> sa.Select:
    user = signed_in(user)
    query = sa.select(Follow)
    if is_admin(user):
        return query
    if is_institution(user):
        return query.where(Follow.org_id == user.org_id)
    return query.where(sa.false())


SCOPES: dict[type, Callable[..., sa.Select]] = {
    Interest: visible_interests,
    Follow: visible_follows,
}
