"""One search per listable model: a filter object read from a query string (or a stored
dict), and a function that turns it into the query of what a user sees.

    f = NeedFilters.from_args(request.args)      # web page, API schema, saved data
    query = search_needs(current_user, f)        # visible_needs(user) + filters + sort

The web lists, the API lists and the counts all go through these, so they offer the same
filters and the same default order, and can never disagree. A value a filter cannot take
is refused: recorded in `errors` (and what was typed in `typed`), not applied.
"""

from app.services.search.interests import (
    INTEREST_SORTS,
    InterestFilters,
    count_interests,
    interests_by_status,
    search_interests,
)
from app.services.search.needs import (
    NEED_SORTS,
    NeedFilters,
    ReviewFilters,
    count_needs,
    need_counts,
    needs_by_status,
    review_needs,
    search_needs,
)
from app.services.search.projects import PROJECT_SORTS, ProjectFilters, count_projects, search_projects

__all__ = [
    "INTEREST_SORTS", "InterestFilters", "count_interests", "interests_by_status", "search_interests",
    "NEED_SORTS", "PROJECT_SORTS", "NeedFilters", "ProjectFilters", "ReviewFilters", "count_needs",
    "count_projects", "need_counts", "needs_by_status", "review_needs", "search_needs", "search_projects",
]
