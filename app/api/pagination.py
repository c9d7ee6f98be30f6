"""The one pagination envelope: {"items": [...], "page", "per_page", "total", "pages"}."""

import math

import sqlalchemy as sa

from app.extensions import db


def paginate(query: sa.Select, *, page: int, per_page: int, options=()) -> dict:
    """Two statements whatever the page size: a count and the page (plus the eager loads
    given in options, each one statement)."""
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.order_by(None).subquery()))
    items = list(db.session.scalars(
        query.options(*options).limit(per_page).offset((page - 1) * per_page)).unique())
    return {"items": items, "page": page, "per_page": per_page, "total": total,
            "pages": math.ceil(total / per_page) if total else 0}
