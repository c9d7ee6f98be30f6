"""An institution that leaves a new interest uncontacted is reminded once it has waited
INTEREST_CONTACT_WORKDAYS working days: the owner is waiting for a call. Each interest is
reminded once (reminded_at). An interest still before credit whose validity date (有效期)
comes within INTEREST_VALIDITY_NOTICE_DAYS is reminded once too (validity_reminded_at; a new
date asks for a new reminder). The reminders go to the institution's verified institution
users through the notification inbox and its e-mail job. Run daily by `flask interests remind`
(cron or a systemd timer)."""

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import FinancingNeed, Interest, InterestStatus, Organization, Project
from app.models.base import utcnow
from app.services import formatting
from app.services.interests import common
from app.services.notifications import notify
from app.services.outcomes.workdays import workdays_between


def due_reminders(now: datetime | None = None) -> list[Interest]:
    """The interests still waiting for a first contact, never reminded, created at least
    INTEREST_CONTACT_WORKDAYS working days ago (Asia/Shanghai calendar days)."""
    now = now or utcnow()
    wait = int(current_app.config["INTEREST_CONTACT_WORKDAYS"])
    today = formatting.local(now).date()
    candidates = db.session.scalars(
        sa.select(Interest)
        .where(Interest.status == InterestStatus.submitted, Interest.contacted_at.is_(None),
               Interest.reminded_at.is_(None), Interest.created_at <= now)
        .options(selectinload(Interest.need).selectinload(FinancingNeed.project),
                 selectinload(Interest.org).selectinload(Organization.users))
        .order_by(Interest.id)).all()
    return [i for i in candidates
            if workdays_between(formatting.local(i.created_at).date(), today) >= wait]


def send_reminders(now: datetime | None = None) -> int:
    """Remind every institution due (the caller commits); returns how many interests."""
    now = now or utcnow()
    due = due_reminders(now)
    wait = int(current_app.config["INTEREST_CONTACT_WORKDAYS"])
    for interest in due:
        readers = common.institution_users(interest.org)  # its verified institution users
        project: Project = interest.need.project
        notify(readers, "interest_uncontacted",
               {"project": project.name, "owner": project.org.name, "days": wait,
                "amount": str(interest.amount)},
               link=f"/interests/{interest.id}")
    if due:
        # A reminder is not an edit: the version counter and last-changed time stay, so that an
        # institution's form opened before it still saves.
        db.session.execute(sa.update(Interest).where(Interest.id.in_([i.id for i in due]))
                           .values(reminded_at=now, updated_at=Interest.updated_at)
                           .execution_options(synchronize_session="fetch"))
    return len(due)



# Before credit the offer is what the owner weighs; once credit is approved the credit's own
# terms hold, so its validity date no longer matters.
BEFORE_CREDIT = (InterestStatus.submitted, InterestStatus.contacted, InterestStatus.due_diligence)


def due_validity_reminders(now: datetime | None = None) -> list[Interest]:
    """The interests before credit whose validity date is today or within
    INTEREST_VALIDITY_NOTICE_DAYS days (Asia/Shanghai), not yet reminded of it."""
    now = now or utcnow()
    today = formatting.local(now).date()
    last = today + timedelta(days=int(current_app.config["INTEREST_VALIDITY_NOTICE_DAYS"]))
    return list(db.session.scalars(
        sa.select(Interest)
        .where(Interest.status.in_(BEFORE_CREDIT), Interest.valid_until.is_not(None),
               Interest.valid_until >= today, Interest.valid_until <= last,
               Interest.validity_reminded_at.is_(None))
        .options(selectinload(Interest.need).selectinload(FinancingNeed.project),
                 selectinload(Interest.org).selectinload(Organization.users))
        .order_by(Interest.id)))


def send_validity_reminders(now: datetime | None = None) -> int:
    """Remind each institution whose offer's validity ends soon (the caller commits)."""
    now = now or utcnow()
    due = due_validity_reminders(now)
    for interest in due:
        project: Project = interest.need.project
        notify(common.institution_users(interest.org), "interest_validity_ending",
               {"project": project.name, "owner": project.org.name, "amount": str(interest.amount),
                "valid_until": interest.valid_until.isoformat()},
               link=f"/interests/{interest.id}")
    if due:  # not an edit, as above
        db.session.execute(sa.update(Interest).where(Interest.id.in_([i.id for i in due]))
                           .values(validity_reminded_at=now, updated_at=Interest.updated_at)
                           .execution_options(synchronize_session="fetch"))
    return len(due)
