"""move(): the only code that sets .status on an object with a life cycle."""

from app.models import TRANSITIONS
from app.services import audit
from app.services.errors import InvalidTransition

__all__ = ["TRANSITIONS", "can_move", "move"]


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
