"""The one loader of objects by id, for the site and the API alike.

An id that no row can have (beyond an INTEGER column, zero, negative), a row that does
not exist and a row the user may not see all answer the same 404: a visitor cannot tell
them apart. The permission itself is asked of services/permissions.py.
"""

from app.extensions import db
from app.services.errors import NotFound
from app.services.params import valid_id
from app.services.permissions import require


def require_id(obj_id) -> int:
    """`obj_id` if a row could have it; NotFound otherwise (before any query is sent)."""
    if not valid_id(obj_id):
        raise NotFound()
    return obj_id


def get_by_id(model, obj_id):
    """The row of `model` with this id, or NotFound. For areas already gated as a whole
    (the admin pages) and for objects whose permission the caller checks itself."""
    obj = db.session.get(model, require_id(obj_id))
    if obj is None:
        raise NotFound()
    return obj


def get_visible(model, obj_id, user, action: str = "view"):
    """The object if it exists and `user` may see it (and, with another action, do that
    to it: NotAllowed when they may see it but not act); NotFound otherwise."""
    obj = get_by_id(model, obj_id)
    require(user, action, obj)
    return obj
