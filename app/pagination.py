"""Pages of HTML lists: the page number read by services/params.py, and a page beyond the
last one shows the last one (a bookmarked ?page=7 of a list that has shrunk to three pages
shows page 3, not an empty list). With `amount_of`, the page also carries the count and
total amount of the whole filtered result (services/listing.py)."""

from flask import current_app, request

from app.extensions import db
from app.services import listing
from app.services.params import page_arg


def paginate(query, *, per_page: int | None = None, amount_of=None):
    per_page = per_page or current_app.config["PER_PAGE"]

    def page_at(number: int):
        if amount_of is not None:
            return listing.paginate(query, amount_of=amount_of, page=number, per_page=per_page)
        return db.paginate(query, page=number, per_page=per_page, error_out=False)

    page = page_arg(request.args)
    result = page_at(page)
    if result.pages and page > result.pages:
        result = page_at(result.pages)
    return result
