"""The one paginator of lists, for the site and the API alike.

The page number is read by services/params.py. On the site a page beyond the last one
shows the last one (a bookmarked ?page=7 of a list that has shrunk to three pages shows
page 3, not an empty list); the API answers the page asked for (empty, with the real
total). With `amount_of`, the page also carries the count and total amount of the whole
filtered result (services/listing.py)."""

from flask import current_app, request

from app.extensions import db
from app.services import listing
from app.services.params import page_arg


def paginate(query, *, per_page: int | None = None, amount_of=None, page: int | None = None,
             clamp: bool = True):
    """The page of `query` asked for (`page`, else ?page=), `per_page` rows (else the
    PER_PAGE setting). One count statement and the page's (plus its eager loads)."""
    per_page = per_page or current_app.config["PER_PAGE"]

    def page_at(number: int):
        if amount_of is not None:
            return listing.paginate(query, amount_of=amount_of, page=number, per_page=per_page)
        return db.paginate(query, page=number, per_page=per_page, error_out=False, max_per_page=None)

    page = page_arg(request.args) if page is None else page
    result = page_at(page)
    if clamp and result.pages and page > result.pages:
        result = page_at(result.pages)
    return result
