"""Saved searches (订阅) and the notices sent to readers when an edition is published."""



import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.models import (
    Edition,
    EditionItem,
    Role,
    SavedSearch,
    User,
    UserStatus,
)
from app.services import audit
from app.services.editions.reading import Filters, search_items
from app.services.errors import ValidationFailed
from app.services.loader import get_visible
from app.services.notifications import notify
from app.services.permissions import require, visible_saved_searches
from app.services.search.base import count


# ---- saved searches and notifications ---------------------------------------------------------------
def user_searches(user: User) -> list[SavedSearch]:
    return list(db.session.scalars(
        visible_saved_searches(user).order_by(SavedSearch.created_at, SavedSearch.id)))


def count_searches(user: User) -> int:
    return count(visible_saved_searches(user))


def save_search(user: User, *, name: str, filters: Filters, email: bool = True) -> SavedSearch:
    require(user, "create", SavedSearch(user_id=user.id))
    name = (name or "").strip()
    if not name:
        raise ValidationFailed(errors={"name": [_l("Give the search a name.")]})
    search = SavedSearch(user_id=user.id, name=name[:60], filters=filters.as_dict(), email=bool(email))
    db.session.add(search)
    db.session.flush()
    audit.record("saved_search.create", search, by=user, after={"name": search.name, "filters": search.filters})
    return search


def get_search(search_id: int, *, user) -> SavedSearch:
    return get_visible(SavedSearch, search_id, user, "delete")


def delete_search(search: SavedSearch, *, by: User) -> None:
    require(by, "delete", search)
    db.session.delete(search)
    db.session.flush()
    audit.record("saved_search.delete", search, by=by, before={"name": search.name})


def set_search_email(search: SavedSearch, email: bool, *, by: User) -> None:
    require(by, "delete", search)
    search.email = bool(email)
    db.session.flush()


def matching_need_ids(edition: Edition, filters: Filters) -> set[int]:
    query = search_items(edition, filters).with_only_columns(EditionItem.need_id).order_by(None)
    return set(db.session.scalars(query))


def _readers() -> list[User]:
    """Verified institution users and experts: told of every publication."""
    from app.models import Organization, OrgStatus

    return list(db.session.scalars(
        sa.select(User).join(User.org).where(
            User.role.in_((Role.institution, Role.expert)), User.status == UserStatus.active,
            Organization.status == OrgStatus.verified).order_by(User.id)))


def request_notices(edition: Edition) -> None:
    """Ask for the publication notices, sent once the caller's transaction has committed."""
    from app.services import jobs
    from app.services.editions.files import job_names

    jobs.enqueue("edition.notify", **job_names(edition))


def notify_readers_job(edition_id: int, **_names) -> None:
    """The "edition.notify" job: the notices and their e-mails, written in the job's one
    transaction with its "done" (so a retry never notifies twice)."""
    edition = db.session.get(Edition, edition_id)
    if edition is not None and edition.is_public:
        notify_readers(edition)


def notify_readers(edition: Edition, *, email: bool = True) -> None:
    """Each reader gets an in-app notification; the e-mail goes to everyone except those
    whose saved searches all have e-mail switched off."""
    total = db.session.scalar(sa.select(sa.func.count(EditionItem.id)).where(EditionItem.edition_id == edition.id))
    searches: dict[int, list[SavedSearch]] = {}
    for search in db.session.scalars(sa.select(SavedSearch)):
        searches.setdefault(search.user_id, []).append(search)
    params = {"year": edition.year, "period": edition.period, "total": total}
    kind = "edition_published"
    if edition.revision > 1:  # a correction: the notice and its e-mail say so (更正)
        kind = "edition_corrected"
        params.update(revision=edition.revision, note=edition.correction_note or "")
        from app.services import interests

        interests.tell_followers_of_correction(edition)
    link = f"/editions/{edition.key}"
    readers = _readers()
    best = _best_matches(edition, readers)
    for user in readers:
        mine = searches.get(user.id, [])
        theirs = best.get(user.org_id) if user.role is Role.institution else None  # not the bank's experts
        params = {**params, "best": theirs} if theirs else {k: v for k, v in params.items() if k != "best"}
        if not mine:
            notify([user], kind, params, link, email=email)
            continue
        matched = set()
        for search in mine:
            matched |= matching_need_ids(edition, Filters.from_args(search.filters))
        names = "、".join(s.name for s in mine)
        notify([user], f"{kind}_matches", {**params, "matching": len(matched), "searches": names},
               link, email=email and any(s.email for s in mine))


def _best_matches(edition: Edition, readers: list[User]) -> dict[int, list]:
    """{institution id: [[project name, score], ...]}: the best matches of the edition's
    listed needs for each reading institution's preference profile (services/
    recommendations.edition_matches); three statements in all."""
    from app.models import FinancingNeed, PreferenceProfile, Project
    from app.services import recommendations

    institutions = {u.org_id: u for u in readers if u.role is Role.institution}
    if not institutions:
        return {}
    profiles = list(db.session.scalars(sa.select(PreferenceProfile).where(
        PreferenceProfile.org_id.in_(list(institutions)))))
    if not profiles:
        return {}
    top = recommendations.edition_matches(edition, next(iter(institutions.values())), profiles)
    ids = {need_id for matches in top.values() for need_id, _score in matches}
    names = dict(db.session.execute(sa.select(FinancingNeed.id, Project.name).join(FinancingNeed.project)
                                    .where(FinancingNeed.id.in_(list(ids) or [0]))).all())
    return {org_id: [[names[need_id], score] for need_id, score in matches] for org_id, matches in top.items()}
