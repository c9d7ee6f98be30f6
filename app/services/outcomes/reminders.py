"""An institution that leaves a new interest uncontacted is reminded once it has waited
INTEREST_CONTACT_WORKDAYS working days: the owner is waiting for a call. Each interest is
reminded once (reminded_at); the reminder goes to the users of the institution through the
notification inbox and its e-mail job. Run daily by `flask interests remind` (cron or a systemd
timer)."""

from datetime import datetime

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

