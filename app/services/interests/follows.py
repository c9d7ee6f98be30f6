"""Follows (关注): a verified institution user bookmarks a listed need and is told of its
material changes, corrections and closing. As confidential as interests: the owner learns
how many follow its need, never who."""

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import EditionItem, FinancingNeed, Follow, User
from app.services import audit
from app.services.notifications import notify
from app.services.permissions import require


def _mine(user: User, need_id: int) -> Follow | None:
    return db.session.scalar(sa.select(Follow).where(Follow.need_id == need_id,
                                                     Follow.user_id == user.id))


def is_following(user: User, need: FinancingNeed) -> bool:
    return getattr(user, "id", None) is not None and _mine(user, need.id) is not None


def follow(user: User, need: FinancingNeed) -> Follow:
    """Follow a listed need; following it again changes nothing (a double click, a retry)."""
    require(user, "follow", need)
    existing = _mine(user, need.id)
    if existing is not None:
        return existing
    row = Follow(need_id=need.id, user_id=user.id, org_id=user.org_id)
    try:
        with db.session.begin_nested():
            db.session.add(row)
            db.session.flush()
    except IntegrityError:  # the same user's other request got there first
        existing = _mine(user, need.id)
        if existing is None:
            raise
        return existing
    audit.record("follow.create", row, by=user, after={"need_id": need.id})
    return row


def unfollow(user: User, need: FinancingNeed) -> bool:
    """Stop following; whether there was a follow to remove. Works on a closed need too."""
    row = _mine(user, need.id)
    if row is None:
        return False
    audit.record("follow.delete", row, by=user, before={"need_id": need.id})
    db.session.delete(row)
    db.session.flush()
    return True


def follower_count(user: User, need: FinancingNeed) -> int:
    """How many users follow the need: for its owner and administrators."""
    require(user, "count_followers", need)
    return db.session.scalar(sa.select(sa.func.count(Follow.id)).where(Follow.need_id == need.id))


def followers(user: User, need: FinancingNeed) -> list[Follow]:
    """Who follows the need: administrators only."""
    require(user, "view_followers", need)
    return list(db.session.scalars(sa.select(Follow).where(Follow.need_id == need.id)
                                   .order_by(Follow.created_at, Follow.id)))


def _follower_users(need_id: int) -> list[User]:
    users = db.session.scalars(sa.select(User).join(Follow, Follow.user_id == User.id)
                               .where(Follow.need_id == need_id).order_by(User.id))
    return [u for u in users if u.is_verified]


def tell_followers(need: FinancingNeed, kind: str, **extra) -> None:
    """Notify the need's followers (in-app and by e-mail) of a change, a correction or its closing."""
    users = _follower_users(need.id)
    if users:
        notify(users, kind, {"project": need.project.name, **extra}, link=f"/needs/{need.id}")


def tell_followers_of_correction(edition) -> None:
    """A corrected edition: the followers of each need it carries are told (once per need)."""
    need_ids = db.session.scalars(
        sa.select(EditionItem.need_id).where(EditionItem.edition_id == edition.id,
                                             EditionItem.need_id.in_(sa.select(Follow.need_id)))
        .distinct())
    for need_id in need_ids:
        need = db.session.get(FinancingNeed, need_id)
        tell_followers(need, "follow_corrected", year=edition.year, period=edition.period,
                       revision=edition.revision)
