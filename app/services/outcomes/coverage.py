"""What administrators watch between editions: how far each listed need is covered by
institutions (followers and interests by stage), which listed needs nobody has taken up N days
after listing, and why institutions said no (the problems that block financing, the feed of
diagnosis candidates). Administrators only: the callers require the "oversee" rule.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import contains_eager

from app.extensions import db
from app.models import (
    EXIT_STATUSES,
    FinancingNeed,
    Follow,
    Interest,
    InterestStatus,
    NeedStatus,
    Project,
    RejectionReason,
)
from app.models.base import ZERO, utcnow
from app.services.outcomes.figures import listed_needs


def unanswered_after_days() -> int:
    """N of "listed needs with no interest N days after listing" (INTEREST_ALERT_DAYS)."""
    return int(current_app.config["INTEREST_ALERT_DAYS"])


def coverage_query(*, without_interest_after: int | None = None, district: str | None = None) -> sa.Select:
    """The needs listed now, the oldest listing first (with their project and owner). With
    `without_interest_after`, only those listed at least that many days ago that no
    institution has expressed interest in. Their figures: coverage_of(page of needs)."""
    listed = listed_needs()
    query = (sa.select(FinancingNeed)
             .join(listed, listed.c.need_id == FinancingNeed.id)
             .join(FinancingNeed.project).join(Project.org)
             .options(contains_eager(FinancingNeed.project).contains_eager(Project.org))
             .where(FinancingNeed.status == NeedStatus.listed))
    if without_interest_after is not None:
        query = query.where(
            ~sa.exists().where(Interest.need_id == FinancingNeed.id),
            listed.c.listed_at <= utcnow() - timedelta(days=without_interest_after))
    if district:
        query = query.where(Project.district_code == district)
    return query.order_by(listed.c.listed_at.asc(), FinancingNeed.id.asc())


@dataclass
class Coverage:
    listed_at: datetime | None = None
    followers: int = 0
    interests: int = 0
    by_status: dict = field(default_factory=dict)  # InterestStatus -> count

    @property
    def ended(self) -> int:
        return sum(self.by_status.get(s, 0) for s in EXIT_STATUSES)


def coverage_of(needs: list[FinancingNeed]) -> dict[int, Coverage]:
    """need id -> its first listing, followers and interests by status (three statements
    for a page of needs)."""
    ids = [n.id for n in needs]
    result = {i: Coverage() for i in ids}
    if not ids:
        return result
    listed = listed_needs()
    for need_id, listed_at in db.session.execute(
            sa.select(listed.c.need_id, listed.c.listed_at).where(listed.c.need_id.in_(ids))):
        result[need_id].listed_at = listed_at
    for need_id, count in db.session.execute(
            sa.select(Follow.need_id, sa.func.count(Follow.id)).where(Follow.need_id.in_(ids))
            .group_by(Follow.need_id)):
        result[need_id].followers = count
    for need_id, status, count in db.session.execute(
            sa.select(Interest.need_id, Interest.status, sa.func.count(Interest.id))
            .where(Interest.need_id.in_(ids)).group_by(Interest.need_id, Interest.status)):
        result[need_id].by_status[status] = count
        result[need_id].interests += count
    return result


def blocking_reasons() -> list[tuple[RejectionReason, int, object]]:
    """(reason, interests, amount sought by their needs) of the credit refusals, most frequent
    first; the structured reasons institutions gave when saying no."""
    rows = db.session.execute(
        sa.select(Interest.rejection_reason, sa.func.count(Interest.id),
                  sa.func.coalesce(sa.func.sum(FinancingNeed.amount), ZERO))
        .join(FinancingNeed, FinancingNeed.id == Interest.need_id)
        .where(Interest.status == InterestStatus.rejected, Interest.rejection_reason.is_not(None))
        .group_by(Interest.rejection_reason)).all()
    return sorted(((reason, count, amount) for reason, count, amount in rows),
                  key=lambda r: (-r[1], list(RejectionReason).index(r[0])))


def refusals_query(*, reason: RejectionReason | None = None, declined: bool = False) -> sa.Select:
    """The interests that ended in a credit refusal (or, with `declined`, that the owner
    declined), newest first, with their need, project and institution loaded."""
    status = InterestStatus.declined if declined else InterestStatus.rejected
    query = (sa.select(Interest).join(Interest.need).join(FinancingNeed.project).join(Interest.org)
             .options(contains_eager(Interest.need).contains_eager(FinancingNeed.project)
                      .selectinload(Project.org), contains_eager(Interest.org))
             .where(Interest.status == status))
    if reason is not None and not declined:
        query = query.where(Interest.rejection_reason == reason)
    return query.order_by(Interest.closed_at.desc().nulls_last(), Interest.id.desc())
