"""The one pagination envelope: {"items": [...], "page", "per_page", "total", "pages"},
built on the site's paginator (app/pagination.py)."""

import sqlalchemy as sa

from app.pagination import paginate as paginate_query


def envelope(result) -> dict:
    return {"items": list(result.items), "page": result.page, "per_page": result.per_page,
            "total": result.total, "pages": result.pages}


def paginate(query: sa.Select, *, page: int, per_page: int, options=(), amount_of=None) -> dict:
    """Two statements whatever the page size: a count and the page (plus the eager loads
    given in options, each one statement). The page asked for, even beyond the last."""
    return envelope(paginate_query(query.options(*options), page=page, per_page=per_page,
                                   amount_of=amount_of, clamp=False))
