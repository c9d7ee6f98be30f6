"""Answers that browsers and proxies must not keep (Cache-Control: no-store): pages with
contact details, drafts, review comments, tokens or anything else not public. Listed here
and nowhere else; register_security_headers (app/__init__.py) consults them for every
answer, and tests/views/test_no_store.py holds the list against the access matrix.
"""

from flask import Request

# Every page of these blueprints: the administration, an owner's projects and needs (drafts,
# contacts, review history, attachments), the inbox, and the API's token-only answers.
NO_STORE_BLUEPRINTS = frozenset({
    "admin", "projects", "needs", "notifications", "api_me", "api_needs", "api_projects",
    "interests", "api_interests",
})

# Single pages of otherwise public or mixed areas.
NO_STORE_ENDPOINTS = frozenset({
    "auth.profile", "auth.create_token", "auth.change_password",  # tokens, sessions
    "auth.reset_password",  # the reset token is in the address
    "editions.item",  # an item's contact details, for those who may see them
    "editions.compile", "editions.preview",  # drafts
    "editions.saved",  # a reader's saved searches
    "api_editions.get_edition",  # with a token: contact details
})


def no_store(request: Request) -> bool:
    endpoint = request.endpoint or ""
    if endpoint in NO_STORE_ENDPOINTS or endpoint.partition(".")[0] in NO_STORE_BLUEPRINTS:
        return True
    # Whatever the API answers to a token is that token's user's.
    return request.path.startswith("/api/") and bool(request.headers.get("Authorization"))
