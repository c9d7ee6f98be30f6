"""move(): the only code that sets .status on an object with a life cycle."""

import sqlalchemy as sa
from sqlalchemy.orm import attributes

from app.extensions import db
from app.models import TRANSITIONS
from app.services import audit
from app.services.errors import InvalidTransition, StaleEdit

__all__ = ["TRANSITIONS", "can_move", "move", "move_all"]


def can_move(obj, to) -> bool:
    return to in TRANSITIONS[type(obj)].get(obj.status, set())


def move(obj, to, *, by, note: str | None = None, action: str | None = None):
    """Change obj.status to `to` if the life cycle allows it, and audit the change."""
    if not can_move(obj, to):
        raise InvalidTransition()
    before = obj.status
    obj.status = to
    audit.record(
        action or f"{obj.__tablename__}.{to.value}",
        obj,
        by=by,
        before={"status": before.value},
        after={"status": to.value},
        note=note,
    )
    return obj


def move_all(objs, to, *, by, note: str | None = None, action: str | None = None) -> None:
    """move() for many objects of one model at once, with the same audit entries: one
    UPDATE and one INSERT whatever their number. Nothing moves unless every object may
    make the move; a row someone changed meanwhile (its version moved on) raises StaleEdit."""
    objs = list(objs)
    if not objs:
        return
    model = type(objs[0])
    if any(type(obj) is not model for obj in objs):
        raise TypeError("move_all moves objects of one model")
    if not all(can_move(obj, to) for obj in objs):
        raise InvalidTransition()
    db.session.flush()  # pending edits of these rows go first, through their own version check
    table, mapper = model.__table__, sa.inspect(model)
    version = mapper.version_id_col
    values = {"status": to}
    if version is not None:
        version_attr = mapper.get_property_by_column(version).key
        values[version.key] = version + 1
        match = sa.tuple_(table.c.id, version).in_([(obj.id, getattr(obj, version_attr)) for obj in objs])
    else:
        match = table.c.id.in_([obj.id for obj in objs])
    done = db.session.execute(sa.update(table).where(match).values(values))
    if done.rowcount != len(objs):
        raise StaleEdit()
    # The objects in memory say what the rows now hold, without a flush of their own.
    refreshed = [mapper.get_property_by_column(c).key for c in table.columns
                 if c.onupdate is not None and c.key not in values]
    entries, common = [], {}
    for obj in objs:
        before = obj.status
        attributes.set_committed_value(obj, "status", to)
        if version is not None:
            attributes.set_committed_value(obj, version_attr, getattr(obj, version_attr) + 1)
        if refreshed:
            db.session.expire(obj, refreshed)
        if before not in common:  # the same entry but for the object, per status left
            common[before] = audit.entry_values(
                action or f"{model.__tablename__}.{to.value}", obj, by=by,
                before={"status": before.value}, after={"status": to.value}, note=note)
        entries.append({**common[before], "object_id": obj.id})
    audit.record_all(entries)
