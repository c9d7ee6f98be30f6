"""Pages of HTML lists: the page number read by services/params.py, and a page beyond the
last one shows the last one (a bookmarked ?page=7 of a list that has shrunk to three pages
shows page 3, not an empty list)."""

from flask import current_app, request

from app.extensions import db
from app.services.params import page_arg


def paginate(query, *, per_page: int | None = None):
    per_page = per_page or current_app.config["PER_PAGE"]
    page = page_arg(request.args)
    result = db.paginate(query, page=page, per_page=per_page, error_out=False)
    if result.pages and page > result.pages:
        result = db.paginate(query, page=result.pages, per_page=per_page, error_out=False)
    return result
