"""The conversation of an interest, between the institution and the owner: messages with
files (the upload rules of services/attachments.py), unread counts per side, a notice
(in-app and e-mail through the job queue) to the other side. Administrators read it."""

from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import attributes

from app.extensions import db
from app.models import Interest, InterestMessage, MessageSide, User
from app.models.base import utcnow
from app.services import attachments, audit
from app.services.errors import ValidationFailed
from app.services.interests import common
from app.services.notifications import notify
from app.services.permissions import can, require

BODY_LIMIT = 4000
READ_COLUMN = {MessageSide.institution: "institution_read_at", MessageSide.owner: "owner_read_at"}


def side_of(user, interest: Interest) -> MessageSide | None:
    """Which side of the conversation `user` writes for, if any."""
    if not can(user, "view", interest) or getattr(user, "org_id", None) is None:
        return None
    if user.org_id == interest.org_id:
        return MessageSide.institution
    if user.org_id == interest.need.project.org_id:
        return MessageSide.owner
    return None  # an administrator


def _touch(interest: Interest, **values) -> None:
    """Conversation timestamps, written without moving the interest's version: a message
    never makes the institution's open form of the offer stale. Nor its time of last change
    (the column's onupdate would set it): reading or writing the conversation is not a
    change of the deal, and the workspace orders deals by that time."""
    table = Interest.__table__
    db.session.execute(sa.update(table).where(table.c.id == interest.id)
                       .values(**values, updated_at=table.c.updated_at))
    for key, value in values.items():
        attributes.set_committed_value(interest, key, value)


def post_message(user: User, interest: Interest, body: str | None,
                 files: list[tuple[str, bytes]] = ()) -> InterestMessage:
    require(user, "message", interest)
    side = side_of(user, interest)
    body = (body or "").strip()
    if not body and not files:
        raise ValidationFailed(errors={"body": [_l("Write a message or attach a file.")]})
    if len(body) > BODY_LIMIT:
        raise ValidationFailed(errors={"body": [_l("At most %(n)d characters.", n=BODY_LIMIT)]})
    message = InterestMessage(interest_id=interest.id, author_id=user.id, side=side, body=body)
    db.session.add(message)
    db.session.flush()
    for filename, data in files:
        attachments.add_attachment(message, filename, data, by=user)
    now = utcnow()
    _touch(interest, last_message_at=now, **{READ_COLUMN[side]: now})
    audit.record("interest.message", interest, by=user, after={"message": message.id})
    readers = (common.owner_users(interest.need) if side is MessageSide.institution
               else common.institution_users(interest.org))
    notify(readers, "interest_message", common.params(interest, org=user.org.name),
           link=f"/interests/{interest.id}")
    return message


def thread(user, interest: Interest) -> list[InterestMessage]:
    require(user, "view", interest)
    return list(db.session.scalars(sa.select(InterestMessage).where(InterestMessage.interest_id == interest.id)
                                   .order_by(InterestMessage.created_at, InterestMessage.id)))


def mark_read(user, interest: Interest) -> None:
    """The reader's side has read the conversation up to now (administrators leave no trace)."""
    side = side_of(user, interest)
    if side is not None and interest.last_message_at is not None:
        _touch(interest, **{READ_COLUMN[side]: utcnow()})


def unread_count(user, interest: Interest) -> int:
    """Messages of the other side that the reader's side has not read."""
    side = side_of(user, interest)
    if side is None:
        return 0
    read_at: datetime | None = getattr(interest, READ_COLUMN[side])
    query = sa.select(sa.func.count(InterestMessage.id)).where(
        InterestMessage.interest_id == interest.id, InterestMessage.side != side)
    if read_at is not None:
        query = query.where(InterestMessage.created_at > read_at)
    return db.session.scalar(query)
